#pragma once
// The send side of one video stream: picture ─► Vp8Encoder ─► Vp8Packetizer ─► RTP (PT 96,
// 90 kHz timestamps from the capture time; the frame marking extension on every packet, with
// the temporal layer when the encoder has them) ─► RtpPacketCache ─► pacer ─► PacketTransport.
//
// - Pacer: packets leave at `pacingFactor` x the encoder's bitrate, so a key frame spreads
//   over a few tens of milliseconds instead of leaving as one burst; retransmissions go first.
// - NACK: a requested packet still in the cache is sent again as it was (same sequence
//   number), unless it was (re)sent less than `minResendInterval` ago.
// - PLI: the next picture is encoded as a key frame; PLIs within `minKeyFrameInterval` of the
//   last key frame are folded into it.
// - Sender reports (every `senderReportInterval`): NTP time and the matching RTP time, for
//   the receivers' lip sync.
//
// Thread: one thread (the media thread). Nothing is allocated per packet.

#include "diyuma/net/PacketTransport.h"
#include "diyuma/util/Clock.h"
#include "diyuma/util/Result.h"
#include "diyuma/video/RtpPacketCache.h"
#include "diyuma/video/Vp8Codec.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace diyuma::core {

struct VideoSenderConfig {
    std::uint32_t ssrc = 0;
    Vp8EncoderConfig encoder;
    double pacingFactor = 2.5;
    /// PLIs this soon after a key frame are taken as sent before it arrived (the relay
    /// already coalesces PLIs of several receivers).
    Clock::Duration minKeyFrameInterval = std::chrono::milliseconds(100);
    Clock::Duration minResendInterval = std::chrono::milliseconds(10);
    Clock::Duration senderReportInterval = std::chrono::seconds(1);
    std::size_t cachePackets = 1024;
};

struct VideoSendStats {
    std::uint64_t framesEncoded = 0;
    std::uint64_t keyFrames = 0;
    std::uint64_t packetsSent = 0; ///< first transmissions
    std::uint64_t bytesSent = 0;   ///< RTP bytes of first transmissions
    std::uint64_t retransmissions = 0;
    std::uint64_t nacksReceived = 0;   ///< sequence numbers asked for
    std::uint64_t nacksNotInCache = 0; ///< asked for but gone (or never sent)
    std::uint64_t plisReceived = 0;
    std::uint64_t encodeFailures = 0;
    std::uint64_t sendFailures = 0; ///< the transport dropped a packet
    std::uint64_t senderReports = 0;
    double encodeMsTotal = 0; ///< time spent in the encoder (steady clock)
};

class VideoSender {
public:
    /// Fails if the encoder cannot be created with `config.encoder`.
    [[nodiscard]] static Result<std::unique_ptr<VideoSender>> create(const Clock& clock,
                                                                     VideoSenderConfig config);

    /// Encodes and queues one picture (its size must be the encoder's). Errors are counted.
    void sendFrame(const VideoFrame& picture);
    /// New encoder bitrate (the uplink estimate moved); the pacer follows. False if libvpx
    /// refused it (nothing changed).
    bool setBitrate(int bitrateBps) { return m_encoder.setBitrate(bitrateBps); }
    [[nodiscard]] int bitrateBps() const { return m_encoder.config().bitrateBps; }
    /// A receiver asked for a key frame.
    void onPli();
    /// A receiver asked for one sequence number again.
    void onNack(std::uint16_t sequence);
    /// Sends what the pacer allows now, and a sender report when one is due.
    void flush(PacketTransport& transport);
    /// When flush() will next have something to send (TimePoint::max() when idle).
    [[nodiscard]] Clock::TimePoint nextSendAt() const;

    [[nodiscard]] std::uint32_t ssrc() const { return m_config.ssrc; }
    [[nodiscard]] const VideoSendStats& stats() const { return m_stats; }
    [[nodiscard]] int width() const { return m_config.encoder.width; }
    [[nodiscard]] int height() const { return m_config.encoder.height; }

private:
    VideoSender(const Clock& clock, VideoSenderConfig config, Vp8Encoder encoder);
    /// Sends one packet from the cache; false if the pacer must wait first.
    void transmit(PacketTransport& transport, std::uint16_t sequence, bool retransmission);
    [[nodiscard]] std::uint32_t rtpTimestampAt(std::int64_t unixMs) const;

    /// A fixed-size FIFO of sequence numbers (no allocation after construction).
    class SequenceQueue {
    public:
        explicit SequenceQueue(std::size_t capacity) : m_items(capacity) {}
        [[nodiscard]] bool empty() const { return m_count == 0; }
        /// False (and nothing queued) when full.
        bool push(std::uint16_t sequence);
        [[nodiscard]] std::uint16_t front() const { return m_items[m_head]; }
        void pop();

    private:
        std::vector<std::uint16_t> m_items;
        std::size_t m_head = 0;
        std::size_t m_count = 0;
    };

    const Clock& m_clock;
    VideoSenderConfig m_config;
    Vp8Encoder m_encoder;
    RtpPacketCache m_cache;
    SequenceQueue m_fresh;
    SequenceQueue m_resend;
    std::uint16_t m_sequence = 0;
    std::uint16_t m_pictureId = 0;
    std::uint8_t m_tl0PicIdx = 0; ///< counts TL0 frames (temporal layers only)
    std::uint32_t m_timestampBase = 0;
    std::optional<std::int64_t> m_firstCaptureUnixMs;
    bool m_keyFrameWanted = true;
    std::optional<Clock::TimePoint> m_lastKeyFrameAt;
    Clock::TimePoint m_pacerFreeAt{}; ///< the pacer may send the next packet from then on
    std::optional<Clock::TimePoint> m_nextReportAt;
    std::uint32_t m_reportPackets = 0;
    std::uint32_t m_reportOctets = 0; ///< payload octets, as RFC 3550 counts them
    std::array<std::uint8_t, wire::kMaxDatagramBytes> m_packet{};
    VideoSendStats m_stats;
};

} // namespace diyuma::core
