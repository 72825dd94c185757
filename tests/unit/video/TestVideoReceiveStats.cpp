// What VideoReceiver counts about a stream whose picture size changes at key frames (what a
// receiver sees when the relay switches simulcast layers): the size of the last picture, the
// layer switches and when they happened, the received bitrate over the time packets arrived,
// and freezes; and how the counts of two streams add up.

#include "diyuma/video/TestPattern.h"
#include "diyuma/video/VideoReceiver.h"
#include "diyuma/video/Vp8Codec.h"
#include "diyuma/video/Vp8Packetizer.h"
#include "diyuma/wire/Rtp.h"

#include "CapturingTransport.h"
#include "FakeClock.h"

#include <QtTest/QtTest>
#include <array>
#include <vector>

using namespace diyuma::core;
using namespace std::chrono_literals;
using diyuma::test::FakeClock;

namespace {

Vp8Encoder encoder(int w, int h) {
    Vp8EncoderConfig config;
    config.width = w;
    config.height = h;
    config.bitrateBps = 400'000;
    auto e = Vp8Encoder::create(config);
    if (!e)
        qFatal("%s", e.error().message.c_str());
    return std::move(e.value());
}

/// Sizes of the pictures handed to the sink.
class Sizes final : public VideoFrameSink {
public:
    void onVideoFrame(const ReceivedVideoFrame& frame) override {
        shown.emplace_back(frame.picture->width(), frame.picture->height());
    }
    std::vector<std::pair<int, int>> shown;
};

/// One stream as the relay forwards it: consecutive sequence numbers and picture IDs, each
/// frame encoded by whichever encoder (layer) is current.
struct Stream {
    Stream(FakeClock& c, VideoReceiver& r) : clock(c), receiver(r) {}
    FakeClock& clock;
    VideoReceiver& receiver;
    Sizes sink;
    diyuma::test::CapturingTransport feedback;
    std::uint16_t sequence = 1000;
    std::uint16_t pictureId = 0;
    std::uint32_t frame = 0;
    std::uint64_t rtpBytes = 0;

    /// Encodes and delivers one frame, then lets 33 ms pass.
    void send(Vp8Encoder& encoder, bool keyFrame) {
        const auto& config = encoder.config();
        VideoFrame picture(config.width, config.height);
        renderTestPattern(picture, PatternStamp{frame, 0});
        auto encoded = encoder.encode(picture, frame * 33, keyFrame);
        if (!encoded || !encoded.value())
            qFatal("encode failed");
        const Vp8Packetizer packetizer(encoded.value()->data, pictureId++, 1176);
        std::array<std::uint8_t, 1200> payload{};
        std::array<std::uint8_t, wire::kMaxDatagramBytes> buffer{};
        for (std::size_t i = 0; i < packetizer.packetCount(); ++i) {
            wire::RtpHeaderFields header;
            header.payloadType = wire::kVp8PayloadType;
            header.marker = packetizer.marker(i);
            header.sequence = sequence++;
            header.timestamp = frame * 3000;
            header.ssrc = 0xB0B;
            const auto bytes = wire::writeRtp(header, packetizer.writePayload(i, payload), buffer);
            wire::RtpPacketView view;
            if (wire::parseRtp(bytes, view) != wire::ParseError::None)
                qFatal("bad RTP");
            receiver.onRtp(view, bytes.size());
            rtpBytes += bytes.size();
        }
        receiver.poll(feedback, &sink, 7, "Bob");
        ++frame;
        clock.advance(33ms);
    }
};

} // namespace

