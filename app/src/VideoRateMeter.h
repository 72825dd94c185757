#pragma once
// The frame rate and bitrate of each remote participant's video over the last couple of
// seconds, from successive CallStats (which count from the start of the call: an average over
// the whole call hides a layer switch a minute ago). The details dialog feeds it each snapshot.
//
// Plain C++ (no Qt). Thread: one thread (the GUI thread).

#include "diyuma/session/CallStats.h"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>

namespace diyuma::app {

class VideoRateMeter {
public:
    /// Rates are measured over about this long.
    static constexpr std::int64_t kWindowMs = 2000;
    /// A rate needs samples at least this far apart.
    static constexpr std::int64_t kMinSpanMs = 1000;

    struct Rates {
        double framesPerSecond = 0; ///< pictures decoded
        double bitrateBps = 0;      ///< whole RTP packets, headers included
    };

    /// The figures of `stats` at `nowMs` (a steady clock, in ms).
    void add(std::int64_t nowMs, const core::CallStats& stats);
    /// Over the last kWindowMs, or nothing while there are not kMinSpanMs of samples.
    [[nodiscard]] std::optional<Rates> ratesOf(std::uint32_t participantId) const;
    void clear() { m_samples.clear(); }

private:
    struct Sample {
        std::int64_t atMs = 0;
        std::uint64_t frames = 0;
        std::uint64_t rtpBytes = 0;
    };
    std::map<std::uint32_t, std::deque<Sample>> m_samples;
};

} // namespace diyuma::app
