#include "diyuma/video/VideoFrameAssembler.h"

#include "diyuma/wire/Vp8Payload.h"

#include <algorithm>
#include <bit>
#include <cassert>

namespace diyuma::core {

namespace {
/// The first extended sequence number: far from 0 so that packets reordered before the
/// first one unwrap to positive numbers too.
constexpr std::int64_t kFirstExtended = std::int64_t{1} << 32;
/// At most this many sequence numbers are requested per collectNacks() call.
constexpr std::size_t kMaxNacksPerCall = 256;
} // namespace

VideoFrameAssembler::VideoFrameAssembler(const Clock& clock, VideoAssemblerConfig config)
    : m_clock(clock), m_config(config),
      m_slots(std::bit_ceil(std::max<std::size_t>(config.capacityPackets, 64))),
      m_mask(m_slots.size() - 1) {}

std::int64_t VideoFrameAssembler::unwrap(std::uint16_t sequence) const {
    const auto delta = static_cast<std::int16_t>(sequence - static_cast<std::uint16_t>(m_highest));
    return m_highest + delta;
}

void VideoFrameAssembler::reset(std::int64_t sequence) {
    for (std::int64_t s = m_next; s <= m_highest; ++s)
        slot(s).state = SlotState::Empty;
    m_next = sequence;
    m_highest = sequence - 1;
    m_consumed = true; // what came before the jump is gone
    m_newestKeyFrame.reset();
    needKeyFrame();
}

void VideoFrameAssembler::needKeyFrame() {
    m_needKeyFrame = true;
    m_needKeyFrameFrom = m_highest + 1;
}

void VideoFrameAssembler::markMissing(std::int64_t from, std::int64_t to, Clock::TimePoint now) {
    for (std::int64_t s = from; s < to; ++s) {
        Slot& gap = slot(s);
        gap.state = SlotState::Missing;
        gap.sequence = s;
        gap.nacks = 0;
        gap.missingSince = now;
    }
}

void VideoFrameAssembler::insert(std::uint16_t sequence, std::uint32_t rtpTimestamp, bool marker,
                                 std::span<const std::uint8_t> payload) {
    wire::Vp8Descriptor descriptor;
    std::size_t descriptorBytes = 0;
    if (wire::parseVp8Descriptor(payload, descriptor, descriptorBytes) != wire::ParseError::None) {
        ++m_counters.packetsMalformed;
        return;
    }
    const auto vp8 = payload.subspan(descriptorBytes);
    std::optional<wire::Vp8FrameHeader> header;
    if (descriptor.startsFrame()) {
        header = wire::parseVp8FrameHeader(vp8);
        if (!header) {
            ++m_counters.packetsMalformed;
            return;
        }
    }
    const auto now = m_clock.now();
    if (!m_started) {
        m_started = true;
        m_next = kFirstExtended + sequence;
        m_highest = m_next - 1;
    }
    const std::int64_t ext = unwrap(sequence);
    if (ext < m_next && !m_consumed &&
        m_highest - ext < static_cast<std::int64_t>(m_slots.size())) {
        // Nothing taken yet: a packet reordered before the first one we saw still counts.
        markMissing(ext + 1, m_next, now);
        m_next = ext;
    }
    if (m_next - ext >= static_cast<std::int64_t>(m_slots.size())) {
        // Far behind what we expect: not a late packet but a stream that jumped (more than
        // half the sequence space went by unseen, e.g. while private view withheld it).
        ++m_counters.bufferResets;
        reset(ext);
    }
    if (ext < m_next) {
        ++m_counters.packetsLate;
        return;
    }
    if (ext - m_next >= static_cast<std::int64_t>(m_slots.size())) {
        // Beyond the ring: a long outage or a sender restart. Start over from this packet.
        ++m_counters.bufferResets;
        reset(ext);
    }
    markMissing(m_highest + 1, ext, now);
    m_highest = std::max(m_highest, ext);

    Slot& target = slot(ext);
    if (target.state == SlotState::Present && target.sequence == ext) {
        ++m_counters.packetsDuplicate;
        return;
    }
    if (target.state == SlotState::Missing && target.nacks > 0)
        ++m_counters.packetsRecovered;
    ++m_counters.packetsReceived;
    target.state = SlotState::Present;
    target.sequence = ext;
    target.rtpTimestamp = rtpTimestamp;
    target.marker = marker;
    target.frameStart = descriptor.startsFrame();
    target.keyFrame = header && header->keyFrame;
    target.width = header ? header->width : 0;
    target.height = header ? header->height : 0;
    target.pictureId = descriptor.pictureId;
    target.size = std::min(vp8.size(), target.bytes.size());
    std::copy_n(vp8.begin(), target.size, target.bytes.begin());
    target.arrivedAt = now;
    if (target.keyFrame && (!m_newestKeyFrame || ext > *m_newestKeyFrame))
        m_newestKeyFrame = ext;
}

std::optional<std::int64_t> VideoFrameAssembler::completeFrameEnd(std::int64_t start) {
    const Slot& first = slot(start);
    if (first.state != SlotState::Present || !first.frameStart)
        return std::nullopt;
    for (std::int64_t s = start; s <= m_highest; ++s) {
        const Slot& part = slot(s);
        if (part.state != SlotState::Present || part.rtpTimestamp != first.rtpTimestamp)
            return std::nullopt;
        if (s != start && part.frameStart)
            return std::nullopt; // a new frame began before this one's marker: broken
        if (part.marker)
            return s;
    }
    return std::nullopt;
}

void VideoFrameAssembler::take(std::int64_t start, std::int64_t end, AssembledVideoFrame& out) {
    const Slot& first = slot(start);
    out.data.clear();
    out.rtpTimestamp = first.rtpTimestamp;
    out.keyFrame = first.keyFrame;
    out.width = first.width;
    out.height = first.height;
    out.pictureId = first.pictureId;
    out.completedAt = first.arrivedAt;
    for (std::int64_t s = start; s <= end; ++s) {
        Slot& part = slot(s);
        out.data.insert(out.data.end(), part.bytes.begin(),
                        part.bytes.begin() + static_cast<std::ptrdiff_t>(part.size));
        out.completedAt = std::max(out.completedAt, part.arrivedAt);
        part.state = SlotState::Empty;
    }
    m_next = end + 1;
    m_consumed = true;
    m_lastPictureId = first.pictureId;
    ++m_counters.framesAssembled;
    if (out.keyFrame)
        ++m_counters.keyFrames;
}

void VideoFrameAssembler::discardUntil(std::int64_t to) {
    for (std::int64_t s = m_next; s < to; ++s) {
        Slot& dropped = slot(s);
        if (dropped.state == SlotState::Present && dropped.frameStart)
            ++m_counters.framesDropped;
        dropped.state = SlotState::Empty;
    }
    m_next = to;
    m_consumed = true;
}

Clock::Duration VideoFrameAssembler::retryInterval() const {
    return std::max(m_config.minRetryInterval, m_rtt + m_rtt / 4);
}

bool VideoFrameAssembler::givenUp(const Slot& missing) const {
    const auto now = m_clock.now();
    if (now - missing.missingSince >= m_config.maxWaitForLost)
        return true;
    return missing.nacks >= m_config.maxNackRetries && now - missing.lastNackAt >= retryInterval();
}

bool VideoFrameAssembler::popFrame(AssembledVideoFrame& out) {
    if (!m_started)
        return false;
    for (;;) {
        if (m_next > m_highest)
            return false;
        if (m_needKeyFrame) {
            // The earliest complete key frame; everything before it goes.
            for (std::int64_t s = m_next; s <= m_highest; ++s) {
                const Slot& candidate = slot(s);
                if (candidate.state != SlotState::Present || !candidate.keyFrame)
                    continue;
                if (auto end = completeFrameEnd(s)) {
                    discardUntil(s);
                    m_needKeyFrame = false;
                    take(s, *end, out);
                    return true;
                }
            }
            return false;
        }
        const Slot& head = slot(m_next);
        if (head.state == SlotState::Present && head.frameStart) {
            if (auto end = completeFrameEnd(m_next)) {
                take(m_next, *end, out);
                return true;
            }
        }
        // The head is missing, or a frame's middle whose start we lost, or an incomplete
        // frame. Across a gap, the next frame is still decodable if its picture ID follows the
        // last one: the gap was no part of any frame.
        std::int64_t nextStart = -1;
        for (std::int64_t s = m_next + 1; s <= m_highest; ++s) {
            const Slot& candidate = slot(s);
            if (candidate.state == SlotState::Present && candidate.frameStart) {
                nextStart = s;
                break;
            }
        }
        if (head.state != SlotState::Present && nextStart >= 0 && m_lastPictureId &&
            slot(nextStart).pictureId &&
            *slot(nextStart).pictureId == ((*m_lastPictureId + 1) & wire::kVp8PictureIdMask)) {
            bool onlyGap = true; // nothing of a frame may be present in between
            for (std::int64_t s = m_next; s < nextStart; ++s)
                onlyGap = onlyGap && slot(s).state != SlotState::Present;
            if (onlyGap && completeFrameEnd(nextStart)) {
                discardUntil(nextStart);
                continue;
            }
        }
        // Otherwise wait for the current frame's missing packets, unless one of them is given
        // up on, or nothing is missing and still the frame cannot complete (its start never
        // came, or the sender broke it off).
        const std::int64_t currentEnd = nextStart >= 0 ? nextStart - 1 : m_highest;
        bool anyMissing = false;
        bool lost = false;
        for (std::int64_t s = m_next; s <= currentEnd && !lost; ++s) {
            const Slot& part = slot(s);
            if (part.state == SlotState::Missing) {
                anyMissing = true;
                lost = givenUp(part);
            }
        }
        if (!anyMissing && nextStart >= 0)
            lost = true;
        if (!lost) {
            // Waiting; unless a complete key frame further on makes the wait pointless.
            if (!m_newestKeyFrame || *m_newestKeyFrame <= m_next)
                return false;
            const auto keyEnd = completeFrameEnd(*m_newestKeyFrame);
            if (!keyEnd)
                return false;
            discardUntil(*m_newestKeyFrame);
            take(*m_newestKeyFrame, *keyEnd, out);
            return true;
        }
        ++m_counters.gapsGivenUp;
        needKeyFrame();
    }
}

void VideoFrameAssembler::collectNacks(std::vector<std::uint16_t>& out) {
    if (!m_started)
        return;
    const auto now = m_clock.now();
    const auto retry = retryInterval();
    std::size_t added = 0;
    std::int64_t from = m_next;
    if (m_newestKeyFrame && *m_newestKeyFrame > from)
        from = *m_newestKeyFrame;
    else if (m_needKeyFrame)
        from = std::max(from, m_needKeyFrameFrom);
    for (std::int64_t s = from; s <= m_highest && added < kMaxNacksPerCall; ++s) {
        Slot& missing = slot(s);
        if (missing.state != SlotState::Missing || missing.nacks >= m_config.maxNackRetries)
            continue;
        const bool due = missing.nacks == 0 ? now - missing.missingSince >= m_config.reorderDelay
                                            : now - missing.lastNackAt >= retry;
        if (!due)
            continue;
        ++missing.nacks;
        missing.lastNackAt = now;
        out.push_back(static_cast<std::uint16_t>(s));
        ++added;
    }
    m_counters.nacksSent += added;
}

bool VideoFrameAssembler::takeKeyFrameRequest() {
    if (!m_started || !m_needKeyFrame)
        return false;
    const auto now = m_clock.now();
    if (m_lastKeyFrameRequest && now - *m_lastKeyFrameRequest < m_config.keyFrameRequestInterval)
        return false;
    m_lastKeyFrameRequest = now;
    ++m_counters.keyFrameRequests;
    return true;
}

void VideoFrameAssembler::requestKeyFrame() {
    needKeyFrame();
}

} // namespace diyuma::core
