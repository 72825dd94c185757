#pragma once
// What one simulated participant sends in the relay benchmark's tiers mode
// (docs/PERFORMANCE.md section 1.1): an audio stream and up to three simulcast video streams
// (layers 0, 1, 2 at 180, 360 and 720 lines), packet after packet, in the order a real
// client would send them. Media time, not wall time, drives it: an audio packet every 20 ms
// and a video frame of every layer every 1/30 s of media time, so the load generator's
// offered packet rate sets how fast media time runs (kRealTimePacketsPerSecond per
// participant is real time).
//
// Each video frame is 1, 2 and 5 packets (layers 0, 1, 2; VP8 simulcast at about 230, 470
// and 1170 kbit/s in real time), whose size follows the frame's temporal layer (1100 bytes
// TL0, 1000 TL1, 900 TL2: the base layer's frames are the larger ones). Temporal pattern TL0
// TL2 TL1 TL2 (restarting at a key frame), with the frame marking extension (RFC 9626, long
// form: S E I D B TID LID=0 TL0PICIDX, as VideoSender writes it) and the transport-wide
// sequence number (one counter over all streams); audio carries the transport-wide sequence
// number only. Every stream starts with a key frame, sends one every keyFrameInterval frames
// and at the next frame after a PLI for it (PLIs within 3 frames of its last key frame are
// answered by that one). Key frames are as large as other TL0 frames, so the datagrams sent
// (sizes and order) do not depend on what the target asks for.
//
// Plain RTP (Packets::Plain): the same datagram sizes in the same order, but as audio-like
// RTP without header extensions on the audio SSRC (PT 111, one sequence number series): what
// the old forwarding path does with the same offered load.
//
// Byte 0 of every payload is the stream index (0 audio, 1 + layer for video), so receivers
// can count what they get per stream whatever SSRC the relay writes.
//
// Thread: one thread calls everything. Allocation-free after construction.

#include "diyuma/wire/Rtp.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace diyuma::bench {

inline constexpr std::size_t kMaxVideoLayers = 3;
inline constexpr std::size_t kStreamsPerParticipant = 1 + kMaxVideoLayers;
/// Packets one participant sends per second of media time with three layers: 50 audio +
/// 30 frames x (1 + 2 + 5).
inline constexpr double kRealTimePacketsPerSecond = 50 + 30 * (1 + 2 + 5);

enum class Packets { Layered, Plain };

struct LayeredSenderConfig {
    std::size_t videoLayers = 3;  ///< 1..kMaxVideoLayers
    std::size_t audioBytes = 160; ///< whole UDP payload of an audio packet
    Packets packets = Packets::Layered;
    std::uint32_t keyFrameInterval = 90; ///< frames between periodic key frames (3 s)
};

class LayeredSender {
public:
    static constexpr std::array<std::size_t, kMaxVideoLayers> kPacketsPerFrame{1, 2, 5};
    static constexpr std::array<std::uint16_t, kMaxVideoLayers> kHeights{180, 360, 720};
    /// Whole UDP payload of a video packet by the frame's temporal layer (TL0, TL1, TL2).
    static constexpr std::array<std::size_t, 3> kVideoBytes{1100, 1000, 900};

    /// `ssrcs`: audio, then video layers 0..2. `seed` spreads the start values.
    LayeredSender(const LayeredSenderConfig& config,
                  const std::array<std::uint32_t, kStreamsPerParticipant>& ssrcs,
                  std::uint32_t seed);

    struct Packet {
        std::span<const std::uint8_t> bytes;
        std::size_t stream = 0; ///< 0 audio, 1 + video layer
    };
    /// Writes the next packet into `buffer` (at least kMaxDatagramBytes) and advances.
    [[nodiscard]] Packet next(std::span<std::uint8_t> buffer);
    /// A PLI arrived for `ssrc`: the next frame of that stream is a key frame (unless one was
    /// sent within the last 3 frames). False if `ssrc` is not one of our video streams.
    bool onPli(std::uint32_t ssrc);

    [[nodiscard]] std::uint64_t keyFrames() const { return m_keyFrames; }
    [[nodiscard]] std::uint64_t plisHonoured() const { return m_plisHonoured; }

private:
    struct Video {
        std::uint32_t ssrc = 0;
        std::uint16_t sequence = 0;
        std::uint32_t framesSinceKey = 0;
        std::size_t patternIndex = 0;
        std::uint8_t tl0PicIdx = 0;
        bool keyWanted = true; // every stream starts with a key frame
        // The frame being sent:
        std::uint8_t temporalId = 0;
        bool keyFrame = false;
        bool layerSync = false;
        bool discardable = false;
    };
    void startFrame(Video& video);

    LayeredSenderConfig m_config;
    std::uint32_t m_audioSsrc = 0;
    std::uint16_t m_audioSequence = 0;
    std::uint16_t m_plainSequence = 0;
    std::uint32_t m_audioTimestamp = 0;
    std::uint32_t m_videoTimestamp = 0;
    std::uint16_t m_transportSequence = 0;
    std::array<Video, kMaxVideoLayers> m_video{};
    std::int64_t m_nextAudioUs = 0; ///< media time
    std::int64_t m_nextVideoUs = 0;
    std::int64_t m_videoOffsetUs = 0;
    std::int64_t m_frames = 0;
    // The frame in progress: layer and packet within it (m_layer == videoLayers: none).
    std::size_t m_layer = kMaxVideoLayers;
    std::size_t m_packetInFrame = 0;
    std::uint64_t m_keyFrames = 0;
    std::uint64_t m_plisHonoured = 0;
    std::array<std::uint8_t, 1200> m_payload{};
};

} // namespace diyuma::bench
