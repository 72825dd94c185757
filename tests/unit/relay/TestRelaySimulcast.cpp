// Simulcast at the relay (PROTOCOL.md 6.12): a sender's three streams (180p, 360p, 720p)
// reach each receiver as one stream with the lowest layer's SSRC and consecutive sequence
// numbers; a receiver behind a weak downlink is switched to a lower stream at that stream's
// key frame (the relay asks the sender for it) while an unlimited one keeps 720p; the sender
// is told which layers anyone receives (LayersWanted); NACKs and sender reports follow the
// stream each receiver gets; a Subscribe's height limit picks the stream.

#include "diyuma/wire/Demux.h"
#include "diyuma/wire/RtcpFeedback.h"
#include "diyuma/wire/RtpExtensions.h"
#include "diyuma/wire/TransportFeedback.h"

#include "AllocationCounter.h"
#include "RelayTestHarness.h"

#include <QtTest/QtTest>
#include <map>
#include <set>

using namespace diyuma;
using namespace diyuma::relay;
using namespace diyuma::test;

namespace {

const SocketAddress kAnn = addr(1);
const SocketAddress kBob = addr(2);
const SocketAddress kCy = addr(3);
constexpr std::uint32_t kAnnAudio = 0xA0;
constexpr std::array<std::uint32_t, 3> kAnnVideo{0xA1, 0xA2, 0xA3};
constexpr std::array<std::uint16_t, 3> kHeights{180, 360, 720};
/// Packets per frame of each stream (about 1000 bytes each): ~150, ~500, ~1500 kbit/s.
constexpr std::array<int, 3> kPacketsPerFrame{1, 2, 6};
constexpr std::uint32_t kBobAudio = 0xB0;
constexpr std::uint32_t kCyAudio = 0xC0;

/// Ann: three streams with shared timestamps, key frames when asked (PLI) or told to.
struct SimulcastSender {
    std::array<std::uint16_t, 3> next{100, 20000, 65000};
    std::array<bool, 3> keyWanted{true, true, true};
    std::array<bool, 3> silent{}; ///< streams not sent (an uplink that cannot carry them)
    std::uint16_t transport = 0;
    int frame = 0;

    /// Takes the PLIs in `sent` that are addressed to Ann.
    void takeFeedback(const std::vector<Sent>& sent) {
        for (const Sent& s : sent) {
            if (s.to != kAnn || wire::classify(s.bytes) != wire::PacketKind::Rtcp)
                continue;
            wire::RtcpReader reader(s.bytes);
            wire::RtcpPacket packet;
            while (reader.next(packet)) {
                wire::FeedbackSsrcs ssrcs;
                if (!wire::isPli(packet) || !wire::parseFeedbackSsrcs(packet, ssrcs))
                    continue;
                for (std::size_t i = 0; i < 3; ++i)
                    if (ssrcs.media == kAnnVideo[i])
                        keyWanted[i] = true;
            }
        }
    }
    /// The packets of the next picture (all three streams, lowest first).
    std::vector<std::vector<std::uint8_t>> picture() {
        static constexpr std::uint8_t kPattern[] = {0, 2, 1, 2};
        std::vector<std::vector<std::uint8_t>> out;
        for (std::size_t s = 0; s < 3; ++s) {
            if (silent[s])
                continue;
            const bool key = keyWanted[s];
            keyWanted[s] = false;
            const std::uint8_t tid = key ? 0 : kPattern[frame % 4];
            for (int p = 0; p < kPacketsPerFrame[s]; ++p) {
                wire::RtpHeaderFields hdr;
                hdr.payloadType = wire::kVp8PayloadType;
                hdr.sequence = next[s]++;
                hdr.timestamp = static_cast<std::uint32_t>(3000 * frame);
                hdr.ssrc = kAnnVideo[s];
                hdr.marker = p + 1 == kPacketsPerFrame[s];
                hdr.extensions.transportSequence = transport++;
                wire::FrameMarking m;
                m.startOfFrame = p == 0;
                m.endOfFrame = hdr.marker;
                m.independent = key;
                m.temporalId = tid;
                m.baseLayerSync = !key && tid != 0;
                m.hasLayers = true;
                hdr.extensions.frameMarking = m;
                std::vector<std::uint8_t> buffer(wire::kMaxDatagramBytes);
                const std::vector<std::uint8_t> payload(1000 - 12 - 12,
                                                        static_cast<std::uint8_t>(s));
                const auto packet = wire::writeRtp(hdr, payload, buffer);
                out.emplace_back(packet.begin(), packet.end());
            }
        }
        ++frame;
        return out;
    }
};

/// One receiver: what it got of Ann's video, and its transport feedback through a
/// bottleneck of `bottleneckBps` (0: none, no feedback at all).
struct Receiver {
    SocketAddress address;
    std::uint32_t ssrc = 0;
    double bottleneckBps = 0;
    struct Got {
        std::uint32_t ssrc;
        std::uint16_t sequence;
        std::uint8_t stream; ///< from the payload filler byte
        bool key;
    };
    std::vector<Got> got;
    std::int64_t linkFreeUs = 0;
    wire::TransportFeedbackBuilder fb;
    bool fbOpen = false;
    std::uint8_t fbCount = 0;

