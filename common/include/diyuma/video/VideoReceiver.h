#pragma once
// The receive side of one remote video stream: RTP ─► VideoFrameAssembler ─► Vp8Decoder ─►
// (held for lip sync) ─► VideoFrameSink, and the feedback it needs: NACKs for missing packets
// and PLIs for key frames, sent as RTCP towards the stream's sender (through the relay).
//
// Lip sync: with a LipSync given to poll(), a decoded picture waits as long as it says (the
// audio captured with it is still in the jitter buffer) in a queue of kMaxHeld pictures,
// allocated as it fills and reused; when the queue is full the oldest is shown early.
//
// Freezes: a gap between two shown pictures longer than 3 frame intervals (of the stream's
// recent frame rate) and at least 200 ms counts as one freeze; the longest is kept.
//
// Picture sizes: every change of the decoded picture's size between two decoded pictures is a
// layer switch (what a receiver sees of the relay switching simulcast layers at a key frame);
// the first size and each change are kept with their time (at most kMaxSizeChanges).
//
// Thread: one thread (the media thread).

#include "diyuma/net/PacketTransport.h"
#include "diyuma/session/VideoDevice.h"
#include "diyuma/util/Clock.h"
#include "diyuma/util/Result.h"
#include "diyuma/video/LipSync.h"
#include "diyuma/video/VideoFrameAssembler.h"
#include "diyuma/video/Vp8Codec.h"
#include "diyuma/wire/Rtp.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace diyuma::core {

/// The decoded picture size from `unixMs` (Clock::unixMs when it was decoded) on.
struct VideoSizeChange {
    std::int64_t unixMs = 0;
    int width = 0;
    int height = 0;
    bool operator==(const VideoSizeChange&) const = default;
};

struct VideoReceiveStats {
    static constexpr std::size_t kMaxSizeChanges = 64;

    VideoReceiveCounters assembly;
    std::uint64_t framesDecoded = 0;
    std::uint64_t decodeFailures = 0;
    std::uint64_t bytesReceived = 0;    ///< RTP payload bytes that arrived
    std::uint64_t rtpBytesReceived = 0; ///< whole RTP packets (header, extensions, payload)
    /// Wall-clock time (Clock::unixMs) of the first packet; unset before one arrived.
    std::optional<std::int64_t> firstPacketUnixMs;
    /// Time from the first to the last packet (summed over replaced streams).
    double receiveSpanMs = 0;
    std::uint64_t freezes = 0;
    double longestFreezeMs = 0;
    int width = 0; ///< of the last decoded picture
    int height = 0;
    /// How often the decoded picture size changed from one picture to the next.
    std::uint64_t layerSwitches = 0;
    /// The first decoded size and every change, in order (the first kMaxSizeChanges).
    std::vector<VideoSizeChange> sizes;
    double decodeMsTotal = 0;
    double syncHoldMs = 0; ///< how long the last picture shown was held for lip sync

    /// Average received bitrate: rtpBytesReceived * 8 over receiveSpanMs (0 until two
    /// packets arrived some time apart).
    [[nodiscard]] double receivedBitrateBps() const {
        return receiveSpanMs > 0 ? static_cast<double>(rtpBytesReceived) * 8000.0 / receiveSpanMs
                                 : 0.0;
    }
};

/// Adds `from`'s counts to `into` (freezes: the longest of both; size: `from`'s if it showed
/// a picture; sizes appended, up to the bound). For a participant whose stream was replaced,
/// or who came back; `from` is the later one.
void accumulate(VideoReceiveStats& into, const VideoReceiveStats& from);

class VideoReceiver {
public:
    /// `localSsrc` is the sender SSRC our feedback carries (our own video or audio SSRC).
    [[nodiscard]] static Result<std::unique_ptr<VideoReceiver>>
    create(const Clock& clock, std::uint32_t remoteSsrc, std::uint32_t localSsrc);

    /// One RTP packet of the stream; `packetBytes` is the whole datagram's size (for the
    /// received bitrate).
    void onRtp(const wire::RtpPacketView& packet, std::size_t packetBytes);
    /// Decodes what is complete, hands the pictures that are due to `sink` (which may be
    /// null), held by `sync` if given, and sends the feedback that is due. Call after packets
    /// arrived and every few milliseconds (a held picture is shown at the first call after
    /// its time).
    void poll(PacketTransport& transport, VideoFrameSink* sink, std::uint32_t participantId,
              std::string_view name, const LipSync* sync = nullptr);
    static constexpr std::size_t kMaxHeld = 16;
    void setRtt(Clock::Duration rtt) { m_assembler.setRtt(rtt); }

    [[nodiscard]] std::uint32_t remoteSsrc() const { return m_remoteSsrc; }
    [[nodiscard]] VideoReceiveStats stats() const;

private:
    VideoReceiver(const Clock& clock, std::uint32_t remoteSsrc, std::uint32_t localSsrc,
                  Vp8Decoder decoder);
    void noteShown(Clock::TimePoint at);
    struct Held {
        VideoFrame picture;
        std::vector<std::uint8_t> encoded;
        bool keyFrame = false;
        std::uint32_t rtpTimestamp = 0;
        Clock::TimePoint showAt{};
        Clock::Duration hold{};
    };
    void show(VideoFrameSink* sink, std::uint32_t participantId, std::string_view name,
              const VideoFrame& picture, std::span<const std::uint8_t> encoded, bool keyFrame,
              std::uint32_t rtpTimestamp, Clock::Duration hold);
    void showHead(VideoFrameSink* sink, std::uint32_t participantId, std::string_view name);

    const Clock& m_clock;
    std::uint32_t m_remoteSsrc;
    std::uint32_t m_localSsrc;
    VideoFrameAssembler m_assembler;
    Vp8Decoder m_decoder;
    AssembledVideoFrame m_frame;
    VideoFrame m_picture;
    std::array<Held, kMaxHeld> m_held; ///< a ring: m_heldCount pictures from m_heldHead
    std::size_t m_heldHead = 0;
    std::size_t m_heldCount = 0;
    std::vector<std::uint16_t> m_nacks;
    std::array<std::uint8_t, wire::kMaxDatagramBytes> m_rtcp{};
    std::optional<Clock::TimePoint> m_firstPacketAt;
    Clock::TimePoint m_lastPacketAt{};
    std::optional<Clock::TimePoint> m_lastShownAt;
    double m_frameIntervalMs = 33.3; ///< smoothed interval between shown pictures
    VideoReceiveStats m_stats;
};

} // namespace diyuma::core
