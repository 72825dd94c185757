#pragma once
// The send side of our video: one picture in, up to three simulcast layers out (PROTOCOL.md
// section 6.12), each its own VP8 stream:
//   picture ─► scaleI420 per lower layer ─► Vp8Encoder per layer ─► Vp8Packetizer ─► RTP
//   (PT 96, the layer's SSRC and sequence numbers; the frame marking extension on every
//   packet, with the temporal layer when the encoders have them) ─► the layer's
//   RtpPacketCache ─► one pacer ─► PacketTransport.
//
// - One stream after a relay switch: the layers share what the relay does not rewrite. The
//   same picture has the same RTP timestamp (one base, from the capture time), the same VP8
//   picture ID (one counter, advanced once per picture encoded) and the same temporal
//   pattern position, TID, Y and TL0PICIDX in every layer: the sender drives the pattern for
//   all encoders and restarts it at 0 for all when any layer takes a key frame.
// - Layers wanted: setLayersWanted (the relay's LayersWanted; bit k = layer k) and the
//   bandwidth (setBitrate: SimulcastRateAllocator, bottom-up with hysteresis) decide which
//   layers are active; only those are encoded and sent. A layer that becomes active starts
//   with a key frame.
// - Pacer: one for all layers, at `pacingFactor` x the sum of the active layers' bitrates;
//   retransmissions first, then fresh packets of the lowest layer first, so a large key
//   frame of the top layer does not delay the small ones.
// - NACK (by media SSRC): a requested packet still in that layer's cache is sent again as
//   it was (same sequence number), unless it was (re)sent less than `minResendInterval` ago.
// - PLI (by media SSRC): the next picture is a key frame on that layer; PLIs within
//   `minKeyFrameInterval` of that layer's last key frame are folded into it.
// - Sender reports (every `senderReportInterval`): one per active layer, all with the same
//   NTP time and RTP time (the layers share the timestamps), for the receivers' lip sync.
//
// With one layer (VideoSenderConfig::layers empty) it is the single stream of old: SSRC
// `ssrc`, the encoder's size and bitrate.
//
// Thread: one thread (the media thread). Nothing is allocated per packet, nor per picture
// after the first.

#include "diyuma/net/PacketTransport.h"
#include "diyuma/util/Clock.h"
#include "diyuma/util/Result.h"
#include "diyuma/video/RtpPacketCache.h"
#include "diyuma/video/SimulcastLayers.h"
#include "diyuma/video/Vp8Codec.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace diyuma::core {

/// One simulcast layer we send.
struct VideoLayerConfig {
    std::uint32_t ssrc = 0; ///< non-zero, distinct from every other stream of ours
    int width = 0;
    int height = 0;
    int bitrateBps = 0; ///< nominal: the most it gets
};

struct VideoSenderConfig {
    /// With one layer (`layers` empty): its SSRC.
    std::uint32_t ssrc = 0;
    /// Frame rate, cpuUsed, threads, temporal layers for every layer; with one layer also its
    /// size and bitrate. Pictures handed to sendFrame() are this size (the top layer's).
    Vp8EncoderConfig encoder;
    /// Simulcast: the layers, lowest first (1..kMaxSimulcastLayers; simulcastLayersFor gives
    /// the sizes). A layer of the picture's size encodes it as it is; the others get it
    /// scaled (scaleI420). Encoders run without automatic key frames.
    std::vector<VideoLayerConfig> layers;
    double pacingFactor = 2.5;
    /// PLIs this soon after a key frame are taken as sent before it arrived (the relay
    /// already coalesces PLIs of several receivers).
    Clock::Duration minKeyFrameInterval = std::chrono::milliseconds(100);
    Clock::Duration minResendInterval = std::chrono::milliseconds(10);
    Clock::Duration senderReportInterval = std::chrono::seconds(1);
    std::size_t cachePackets = 1024; ///< per layer
};