    void take(const Sent& s, std::int64_t nowUs) {
        if (s.to != address || wire::classify(s.bytes) != wire::PacketKind::Rtp)
            return;
        wire::RtpPacketView rtp;
        wire::RtpExtensions e;
        if (wire::parseRtp(s.bytes, rtp) != wire::ParseError::None ||
            wire::parseRtpExtensions(rtp, s.bytes, e) != wire::ParseError::None)
            return;
        if (rtp.payloadType == wire::kVp8PayloadType)
            got.push_back({rtp.ssrc, rtp.sequence,
                           rtp.payload.empty() ? std::uint8_t{9} : rtp.payload[0],
                           e.frameMarking && e.frameMarking->independent});
        if (bottleneckBps <= 0 || !e.transportSequence)
            return;
        linkFreeUs = std::max(linkFreeUs, nowUs) +
                     static_cast<std::int64_t>(static_cast<double>(s.bytes.size() + 28) * 8e6 /
                                               bottleneckBps);
        if (!fbOpen) {
            fb.begin(ssrc, 0, *e.transportSequence, linkFreeUs, fbCount++);
            fbOpen = true;
        }
        if (!fb.add(*e.transportSequence, linkFreeUs)) { // full: send it, start another
            fbOpen = false;
            take(s, nowUs);
        }
    }
    /// The pending feedback, if any.
    std::optional<std::vector<std::uint8_t>> feedback() {
        if (!fbOpen)
            return std::nullopt;
        fbOpen = false;
        std::array<std::uint8_t, 1200> buffer{};
        const auto bytes = fb.write(buffer);
        return std::vector<std::uint8_t>(bytes.begin(), bytes.end());
    }
    [[nodiscard]] std::uint8_t lastStream() const { return got.empty() ? 9 : got.back().stream; }
};

struct Call {
    Harness h;
    SimulcastSender ann;
    std::vector<Receiver*> receivers;
    std::vector<std::uint8_t> layersWanted; ///< every LayersWanted Ann got
    std::vector<Sent> toAnn;

