// Lip sync: RTP clocks mapped to the sender's wall clock by sender reports (wrap, before and
// after the report), the hold a picture gets against the audio playing now (positive, none
// when video is the later one, capped, none without reports or with stale audio), and a
// VideoReceiver that holds decoded pictures that long and shows them in order.

#include "diyuma/video/LipSync.h"
#include "diyuma/video/TestPattern.h"
#include "diyuma/video/VideoReceiver.h"
#include "diyuma/video/VideoSender.h"
#include "diyuma/wire/Demux.h"
#include "diyuma/wire/Rtp.h"
#include "diyuma/wire/RtpExtensions.h"
#include "diyuma/wire/Vp8Payload.h"

#include "CapturingTransport.h"
#include "FakeClock.h"

#include <QtTest/QtTest>
#include <vector>

using namespace diyuma::core;
using namespace std::chrono_literals;
using diyuma::test::FakeClock;

namespace {

constexpr std::int64_t kT0 = 1'764'806'400'000;

using Capture = diyuma::test::CapturingTransport;

class Shown final : public VideoFrameSink {
public:
    explicit Shown(const FakeClock& clock) : m_clock(clock) {}
    void onVideoFrame(const ReceivedVideoFrame& frame) override {
        if (auto stamp = readTestPatternStamp(*frame.picture))
            frames.push_back({stamp->frameNumber, m_clock.now()});
    }
    struct Entry {
        std::uint32_t frameNumber;
        Clock::TimePoint at;
    };
    std::vector<Entry> frames;

private:
    const FakeClock& m_clock;
};

/// Encodes pattern picture `n` (stamped with capture time kT0 + 33 n ms) and lets the pacer
/// send all of it, 50 ms of the fake clock.
void sendPicture(VideoSender& sender, FakeClock& clock, Capture& wire, std::uint32_t n) {
    VideoFrame picture(320, 180);
    renderTestPattern(picture, PatternStamp{n, kT0 + n * 33});
    sender.sendFrame(picture);
    for (int i = 0; i < 50; ++i) {
        sender.flush(wire);
        clock.advance(1ms);
    }
}

/// Hands every RTP packet sent so far to `receiver`; returns the first one's timestamp.
std::optional<std::uint32_t> deliverAll(Capture& wire, VideoReceiver& receiver) {
    std::optional<std::uint32_t> first;
    for (const auto& bytes : wire.sent) {
        wire::RtpPacketView rtp;
        if (wire::parseRtp(bytes, rtp) != wire::ParseError::None)
            continue;
        if (!first)
            first = rtp.timestamp;
        receiver.onRtp(rtp, bytes.size());
    }
    wire.sent.clear();
    return first;
}

} // namespace

class TestLipSync : public QObject {
    Q_OBJECT
private slots:
    void rtpClocksMapToTheSendersWallClock() {
        RtpWallClock audio(48000);
        QVERIFY(!audio.unixMsOf(1234));
        audio.onSenderReport(0xFFFFFF00U, kT0); // just before the wrap
        QCOMPARE(*audio.unixMsOf(0xFFFFFF00U), double(kT0));
        QCOMPARE(*audio.unixMsOf(0xFFFFFF00U + 48000U), double(kT0 + 1000)); // wrapped
        QCOMPARE(*audio.unixMsOf(0xFFFFFF00U - 4800U), double(kT0 - 100));   // before it
        RtpWallClock video(90000);
        video.onSenderReport(90000, kT0);
        QCOMPARE(*video.unixMsOf(90000 + 2700), double(kT0 + 30));
    }