/// One layer's figures.
struct VideoLayerSendStats {
    std::uint32_t ssrc = 0;
    int width = 0;
    int height = 0;
    int bitrateBps = 0;  ///< the encoder's target now (0 while inactive)
    bool active = false; ///< wanted by a receiver and carried by the uplink
    std::uint64_t framesEncoded = 0;
    std::uint64_t keyFrames = 0;
    std::uint64_t packetsSent = 0; ///< first transmissions
    std::uint64_t bytesSent = 0;   ///< RTP bytes of first transmissions
    std::uint64_t retransmissions = 0;
    std::uint64_t plisReceived = 0;
    std::uint64_t senderReports = 0;
};

/// Totals over the layers, and each layer's own figures.
struct VideoSendStats {
    /// Captured pictures encoded by at least one layer (not per layer: see `layers`).
    std::uint64_t framesEncoded = 0;
    /// Pictures not encoded at all: no layer was active (nobody wants our video).
    std::uint64_t framesSkipped = 0;
    std::uint64_t keyFrames = 0;   ///< key frames of all layers together
    std::uint64_t packetsSent = 0; ///< first transmissions, all layers
    std::uint64_t bytesSent = 0;   ///< RTP bytes of first transmissions, all layers
    std::uint64_t retransmissions = 0;
    std::uint64_t nacksReceived = 0;   ///< sequence numbers asked for
    std::uint64_t nacksNotInCache = 0; ///< asked for but gone (or never sent)
    std::uint64_t plisReceived = 0;
    std::uint64_t encodeFailures = 0; ///< per layer and picture
    std::uint64_t sendFailures = 0;   ///< the transport dropped a packet
    std::uint64_t senderReports = 0;
    /// Time spent scaling and encoding (steady clock), all layers: divided by framesEncoded
    /// it is the cost of one picture.
    double encodeMsTotal = 0;
    std::vector<VideoLayerSendStats> layers; ///< lowest first
};

class VideoSender {
public:
    /// Fails if an encoder cannot be created, or the layers are not 1..kMaxSimulcastLayers
    /// with distinct non-zero SSRCs.
    [[nodiscard]] static Result<std::unique_ptr<VideoSender>> create(const Clock& clock,
                                                                     VideoSenderConfig config);
    ~VideoSender();
    VideoSender(const VideoSender&) = delete;
    VideoSender& operator=(const VideoSender&) = delete;

    /// Encodes one picture (the top layer's size) on every active layer and queues it.
    /// Errors are counted.
    void sendFrame(const VideoFrame& picture);
    /// What all video may use now (bps; the uplink estimate moved): shared among the layers
    /// bottom-up, switching top layers off and on (SimulcastRateAllocator); the pacer
    /// follows. Call it regularly (each adaptation step): layers come back after a hold.
    /// False if libvpx refused a bitrate (that layer keeps its old one).
    bool setBitrate(int bitrateBps);
    /// The layers anyone receives (bit k = layer k; the relay's LayersWanted). All at first.
    void setLayersWanted(std::uint8_t layers);
    /// Our own cap (the app's data saver): layers taller than `height` lines are not sent
    /// (layer 0 always may be), whatever is wanted; from the next picture. Receivers of a
    /// layer that stops are moved by the relay (PROTOCOL.md 6.11). 0x7FFFFFFF: no cap.
    void setMaxSendHeight(int height);
    /// The layers we could send if asked (bit k = layer k): our cap allows them and the
    /// rate allocator has them on (layer 0 always). What LayersAvailable reports.
    [[nodiscard]] std::uint8_t layersAvailable() const;
    /// The sum of the active layers' bitrates (bps).
    [[nodiscard]] int bitrateBps() const;
    /// The sum of the layers' nominal bitrates: the most setBitrate() uses.
    [[nodiscard]] int maxBitrateBps() const { return m_allocator.maxBitrateBps(); }
    /// A receiver asked for a key frame of the stream `mediaSsrc`; false if it is not ours.
    bool onPli(std::uint32_t mediaSsrc);
    /// A receiver asked for one sequence number of `mediaSsrc` again; false if not ours.
    bool onNack(std::uint32_t mediaSsrc, std::uint16_t sequence);
    /// Sends what the pacer allows now, and the sender reports when due.
    void flush(PacketTransport& transport);
    /// When flush() will next have something to send (TimePoint::max() when idle).
    [[nodiscard]] Clock::TimePoint nextSendAt() const;