    bool joinAnn(std::uint64_t conferenceId) {
        auto cookie = h.cookieFor(kAnn);
        if (!cookie)
            return false;
        auto join = h.joinMessage(*cookie, conferenceId, "Ann", kAnnAudio);
        for (std::size_t i = 0; i < 3; ++i)
            join.streams.items[1 + i] = wire::StreamInfo{
                kAnnVideo[2 - i], wire::MediaKind::Video, static_cast<std::uint8_t>(2 - i),
                kHeights[2 - i]}; // announced highest first: the relay sorts them
        join.streams.count = 4;
        for (const auto& s : h.deliver(kAnn, wire::ControlMessage{2, join}))
            if (s.to == kAnn && s.as<wire::JoinedMsg>())
                return true;
        return false;
    }
    /// A conference with Ann (sending) and Bob in it; its ID, or nothing if a step failed.
    std::optional<std::uint64_t> annAndBob() {
        auto created = h.create(addr(9));
        if (!created || !joinAnn(created->conferenceId) ||
            !h.join(kBob, created->conferenceId, "Bob", kBobAudio))
            return std::nullopt;
        return created->conferenceId;
    }
    void dispatch(const std::vector<Sent>& sent) {
        const std::int64_t nowUs = h.clock.now().time_since_epoch().count();
        for (const Sent& s : sent) {
            for (Receiver* r : receivers)
                r->take(s, nowUs);
            if (s.to == kAnn) {
                if (auto lw = s.as<wire::LayersWantedMsg>())
                    layersWanted.push_back(lw->layers);
                toAnn.push_back(s);
            }
        }
        ann.takeFeedback(sent);
    }
    /// Runs `seconds` of 30 fps video with a tick (and feedback) every 100 ms.
    void run(double seconds) {
        const int frames = static_cast<int>(seconds * 30);
        for (int i = 0; i < frames; ++i) {
            for (const auto& packet : ann.picture())
                dispatch(h.deliver(kAnn, packet));
            h.clock.advance(std::chrono::microseconds(33'333));
            if (ann.frame % 3 == 0) {
                for (Receiver* r : receivers)
                    if (auto fb = r->feedback())
                        dispatch(h.deliver(r->address, *fb));
                const auto sent = h.advance(std::chrono::milliseconds(1));
                for (const Sent& s : sent)
                    if (auto report = s.as<wire::ReceiveReportMsg>(); report && s.to == kBob)
                        qInfo("t=%.1f s: Bob's downlink %u bit/s, Ann's stream %d up to TL%d",
                              ann.frame / 30.0, report->downlinkBps,
                              int(report->entries[0].spatialLayer),
                              int(report->entries[0].temporalLayer));
                dispatch(sent);
            }
        }
    }
};

void checkOneContinuousStream(const Receiver& r) {
    QVERIFY(!r.got.empty());
    for (std::size_t i = 0; i < r.got.size(); ++i) {
        QCOMPARE(r.got[i].ssrc, kAnnVideo[0]); // always the lowest layer's SSRC
        if (i > 0)
            QCOMPARE(r.got[i].sequence, static_cast<std::uint16_t>(r.got[i - 1].sequence + 1));
    }
}

} // namespace

class TestRelaySimulcast : public QObject {
    Q_OBJECT

private slots:
    void weakReceiverSwitchesDownAtAKeyFrameOthersKeep720p() {
        Call call;
        const auto conference = call.annAndBob();
        QVERIFY(conference);
        QVERIFY(call.h.join(kCy, *conference, "Cy", kCyAudio));
        Receiver bob{kBob, kBobAudio, 0};
        Receiver cy{kCy, kCyAudio, 20e6}; // its feedback keeps it in the call, too
        call.receivers = {&bob, &cy};
        call.run(3);
        // Without a limit both get 720p, from its first key frame on.
        QCOMPARE(bob.lastStream(), std::uint8_t{2});
        QCOMPARE(cy.lastStream(), std::uint8_t{2});
        QVERIFY(bob.got.front().key);
        QVERIFY(!call.layersWanted.empty());
        QCOMPARE(call.layersWanted.back(), std::uint8_t{0b100});
        // Bob's downlink narrows to 800 kbit/s: 720p (~1.5M, half rate ~900k) does not fit,
        // 360p (~490k with headers) does.
        bob.bottleneckBps = 800'000;
        call.run(8);
        QCOMPARE(bob.lastStream(), std::uint8_t{1});
        QCOMPARE(cy.lastStream(), std::uint8_t{2});
        checkOneContinuousStream(bob);
        checkOneContinuousStream(cy);
        // Bob's first packet of stream 1 is its key frame.
        const auto firstLow = std::find_if(bob.got.begin(), bob.got.end(),
                                           [](const auto& g) { return g.stream == 1; });
        QVERIFY(firstLow != bob.got.end());
        QVERIFY(firstLow->key);
        QVERIFY(call.h.core.stats().videoStreamSwitches >= 1);
        QCOMPARE(call.layersWanted.back(), std::uint8_t{0b110});
        // His report says so.
        const auto reports = call.h.advance(std::chrono::milliseconds(1000));
        std::optional<wire::ReceiveReportMsg> report;
        for (const Sent& s : reports)
            if (s.to == kBob)
                if (auto r = s.as<wire::ReceiveReportMsg>())
                    report = r;
        QVERIFY(report);
        QCOMPARE(report->entries[0].state, wire::ReceiveState::Forwarding);
        QCOMPARE(report->entries[0].spatialLayer, std::uint8_t{1});
        // The limit lifts: Bob climbs back to 720p (the estimate recovers with probing).
        bob.bottleneckBps = 20'000'000;
        call.run(15);
        QCOMPARE(bob.lastStream(), std::uint8_t{2});
        checkOneContinuousStream(bob);
        QCOMPARE(call.layersWanted.back(), std::uint8_t{0b100});
    }

