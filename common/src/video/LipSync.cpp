#include "diyuma/video/LipSync.h"

#include <algorithm>

namespace diyuma::core {

void RtpWallClock::onSenderReport(std::uint32_t rtpTimestamp, std::int64_t unixMs) {
    m_rtp = rtpTimestamp;
    m_unixMs = unixMs;
}

std::optional<double> RtpWallClock::unixMsOf(std::uint32_t rtpTimestamp) const {
    if (!m_rtp)
        return std::nullopt;
    // Signed difference: timestamps a little before the report are as good as after it, and
    // the 32-bit wrap is a non-event (13 hours of audio, 6.6 of video, either side).
    const auto ticks = static_cast<std::int32_t>(rtpTimestamp - *m_rtp);
    return static_cast<double>(m_unixMs) + ticks * 1000.0 / m_clockHz;
}

void LipSync::onAudioPlayed(std::uint32_t rtpTimestamp, Clock::TimePoint now) {
    m_playedTimestamp = rtpTimestamp;
    m_playedAt = now;
}

Clock::Duration LipSync::holdFor(std::uint32_t videoRtpTimestamp, Clock::TimePoint now) const {
    if (!m_playedTimestamp || now - m_playedAt > kAudioStale)
        return Clock::Duration::zero();
    const auto picture = m_video.unixMsOf(videoRtpTimestamp);
    const auto played = m_audio.unixMsOf(*m_playedTimestamp);
    if (!picture || !played)
        return Clock::Duration::zero();
    // The audio plays on in real time since it was last noted.
    const double playingNow =
        *played + std::chrono::duration<double, std::milli>(now - m_playedAt).count();
    const auto hold = std::chrono::duration_cast<Clock::Duration>(
        std::chrono::duration<double, std::milli>(*picture - playingNow));
    return std::clamp<Clock::Duration>(hold, Clock::Duration::zero(), kMaxHold);
}

} // namespace diyuma::core