    [[nodiscard]] std::size_t layerCount() const { return m_layers.size(); }
    [[nodiscard]] const VideoLayerConfig& layer(std::size_t index) const {
        return m_config.layers[index];
    }
    /// Sent now: wanted and carried by the uplink; layer 0 also when no wanted layer is.
    [[nodiscard]] bool layerActive(std::size_t index) const;
    /// Layer 0's SSRC (the one our feedback about others' video names).
    [[nodiscard]] std::uint32_t ssrc() const { return m_config.layers.front().ssrc; }
    [[nodiscard]] bool hasSsrc(std::uint32_t ssrc) const { return findLayer(ssrc) != nullptr; }
    [[nodiscard]] const VideoSendStats& stats() const;
    /// The top layer's size (what sendFrame() takes).
    [[nodiscard]] int width() const { return m_config.encoder.width; }
    [[nodiscard]] int height() const { return m_config.encoder.height; }

private:
    struct Layer;
    struct Resend {
        std::uint8_t layer = 0;
        std::uint16_t sequence = 0;
    };
    /// A fixed-size FIFO (no allocation after construction).
    template <typename T>
    class FixedQueue {
    public:
        explicit FixedQueue(std::size_t capacity) : m_items(capacity) {}
        [[nodiscard]] bool empty() const { return m_count == 0; }
        /// False (and nothing queued) when full.
        bool push(T item) {
            if (m_count == m_items.size())
                return false;
            m_items[(m_head + m_count) % m_items.size()] = item;
            ++m_count;
            return true;
        }
        [[nodiscard]] T front() const { return m_items[m_head]; }
        void pop() {
            m_head = (m_head + 1) % m_items.size();
            --m_count;
        }

    private:
        std::vector<T> m_items;
        std::size_t m_head = 0;
        std::size_t m_count = 0;
    };

    VideoSender(const Clock& clock, VideoSenderConfig config,
                std::vector<std::unique_ptr<Layer>> layers);
    [[nodiscard]] Layer* findLayer(std::uint32_t ssrc) const;
    /// Encodes and queues one picture on one layer; false if the encoder failed.
    bool encodeLayer(Layer& layer, const VideoFrame& picture, std::size_t patternPosition,
                     std::uint32_t timestamp, Clock::TimePoint now);
    /// Sends one packet from a layer's cache.
    void transmit(PacketTransport& transport, Layer& layer, std::uint16_t sequence,
                  bool retransmission);
    void sendReports(PacketTransport& transport);
    [[nodiscard]] std::uint32_t rtpTimestampAt(std::int64_t unixMs) const;
    [[nodiscard]] double pacingRateBps() const;
    /// Brings the layers' encoders to the allocator's bitrates.
    bool applyBitrates();

    const Clock& m_clock;
    VideoSenderConfig m_config;
    std::vector<std::unique_ptr<Layer>> m_layers; ///< lowest first
    SimulcastRateAllocator m_allocator;
    std::uint8_t m_wanted = 0xFF;
    std::uint8_t m_allowed = 0xFF; ///< setMaxSendHeight: the layers we may send at all
    /// What is wanted and allowed: what the uplink budget goes to.
    [[nodiscard]] std::uint8_t wantedAndAllowed() const { return m_wanted & m_allowed; }
    int m_budgetBps = 0; ///< the latest setBitrate() (0: none yet, every layer nominal)
    FixedQueue<Resend> m_resend;
    std::uint16_t m_pictureId = 0;     ///< shared by the layers
    std::uint8_t m_tl0PicIdx = 0;      ///< counts TL0 pictures (temporal layers only), shared
    std::size_t m_patternPosition = 0; ///< the next picture's place in the temporal pattern
    std::uint32_t m_timestampBase = 0;
    std::optional<std::int64_t> m_firstCaptureUnixMs;
    Clock::TimePoint m_pacerFreeAt{}; ///< the pacer may send the next packet from then on
    std::optional<Clock::TimePoint> m_nextReportAt;
    std::array<std::uint8_t, wire::kMaxDatagramBytes> m_packet{};
    mutable VideoSendStats m_stats; ///< per-layer bitrate and active filled in by stats()
};

} // namespace diyuma::core
