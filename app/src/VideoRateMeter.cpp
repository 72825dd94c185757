#include "VideoRateMeter.h"

namespace diyuma::app {

void VideoRateMeter::add(std::int64_t nowMs, const core::CallStats& stats) {
    std::map<std::uint32_t, std::deque<Sample>> kept;
    for (const auto& remote : stats.remotes) {
        if (!remote.present || !remote.video)
            continue;
        auto samples = std::move(m_samples[remote.participantId]);
        const Sample sample{nowMs, remote.video->framesDecoded, remote.video->rtpBytesReceived};
        // Counts only grow; anything else is a participant we lost track of: start again.
        if (!samples.empty() &&
            (sample.frames < samples.back().frames || sample.rtpBytes < samples.back().rtpBytes ||
             sample.atMs < samples.back().atMs))
            samples.clear();
        samples.push_back(sample);
        // Keep one sample at or before the window's start, so the span covers the window.
        while (samples.size() > 2 && samples[1].atMs <= nowMs - kWindowMs)
            samples.pop_front();
        kept[remote.participantId] = std::move(samples);
    }
    m_samples = std::move(kept);
}

std::optional<VideoRateMeter::Rates> VideoRateMeter::ratesOf(std::uint32_t participantId) const {
    const auto it = m_samples.find(participantId);
    if (it == m_samples.end() || it->second.size() < 2)
        return std::nullopt;
    const Sample& first = it->second.front();
    const Sample& last = it->second.back();
    const std::int64_t spanMs = last.atMs - first.atMs;
    if (spanMs < kMinSpanMs)
        return std::nullopt;
    const double seconds = static_cast<double>(spanMs) / 1000.0;
    return Rates{static_cast<double>(last.frames - first.frames) / seconds,
                 static_cast<double>(last.rtpBytes - first.rtpBytes) * 8.0 / seconds};
}

} // namespace diyuma::app