    void defaultLimitHoldsForASenderWhoJoinsLater() {
        // Bob wants at most 360 lines from everyone (the app's data saver) before anyone
        // else is there; Ann joins later: Bob never gets her 720p, not even at the start.
        Call call;
        auto created = call.h.create(addr(9));
        QVERIFY(created);
        QVERIFY(call.h.join(kBob, created->conferenceId, "Bob", kBobAudio));
        wire::SubscribeMsg sub;
        sub.defaultMaxHeight = 360;
        (void)call.h.deliver(kBob, wire::ControlMessage{5, sub});
        QVERIFY(call.joinAnn(created->conferenceId));
        Receiver bob{kBob, kBobAudio, 0};
        call.receivers = {&bob};
        call.run(3);
        QVERIFY(!bob.got.empty());
        for (const auto& g : bob.got)
            QVERIFY2(g.stream <= 1, qPrintable(QString::number(g.stream)));
        QCOMPARE(bob.lastStream(), std::uint8_t{1});
        checkOneContinuousStream(bob);
    }

    void aStreamTheSenderStopsIsLeftAndTriedAgainLater() {
        // Ann's uplink cannot carry 720p any more and she stops sending it; Bob is on it. He
        // goes to a stream she does send within about a second, is not sent back to 720p
        // until kSilentLayerRetry has passed (then it is tried, and found silent again), and
        // goes back once she sends it again.
        Call call;
        QVERIFY(call.annAndBob());
        Receiver bob{kBob, kBobAudio, 20e6}; // its feedback keeps it in the call
        call.receivers = {&bob};
        call.run(3);
        QCOMPARE(bob.lastStream(), std::uint8_t{2});
        call.ann.silent[2] = true;
        call.run(2);
        QCOMPARE(bob.lastStream(), std::uint8_t{1});
        QCOMPARE(call.h.core.stats().videoStreamsOffAtSender, std::uint64_t{1});
        call.run(8);
        QCOMPARE(call.h.core.stats().videoStreamsOffAtSender, std::uint64_t{1});
        call.run(5); // the retry: asked for again, still silent
        QCOMPARE(call.h.core.stats().videoStreamsOffAtSender, std::uint64_t{2});
        QCOMPARE(bob.lastStream(), std::uint8_t{1});
        const std::size_t before = bob.got.size();
        call.ann.silent[2] = false;
        call.run(3);
        QCOMPARE(bob.lastStream(), std::uint8_t{2});
        checkOneContinuousStream(bob);
        // Stream 1 went on while 720p was silent: Bob's picture never stopped.
        QVERIFY(std::all_of(bob.got.begin() + static_cast<std::ptrdiff_t>(before / 2),
                            bob.got.begin() + static_cast<std::ptrdiff_t>(before),
                            [](const auto& g) { return g.stream == 1; }));
    }

