// The relay's part in transport-wide congestion control (PROTOCOL.md 6.9, 9.1, 9.2, 4.16,
// 4.17): it reports each sender's RTP back to that sender by transport-wide sequence number
// (feedback at every timer tick, to the sender only), takes probe packets into the report
// and forwards none of them, refuses RTP whose extension block is broken; as the sender of
// each receiver's downlink it numbers what it forwards per receiver (retransmissions from its
// cache too), learns that receiver's downlink from its feedback (kept, never forwarded),
// probes it, and reports it with what the receiver gets from whom (ReceiveReport), following
// the receiver's Subscribe. The numbered path allocates nothing.

#include "diyuma/wire/Demux.h"
#include "diyuma/wire/RtpExtensions.h"
#include "diyuma/wire/TransportFeedback.h"

#include "AllocationCounter.h"
#include "RelayTestHarness.h"

#include <QtTest/QtTest>

using namespace diyuma;
using namespace diyuma::relay;
using namespace diyuma::test;

namespace {

const SocketAddress kAnn = addr(1);
const SocketAddress kBob = addr(2);
const SocketAddress kCy = addr(3);
constexpr std::uint32_t kAnnAudio = 0xA0;
constexpr std::uint32_t kAnnVideo = 0xA1;
constexpr std::uint32_t kBobAudio = 0xB0;
constexpr std::uint32_t kCyAudio = 0xC0;

std::optional<std::uint16_t> transportSequenceOf(const std::vector<std::uint8_t>& bytes) {
    wire::RtpPacketView rtp;
    wire::RtpExtensions e;
    if (wire::parseRtp(bytes, rtp) != wire::ParseError::None ||
        wire::parseRtpExtensions(rtp, bytes, e) != wire::ParseError::None)
        return std::nullopt;
    return e.transportSequence;
}

/// The ReceiveReports in `sent` to `to`.
std::vector<wire::ReceiveReportMsg> reportsTo(const std::vector<Sent>& sent,
                                              const SocketAddress& to) {
    std::vector<wire::ReceiveReportMsg> out;
    for (const Sent& s : sent)
        if (s.to == to)
            if (auto r = s.as<wire::ReceiveReportMsg>())
                out.push_back(*r);
    return out;
}

const wire::ReceiveEntry* entryFor(const wire::ReceiveReportMsg& r, std::uint32_t participantId) {
    for (const auto& e : r.view())
        if (e.participantId == participantId)
            return &e;
    return nullptr;
}

std::vector<std::uint8_t> numberedRtp(std::uint8_t payloadType, std::uint32_t ssrc,
                                      std::uint16_t transportSequence,
                                      std::size_t payloadBytes = 100) {
    wire::RtpHeaderFields h;
    h.payloadType = payloadType;
    h.sequence = transportSequence;
    h.ssrc = ssrc;
    h.extensions.transportSequence = transportSequence;
    std::vector<std::uint8_t> payload(payloadBytes, 0x11);
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

    void downlinkIsNumberedPerReceiver() {
        Harness h;
        auto created = h.create(addr(9));
        QVERIFY(created);
        QVERIFY(h.join(kAnn, created->conferenceId, "Ann", kAnnAudio));
        QVERIFY(h.join(kBob, created->conferenceId, "Bob", kBobAudio));
        QVERIFY(h.join(kCy, created->conferenceId, "Cy", kCyAudio));
        // Ann's packets 100..102 reach Bob and Cy numbered 1, 2, 3 each, whatever Ann wrote.
        for (const int q : {100, 101, 102}) {
            const auto sent = h.deliver(kAnn, numberedRtp(wire::kOpusPayloadType, kAnnAudio,
                                                          static_cast<std::uint16_t>(q)));
            QCOMPARE(sent.size(), std::size_t{2});
            for (const Sent& s : sent) {
                QVERIFY(!s.forwarded); // a copy of its own per receiver
                QCOMPARE(transportSequenceOf(s.bytes).value_or(0),
                         static_cast<std::uint16_t>(q - 99));
            }
        }
        // Bob's packet: Ann's first (1), Cy's fourth (4).
        for (const Sent& s : h.deliver(kBob, numberedRtp(wire::kOpusPayloadType, kBobAudio, 7)))
            QCOMPARE(transportSequenceOf(s.bytes).value_or(0),
                     static_cast<std::uint16_t>(s.to == kAnn ? 1 : 4));
        QCOMPARE(h.core.stats().forwardedPackets, std::uint64_t{8});

        // No feedback from Bob yet: his report says no estimate. Then Bob reports 1..3 as
        // received and the next report carries an estimate.
        auto reports = reportsTo(h.advance(std::chrono::milliseconds(1100)), kBob);
        QCOMPARE(reports.size(), std::size_t{1});
        QCOMPARE(reports[0].downlinkBps, 0U);
        wire::TransportFeedbackBuilder b;
        b.begin(kBobAudio, 0, 1, 0, 0);
        QVERIFY(b.add(1, 1000) && b.add(2, 21'000) && b.add(3, 41'000));
        std::array<std::uint8_t, 64> buffer{};
        QVERIFY(h.deliver(kBob, b.write(buffer)).empty());
        reports = reportsTo(h.advance(std::chrono::milliseconds(1000)), kBob);
        QCOMPARE(reports.size(), std::size_t{1});
        QVERIFY(reports[0].downlinkBps > 0);
        QCOMPARE(reports[0].count, std::uint8_t{2}); // Ann and Cy
        QCOMPARE(entryFor(reports[0], 1)->state, wire::ReceiveState::NoVideo);
    }

    void probesAndReportsFollowTheReceiver() {
        Harness h;
        auto created =
            h.create(addr(9), 1, static_cast<std::uint32_t>(wire::ConferenceFlags::PrivateView));
        QVERIFY(created);
        QVERIFY(h.joinWithVideo(kAnn, created->conferenceId, "Ann", kAnnAudio, kAnnVideo,
                                created->adminSecret));
        QVERIFY(h.joinWithVideo(kBob, created->conferenceId, "Bob", kBobAudio, 0xB1));
        QVERIFY(h.join(kCy, created->conferenceId, "Cy", kCyAudio));
        (void)h.advance(std::chrono::milliseconds(300)); // the joins' key-frame requests pass
        // Ann's video, numbered, at ~2.9 Mbit/s: more than Cy's estimator starts with (2.5),
        // so it wants to find out whether there is room (it probes only up to what Cy would
        // get); 300 ms later it asks for a probe cluster.
        std::uint16_t q = 1;
        int probes = 0;
        for (int tick = 0; tick < 20; ++tick) {
            for (int i = 0; i < 15; ++i)
                (void)h.deliver(kAnn, numberedRtp(wire::kVp8PayloadType, kAnnVideo, q++, 1150));
            for (const Sent& s : h.advance(std::chrono::milliseconds(50))) {
                if (s.to != kCy || wire::classify(s.bytes) != wire::PacketKind::Rtp)
                    continue;
                wire::RtpPacketView rtp;
                QVERIFY(wire::parseRtp(s.bytes, rtp) == wire::ParseError::None);
                QCOMPARE(rtp.payloadType, wire::kProbePayloadType);
                QCOMPARE(rtp.ssrc, 0U);
                QVERIFY(transportSequenceOf(s.bytes));
                ++probes;
            }
        }
        QVERIFY2(probes >= 6, qPrintable(QString::number(probes)));
        QCOMPARE(h.core.stats().probesSent >= 6, true);

        // Cy's report: Ann forwarding (the admin's video reaches everyone), Bob withheld by
        // private view. Cy subscribes to no video from Ann: withheld, and said so.
        auto reports = reportsTo(h.advance(std::chrono::milliseconds(1000)), kCy);
        QVERIFY(!reports.empty());
        QCOMPARE(entryFor(reports.back(), 1)->state, wire::ReceiveState::Forwarding);
        QCOMPARE(entryFor(reports.back(), 1)->spatialLayer, std::uint8_t{0});
        QCOMPARE(entryFor(reports.back(), 2)->state, wire::ReceiveState::PrivateView);
        wire::SubscribeMsg subscribe;
        subscribe.entries[0] = {1, 0};
        subscribe.count = 1;
        QVERIFY(h.deliver(kCy, wire::ControlMessage{5, subscribe}).empty());
        const auto sent = h.deliver(kAnn, numberedRtp(wire::kVp8PayloadType, kAnnVideo, q++));
        QCOMPARE(sent.size(), std::size_t{1}); // Bob only
        QCOMPARE(sent[0].to, kBob);
        QCOMPARE(h.core.stats().videoNotSubscribed, std::uint64_t{1});
        reports = reportsTo(h.advance(std::chrono::milliseconds(1000)), kCy);
        QVERIFY(!reports.empty());
        QCOMPARE(entryFor(reports.back(), 1)->state, wire::ReceiveState::NotSubscribed);
        // A subscription flood is cut by the rate limit.
        for (int i = 0; i < 40; ++i)
            (void)h.deliver(kCy, wire::ControlMessage{6, subscribe});
        QVERIFY(h.core.stats().drops(DropReason::RateLimitedControl) > 0);
        // Subscribe before joining: NotJoined.
        QCOMPARE(
            Harness::errorIn(h.deliver(addr(40), wire::ControlMessage{7, subscribe}), addr(40)),
            std::optional(wire::ErrorCode::NotJoined));
    }

    void weakDownlinkGetsTheLowerTemporalLayersRenumbered() {
        // Ann sends 30 frames a second in three temporal layers (TL0 TL2 TL1 TL2, one 600-byte
        // packet each: about 38, 75 and 151 kbit/s cumulatively). Bob's downlink is a 120
        // kbit/s bottleneck, simulated in his feedback: the queue grows, the relay's estimate
        // falls under the capacity, and once Ann's audio is reserved there is no room for TL2.
        // Bob then gets the lower layers, numbered without gaps (TL0 never stops); his NACK
        // for one of them is answered with the right packet.
        Harness h;
        auto created = h.create(addr(9));
        QVERIFY(created);
        QVERIFY(h.joinWithVideo(kAnn, created->conferenceId, "Ann", kAnnAudio, kAnnVideo));
        QVERIFY(h.join(kBob, created->conferenceId, "Bob", kBobAudio));
        constexpr double kBottleneckBps = 120'000;
        std::int64_t linkFreeUs = 0;
        wire::TransportFeedbackBuilder fb;
        bool fbOpen = false;
        std::uint8_t fbCount = 0;
        struct Got {
            std::uint16_t rtpSequence;
            std::uint8_t tid;
            std::vector<std::uint8_t> bytes;
        };
        std::vector<Got> got;
        // Bob's copies queue behind each other at the bottleneck; his feedback reports when
        // each got out of it.
        const auto throughBottleneck = [&](const Sent& s) {
            if (s.to != kBob || wire::classify(s.bytes) != wire::PacketKind::Rtp)
                return true;
            wire::RtpPacketView rtp;
            wire::RtpExtensions e;
            if (wire::parseRtp(s.bytes, rtp) != wire::ParseError::None ||
                wire::parseRtpExtensions(rtp, s.bytes, e) != wire::ParseError::None ||
                !e.transportSequence)
                return false;
            if (rtp.payloadType == wire::kVp8PayloadType)
                got.push_back({rtp.sequence, e.frameMarking->temporalId, s.bytes});
            const std::int64_t nowUs = h.clock.now().time_since_epoch().count();
            linkFreeUs = std::max(linkFreeUs, nowUs) +
                         static_cast<std::int64_t>(static_cast<double>(s.bytes.size() + 28) * 8e6 /
                                                   kBottleneckBps);
            if (!fbOpen) {
                fb.begin(kBobAudio, 0, *e.transportSequence, linkFreeUs, fbCount++);
                fbOpen = true;
            }
            return fb.add(*e.transportSequence, linkFreeUs);
        };
        const std::uint8_t pattern[] = {0, 2, 1, 2};
        std::uint16_t in = 1000;
        for (int frame = 0; frame < 30 * 12; ++frame) {
            const std::uint8_t tid = pattern[frame % 4];
            wire::RtpHeaderFields hdr;
            hdr.payloadType = wire::kVp8PayloadType;
            hdr.sequence = in++;
            hdr.timestamp = static_cast<std::uint32_t>(3000 * frame);
            hdr.ssrc = kAnnVideo;
            hdr.marker = true;
            hdr.extensions.transportSequence = static_cast<std::uint16_t>(frame);
            wire::FrameMarking m;
            m.startOfFrame = m.endOfFrame = true;
            m.independent = frame == 0;
            m.temporalId = tid;
            m.baseLayerSync = tid != 0 && frame % 4 != 3;
            m.discardable = tid == 2;
            m.hasLayers = true;
            hdr.extensions.frameMarking = m;
            std::vector<std::uint8_t> buffer(wire::kMaxDatagramBytes);
            const std::vector<std::uint8_t> payload(600 - 12 - 12, 0x33);
            const auto packet = wire::writeRtp(hdr, payload, buffer);
            for (const Sent& s : h.deliver(kAnn, packet))
                QVERIFY(throughBottleneck(s));
            h.clock.advance(std::chrono::microseconds(33'333));
            if (frame % 3 == 2) { // feedback every 100 ms, and the relay's tick
                if (fbOpen) {
                    std::array<std::uint8_t, 1200> fbBuffer{};
                    (void)h.deliver(kBob, fb.write(fbBuffer));
                    fbOpen = false;
                }
                h.sink.sent.clear();
                h.core.onTimer(h.clock.now(), h.sink);
                for (const Sent& s : h.sink.sent) // probes go through it too
                    QVERIFY(throughBottleneck(s));
                for (const auto& r : reportsTo(h.sink.sent, kBob))
                    qInfo("t=%d s: downlink %u bit/s, Ann's video state %d up to layer %d",
                          frame / 30, r.downlinkBps, int(entryFor(r, 1)->state),
                          int(entryFor(r, 1)->temporalLayer));
                h.sink.sent.clear();
            }
        }
        // The last frames: no TL2, TL0 all along, consecutive numbers.
        const std::size_t tail = got.size() - std::min<std::size_t>(got.size(), 20);
        std::size_t tl2 = 0;
        std::size_t tl0 = 0;
        for (std::size_t i = tail; i < got.size(); ++i) {
            tl2 += got[i].tid == 2;
            tl0 += got[i].tid == 0;
            if (i > tail)
                QCOMPARE(got[i].rtpSequence,
                         static_cast<std::uint16_t>(got[i - 1].rtpSequence + 1));
        }
        QCOMPARE(tl2, std::size_t{0});
        QVERIFY(tl0 >= 10);
        for (std::size_t i = 1; i < got.size(); ++i) // and never a gap from the start
            QCOMPARE(got[i].rtpSequence, static_cast<std::uint16_t>(got[i - 1].rtpSequence + 1));
        QVERIFY(h.core.stats().videoLayerDropped > 50);
        // Bob asks for one he got: the relay answers with that very packet under that number.
        const Got& asked = got[got.size() - 3];
        std::array<std::uint8_t, 64> nackBuffer{};
        std::size_t covered = 0;
        const std::uint16_t lost[] = {asked.rtpSequence};
        const auto nack = wire::writeNack(kBobAudio, kAnnVideo, lost, nackBuffer, covered);
        const auto answer = h.deliver(kBob, nack);
        QCOMPARE(answer.size(), std::size_t{1});
        wire::RtpPacketView original;
        wire::RtpPacketView resent;
        QVERIFY(wire::parseRtp(asked.bytes, original) == wire::ParseError::None);
        QVERIFY(wire::parseRtp(answer[0].bytes, resent) == wire::ParseError::None);
        QCOMPARE(resent.sequence, asked.rtpSequence);
        QCOMPARE(resent.timestamp, original.timestamp);
        // His report: Ann's video forwarded up to temporal layer 1.
        const auto reports = reportsTo(h.advance(std::chrono::milliseconds(1000)), kBob);
        QVERIFY(!reports.empty());
        const auto* entry = entryFor(reports.back(), 1);
        QVERIFY(entry);
        QCOMPARE(entry->state, wire::ReceiveState::Forwarding);
        QVERIFY(entry->temporalLayer <= 1);
        QVERIFY(reports.back().downlinkBps < 120'000);
    }

    void numberedForwardingAllocatesNothing() {
        Harness h;
        auto created = h.create(addr(9));
        QVERIFY(created);
        QVERIFY(h.joinWithVideo(kAnn, created->conferenceId, "Ann", kAnnAudio, kAnnVideo));
        QVERIFY(h.join(kBob, created->conferenceId, "Bob", kBobAudio));
        QVERIFY(h.join(kCy, created->conferenceId, "Cy", kCyAudio));
        std::vector<std::vector<std::uint8_t>> packets;
        for (std::uint16_t q = 0; q < 64; ++q)
            packets.push_back(
                numberedRtp(q % 4 == 0 ? wire::kOpusPayloadType : wire::kVp8PayloadType,
                            q % 4 == 0 ? kAnnAudio : kAnnVideo, q));
        wire::TransportFeedbackBuilder b;
        b.begin(kBobAudio, 0, 1, 0, 0);
        for (std::uint16_t q = 1; q <= 40; ++q)
            QVERIFY(b.add(q, 1000 * q));
        std::array<std::uint8_t, 1200> buffer{};
        const auto feedbackBytes = b.write(buffer);
        const std::vector<std::uint8_t> feedback(feedbackBytes.begin(), feedbackBytes.end());
        CountingSink sink;
        auto now = h.clock.now();
        for (const auto& p : packets) // warm up
            h.core.onDatagram(kAnn, p, now, sink);
        h.core.onDatagram(kBob, feedback, now, sink);
        h.core.onTimer(now, sink);
        g_allocations = 0;
        g_countAllocations = true;
        for (int n = 0; n < 5000; ++n) {
            auto& packet = packets[static_cast<std::size_t>(n) % packets.size()];
            (void)wire::patchTransportSequence(packet, wire::kTransportSequenceOffset,
                                               static_cast<std::uint16_t>(100 + n));
            h.core.onDatagram(kAnn, packet, now, sink);
            if (n % 50 == 0) {
                h.core.onDatagram(kBob, feedback, now, sink);
                now += std::chrono::milliseconds(50);
                h.clock.advance(std::chrono::milliseconds(50));
                h.core.onTimer(now, sink);
            }
        }
        g_countAllocations = false;
        QCOMPARE(g_allocations.load(), std::uint64_t{0});
        QVERIFY(h.core.stats().transportFeedbackSent > 50);
        QVERIFY(h.core.stats().receiveReportsSent > 10);
    }
};

QTEST_APPLESS_MAIN(TestRelayCongestion)
#include "TestRelayCongestion.moc"
