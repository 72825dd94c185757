#pragma once
// Receive side of one VP8 stream: puts RTP packets back in order, assembles frames, asks for
// what is missing (generic NACK, RFC 4585 section 6.2.1) and for a key frame when a frame
// cannot be recovered (PLI, section 6.3.1).
//
//   insert(packet) ─► slot ring by extended sequence number (reorder, duplicates, wrap)
//   popFrame()     ─► the next frame that can be decoded, in order:
//                     - a key frame, when we need one (at the start, after a loss we gave up
//                       on, after a decoder error); everything before it is dropped;
//                     - else the frame that starts where the last one ended, or, across a
//                       gap, a frame whose picture ID follows the last one (the gap held no
//                       part of any frame: padding);
//                     - else, while that waits for missing packets, the newest key frame if it
//                       is complete: frames older than a key frame are not worth waiting for
//                       (a relay's switch to another simulcast stream starts with one, and the
//                       old stream's last frames may never come whole);
//   collectNacks() ─► missing sequence numbers due for a (re)request: first after
//                     `reorderDelay`, then every max(minRetryInterval, 1.25 x RTT), at most
//                     `maxNackRetries` times; after that (or `maxWaitForLost`) the gap is
//                     given up and a key frame is needed. Not asked for: what lies before the
//                     newest key frame's start, and, while a key frame is needed, what came
//                     before we needed it (either would be dropped when it came; repairs of
//                     it only take a thin link from what is wanted)
//   takeKeyFrameRequest() ─► true when a PLI should go out now (at most every
//                     `keyFrameRequestInterval` while one is needed)
//
// A frame is complete when its packets, from the one with S = 1 and PID = 0 to the one with
// the marker bit, are all here and share one RTP timestamp.
//
// Memory: `capacityPackets` slots of kMaxDatagramBytes, allocated at construction; nothing
// is allocated per packet, and popFrame() reuses the output's buffer.
// Thread: one thread (the media thread).

#include "diyuma/util/Clock.h"
#include "diyuma/wire/Limits.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace diyuma::core {

struct VideoAssemblerConfig {
    std::size_t capacityPackets = 1024; ///< a power of two; > a key frame's packet count
    Clock::Duration reorderDelay = std::chrono::milliseconds(5);
    Clock::Duration minRetryInterval = std::chrono::milliseconds(20);
    int maxNackRetries = 8;
    Clock::Duration maxWaitForLost = std::chrono::milliseconds(1000);
    Clock::Duration keyFrameRequestInterval = std::chrono::milliseconds(250);
};

/// One assembled VP8 frame (the VP8 data without RTP payload descriptors).
struct AssembledVideoFrame {
    std::vector<std::uint8_t> data; ///< reused between calls
    std::uint32_t rtpTimestamp = 0;
    bool keyFrame = false;
    std::uint16_t width = 0;  ///< key frames: from the payload header
    std::uint16_t height = 0; ///< key frames
    std::optional<std::uint16_t> pictureId;
    Clock::TimePoint completedAt{}; ///< when its last missing packet arrived
};

struct VideoReceiveCounters {
    std::uint64_t packetsReceived = 0; ///< accepted (no duplicates, not late)
    std::uint64_t packetsDuplicate = 0;
    std::uint64_t packetsLate = 0;      ///< older than the frame being assembled
    std::uint64_t packetsMalformed = 0; ///< no valid VP8 descriptor
    std::uint64_t packetsRecovered = 0; ///< arrived after we had NACKed them
    std::uint64_t nacksSent = 0;        ///< sequence numbers requested (retries included)
    std::uint64_t framesAssembled = 0;
    std::uint64_t keyFrames = 0;
    std::uint64_t framesDropped = 0;    ///< skipped: incomplete, or waiting for a key frame
    std::uint64_t keyFrameRequests = 0; ///< PLIs asked for
    std::uint64_t gapsGivenUp = 0;
    std::uint64_t bufferResets = 0; ///< a jump beyond the ring (a long outage)
};

