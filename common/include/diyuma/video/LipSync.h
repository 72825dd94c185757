#pragma once
// Lip sync for one remote participant: how long to hold a decoded video picture so that it is
// shown with the audio captured at the same moment.
//
// Both of the sender's streams carry RTP timestamps on clocks of their own (audio 48 kHz,
// video 90 kHz, random bases); its RTCP sender reports map each to its wall clock (RFC 3550
// section 6.4.1). With them a picture's capture time and the capture time of the audio playing
// now are on one clock, the sender's, and
//
//     hold = capture(picture) - capture(audio playing now)
//
// is how much later than now the picture should be shown; the receiver's own clock and the
// offset between the machines do not enter. Audio usually takes longer (jitter buffer) than
// video (decode at once), so the hold is positive and video waits; when video is the later
// one the picture is shown at once (audio is never delayed for video). Unknown (no reports
// yet, no audio playing for a while): no hold. The hold is capped at kMaxHold.
//
// Thread: one thread (the media thread). Pure: times are passed in.

#include "diyuma/util/Clock.h"

#include <chrono>
#include <cstdint>
#include <optional>

namespace diyuma::core {

/// One stream's RTP clock against the sender's wall clock, from its last sender report.
class RtpWallClock {
public:
    explicit RtpWallClock(int clockHz) : m_clockHz(clockHz) {}
    void onSenderReport(std::uint32_t rtpTimestamp, std::int64_t unixMs);
    /// The sender's wall-clock time (Unix ms) of `rtpTimestamp`, if a report has come.
    [[nodiscard]] std::optional<double> unixMsOf(std::uint32_t rtpTimestamp) const;

private:
    int m_clockHz;
    std::optional<std::uint32_t> m_rtp;
    std::int64_t m_unixMs = 0;
};

class LipSync {
public:
    static constexpr auto kMaxHold = std::chrono::milliseconds(400);
    /// Audio last played this long ago (its jitter buffer went idle) holds video no more.
    static constexpr auto kAudioStale = std::chrono::milliseconds(500);

    void onAudioSenderReport(std::uint32_t rtpTimestamp, std::int64_t unixMs) {
        m_audio.onSenderReport(rtpTimestamp, unixMs);
    }
    void onVideoSenderReport(std::uint32_t rtpTimestamp, std::int64_t unixMs) {
        m_video.onSenderReport(rtpTimestamp, unixMs);
    }
    /// Audio is being played: `rtpTimestamp` is the next sample to play, at `now`.
    void onAudioPlayed(std::uint32_t rtpTimestamp, Clock::TimePoint now);
    /// How long after `now` the picture with `videoRtpTimestamp` should be shown.
    [[nodiscard]] Clock::Duration holdFor(std::uint32_t videoRtpTimestamp,
                                          Clock::TimePoint now) const;

private:
    RtpWallClock m_audio{48000};
    RtpWallClock m_video{90000};
    std::optional<std::uint32_t> m_playedTimestamp;
    Clock::TimePoint m_playedAt{};
};

} // namespace diyuma::core
