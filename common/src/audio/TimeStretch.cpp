#include "diyuma/audio/TimeStretch.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace diyuma::core {

namespace {

// Below this energy over the overlap (about 1 LSB RMS) a segment counts as silence: any shift
// fits, so the largest one is taken.
constexpr double kSilentEnergy = static_cast<double>(kOverlapSamples);

// The shift in [minShift, maxShift] where in[0, L) and in[n, n+L) correlate best (normalised).
std::size_t bestShift(std::span<const std::int16_t> in, std::size_t minShift,
                      std::size_t maxShift) {
    constexpr std::size_t kL = kOverlapSamples;
    double e0 = 0;
    for (std::size_t i = 0; i < kL; ++i)
        e0 += static_cast<double>(in[i]) * in[i];
    double en = 0; // energy of in[n, n+L), slid along with n
    for (std::size_t i = 0; i < kL; ++i)
        en += static_cast<double>(in[minShift + i]) * in[minShift + i];
    if (e0 < kSilentEnergy)
        return maxShift;
    std::size_t best = maxShift;
    double bestScore = -2.0;
    for (std::size_t n = minShift; n <= maxShift; ++n) {
        if (n > minShift) {
            const double out = in[n - 1];
            const double inNew = in[n + kL - 1];
            en += inNew * inNew - out * out;
        }
        if (en < kSilentEnergy) {
            // Silence after a sound: fading into it is as good as it gets.
            if (bestScore < 0.0) {
                best = n;
                bestScore = 0.0;
            }
            continue;
        }
        double cross = 0;
        for (std::size_t i = 0; i < kL; ++i)
            cross += static_cast<double>(in[i]) * in[n + i];
        const double score = cross / std::sqrt(e0 * en);
        // Ties go to the larger shift: more effect for the same quality.
        if (score >= bestScore) {
            bestScore = score;
            best = n;
        }
    }
    return best;
}

std::int16_t blend(std::int16_t from, std::int16_t to, std::size_t i) {
    // Raised-cosine weights: the fade itself adds no corner.
    const double w = 0.5 - 0.5 * std::cos(std::numbers::pi * (static_cast<double>(i) + 0.5) /
                                          static_cast<double>(kOverlapSamples));
    const double v = std::round(from * (1.0 - w) + to * w);
    return static_cast<std::int16_t>(std::clamp(v, -32768.0, 32767.0));
}

bool usable(std::span<const std::int16_t> in, std::size_t& minShift, std::size_t& maxShift) {
    if (minShift == 0 || in.size() < kOverlapSamples + minShift)
        return false;
    maxShift = std::min(maxShift, in.size() - kOverlapSamples);
    return maxShift >= minShift;
}

} // namespace

std::size_t shortenFrame(std::span<const std::int16_t> in, std::size_t minShift,
                         std::size_t maxShift, std::span<std::int16_t> out) {
    if (!usable(in, minShift, maxShift)) {
        std::copy(in.begin(), in.end(), out.begin());
        return in.size();
    }
    const std::size_t n = bestShift(in, minShift, maxShift);
    for (std::size_t i = 0; i < kOverlapSamples; ++i)
        out[i] = blend(in[i], in[n + i], i);
    std::copy(in.begin() + static_cast<std::ptrdiff_t>(n + kOverlapSamples), in.end(),
              out.begin() + static_cast<std::ptrdiff_t>(kOverlapSamples));
    return in.size() - n;
}

std::size_t lengthenFrame(std::span<const std::int16_t> in, std::size_t minShift,
                          std::size_t maxShift, std::span<std::int16_t> out) {
    if (!usable(in, minShift, maxShift)) {
        std::copy(in.begin(), in.end(), out.begin());
        return in.size();
    }
    const std::size_t n = bestShift(in, minShift, maxShift);
    std::copy(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n), out.begin());
    for (std::size_t i = 0; i < kOverlapSamples; ++i)
        out[n + i] = blend(in[n + i], in[i], i);
    std::copy(in.begin() + static_cast<std::ptrdiff_t>(kOverlapSamples), in.end(),
              out.begin() + static_cast<std::ptrdiff_t>(n + kOverlapSamples));
    return in.size() + n;
}

} // namespace diyuma::core
