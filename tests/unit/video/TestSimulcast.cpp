// Simulcast at the sender (PROTOCOL.md section 6.12): the layers a picture size is sent in,
// the Join announcing each with its layer and height, the layers sharing RTP timestamp,
// picture ID, TID and TL0PICIDX per picture, each layer decoding alone, a relay-style switch
// from layer 0 to layer 2 at its key frame decoding without an error, LayersWanted stopping
// and restarting layers (with a key frame), PLI/NACK by SSRC, sender reports per layer, the
// pacer's lowest-layer-first order, the bandwidth switching the top layer off and on with
// hysteresis, and no allocation per picture or packet.

#include "diyuma/session/CallEngine.h"
#include "diyuma/video/SimulcastLayers.h"
#include "diyuma/video/TestPattern.h"
#include "diyuma/video/VideoSender.h"
#include "diyuma/video/Vp8Codec.h"
#include "diyuma/wire/Control.h"
#include "diyuma/wire/Demux.h"
#include "diyuma/wire/RtcpFeedback.h"
#include "diyuma/wire/Rtp.h"
#include "diyuma/wire/RtpExtensions.h"
#include "diyuma/wire/Vp8Payload.h"

#include "AllocationCounter.h"
#include "CapturingTransport.h"
#include "FakeClock.h"

#include <QtTest/QtTest>
#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <vector>

using namespace diyuma::core;
using namespace std::chrono_literals;
using diyuma::test::CapturingTransport;
using diyuma::test::FakeClock;

namespace {

constexpr std::int64_t kT0 = 1'764'806'400'000;
constexpr std::uint32_t kSsrcBase = 0x5100;

/// One RTP packet as the sender sent it, with what a relay and a receiver read.
struct Packet {
    std::vector<std::uint8_t> bytes;
    std::uint32_t ssrc = 0;
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    bool marker = false;
    wire::FrameMarking marking;
    wire::Vp8Descriptor descriptor;
    std::size_t vp8Offset = 0; ///< where the VP8 data starts in `bytes`
};

/// The RTP packets among `sent` (RTCP left out), in the order they left.
std::vector<Packet> rtpOf(const std::vector<std::vector<std::uint8_t>>& sent) {
    std::vector<Packet> out;
    for (const auto& bytes : sent) {
        if (wire::classify(bytes) != wire::PacketKind::Rtp)
            continue;
        wire::RtpPacketView rtp;
        wire::RtpExtensions extensions;
        if (wire::parseRtp(bytes, rtp) != wire::ParseError::None ||
            wire::parseRtpExtensions(rtp, bytes, extensions) != wire::ParseError::None)
            qFatal("unparsable RTP");
        Packet p;
        p.bytes = bytes;
        p.ssrc = rtp.ssrc;
        p.sequence = rtp.sequence;
        p.timestamp = rtp.timestamp;
        p.marker = rtp.marker;
        p.marking = extensions.frameMarking.value_or(wire::FrameMarking{});
        std::size_t descriptorBytes = 0;
        if (wire::parseVp8Descriptor(rtp.payload, p.descriptor, descriptorBytes) !=
            wire::ParseError::None)
            qFatal("unparsable VP8 descriptor");
        p.vp8Offset = static_cast<std::size_t>(rtp.payload.data() - bytes.data()) + descriptorBytes;
        out.push_back(std::move(p));
    }
    return out;
}

/// Puts the packets (of one stream, in order, nothing lost) together frame by frame and
/// decodes each; returns the decoded sizes, one per frame ({0, 0} for a decoder error).
struct Decoded {
    int width = 0;
    int height = 0;
    bool keyFrame = false;
};
std::vector<Decoded> decodeAll(const std::vector<Packet>& packets) {
    auto decoder = Vp8Decoder::create();
    if (!decoder)
        qFatal("no decoder");
    std::vector<Decoded> out;
    std::vector<std::uint8_t> frame;
    VideoFrame picture;
    bool key = false;
    for (const Packet& p : packets) {
        if (p.descriptor.startsFrame()) {
            frame.clear();
            key = p.marking.independent;
        }
        frame.insert(frame.end(), p.bytes.begin() + static_cast<std::ptrdiff_t>(p.vp8Offset),
                     p.bytes.end());
        if (!p.marker)
            continue;
        auto result = decoder->decode(frame, picture);
        if (result && result.value())
            out.push_back({picture.width(), picture.height(), key});
        else
            out.push_back({0, 0, key});
    }
    return out;
}

std::vector<Packet> ofSsrc(const std::vector<Packet>& packets, std::uint32_t ssrc) {
    std::vector<Packet> out;
    std::copy_if(packets.begin(), packets.end(), std::back_inserter(out),
                 [ssrc](const Packet& p) { return p.ssrc == ssrc; });
    return out;
}

/// A sender of the test pattern at width x height in every simulcast layer that size has
/// (SSRCs kSsrcBase + layer), and the pictures it is handed every 33 ms.
struct Rig {
    Rig(int width, int height, int temporalLayers = 3) {
        VideoSenderConfig config;
        config.encoder.width = width;
        config.encoder.height = height;
        config.encoder.temporalLayers = temporalLayers;
        config.encoder.bitrateBps = defaultVideoBitrateBps(width, height);
        std::uint32_t ssrc = kSsrcBase;
        for (const auto& size : simulcastLayersFor(width, height, config.encoder.bitrateBps))
            config.layers.push_back({ssrc++, size.width, size.height, size.bitrateBps});
        auto made = VideoSender::create(clock, config);
        if (!made)
            qFatal("%s", made.error().message.c_str());
        sender = std::move(made.value());
        picture.resize(width, height);
    }
    /// Pattern picture `n` (captured at kT0 + 33 n ms), then 33 ms of the pacer.
    void send(std::uint32_t n) {
        renderTestPattern(picture, PatternStamp{n, kT0 + n * 33});
        picture.captureUnixMs = kT0 + n * 33;
        sender->sendFrame(picture);
        pace(33);
    }
    void pace(int ms) {
        for (int i = 0; i < ms; ++i) {
            sender->flush(wire);
            clock.advance(1ms);
        }
    }
    FakeClock clock;
    CapturingTransport wire;
    std::unique_ptr<VideoSender> sender;
    VideoFrame picture;
};

/// The first packet of each frame of `packets`, by RTP timestamp and SSRC.
std::map<std::uint32_t, std::map<std::uint32_t, Packet>>
frameStarts(const std::vector<Packet>& packets) {
    std::map<std::uint32_t, std::map<std::uint32_t, Packet>> out;
    for (const Packet& p : packets)
        if (p.descriptor.startsFrame())
            out[p.timestamp][p.ssrc] = p;
    return out;
}

/// A call engine sending the test pattern at 1280x720, joined by hand (Hello, Cookie, Join,
/// Joined answered here); `video` are the SSRCs it announced, lowest layer first.
struct EngineRig {
    class Pattern final : public VideoSource {
    public:
        explicit Pattern(const FakeClock& clock) : m_clock(clock) {}
        bool readFrame(VideoFrame& out) override {
            out.resize(1280, 720);
            renderTestPattern(out, PatternStamp{m_n++, m_clock.unixMs()});
            out.captureUnixMs = m_clock.unixMs();
            return true;
        }

