#include "diyuma/audio/Mixer.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace diyuma::core {

namespace {
// The largest gain that keeps `sum` inside int16: asymmetric because -32768 is representable.
double maxGainFor(std::int32_t sum) {
    if (sum > 32767)
        return 32767.0 / sum;
    if (sum < -32768)
        return -32768.0 / sum;
    return 1.0;
}
} // namespace

Mixer::Mixer()
    : m_attackSamples(kAttackSeconds * kSampleRateHz),
      m_holdSamples(static_cast<std::size_t>(kHoldSeconds * kSampleRateHz)),
      m_releaseCoeff(1.0 - std::exp(-1.0 / (kReleaseSeconds * kSampleRateHz))) {}

void Mixer::mix(std::span<const std::span<const std::int16_t>> inputs,
                std::span<std::int16_t> out) {
    // Chunks of one block keep the scratch buffers fixed-size (no allocation here).
    for (std::size_t offset = 0; offset < out.size(); offset += m_sum.size()) {
        const std::size_t n = std::min(m_sum.size(), out.size() - offset);
        mixChunk(inputs, offset, out.subspan(offset, n));
    }
}

void Mixer::mixChunk(std::span<const std::span<const std::int16_t>> inputs, std::size_t offset,
                     std::span<std::int16_t> out) {
    const std::size_t n = out.size();
    auto sum = std::span(m_sum).first(n);
    std::fill(sum.begin(), sum.end(), 0);
    for (const auto& input : inputs) {
        if (input.size() <= offset)
            continue;
        const std::size_t count = std::min(n, input.size() - offset);
        for (std::size_t i = 0; i < count; ++i)
            sum[i] += input[offset + i];
    }

    bool overflow = false;
    for (std::int32_t s : sum)
        overflow = overflow || s > 32767 || s < -32768;
    if (!overflow && m_gain >= 1.0) {
        // The common case: exact sum, bit for bit.
        for (std::size_t i = 0; i < n; ++i)
            out[i] = static_cast<std::int16_t>(sum[i]);
        return;
    }

    // Per-sample ceiling, then a backward pass so the gain starts falling up to 1 ms before
    // a peak inside the chunk (attack without added latency: the chunk is our lookahead). The
    // slope is scaled to the dip needed, so small and large reductions both take ~1 ms.
    auto ceiling = std::span(m_maxGain).first(n);
    double lowest = 1.0;
    for (std::size_t i = 0; i < n; ++i) {
        ceiling[i] = maxGainFor(sum[i]);
        lowest = std::min(lowest, ceiling[i]);
    }
    const double step = std::max(1e-9, (m_gain - lowest) / m_attackSamples);
    for (std::size_t i = n - 1; i-- > 0;)
        ceiling[i] = std::min(ceiling[i], ceiling[i + 1] + step);

    for (std::size_t i = 0; i < n; ++i) {
        if (ceiling[i] < m_gain) {
            m_gain = ceiling[i]; // attack (already smoothed above)
            m_holdLeft = m_holdSamples;
        } else if (m_holdLeft > 0) {
            // Hold the gain between the peaks of a sustained overload: releasing and
            // re-attacking every cycle would modulate (distort) the signal.
            --m_holdLeft;
        } else {
            m_gain = std::min(ceiling[i], m_gain + (1.0 - m_gain) * m_releaseCoeff);
            if (m_gain > 0.99999 && ceiling[i] >= 1.0)
                m_gain = 1.0; // settle exactly, so later quiet sums are bit-exact again
        }
        if (m_gain < 1.0)
            ++m_limitedSamples;
        const double v = std::round(sum[i] * m_gain);
        out[i] = static_cast<std::int16_t>(std::clamp(v, -32768.0, 32767.0));
    }
}

} // namespace diyuma::core
