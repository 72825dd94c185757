#include "ClickTrack.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numbers>

namespace diyuma::bench {

namespace {

std::size_t msToSamples(double ms) {
    return static_cast<std::size_t>(std::llround(ms * kSampleRateHz / 1000.0));
}

} // namespace

std::vector<std::int16_t> makeClickTrack(const ClickTrackConfig& config) {
    std::vector<std::int16_t> samples(msToSamples(config.durationS * 1000.0), 0);
    const std::size_t chirpSamples = msToSamples(config.chirpMs);
    const std::size_t fadeSamples = std::max<std::size_t>(1, msToSamples(config.fadeMs));
    const double chirpS = static_cast<double>(chirpSamples) / kSampleRateHz;
    const double sweepRate = (config.endHz - config.startHz) / chirpS; // Hz per second
    for (double onsetMs = config.firstClickMs;; onsetMs += config.periodMs) {
        const std::size_t onset = msToSamples(onsetMs);
        if (onset + chirpSamples > samples.size())
            break;
        for (std::size_t i = 0; i < chirpSamples; ++i) {
            const double t = static_cast<double>(i) / kSampleRateHz;
            // Linear chirp: phase = 2 pi (f0 t + k t^2 / 2).
            const double phase =
                2.0 * std::numbers::pi * (config.startHz * t + 0.5 * sweepRate * t * t);
            double gain = 1.0;
            const std::size_t fromEnd = chirpSamples - 1 - i;
            if (i < fadeSamples || fromEnd < fadeSamples) {
                const double x =
                    static_cast<double>(std::min(i, fromEnd)) / static_cast<double>(fadeSamples);
                gain = 0.5 - 0.5 * std::cos(std::numbers::pi * x);
            }
            samples[onset + i] = static_cast<std::int16_t>(
                std::lround(32767.0 * config.amplitude * gain * std::sin(phase)));
        }
    }
    return samples;
}

std::vector<std::size_t> findOnsets(const std::vector<std::int16_t>& samples,
                                    const OnsetConfig& config) {
    int peak = 0;
    for (const auto s : samples)
        peak = std::max(peak, std::abs(static_cast<int>(s)));
    std::vector<std::size_t> onsets;
    if (peak == 0)
        return onsets;
    const double threshold = config.thresholdFraction * peak;
    const std::size_t quiet = msToSamples(config.quietMs);
    std::optional<std::size_t> lastLoud;
    for (std::size_t i = 0; i < samples.size(); ++i) {
        if (std::abs(static_cast<int>(samples[i])) < threshold)
            continue;
        if (!lastLoud || i - *lastLoud > quiet)
            onsets.push_back(i);
        lastLoud = i;
    }
    return onsets;
}

std::vector<MatchedClick> matchClicks(const std::vector<std::size_t>& sentOnsets,
                                      double sendStartUnixMs,
                                      const std::vector<std::size_t>& heardOnsets,
                                      double recordStartUnixMs, double maxLatencyMs) {
    const auto toMs = [](std::size_t sample) {
        return static_cast<double>(sample) * 1000.0 / kSampleRateHz;
    };
    std::vector<MatchedClick> matches;
    std::vector<bool> used(sentOnsets.size(), false);
    for (const auto heard : heardOnsets) {
        const double heardMs = recordStartUnixMs + toMs(heard);
        // The latest chirp sent before this one was heard.
        std::optional<std::size_t> best;
        for (std::size_t k = 0; k < sentOnsets.size(); ++k) {
            const double sentMs = sendStartUnixMs + toMs(sentOnsets[k]);
            if (sentMs <= heardMs && heardMs - sentMs <= maxLatencyMs)
                best = k;
        }
        if (!best || used[*best])
            continue;
        used[*best] = true;
        matches.push_back({*best, sendStartUnixMs + toMs(sentOnsets[*best]), heardMs});
    }
    return matches;
}

std::optional<double> quantile(std::vector<double> values, double p) {
    if (values.empty())
        return std::nullopt;
    std::sort(values.begin(), values.end());
    const double position = p * static_cast<double>(values.size() - 1);
    const auto below = static_cast<std::size_t>(std::floor(position));
    const auto above = std::min(below + 1, values.size() - 1);
    const double fraction = position - static_cast<double>(below);
    return values[below] + fraction * (values[above] - values[below]);
}

} // namespace diyuma::bench