    private:
        const FakeClock& m_clock;
        std::uint32_t m_n = 0;
    };

    EngineRig() : source(clock) {
        CallEngineConfig config;
        config.name = "Sim";
        Vp8EncoderConfig encoder;
        encoder.width = 1280;
        encoder.height = 720;
        encoder.bitrateBps = 1'500'000;
        config.sendVideo = encoder;
        auto made = CallEngine::create(clock, wire, nullptr, nullptr, nullptr, std::move(config));
        if (!made)
            qFatal("%s", made.error().message.c_str());
        engine = std::move(made.value());
        if (!engine->join(0x0123456789ABCDEull).ok())
            qFatal("join");
        wire::ControlMessage hello;
        if (wire::parseControl(wire.sent.at(0), hello) != wire::ParseError::None)
            qFatal("no hello");
        receive(wire::ControlMessage{hello.requestId, wire::CookieMsg{}});
        wire::ControlMessage join;
        if (wire::parseControl(wire.sent.at(1), join) != wire::ParseError::None)
            qFatal("no join");
        for (const auto& s : std::get<wire::JoinMsg>(join.body).streams.view())
            if (s.kind == wire::MediaKind::Video)
                video.push_back(s.ssrc);
        receive(wire::ControlMessage{join.requestId, wire::JoinedMsg{7}});
        if (!engine->joined())
            qFatal("not joined");
        engine->setVideoSource(&source);
        wire.sent.clear();
    }
    void receive(const wire::ControlMessage& message) {
        std::array<std::uint8_t, wire::kMaxDatagramBytes> buffer{};
        engine->onDatagram(wire::encodeControl(message, buffer));
    }
    void run(int ms) {
        for (int i = 0; i < ms; ++i) {
            engine->processVideo();
            clock.advance(1ms);
        }
    }
    FakeClock clock;
    CapturingTransport wire;
    Pattern source;
    std::unique_ptr<CallEngine> engine;
    std::vector<std::uint32_t> video;
};

} // namespace