    void holdIsTheAudioLeadCappedAndNeverNegative() {
        LipSync sync;
        const Clock::TimePoint now{std::chrono::seconds(100)};
        QCOMPARE(sync.holdFor(0, now), Clock::Duration::zero()); // nothing known
        // Audio RTP 0 and video RTP 0 were both captured at kT0.
        sync.onAudioSenderReport(0, kT0);
        sync.onVideoSenderReport(0, kT0);
        QCOMPARE(sync.holdFor(0, now), Clock::Duration::zero()); // no audio playing yet
        // The audio playing now was captured at kT0 + 100 ms; a picture from kT0 + 160 ms
        // waits 60 ms; one from kT0 + 40 ms is late already (shown at once).
        sync.onAudioPlayed(4800, now);
        QCOMPARE(sync.holdFor(160 * 90, now), Clock::Duration(60ms));
        QCOMPARE(sync.holdFor(40 * 90, now), Clock::Duration::zero());
        // 20 ms later the same audio has played on: 40 ms to go.
        QCOMPARE(sync.holdFor(160 * 90, now + 20ms), Clock::Duration(40ms));
        // Far ahead: capped.
        QCOMPARE(sync.holdFor(5000 * 90, now), Clock::Duration(LipSync::kMaxHold));
        // Audio gone quiet (nothing played for a while): no hold.
        QCOMPARE(sync.holdFor(160 * 90, now + LipSync::kAudioStale + 1ms), Clock::Duration::zero());
    }

    void receiverHoldsPicturesAndShowsThemInOrder() {
        FakeClock clock;
        VideoSenderConfig config;
        config.ssrc = 0x5150;
        config.encoder.width = 320;
        config.encoder.height = 180;
        config.encoder.bitrateBps = 300'000;
        auto sender = VideoSender::create(clock, config);
        QVERIFY(sender.ok());
        auto receiver = VideoReceiver::create(clock, config.ssrc, 0x77);
        QVERIFY(receiver.ok());
        LipSync sync;
        // Five pictures captured 33 ms apart (their stamps say when); the audio playing when
        // they have arrived was captured 50 ms before the first.
        Capture wire;
        Shown shown(clock);
        Capture feedback;
        for (std::uint32_t n = 0; n < 5; ++n)
            sendPicture(*sender.value(), clock, wire, n);
        // The first picture's RTP timestamp is the base of the video clock.
        const auto firstTs = deliverAll(wire, *receiver.value());
        QVERIFY(firstTs);
        sync.onVideoSenderReport(*firstTs, kT0);
        sync.onAudioSenderReport(0, kT0 - 50);
        const Clock::TimePoint arrived = clock.now();
        sync.onAudioPlayed(0, arrived); // the audio of kT0 - 50 ms plays now
        receiver.value()->poll(feedback, &shown, 1, "Ann", &sync);
        // Picture 0 waits 50 ms, picture n 50 + 33 n ms: nothing yet.
        QVERIFY(shown.frames.empty());
        for (int ms = 0; ms < 300; ++ms) {
            clock.advance(1ms);
            sync.onAudioPlayed(static_cast<std::uint32_t>(48 * (ms + 1)), clock.now());
            receiver.value()->poll(feedback, &shown, 1, "Ann", &sync);
        }
        QCOMPARE(shown.frames.size(), std::size_t{5});
        for (std::size_t i = 0; i < shown.frames.size(); ++i) {
            QCOMPARE(shown.frames[i].frameNumber, std::uint32_t(i));
            const auto heldMs =
                std::chrono::duration_cast<std::chrono::milliseconds>(shown.frames[i].at - arrived)
                    .count();
            const long wanted = 50 + 33 * static_cast<long>(i);
            QVERIFY2(std::abs(heldMs - wanted) <= 1,
                     qPrintable(QString("picture %1 shown after %2 ms, not %3")
                                    .arg(i)
                                    .arg(heldMs)
                                    .arg(wanted)));
        }
        QCOMPARE(receiver.value()->stats().syncHoldMs, double(50 + 33 * 4));
        QCOMPARE(receiver.value()->stats().framesDecoded, std::uint64_t{5});
    }