    void aStreamTheSenderCannotSendIsLeftAtOnce() {
        // As above, but Ann says so (LayersAvailable): Bob is moved at once, not after a
        // second of silence, and back as soon as she says she can send it again, not after
        // kSilentLayerRetry. Her lowest stream is never taken for off.
        Call call;
        QVERIFY(call.annAndBob());
        Receiver bob{kBob, kBobAudio, 20e6};
        call.receivers = {&bob};
        const auto available = [&call](std::uint8_t layers) {
            call.dispatch(
                call.h.deliver(kAnn, wire::ControlMessage{0, wire::LayersAvailableMsg{layers}}));
        };
        call.run(3);
        QCOMPARE(bob.lastStream(), std::uint8_t{2});
        QCOMPARE(call.layersWanted.back(), std::uint8_t{0b100});
        available(0b111);
        call.run(0.5);
        QCOMPARE(bob.lastStream(), std::uint8_t{2});
        // Her uplink cannot carry 720p any more.
        call.ann.silent[2] = true;
        available(0b011);
        call.run(0.5);
        QCOMPARE(bob.lastStream(), std::uint8_t{1});
        QCOMPARE(call.h.core.stats().videoStreamsOffAtSender, std::uint64_t{1});
        QCOMPARE(call.layersWanted.back(), std::uint8_t{0b010});
        available(0b011); // the refresh changes nothing
        QCOMPARE(call.h.core.stats().videoStreamsOffAtSender, std::uint64_t{1});
        // Nor 360p; a report without the lowest stream does not take that one off.
        call.ann.silent[1] = true;
        available(0b000);
        call.run(0.5);
        QCOMPARE(bob.lastStream(), std::uint8_t{0});
        QCOMPARE(call.h.core.stats().videoStreamsOffAtSender, std::uint64_t{2});
        QCOMPARE(call.h.core.stats().layersAvailableReceived, std::uint64_t{4});
        // Her uplink recovers, 4 s after 720p went off: Bob is back on it well before 10 s.
        call.ann.silent[1] = false;
        call.ann.silent[2] = false;
        available(0b111);
        call.run(4);
        QCOMPARE(bob.lastStream(), std::uint8_t{2});
        checkOneContinuousStream(bob);
    }

