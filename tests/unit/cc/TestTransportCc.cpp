// The client's TransportCongestionControl between the call engine and the socket: RTP that
// reserved a transport-wide sequence number leaves numbered 1, 2, 3 ... (each transmission
// anew), everything else leaves untouched, the relay's feedback reaches the estimator, and
// the probe clusters it asks for leave as probe packets (PT 127, SSRC 0, numbered).

#include "diyuma/session/TransportCongestionControl.h"
#include "diyuma/wire/Control.h"
#include "diyuma/wire/Rtp.h"
#include "diyuma/wire/RtpExtensions.h"
#include "diyuma/wire/TransportFeedback.h"

#include "CapturingTransport.h"
#include "FakeClock.h"

#include <QtTest/QtTest>
#include <vector>

using namespace diyuma::core;
using namespace std::chrono_literals;

namespace {

using Capture = diyuma::test::CapturingTransport;

std::vector<std::uint8_t> rtp(bool reserve, std::uint16_t sequence) {
    wire::RtpHeaderFields h;
    h.sequence = sequence;
    h.ssrc = 0x1234;
    if (reserve)
        h.extensions.transportSequence = 0;
    std::vector<std::uint8_t> buffer(wire::kMaxDatagramBytes);
    const std::vector<std::uint8_t> payload(160, 0x42);
    auto out = wire::writeRtp(h, payload, buffer);
    return {out.begin(), out.end()};
}

std::optional<std::uint16_t> transportSequenceOf(const std::vector<std::uint8_t>& d,
                                                 wire::RtpPacketView& view) {
    wire::RtpExtensions e;
    if (wire::parseRtp(d, view) != wire::ParseError::None ||
        wire::parseRtpExtensions(view, d, e) != wire::ParseError::None)
        return std::nullopt;
    return e.transportSequence;
}

} // namespace

class TestTransportCc : public QObject {
    Q_OBJECT

private slots:
    void numbersRtpAndPassesTheRest() {
        diyuma::test::FakeClock clock;
        Capture socket;
        TransportCongestionControl tcc(clock, socket, {});
        const auto a = rtp(true, 100);
        const auto plain = rtp(false, 101);
        const std::vector<std::uint8_t> control = {wire::kControlMagic, 1, 9, 0, 0, 0, 0, 1};
        QCOMPARE(tcc.send(a), SendStatus::Sent);
        QCOMPARE(tcc.send(plain), SendStatus::Sent);
        QCOMPARE(tcc.send(control), SendStatus::Sent);
        QCOMPARE(tcc.send(a), SendStatus::Sent); // the same packet again: a new number
        QCOMPARE(socket.sent.size(), std::size_t{4});
        wire::RtpPacketView v;
        QCOMPARE(transportSequenceOf(socket.sent[0], v).value_or(0), std::uint16_t{1});
        QCOMPARE(v.sequence, std::uint16_t{100}); // the RTP header is the caller's
        QCOMPARE(transportSequenceOf(socket.sent[3], v).value_or(0), std::uint16_t{2});
        QVERIFY(socket.sent[1] == plain);
        QVERIFY(socket.sent[2] == control);
        QCOMPARE(tcc.stats().packetsNumbered, std::uint64_t{2});

        // The relay reports both as received: the estimator takes it.
        wire::TransportFeedbackBuilder b;
        b.begin(0, 0, 1, 0, 0);
        QVERIFY(b.add(1, 1000));
        QVERIFY(b.add(2, 3000));
        std::array<std::uint8_t, 64> buffer{};
        wire::RtcpReader reader(b.write(buffer));
        wire::RtcpPacket packet;
        QVERIFY(reader.next(packet));
        clock.advance(20ms);
        QVERIFY(tcc.onFeedback(packet));
        QCOMPARE(tcc.uplinkEstimate().feedbacks, std::uint64_t{1});
        QCOMPARE(tcc.stats().feedbackReceived, std::uint64_t{1});
        // Something else in its place: refused and counted.
        const std::array<std::uint8_t, 16> nackBytes{0x81, 0xCD, 0, 3, 0, 0, 0, 1,
                                                     0,    0,    0, 2, 0, 5, 0, 0};
        wire::RtcpReader nack(nackBytes);
        QVERIFY(nack.next(packet));
        QVERIFY(!tcc.onFeedback(packet));
        QCOMPARE(tcc.stats().feedbackMalformed, std::uint64_t{1});
    }

    void downlinkArrivalsAreReportedToTheRelay() {
        diyuma::test::FakeClock clock;
        Capture socket;
        TransportCongestionControl tcc(clock, socket, {});
        tcc.setFeedbackSsrc(0xFEED);
        for (std::uint16_t q = 1; q <= 5; ++q) {
            if (q != 3)
                tcc.onDownlinkPacket(q);
            clock.advance(2ms);
        }
        tcc.sendFeedback(); // 8 ms after the first: not due yet
        QVERIFY(socket.sent.empty());
        clock.advance(50ms);
        tcc.sendFeedback();
        QCOMPARE(socket.sent.size(), std::size_t{1});
        wire::RtcpReader reader(socket.sent[0]);
        wire::RtcpPacket packet;
        QVERIFY(reader.next(packet));
        QVERIFY(wire::isTransportFeedback(packet));
        wire::TransportFeedbackHeader header;
        std::vector<bool> received;
        QVERIFY(
            wire::parseTransportFeedback(packet, header, [&](std::uint16_t, bool r, std::int64_t) {
                received.push_back(r);
            }) == wire::ParseError::None);
        QCOMPARE(header.senderSsrc, 0xFEEDU);
        QCOMPARE(header.baseSequence, std::uint16_t{1});
        QVERIFY((received == std::vector<bool>{true, true, false, true, true}));
        QCOMPARE(tcc.stats().downlinkPackets, std::uint64_t{4});
        QCOMPARE(tcc.stats().feedbackSent, std::uint64_t{1});
        tcc.sendFeedback();
        QCOMPARE(socket.sent.size(), std::size_t{1}); // nothing new
    }

    void probesLeaveAsProbePackets() {
        diyuma::test::FakeClock clock;
        Capture socket;
        cc::BandwidthEstimatorConfig config;
        config.startBitrateBps = 400'000;
        TransportCongestionControl tcc(clock, socket, config);
        QCOMPARE(tcc.send(rtp(true, 1)), SendStatus::Sent); // starts the estimator's clock
        tcc.sendProbes();
        QCOMPARE(socket.sent.size(), std::size_t{1}); // the first probe waits 200 ms
        std::size_t probes = 0;
        for (int ms = 0; ms < 300; ++ms) {
            clock.advance(1ms);
            tcc.sendProbes();
        }
        wire::RtpPacketView v;
        std::uint16_t last = 1;
        for (std::size_t i = 1; i < socket.sent.size(); ++i) {
            const auto number = transportSequenceOf(socket.sent[i], v);
            QVERIFY(number);
            QCOMPARE(*number, static_cast<std::uint16_t>(last + 1)); // one counter for all
            last = *number;
            QCOMPARE(v.payloadType, wire::kProbePayloadType);
            QCOMPARE(v.ssrc, 0U);
            ++probes;
        }
        QVERIFY(probes >= 6);
        QCOMPARE(tcc.stats().probePacketsSent, probes);
        QCOMPARE(tcc.uplinkEstimate().probesSent, std::uint64_t{1});
        QCOMPARE(tcc.nextProbeAt(), Clock::TimePoint::max());
    }
};

QTEST_APPLESS_MAIN(TestTransportCc)
#include "TestTransportCc.moc"