class TestSimulcast : public QObject {
    Q_OBJECT
private slots:
    void layersHalveDownToAbout180Lines() {
        const auto l720 = simulcastLayersFor(1280, 720, 1'500'000);
        QCOMPARE(l720.size(), std::size_t{3});
        QCOMPARE(l720[0].width, 320);
        QCOMPARE(l720[0].height, 180);
        QCOMPARE(l720[0].bitrateBps, 150'000);
        QCOMPARE(l720[1].height, 360);
        QCOMPARE(l720[1].bitrateBps, 500'000);
        QCOMPARE(l720[2].width, 1280);
        QCOMPARE(l720[2].bitrateBps, 1'500'000);
        QCOMPARE(simulcastLayersFor(640, 360, 500'000).size(), std::size_t{2});
        QCOMPARE(simulcastLayersFor(320, 180, 150'000).size(), std::size_t{1});
        QCOMPARE(simulcastLayersFor(1280, 720, 1'500'000, 1).size(), std::size_t{1});
        // Odd halves round down to even; 358 / 2 = 179 lines is under the floor.
        const auto odd = simulcastLayersFor(1278, 718, 1'500'000);
        QCOMPARE(odd.size(), std::size_t{2});
        QCOMPARE(odd[0].width, 638);
        QCOMPARE(odd[0].height, 358);
        // A lower layer never gets more than the one above (a top layer configured low).
        const auto low = simulcastLayersFor(1280, 720, 300'000);
        QCOMPARE(low[1].bitrateBps, 300'000);
    }

    void joinAnnouncesEveryLayerWithItsHeight() {
        const struct {
            int width, height;
            std::vector<std::uint16_t> heights;
        } cases[] = {{1280, 720, {180, 360, 720}}, {640, 360, {180, 360}}, {320, 180, {180}}};
        for (const auto& c : cases) {
            FakeClock clock;
            CapturingTransport wire;
            CallEngineConfig config;
            config.name = "Sim";
            Vp8EncoderConfig video;
            video.width = c.width;
            video.height = c.height;
            video.bitrateBps = defaultVideoBitrateBps(c.width, c.height);
            config.sendVideo = video;
            auto engine =
                CallEngine::create(clock, wire, nullptr, nullptr, nullptr, std::move(config));
            QVERIFY(engine.ok());
            QVERIFY(engine.value()->join(0x0123456789ABCDEull).ok());
            wire::ControlMessage hello;
            QVERIFY(wire::parseControl(wire.sent.at(0), hello) == wire::ParseError::None);
            std::array<std::uint8_t, wire::kMaxDatagramBytes> buffer{};
            engine.value()->onDatagram(wire::encodeControl(
                wire::ControlMessage{hello.requestId, wire::CookieMsg{}}, buffer));
            wire::ControlMessage join;
            QVERIFY(wire::parseControl(wire.sent.at(1), join) == wire::ParseError::None);
            const auto* body = std::get_if<wire::JoinMsg>(&join.body);
            QVERIFY(body != nullptr);
            std::set<std::uint32_t> ssrcs;
            std::vector<std::uint16_t> heights;
            for (const wire::StreamInfo& s : body->streams.view()) {
                QCOMPARE_NE(s.ssrc, 0U);
                ssrcs.insert(s.ssrc);
                if (s.kind != wire::MediaKind::Video)
                    continue;
                QCOMPARE(s.layer, static_cast<std::uint8_t>(heights.size())); // 0 = lowest
                heights.push_back(s.height);
            }
            QCOMPARE(heights, c.heights);
            QCOMPARE(ssrcs.size(), c.heights.size()); // distinct (no audio without capture)
        }
    }

    void layersShareTimestampPictureIdAndTemporalLayer() {
        Rig rig(1280, 720);
        for (std::uint32_t n = 0; n < 12; ++n) {
            if (n == 6)
                QVERIFY(rig.sender->onPli(kSsrcBase + 2)); // a key frame on layer 2 alone
            rig.send(n);
        }
        const auto starts = frameStarts(rtpOf(rig.wire.sent));
        QCOMPARE(starts.size(), std::size_t{12});
        int keysOfLayer2 = 0;
        for (const auto& [timestamp, bySsrc] : starts) {
            QCOMPARE(bySsrc.size(), std::size_t{3}); // every layer has every picture
            const Packet& low = bySsrc.begin()->second;
            for (const auto& [ssrc, p] : bySsrc) {
                QCOMPARE(p.descriptor.pictureId, low.descriptor.pictureId);
                QCOMPARE(p.descriptor.tl0PicIdx, low.descriptor.tl0PicIdx);
                QCOMPARE(p.descriptor.temporalId, low.descriptor.temporalId);
                QCOMPARE(p.descriptor.layerSync, low.descriptor.layerSync);
                QCOMPARE(p.marking.temporalId, low.marking.temporalId);
                QCOMPARE(p.marking.tl0PicIdx, low.marking.tl0PicIdx);
                QCOMPARE(p.marking.baseLayerSync, low.marking.baseLayerSync);
                QCOMPARE(p.marking.tl0PicIdx, *p.descriptor.tl0PicIdx);
            }
            if (bySsrc.at(kSsrcBase + 2).marking.independent &&
                timestamp != starts.begin()->first) {
                ++keysOfLayer2;
                // The PLI's key frame restarted the pattern for all: the others are TL0 there.
                QCOMPARE(bySsrc.at(kSsrcBase).marking.temporalId, std::uint8_t{0});
                QVERIFY(!bySsrc.at(kSsrcBase).marking.independent);
                QVERIFY(!bySsrc.at(kSsrcBase + 1).marking.independent);
            }
        }
        QCOMPARE(keysOfLayer2, 1);
        // Picture IDs count pictures, once for all layers.
        std::optional<std::uint16_t> last;
        for (const auto& [timestamp, bySsrc] : starts) {
            const auto id = *bySsrc.begin()->second.descriptor.pictureId;
            if (last)
                QCOMPARE(id, static_cast<std::uint16_t>((*last + 1) & wire::kVp8PictureIdMask));
            last = id;
        }
        const VideoSendStats& stats = rig.sender->stats();
        QCOMPARE(stats.framesEncoded, std::uint64_t{12});
        QCOMPARE(stats.layers.size(), std::size_t{3});
        QCOMPARE(stats.layers[2].keyFrames, std::uint64_t{2});
        QCOMPARE(stats.layers[1].keyFrames, std::uint64_t{1});
        QCOMPARE(stats.layers[0].framesEncoded, std::uint64_t{12});
        QCOMPARE(stats.keyFrames, std::uint64_t{4});
        QVERIFY(stats.layers[2].active);
        QCOMPARE(stats.layers[1].width, 640);
        QCOMPARE(stats.layers[1].bitrateBps, 500'000);
    }

    void eachLayerDecodesAloneAtItsSize() {
        Rig rig(1280, 720);
        for (std::uint32_t n = 0; n < 10; ++n)
            rig.send(n);
        const auto packets = rtpOf(rig.wire.sent);
        const int heights[] = {180, 360, 720};
        for (std::uint32_t k = 0; k < 3; ++k) {
            const auto frames = decodeAll(ofSsrc(packets, kSsrcBase + k));
            QCOMPARE(frames.size(), std::size_t{10});
            for (const Decoded& d : frames) {
                QCOMPARE(d.height, heights[k]);
                QCOMPARE(d.width, heights[k] * 16 / 9);
            }
        }
    }

    void relayStyleSwitchDecodesAndChangesSizeAtTheKeyFrame() {
        Rig rig(1280, 720);
        for (std::uint32_t n = 0; n < 7; ++n)
            rig.send(n);
        // A receiver moves up: the relay asks layer 2 for a key frame and switches there.
        QVERIFY(rig.sender->onPli(kSsrcBase + 2));
        for (std::uint32_t n = 7; n < 14; ++n)
            rig.send(n);
        const auto packets = rtpOf(rig.wire.sent);
        const auto low = ofSsrc(packets, kSsrcBase);
        const auto high = ofSsrc(packets, kSsrcBase + 2);
        // The switch point: layer 2's key frame after the first picture.
        std::optional<std::uint32_t> switchAt;
        for (const Packet& p : high)
            if (p.marking.independent && p.timestamp != high.front().timestamp) {
                switchAt = p.timestamp;
                break;
            }
        QVERIFY(switchAt.has_value());
        // What the relay forwards: layer 0 before the switch picture, layer 2 from it on,
        // all as one stream: one SSRC, consecutive sequence numbers.
        std::vector<Packet> forwarded;
        for (const Packet& p : low)
            if (static_cast<std::int32_t>(p.timestamp - *switchAt) < 0)
                forwarded.push_back(p);
        for (const Packet& p : high)
            if (static_cast<std::int32_t>(p.timestamp - *switchAt) >= 0)
                forwarded.push_back(p);
        std::uint16_t sequence = 4000;
        for (Packet& p : forwarded) {
            p.bytes[2] = static_cast<std::uint8_t>(sequence >> 8);
            p.bytes[3] = static_cast<std::uint8_t>(sequence);
            const std::uint32_t ssrc = 0xABCD0123;
            for (int i = 0; i < 4; ++i)
                p.bytes[8 + static_cast<std::size_t>(i)] =
                    static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
            ++sequence;
        }
        const auto reparsed = [&] {
            std::vector<std::vector<std::uint8_t>> bytes;
            for (const Packet& p : forwarded)
                bytes.push_back(p.bytes);
            return rtpOf(bytes);
        }();
        // One stream to a receiver: its picture IDs and TL0PICIDX run on across the switch.
        std::optional<std::uint16_t> lastId;
        for (const Packet& p : reparsed) {
            if (!p.descriptor.startsFrame())
                continue;
            if (lastId)
                QCOMPARE(*p.descriptor.pictureId,
                         static_cast<std::uint16_t>((*lastId + 1) & wire::kVp8PictureIdMask));
            lastId = p.descriptor.pictureId;
        }
        const auto frames = decodeAll(reparsed);
        QCOMPARE(frames.size(), std::size_t{14});
        bool switched = false;
        for (const Decoded& d : frames) {
            QVERIFY2(d.height != 0, "a decoder error");
            if (d.height == 720 && !switched) {
                QVERIFY(d.keyFrame); // the size changes at the key frame
                switched = true;
            }
            QCOMPARE(d.height, switched ? 720 : 180);
        }
        QVERIFY(switched);
    }

    void layersWantedStopsLayersAndARestartBeginsWithAKeyFrame() {
        Rig rig(1280, 720);
        for (std::uint32_t n = 0; n < 4; ++n)
            rig.send(n);
        rig.wire.sent.clear();
        rig.sender->setLayersWanted(0b001);
        for (std::uint32_t n = 4; n < 8; ++n)
            rig.send(n);
        auto packets = rtpOf(rig.wire.sent);
        QVERIFY(!packets.empty());
        for (const Packet& p : packets)
            QCOMPARE(p.ssrc, kSsrcBase); // layers 1 and 2: nothing
        QVERIFY(!rig.sender->layerActive(1));
        QVERIFY(!rig.sender->stats().layers[2].active);
        QCOMPARE(rig.sender->stats().layers[2].bitrateBps, 0);
        rig.wire.sent.clear();
        rig.sender->setLayersWanted(0b101);
        rig.send(8);
        rig.send(9);
        packets = rtpOf(rig.wire.sent);
        QVERIFY(ofSsrc(packets, kSsrcBase + 1).empty());
        const auto top = ofSsrc(packets, kSsrcBase + 2);
        QVERIFY(!top.empty());
        QVERIFY(top.front().marking.independent); // starts with a key frame
        QVERIFY(!ofSsrc(packets, kSsrcBase).front().marking.independent);
        QCOMPARE(ofSsrc(packets, kSsrcBase).front().marking.temporalId, std::uint8_t{0});
        // Nobody wants any: nothing is encoded.
        rig.pace(100); // what is queued leaves
        rig.wire.sent.clear();
        rig.sender->setLayersWanted(0);
        const auto encoded = rig.sender->stats().framesEncoded;
        rig.send(10);
        QVERIFY(rtpOf(rig.wire.sent).empty());
        QCOMPARE(rig.sender->stats().framesEncoded, encoded);
        QCOMPARE(rig.sender->stats().framesSkipped, std::uint64_t{1});
    }

    void pliAndNackNameOneLayer() {
        Rig rig(1280, 720);
        for (std::uint32_t n = 0; n < 4; ++n)
            rig.send(n);
        QVERIFY(!rig.sender->onPli(0xDEAD)); // not ours
        QVERIFY(rig.sender->onPli(kSsrcBase + 1));
        const auto before = rtpOf(rig.wire.sent);
        rig.wire.sent.clear();
        rig.send(4);
        auto packets = rtpOf(rig.wire.sent);
        QVERIFY(ofSsrc(packets, kSsrcBase + 1).front().marking.independent);
        QVERIFY(!ofSsrc(packets, kSsrcBase).front().marking.independent);
        QVERIFY(!ofSsrc(packets, kSsrcBase + 2).front().marking.independent);
        QCOMPARE(rig.sender->stats().layers[1].plisReceived, std::uint64_t{1});
        QCOMPARE(rig.sender->stats().layers[0].plisReceived, std::uint64_t{0});
        // A NACK is answered from the layer it names, with the packet as it was.
        const Packet asked = ofSsrc(before, kSsrcBase + 1).at(2);
        rig.wire.sent.clear();
        QVERIFY(rig.sender->onNack(kSsrcBase + 1, asked.sequence));
        QVERIFY(!rig.sender->onNack(0xDEAD, asked.sequence));
        rig.pace(5);
        packets = rtpOf(rig.wire.sent);
        QCOMPARE(packets.size(), std::size_t{1});
        QCOMPARE(packets.front().bytes, asked.bytes);
        QCOMPARE(rig.sender->stats().layers[1].retransmissions, std::uint64_t{1});
    }

    void senderReportsPerLayerShareTheMapping() {
        Rig rig(1280, 720);
        rig.sender->setLayersWanted(0b011);
        for (std::uint32_t n = 0; n < 40; ++n) // 1.3 s: two rounds of reports
            rig.send(n);
        std::map<std::uint32_t, std::vector<wire::SenderReport>> bySsrc;
        std::vector<wire::SenderReport> all;
        for (const auto& bytes : rig.wire.sent) {
            if (wire::classify(bytes) != wire::PacketKind::Rtcp)
                continue;
            wire::RtcpReader reader(bytes);
            wire::RtcpPacket packet;
            while (reader.next(packet)) {
                wire::SenderReport report;
                QVERIFY(wire::parseSenderReport(packet, report));
                bySsrc[report.ssrc].push_back(report);
                all.push_back(report);
            }
        }
        QCOMPARE(bySsrc.size(), std::size_t{2}); // layer 2 is not wanted: no report
        QVERIFY(bySsrc.count(kSsrcBase) && bySsrc.count(kSsrcBase + 1));
        QCOMPARE(bySsrc[kSsrcBase].size(), bySsrc[kSsrcBase + 1].size());
        for (std::size_t i = 0; i < bySsrc[kSsrcBase].size(); ++i) {
            QCOMPARE(bySsrc[kSsrcBase][i].ntpTimestamp, bySsrc[kSsrcBase + 1][i].ntpTimestamp);
            QCOMPARE(bySsrc[kSsrcBase][i].rtpTimestamp, bySsrc[kSsrcBase + 1][i].rtpTimestamp);
        }
        QVERIFY(bySsrc[kSsrcBase].back().packetCount < bySsrc[kSsrcBase + 1].back().packetCount);
    }

    void pacerSendsTheLowestLayerFirst() {
        Rig rig(1280, 720);
        rig.send(0); // key frames on all three: the 720p one is the largest
        const auto packets = rtpOf(rig.wire.sent);
        std::size_t lastLow = 0;
        std::size_t firstHigh = packets.size();
        for (std::size_t i = 0; i < packets.size(); ++i) {
            if (packets[i].ssrc == kSsrcBase)
                lastLow = i;
            if (packets[i].ssrc == kSsrcBase + 2)
                firstHigh = std::min(firstHigh, i);
        }
        QVERIFY(lastLow < firstHigh);
        QVERIFY(ofSsrc(packets, kSsrcBase + 2).size() > 3);
    }

    void lowUplinkSwitchesTheTopLayerOffAndAHighOneOnAfterAHold() {
        Rig rig(1280, 720);
        rig.send(0);
        // 650 kbit/s: layers 0 and 1 at nominal, 0 left for layer 2 (< 60 %): off.
        QVERIFY(rig.sender->setBitrate(650'000));
        QVERIFY(!rig.sender->layerActive(2));
        QVERIFY(rig.sender->layerActive(1));
        QCOMPARE(rig.sender->bitrateBps(), 650'000);
        rig.wire.sent.clear();
        rig.send(1);
        QVERIFY(ofSsrc(rtpOf(rig.wire.sent), kSsrcBase + 2).empty());
        // 70 % fits: not enough to come back (80 % is).
        for (int i = 0; i < 20; ++i) {
            QVERIFY(rig.sender->setBitrate(650'000 + 1'050'000));
            rig.clock.advance(200ms);
        }
        QVERIFY(!rig.sender->layerActive(2));
        // Everything fits: back only after two seconds of it.
        QVERIFY(rig.sender->setBitrate(2'150'000));
        for (int i = 0; i < 9; ++i) {
            rig.clock.advance(200ms);
            QVERIFY(rig.sender->setBitrate(2'150'000));
            QVERIFY(!rig.sender->layerActive(2));
        }
        rig.clock.advance(200ms);
        QVERIFY(rig.sender->setBitrate(2'150'000));
        QVERIFY(rig.sender->layerActive(2));
        rig.wire.sent.clear();
        rig.send(2);
        const auto top = ofSsrc(rtpOf(rig.wire.sent), kSsrcBase + 2);
        QVERIFY(!top.empty());
        QVERIFY(top.front().marking.independent);
        // Once on, 70 % keeps it on (it goes off under 60 %).
        QVERIFY(rig.sender->setBitrate(650'000 + 1'050'000));
        QVERIFY(rig.sender->layerActive(2));
        QCOMPARE(rig.sender->stats().layers[2].bitrateBps, 1'050'000);
        // Layer 0 never goes off: it gets what there is, at least 50 kbit/s.
        QVERIFY(rig.sender->setBitrate(20'000));
        QVERIFY(rig.sender->layerActive(0));
        QVERIFY(!rig.sender->layerActive(1));
        QCOMPARE(rig.sender->bitrateBps(), 50'000);
    }

    void layerZeroGoesWhenEveryWantedLayerIsOff() {
        // The relay wants only 720p (its receivers are on it), and the uplink cannot carry
        // it: layer 0 goes instead, so that they keep a picture.
        Rig rig(1280, 720);
        rig.send(0);
        rig.sender->setLayersWanted(0b100);
        QVERIFY(rig.sender->setBitrate(650'000));
        QVERIFY(!rig.sender->layerActive(2));
        QVERIFY(!rig.sender->layerActive(1));
        QVERIFY(rig.sender->layerActive(0));
        rig.wire.sent.clear();
        rig.send(1);
        rig.send(2);
        const auto packets = rtpOf(rig.wire.sent);
        QVERIFY(!ofSsrc(packets, kSsrcBase).empty());
        QVERIFY(ofSsrc(packets, kSsrcBase + 1).empty());
        QVERIFY(ofSsrc(packets, kSsrcBase + 2).empty());
        // 360p wanted too, and it fits: it goes, layer 0 (not wanted) does not.
        rig.sender->setLayersWanted(0b110);
        QVERIFY(rig.sender->layerActive(1));
        QVERIFY(!rig.sender->layerActive(0));
    }

    void ourOwnCapStopsTallLayersAtOnce() {
        Rig rig(1280, 720);
        rig.send(0);
        QVERIFY(rig.sender->setBitrate(3'000'000));
        QVERIFY(rig.sender->layerActive(2));
        rig.sender->setMaxSendHeight(360); // data saver, during the call
        QVERIFY(!rig.sender->layerActive(2));
        QVERIFY(rig.sender->layerActive(1));
        rig.wire.sent.clear();
        rig.send(1);
        QVERIFY(ofSsrc(rtpOf(rig.wire.sent), kSsrcBase + 2).empty());
        // Only 720p wanted: layer 0 goes instead.
        rig.sender->setLayersWanted(0b100);
        QVERIFY(rig.sender->layerActive(0));
        QVERIFY(!rig.sender->layerActive(2));
        // The cap lifted: 720p again, from a key frame.
        rig.sender->setMaxSendHeight(std::numeric_limits<int>::max());
        QVERIFY(rig.sender->layerActive(2));
        QVERIFY(!rig.sender->layerActive(0));
        rig.wire.sent.clear();
        rig.send(2);
        const auto top = ofSsrc(rtpOf(rig.wire.sent), kSsrcBase + 2);
        QVERIFY(!top.empty());
        QVERIFY(top.front().marking.independent);
    }

    void allocatorSkipsLayersNobodyWants() {
        const int nominal[] = {150'000, 500'000, 1'500'000};
        SimulcastRateAllocator allocator(nominal);
        QCOMPARE(allocator.maxBitrateBps(), 2'150'000);
        // Layer 1 not wanted: layer 2 gets what layer 1 would have had.
        allocator.update(1'400'000, 0b101, Clock::TimePoint{});
        QCOMPARE(allocator.bitrateBps(1), 0);
        QVERIFY(allocator.on(2));
        QCOMPARE(allocator.bitrateBps(2), 1'250'000);
    }

    void noAllocationPerPictureOrPacket() {
        Rig rig(1280, 720);
        class Null final : public PacketTransport {
        public:
            SendStatus send(std::span<const std::uint8_t>) override { return SendStatus::Sent; }
        } null;
        const auto sendQuietly = [&](std::uint32_t n) {
            renderTestPattern(rig.picture, PatternStamp{n, kT0 + n * 33});
            rig.sender->sendFrame(rig.picture);
            for (int i = 0; i < 33; ++i) {
                rig.sender->flush(null);
                rig.clock.advance(1ms);
            }
        };
        for (std::uint32_t n = 0; n < 5; ++n)
            sendQuietly(n);
        QVERIFY(rig.sender->onPli(kSsrcBase + 2));
        g_allocations = 0;
        g_countAllocations = true;
        for (std::uint32_t n = 5; n < 15; ++n) // a key frame among them
            sendQuietly(n);
        (void)rig.sender->onNack(kSsrcBase + 1, 0);
        (void)rig.sender->setBitrate(700'000);
        g_countAllocations = false;
        QCOMPARE(g_allocations.load(), std::uint64_t{0});
        QVERIFY(rig.sender->stats().packetsSent > 20);
    }
    void engineFollowsLayersWantedAndRoutesPliByLayer() {
        EngineRig rig;
        QCOMPARE(rig.video.size(), std::size_t{3});
        rig.run(200); // until the first LayersWanted: every layer
        std::set<std::uint32_t> seen;
        for (const Packet& p : rtpOf(rig.wire.sent))
            seen.insert(p.ssrc);
        QCOMPARE(seen, std::set<std::uint32_t>(rig.video.begin(), rig.video.end()));
        rig.receive(wire::ControlMessage{0, wire::LayersWantedMsg{0b001}});
        rig.run(100); // what was queued leaves
        rig.wire.sent.clear();
        rig.run(300);
        auto packets = rtpOf(rig.wire.sent);
        QVERIFY(!packets.empty());
        for (const Packet& p : packets)
            QCOMPARE(p.ssrc, rig.video[0]);
        // Layer 1 again, and a PLI for it (as the relay sends one, sender SSRC 0).
        rig.receive(wire::ControlMessage{0, wire::LayersWantedMsg{0b011}});
        rig.run(300);
        rig.wire.sent.clear();
        std::array<std::uint8_t, 64> pli{};
        rig.engine->onDatagram(wire::writePli(0, rig.video[1], pli));
        rig.run(300);
        packets = rtpOf(rig.wire.sent);
        QVERIFY(ofSsrc(packets, rig.video[2]).empty());
        int keys1 = 0;
        int keys0 = 0;
        for (const Packet& p : packets) {
            if (p.descriptor.startsFrame() && p.marking.independent)
                ++(p.ssrc == rig.video[1] ? keys1 : keys0);
        }
        QCOMPARE(keys1, 1);
        QCOMPARE(keys0, 0);
        const auto stats = rig.engine->stats();
        QVERIFY(stats.videoSent.has_value());
        QCOMPARE(stats.videoSent->layers.size(), std::size_t{3});
        QVERIFY(stats.videoSent->layers[1].active);
        QVERIFY(!stats.videoSent->layers[2].active);
        QCOMPARE(stats.videoSent->layers[1].plisReceived, std::uint64_t{1});
    }

    void engineTellsTheRelayWhatItCanSend() {
        // LayersAvailable: nothing before the relay's first LayersWanted; then every layer,
        // and at once when our own cap takes the 720p layer away, and when it gives it back.
        EngineRig rig;
        const auto reports = [&rig] {
            std::vector<std::uint8_t> out;
            for (const auto& d : rig.wire.sent) {
                wire::ControlMessage m;
                if (wire::classify(d) == wire::PacketKind::Control &&
                    wire::parseControl(d, m) == wire::ParseError::None)
                    if (const auto* r = std::get_if<wire::LayersAvailableMsg>(&m.body))
                        out.push_back(r->layers);
            }
            rig.wire.sent.clear();
            return out;
        };
        rig.run(200);
        QVERIFY(reports().empty());
        rig.receive(wire::ControlMessage{0, wire::LayersWantedMsg{0b100}});
        rig.run(100);
        QCOMPARE(reports(), std::vector<std::uint8_t>{0b111});
        rig.engine->setMaxSendHeight(360);
        rig.run(100);
        QCOMPARE(reports(), std::vector<std::uint8_t>{0b011});
        rig.engine->setMaxSendHeight(std::numeric_limits<int>::max());
        rig.run(100);
        QCOMPARE(reports(), std::vector<std::uint8_t>{0b111});
    }
};

QTEST_APPLESS_MAIN(TestSimulcast)
#include "TestSimulcast.moc"