class TestVideoReceiveStats : public QObject {
    Q_OBJECT
private slots:
    void sizeChangesAreLayerSwitches() {
        FakeClock clock;
        auto made = VideoReceiver::create(clock, 0xB0B, 0xA11CE);
        QVERIFY(made);
        VideoReceiver& receiver = *made.value();
        QVERIFY(!receiver.stats().firstPacketUnixMs);
        QCOMPARE(receiver.stats().receivedBitrateBps(), 0.0);
        auto low = encoder(320, 180);
        auto high = encoder(640, 360);
        Stream stream(clock, receiver);
        const std::int64_t start = clock.unixMs();
        // 180p for 30 frames, 360p from a key frame for 30, back to 180p at a key frame.
        for (int n = 0; n < 90; ++n) {
            const bool up = n >= 30 && n < 60;
            stream.send(up ? high : low, n == 0 || n == 30 || n == 60);
        }
        const VideoReceiveStats stats = receiver.stats();
        QCOMPARE(stats.framesDecoded, std::uint64_t{90});
        QCOMPARE(stats.decodeFailures, std::uint64_t{0});
        QCOMPARE(stats.width, 320);
        QCOMPARE(stats.height, 180);
        QCOMPARE(stats.layerSwitches, std::uint64_t{2});
        const std::vector<VideoSizeChange> expected{
            {start, 320, 180}, {start + 30 * 33, 640, 360}, {start + 60 * 33, 320, 180}};
        QCOMPARE(stats.sizes, expected);
        QCOMPARE(stream.sink.shown.size(), std::size_t{90});
        QCOMPARE(stream.sink.shown[30], std::make_pair(640, 360));
        QCOMPARE(stream.sink.shown[60], std::make_pair(320, 180));
        // Bitrate: every RTP byte (headers too) over the 89 frame intervals packets came in.
        QCOMPARE(*stats.firstPacketUnixMs, start);
        QCOMPARE(stats.rtpBytesReceived, stream.rtpBytes);
        QVERIFY(stats.bytesReceived < stats.rtpBytesReceived); // payload only
        QCOMPARE(stats.receiveSpanMs, 89.0 * 33.0);
        QCOMPARE(stats.receivedBitrateBps(),
                 static_cast<double>(stream.rtpBytes) * 8.0 / (89.0 * 0.033));
        QCOMPARE(stats.freezes, std::uint64_t{0});

        // 400 ms without a frame (the sender stalled), then on: one freeze of 433 ms.
        clock.advance(400ms);
        for (int n = 0; n < 10; ++n)
            stream.send(low, false);
        const VideoReceiveStats after = receiver.stats();
        QCOMPARE(after.freezes, std::uint64_t{1});
        QCOMPARE(after.longestFreezeMs, 433.0);
        QCOMPARE(after.layerSwitches, std::uint64_t{2}); // same size: no switch
    }

    void sizeHistoryIsBounded() {
        FakeClock clock;
        auto made = VideoReceiver::create(clock, 0xB0B, 0xA11CE);
        QVERIFY(made);
        auto low = encoder(320, 180);
        auto high = encoder(640, 360);
        Stream stream(clock, *made.value());
        // A switch at every frame, 80 times: all counted, the first 64 sizes kept.
        for (int n = 0; n < 81; ++n)
            stream.send(n % 2 == 0 ? low : high, true);
        const VideoReceiveStats stats = made.value()->stats();
        QCOMPARE(stats.framesDecoded, std::uint64_t{81});
        QCOMPARE(stats.layerSwitches, std::uint64_t{80});
        QCOMPARE(stats.sizes.size(), VideoReceiveStats::kMaxSizeChanges);
        QCOMPARE(stats.sizes[1].height, 360);
        QCOMPARE(stats.sizes[2].height, 180);
    }

    void accumulateAddsUp() {
        VideoReceiveStats first;
        first.rtpBytesReceived = 1000;
        first.receiveSpanMs = 1000;
        first.firstPacketUnixMs = 5000;
        first.layerSwitches = 1;
        first.sizes = {{5000, 320, 180}, {5500, 640, 360}};
        first.width = 640;
        first.height = 360;
        VideoReceiveStats second;
        second.rtpBytesReceived = 3000;
        second.receiveSpanMs = 1000;
        second.firstPacketUnixMs = 9000;
        second.layerSwitches = 2;
        second.sizes = {{9000, 1280, 720}};
        second.width = 1280;
        second.height = 720;
        VideoReceiveStats sum;
        accumulate(sum, first);
        accumulate(sum, second);
        QCOMPARE(sum.rtpBytesReceived, std::uint64_t{4000});
        QCOMPARE(sum.receiveSpanMs, 2000.0);
        QCOMPARE(sum.receivedBitrateBps(), 16000.0); // 4000 bytes in 2 s
        QCOMPARE(*sum.firstPacketUnixMs, std::int64_t{5000});
        QCOMPARE(sum.layerSwitches, std::uint64_t{3});
        QCOMPARE(sum.sizes.size(), std::size_t{3});
        QCOMPARE(sum.sizes.back().width, 1280);
        QCOMPARE(sum.width, 1280);
    }
};

QTEST_APPLESS_MAIN(TestVideoReceiveStats)
#include "TestVideoReceiveStats.moc"