class VideoFrameAssembler {
public:
    explicit VideoFrameAssembler(const Clock& clock, VideoAssemblerConfig config = {});

    /// One RTP packet of the stream (payload = VP8 descriptor + data). Copies what it keeps.
    void insert(std::uint16_t sequence, std::uint32_t rtpTimestamp, bool marker,
                std::span<const std::uint8_t> payload);
    /// The next decodable frame into `out`; false if there is none yet.
    [[nodiscard]] bool popFrame(AssembledVideoFrame& out);
    /// Appends the sequence numbers to NACK now (each counted as sent).
    void collectNacks(std::vector<std::uint16_t>& out);
    /// True if a PLI should be sent now (then counted and throttled).
    [[nodiscard]] bool takeKeyFrameRequest();
    /// The decoder could not use a frame: skip to the next key frame.
    void requestKeyFrame();
    /// Round-trip time to the sender (via the relay), for the NACK retry interval.
    void setRtt(Clock::Duration rtt) { m_rtt = rtt; }

    [[nodiscard]] bool needsKeyFrame() const { return m_needKeyFrame; }
    [[nodiscard]] const VideoReceiveCounters& counters() const { return m_counters; }

private:
    enum class SlotState : std::uint8_t { Empty, Missing, Present };
    struct Slot {
        SlotState state = SlotState::Empty;
        bool marker = false;
        bool frameStart = false;
        bool keyFrame = false;
        int nacks = 0;
        std::uint16_t width = 0;
        std::uint16_t height = 0;
        std::optional<std::uint16_t> pictureId;
        std::uint32_t rtpTimestamp = 0;
        std::int64_t sequence = 0; ///< extended
        std::size_t size = 0;
        Clock::TimePoint missingSince{};
        Clock::TimePoint lastNackAt{};
        Clock::TimePoint arrivedAt{};
        std::array<std::uint8_t, wire::kMaxDatagramBytes> bytes{}; ///< VP8 data only
    };

    [[nodiscard]] Slot& slot(std::int64_t sequence) {
        return m_slots[static_cast<std::size_t>(sequence) & m_mask];
    }
    [[nodiscard]] std::int64_t unwrap(std::uint16_t sequence) const;
    /// The end (extended sequence of the marker packet) of the complete frame starting at
    /// `start`, if it is complete.
    [[nodiscard]] std::optional<std::int64_t> completeFrameEnd(std::int64_t start);
    void take(std::int64_t start, std::int64_t end, AssembledVideoFrame& out);
    /// Clears [m_next, to) and moves m_next there, counting the frames it drops.
    void discardUntil(std::int64_t to);
    [[nodiscard]] bool givenUp(const Slot& missing) const;
    [[nodiscard]] Clock::Duration retryInterval() const;
    void reset(std::int64_t sequence);
    /// From now on a key frame is needed (nothing older than what is here yet can help).
    void needKeyFrame();
    /// Marks [from, to) as missing since `now`.
    void markMissing(std::int64_t from, std::int64_t to, Clock::TimePoint now);

    const Clock& m_clock;
    VideoAssemblerConfig m_config;
    std::vector<Slot> m_slots;
    std::size_t m_mask;
    bool m_started = false;
    std::int64_t m_next = 0;    ///< first sequence not yet consumed
    std::int64_t m_highest = 0; ///< highest sequence seen
    bool m_consumed = false;    ///< a frame was taken or dropped (m_next only moves forward)
    bool m_needKeyFrame = true;
    /// When a key frame became needed: m_highest + 1 then (older packets are not NACKed).
    std::int64_t m_needKeyFrameFrom = 0;
    /// The start of the newest key frame seen (extended sequence number), if any.
    std::optional<std::int64_t> m_newestKeyFrame;
    std::optional<Clock::TimePoint> m_lastKeyFrameRequest;
    std::optional<std::uint16_t> m_lastPictureId;
    Clock::Duration m_rtt{0};
    VideoReceiveCounters m_counters;
};

} // namespace diyuma::core