    void senderPacketsFitWithTheirExtension() {
        // A 720p key frame at 1.5 Mbit/s is many full packets: each, with the transport-wide
        // sequence number reserved for the way out, stays within the 1200-byte datagram.
        FakeClock clock;
        VideoSenderConfig config;
        config.ssrc = 0x5152;
        config.encoder.width = 1280;
        config.encoder.height = 720;
        config.encoder.bitrateBps = 1'500'000;
        config.encoder.temporalLayers = 3;
        auto sender = VideoSender::create(clock, config);
        QVERIFY(sender.ok());
        Capture wire;
        for (std::uint32_t n = 0; n < 5; ++n) {
            VideoFrame picture(1280, 720);
            renderTestPattern(picture, PatternStamp{n, kT0 + n * 33});
            sender.value()->sendFrame(picture);
            for (int i = 0; i < 200; ++i) {
                sender.value()->flush(wire);
                clock.advance(1ms);
            }
        }
        QVERIFY(wire.sent.size() > 5);
        QCOMPARE(sender.value()->stats().sendFailures, std::uint64_t{0});
        std::size_t largest = 0;
        std::vector<std::uint8_t> tids;
        for (const auto& bytes : wire.sent) {
            QVERIFY(bytes.size() <= wire::kMaxDatagramBytes);
            if (wire::classify(bytes) != wire::PacketKind::Rtp)
                continue; // the sender report
            largest = std::max(largest, bytes.size());
            wire::RtpPacketView rtp;
            wire::RtpExtensions extensions;
            QVERIFY(wire::parseRtp(bytes, rtp) == wire::ParseError::None);
            QVERIFY(wire::parseRtpExtensions(rtp, bytes, extensions) == wire::ParseError::None);
            QVERIFY(extensions.transportSequence);
            QCOMPARE(extensions.transportSequenceOffset, wire::kTransportSequenceOffset);
            // The frame marking says what the VP8 descriptor says, without parsing VP8.
            QVERIFY(extensions.frameMarking && extensions.frameMarking->hasLayers);
            const wire::FrameMarking& m = *extensions.frameMarking;
            wire::Vp8Descriptor d;
            std::size_t descriptorBytes = 0;
            QVERIFY(wire::parseVp8Descriptor(rtp.payload, d, descriptorBytes) ==
                    wire::ParseError::None);
            QCOMPARE(m.startOfFrame, d.startsFrame());
            QCOMPARE(m.endOfFrame, rtp.marker);
            QCOMPARE(m.temporalId, d.temporalId.value_or(99));
            QCOMPARE(m.baseLayerSync, d.layerSync);
            QCOMPARE(m.tl0PicIdx, d.tl0PicIdx.value_or(0));
            QCOMPARE(m.discardable, d.nonReference);
            if (m.startOfFrame) {
                const auto header = wire::parseVp8FrameHeader(rtp.payload.subspan(descriptorBytes));
                QVERIFY(header);
                QCOMPARE(m.independent, header->keyFrame);
                tids.push_back(m.temporalId);
            }
        }
        // The key frame's packets are cut to equal sizes near the limit (how near depends on
        // libvpx's realtime speed control, which varies from run to run).
        QVERIFY2(largest > 900, qPrintable(QString("largest packet %1 bytes").arg(largest)));
        QVERIFY((tids == std::vector<std::uint8_t>{0, 2, 1, 2, 0}));
    }

    void withoutSyncPicturesShowAtOnce() {
        FakeClock clock;
        VideoSenderConfig config;
        config.ssrc = 0x5151;
        config.encoder.width = 320;
        config.encoder.height = 180;
        auto sender = VideoSender::create(clock, config);
        auto receiver = VideoReceiver::create(clock, config.ssrc, 0x77);
        QVERIFY(sender.ok() && receiver.ok());
        Capture wire;
        Capture feedback;
        Shown shown(clock);
        sendPicture(*sender.value(), clock, wire, 7);
        QVERIFY(deliverAll(wire, *receiver.value()));
        LipSync unknown; // no reports: no hold either
        receiver.value()->poll(feedback, &shown, 1, "Ann", &unknown);
        QCOMPARE(shown.frames.size(), std::size_t{1});
        QCOMPARE(shown.frames[0].frameNumber, 7U);
    }
};

QTEST_APPLESS_MAIN(TestLipSync)
#include "TestLipSync.moc"
