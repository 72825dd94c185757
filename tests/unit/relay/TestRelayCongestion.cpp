// The relay's part in transport-wide congestion control (PROTOCOL.md 6.9, 9.1, 9.2): it
// reports each sender's RTP back to that sender by transport-wide sequence number (feedback
// at every timer tick, to the sender only), takes probe packets into the report and forwards
// none of them, keeps transport feedback from clients to itself, and refuses RTP whose
// extension block is broken.

#include "diyuma/wire/RtpExtensions.h"
#include "diyuma/wire/TransportFeedback.h"

#include "RelayTestHarness.h"

#include <QtTest/QtTest>

using namespace diyuma;
using namespace diyuma::relay;
using namespace diyuma::test;

namespace {

const SocketAddress kAnn = addr(1);
const SocketAddress kBob = addr(2);
constexpr std::uint32_t kAnnAudio = 0xA0;

std::vector<std::uint8_t> numberedRtp(std::uint8_t payloadType, std::uint32_t ssrc,
                                      std::uint16_t transportSequence) {
    wire::RtpHeaderFields h;
    h.payloadType = payloadType;
    h.sequence = transportSequence;
    h.ssrc = ssrc;
    h.extensions.transportSequence = transportSequence;
    std::vector<std::uint8_t> payload(100, 0x11);
    std::vector<std::uint8_t> buffer(wire::kMaxDatagramBytes);
    auto out = wire::writeRtp(h, payload, buffer);
    return {out.begin(), out.end()};
}

struct Reported {
    std::uint16_t sequence = 0;
    bool received = false;
};

/// The transport feedback packets in `sent` to `to`, with what they report.
std::vector<Reported> feedbackTo(const std::vector<Sent>& sent, const SocketAddress& to,
                                 int& packets) {
    std::vector<Reported> out;
    packets = 0;
    for (const Sent& s : sent) {
        wire::RtcpHeaderView first;
        if (wire::parseRtcpCompound(s.bytes, first) != wire::ParseError::None)
            continue;
        wire::RtcpReader reader(s.bytes);
        wire::RtcpPacket packet;
        while (reader.next(packet)) {
            if (!wire::isTransportFeedback(packet))
                continue;
            if (s.to != to)
                out.push_back({0xFFFF, false}); // to someone else: the test fails on it
            ++packets;
            wire::TransportFeedbackHeader header;
            (void)wire::parseTransportFeedback(packet, header,
                                               [&](std::uint16_t q, bool r, std::int64_t) {
                                                   out.push_back({q, r});
                                               });
        }
    }
    return out;
}

} // namespace

class TestRelayCongestion : public QObject {
    Q_OBJECT

private slots:
    void uplinkIsReportedToItsSenderOnly() {
        Harness h;
        auto created = h.create(addr(9));
        QVERIFY(created);
        QVERIFY(h.join(kAnn, created->conferenceId, "Ann", kAnnAudio));
        QVERIFY(h.join(kBob, created->conferenceId, "Bob", 0xB0));
        // Ann sends 10, 11, 13 (12 lost on the way), then a probe packet (14).
        for (const int q : {10, 11, 13}) {
            const auto sent = h.deliver(kAnn, numberedRtp(wire::kOpusPayloadType, kAnnAudio,
                                                          static_cast<std::uint16_t>(q)));
            QCOMPARE(sent.size(), std::size_t{1}); // forwarded to Bob as it was
            QCOMPARE(sent[0].to, kBob);
        }
        QVERIFY(h.deliver(kAnn, numberedRtp(wire::kProbePayloadType, 0, 14)).empty());
        QCOMPARE(h.core.stats().probesReceived, std::uint64_t{1});

        int packets = 0;
        const auto reported = feedbackTo(h.advance(std::chrono::milliseconds(60)), kAnn, packets);
        QCOMPARE(packets, 1);
        QCOMPARE(reported.size(), std::size_t{5});
        const bool received[] = {true, true, false, true, true};
        for (std::size_t i = 0; i < reported.size(); ++i) {
            QCOMPARE(reported[i].sequence, static_cast<std::uint16_t>(10 + i));
            QCOMPARE(reported[i].received, received[i]);
        }
        QCOMPARE(h.core.stats().transportFeedbackSent, std::uint64_t{1});
        // Nothing new: no more feedback.
        QCOMPARE(feedbackTo(h.advance(std::chrono::milliseconds(200)), kAnn, packets).size(),
                 std::size_t{0});
        QCOMPARE(packets, 0);
    }

    void clientFeedbackStaysAtTheRelay() {
        Harness h;
        auto created = h.create(addr(9));
        QVERIFY(created);
        QVERIFY(h.join(kAnn, created->conferenceId, "Ann", kAnnAudio));
        QVERIFY(h.join(kBob, created->conferenceId, "Bob", 0xB0));
        wire::TransportFeedbackBuilder b;
        b.begin(0xB0, 0, 1, 0, 0);
        QVERIFY(b.add(1, 1000));
        std::array<std::uint8_t, 64> buffer{};
        const auto feedback = b.write(buffer);
        QVERIFY(h.deliver(kBob, feedback).empty()); // not passed on to Ann
        QCOMPARE(h.core.stats().transportFeedbackReceived, std::uint64_t{1});
    }

    void brokenExtensionsAreRefused() {
        Harness h;
        auto created = h.create(addr(9));
        QVERIFY(created);
        QVERIFY(h.join(kAnn, created->conferenceId, "Ann", kAnnAudio));
        QVERIFY(h.join(kBob, created->conferenceId, "Bob", 0xB0));
        // One-byte element announcing 16 octets in a 4-octet block.
        std::vector<std::uint8_t> bad = {0x90, wire::kOpusPayloadType,
                                         0,    1,
                                         0,    0,
                                         0,    2,
                                         0,    0,
                                         0,    kAnnAudio,
                                         0xBE, 0xDE,
                                         0x00, 0x01,
                                         0x1F, 0,
                                         0,    0,
                                         0xAA};
        QVERIFY(h.deliver(kAnn, bad).empty());
        QCOMPARE(h.core.stats().drops(DropReason::MalformedRtp), std::uint64_t{1});
        // A packet without any extension still passes (and is not reported).
        QCOMPARE(h.deliver(kAnn, rtpBytes(kAnnAudio, 5)).size(), std::size_t{1});
        int packets = 0;
        QVERIFY(feedbackTo(h.advance(std::chrono::milliseconds(60)), kAnn, packets).empty());
    }
};

QTEST_APPLESS_MAIN(TestRelayCongestion)
#include "TestRelayCongestion.moc"
