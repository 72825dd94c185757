#pragma once
// Sums several participants' audio into one block with headroom.
//
// The sum is formed in int32, so nothing wraps. While it stays within int16 range (and the
// limiter is at rest) the output is the exact sum: a single input passes unchanged. When the
// sum would exceed full scale, a limiter reduces the gain smoothly: fast attack (the gain
// ramps down over ~1 ms ahead of a peak inside the block), a hold of kHoldSeconds, then a
// slow release (time constant kReleaseSeconds); a per-sample bound guarantees that no sample
// ever clips.
//
// Thread: one thread (the media thread). mix() never allocates.

#include "diyuma/audio/AudioFormat.h"

#include <array>
#include <cstdint>
#include <span>

namespace diyuma::core {

class Mixer {
public:
    static constexpr double kAttackSeconds = 0.001;
    static constexpr double kHoldSeconds = 0.05;
    static constexpr double kReleaseSeconds = 0.25;

    Mixer();

    /// Writes the limited sum of `inputs` into `out` (any length; inputs shorter than `out`
    /// count as silence after their end). No inputs: silence. Spans are caller-owned.
    void mix(std::span<const std::span<const std::int16_t>> inputs, std::span<std::int16_t> out);

    /// Current limiter gain (1.0 = not limiting).
    [[nodiscard]] double gain() const { return m_gain; }
    /// Output samples so far in which the limiter reduced the gain.
    [[nodiscard]] std::uint64_t limitedSamples() const { return m_limitedSamples; }

private:
    void mixChunk(std::span<const std::span<const std::int16_t>> inputs, std::size_t offset,
                  std::span<std::int16_t> out);

    double m_gain = 1.0;
    double m_attackSamples;    ///< length of the gain ramp before a peak
    std::size_t m_holdSamples; ///< no release for this long after limiting
    std::size_t m_holdLeft = 0;
    double m_releaseCoeff; ///< per-sample approach of the gain towards 1
    std::uint64_t m_limitedSamples = 0;
    std::array<std::int32_t, kBlockSamples> m_sum{};
    std::array<double, kBlockSamples> m_maxGain{};
};

} // namespace diyuma::core