    void nacksAndSenderReportsFollowTheReceiversStream() {
        Call call;
        QVERIFY(call.annAndBob());
        Receiver bob{kBob, kBobAudio, 0};
        call.receivers = {&bob};
        // Bob wants at most 360 lines.
        wire::SubscribeMsg sub;
        sub.entries[0] = {1, 360};
        sub.count = 1;
        (void)call.h.deliver(kBob, wire::ControlMessage{5, sub});
        call.run(2);
        QCOMPARE(bob.lastStream(), std::uint8_t{1});
        checkOneContinuousStream(bob);
        // A NACK names the SSRC and numbers Bob knows: answered with stream 1's packet, as
        // he knows it.
        const auto asked = bob.got[bob.got.size() - 2];
        std::array<std::uint8_t, 64> nackBuffer{};
        std::size_t covered = 0;
        const std::uint16_t lost[] = {asked.sequence};
        const auto answer = call.h.deliver(
            kBob, wire::writeNack(kBobAudio, kAnnVideo[0], lost, nackBuffer, covered));
        QCOMPARE(answer.size(), std::size_t{1});
        wire::RtpPacketView resent;
        QVERIFY(wire::parseRtp(answer[0].bytes, resent) == wire::ParseError::None);
        QCOMPARE(resent.ssrc, kAnnVideo[0]);
        QCOMPARE(resent.sequence, asked.sequence);
        QCOMPARE(resent.payload[0], std::uint8_t{1});
        // A NACK for a number not sent yet goes on to Ann, naming stream 1's own SSRC and
        // number.
        const std::uint16_t ahead[] = {static_cast<std::uint16_t>(bob.got.back().sequence + 1)};
        const auto passed = call.h.deliver(
            kBob, wire::writeNack(kBobAudio, kAnnVideo[0], ahead, nackBuffer, covered));
        QCOMPARE(passed.size(), std::size_t{1});
        QCOMPARE(passed[0].to, kAnn);
        wire::RtcpReader reader(passed[0].bytes);
        wire::RtcpPacket packet;
        QVERIFY(reader.next(packet));
        wire::FeedbackSsrcs ssrcs;
        QVERIFY(wire::parseFeedbackSsrcs(packet, ssrcs));
        QCOMPARE(ssrcs.media, kAnnVideo[1]);
        std::vector<std::uint16_t> named;
        (void)wire::forEachNackedSequence(packet, [&](std::uint16_t q) { named.push_back(q); });
        QCOMPARE(named.size(), std::size_t{1});
        QCOMPARE(named[0], call.ann.next[1]);
        // A PLI from Bob reaches stream 1.
        call.h.clock.advance(std::chrono::milliseconds(600));
        const auto pli = call.h.deliver(kBob, wire::writePli(kBobAudio, kAnnVideo[0], nackBuffer));
        QCOMPARE(pli.size(), std::size_t{1});
        wire::RtcpReader pliReader(pli[0].bytes);
        QVERIFY(pliReader.next(packet));
        QVERIFY(wire::isPli(packet) && wire::parseFeedbackSsrcs(packet, ssrcs));
        QCOMPARE(ssrcs.media, kAnnVideo[1]);
        // Sender reports: only stream 1's reaches Bob, as the SSRC he knows.
        for (std::size_t s = 0; s < 3; ++s) {
            const wire::SenderReport sr{kAnnVideo[s], 0x1122334455667788ULL, 1234, 10, 1000};
            const auto out = call.h.deliver(kAnn, wire::writeSenderReport(sr, nackBuffer));
            QCOMPARE(out.size(), s == 1 ? std::size_t{1} : std::size_t{0});
            if (s == 1) {
                wire::RtcpReader srReader(out[0].bytes);
                QVERIFY(srReader.next(packet));
                QCOMPARE(packet.packetType, wire::kRtcpSenderReport);
                QCOMPARE(core::be::load32(packet.body.first<4>()), kAnnVideo[0]);
            }
        }
        // Nobody gets 720p: Ann is told to send layers 0..1 only (1 here).
        QCOMPARE(call.layersWanted.back(), std::uint8_t{0b010});
    }

    void switchingAllocatesNothing() {
        // Bob's subscription flips between 180 and 720 lines every two seconds: the relay
        // switches his stream down at once and up after its hold, at key frames (every half
        // second on every stream here), with NACK translation and sender reports on the way.
        Call call;
        const auto conference = call.annAndBob();
        QVERIFY(conference);
        QVERIFY(call.h.join(kCy, *conference, "Cy", kCyAudio));
        std::vector<std::vector<std::uint8_t>> pictures; // 4 s of packets, made beforehand
        std::vector<std::size_t> pictureEnds;
        for (int f = 0; f < 120; ++f) {
            if (f % 15 == 0)
                call.ann.keyWanted = {true, true, true};
            for (auto& p : call.ann.picture())
                pictures.push_back(std::move(p));
            pictureEnds.push_back(pictures.size());
        }
        std::array<wire::ControlMessage, 2> subscriptions;
        for (std::size_t i = 0; i < 2; ++i) {
            wire::SubscribeMsg sub;
            sub.entries[0] = {1, i == 0 ? std::uint16_t{180} : std::uint16_t{720}};
            sub.count = 1;
            subscriptions[i] = wire::ControlMessage{7, sub};
        }
        std::array<std::vector<std::uint8_t>, 2> subscribeBytes{encode(subscriptions[0]),
                                                                encode(subscriptions[1])};
        std::array<std::uint8_t, 64> rtcp{};
        std::size_t covered = 0;
        const std::uint16_t asked[] = {1, 2, 3};
        const auto nackSpan = wire::writeNack(kBobAudio, kAnnVideo[0], asked, rtcp, covered);
        const std::vector<std::uint8_t> nack(nackSpan.begin(), nackSpan.end());
        const wire::SenderReport sr{kAnnVideo[1], 1, 2, 3, 4};
        const auto srSpan = wire::writeSenderReport(sr, rtcp);
        const std::vector<std::uint8_t> report(srSpan.begin(), srSpan.end());
        const std::vector<std::uint8_t> ping = encode(wire::ControlMessage{8, wire::PingMsg{1}});
        std::array<std::uint16_t, 3> perStream{};
        for (const auto& packet : pictures)
            ++perStream[core::be::load32(std::span(packet).subspan(8).first<4>()) - kAnnVideo[0]];
        std::uint16_t transport = 0;
        CountingSink sink;
        const auto play = [&](int rounds) {
            for (int round = 0; round < rounds; ++round) {
                (void)call.h.core.onDatagram(kBob, subscribeBytes[round % 2], call.h.clock.now(),
                                             sink);
                std::size_t begin = 0;
                for (std::size_t f = 0; f < pictureEnds.size(); ++f) {
                    for (std::size_t i = begin; i < pictureEnds[f]; ++i) {
                        // The same pictures again, numbered and stamped as the next ones.
                        auto& packet = pictures[i];
                        const std::uint32_t ssrc =
                            core::be::load32(std::span(packet).subspan(8).first<4>());
                        const std::size_t stream = ssrc - kAnnVideo[0];
                        const auto seq = core::be::load16(std::span(packet).subspan(2).first<2>());
                        core::be::store16(std::span(packet).subspan(2).first<2>(),
                                          static_cast<std::uint16_t>(seq + perStream[stream]));
                        const auto ts = core::be::load32(std::span(packet).subspan(4).first<4>());
                        core::be::store32(std::span(packet).subspan(4).first<4>(), ts + 120 * 3000);
                        (void)wire::patchTransportSequence(packet, wire::kTransportSequenceOffset,
                                                           transport++);
                        call.h.core.onDatagram(kAnn, packet, call.h.clock.now(), sink);
                    }
                    begin = pictureEnds[f];
                    call.h.clock.advance(std::chrono::microseconds(33'333));
                    if (f % 3 == 0) {
                        call.h.core.onDatagram(kBob, nack, call.h.clock.now(), sink);
                        call.h.core.onDatagram(kCy, ping, call.h.clock.now(), sink); // alive
                        call.h.core.onDatagram(kAnn, report, call.h.clock.now(), sink);
                        call.h.core.onTimer(call.h.clock.now(), sink);
                    }
                }
            }
        };
        play(2); // warm up: every buffer at its size
        const std::uint64_t switchesBefore = call.h.core.stats().videoStreamSwitches;
        g_allocations = 0;
        g_countAllocations = true;
        play(6);
        g_countAllocations = false;
        QCOMPARE(g_allocations.load(), std::uint64_t{0});
        QVERIFY(call.h.core.stats().videoStreamSwitches - switchesBefore >= 6);
        QVERIFY(call.h.core.stats().nacksReceived > 0);
    }
};

QTEST_APPLESS_MAIN(TestRelaySimulcast)
#include "TestRelaySimulcast.moc"
