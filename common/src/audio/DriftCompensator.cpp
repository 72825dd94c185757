#include "diyuma/audio/DriftCompensator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

namespace diyuma::core {

namespace {

constexpr int kTaps = 32;
constexpr int kHalf = kTaps / 2; // an output at position p uses in[floor(p) - 15 .. + 16]
constexpr int kHistory = kHalf - 1;
constexpr int kPhases = 512;
constexpr double kCutoff = 0.92; // of Nyquist: a little below it, the window is short
constexpr double kKaiserBeta = 8.0;

double besselI0(double x) {
    double sum = 1;
    double term = 1;
    for (int k = 1; k < 40; ++k) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        if (term < 1e-12 * sum)
            break;
    }
    return sum;
}

/// kPhases + 1 rows of kTaps coefficients: row ph is the kernel for the fractional position
/// ph / kPhases, tap j weighs in[floor(p) + j - 15]. Each row sums to 1 (DC passes exactly).
struct Kernel {
    std::array<std::array<float, kTaps>, kPhases + 1> rows{};
    Kernel() {
        const double i0Beta = besselI0(kKaiserBeta);
        for (int ph = 0; ph <= kPhases; ++ph) {
            const double frac = static_cast<double>(ph) / kPhases;
            std::array<double, kTaps> h{};
            double sum = 0;
            for (int j = 0; j < kTaps; ++j) {
                const double x = (j - kHistory) - frac; // in [-16, 16]
                const double arg = std::numbers::pi * kCutoff * x;
                const double sinc = x == 0 ? 1.0 : std::sin(arg) / arg;
                const double r = x / kHalf;
                const double w =
                    besselI0(kKaiserBeta * std::sqrt(std::max(0.0, 1 - r * r))) / i0Beta;
                h[j] = sinc * w;
                sum += h[j];
            }
            for (int j = 0; j < kTaps; ++j)
                rows[ph][j] = static_cast<float>(h[j] / sum);
        }
    }
};

const Kernel& kernel() {
    static const Kernel k; // built once, on first use (thread-safe static initialisation)
    return k;
}

/// Raised-cosine weights 1 -> 0 over kDeclickSamples.
struct DeclickCurve {
    std::array<float, DriftCompensator::kDeclickSamples> w{};
    DeclickCurve() {
        for (std::size_t k = 0; k < w.size(); ++k)
            w[k] =
                static_cast<float>(0.5 * (1 + std::cos(std::numbers::pi * static_cast<double>(k) /
                                                       static_cast<double>(w.size()))));
    }
};

const DeclickCurve& declickCurve() {
    static const DeclickCurve c;
    return c;
}

} // namespace

DriftCompensator::DriftCompensator(const DriftCompensatorConfig& config)
    : m_config(config), m_smoothedFill(static_cast<double>(config.targetFillSamples)) {
    // Loop: fill' = fs * (drift - (r - 1)), r - 1 = kp * e + ki * integral(e dt). The
    // closed loop s^2 + fs kp s + fs ki is critically damped at wn for these gains
    // (acquiring; tracking has its own, see track()).
    const double fs = m_config.sampleRateHz;
    const double wn = m_config.controllerBandwidthRad;
    m_kp = 2 * wn / fs;
    m_ki = wn * wn / fs;
    m_smoothing = m_config.fillSmoothingSeconds;

    const auto block = static_cast<double>(m_config.maxBlockSamples);
    // pull() needs up to block * r + taps; push() holds history plus one block.
    m_inCapacity =
        static_cast<std::size_t>(block * (1 + m_config.maxRatioDeviation)) + kTaps + kHistory + 32;
    m_in = std::make_unique<float[]>(m_inCapacity);
    m_scratchCapacity =
        static_cast<std::size_t>(block / (1 - m_config.maxRatioDeviation)) + kTaps + 8;
    m_scratch = std::make_unique<float[]>(m_scratchCapacity);
    m_scratch16 = std::make_unique<std::int16_t[]>(std::max(m_scratchCapacity, m_inCapacity));
    // Start with silence as history, the first output centred on the first real sample.
    m_inLength = kHistory;
    m_pos = kHistory;
    (void)kernel();
    (void)declickCurve();
}

DriftCompensator::~DriftCompensator() = default;

void DriftCompensator::updateController(double fill, std::size_t blockSamples) {
    const double target = static_cast<double>(m_config.targetFillSamples);
    const double instant = fill - target;
    // A fill far off the target is a disturbance (stall, refill) that the drop and refill
    // paths handle; it says nothing about the clocks, so the loop does not see it.
    // The proportional part is left out meanwhile: it would hold the ratio wherever the last
    // smoothed error put it, a pitch shift for as long as the disturbance lasts.
    if (std::abs(instant) > static_cast<double>(m_config.dropMarginSamples)) {
        holdDriftEstimate();
        return;
    }
    const double dt = static_cast<double>(blockSamples) / m_config.sampleRateHz;
    const double alpha = 1 - std::exp(-dt / m_smoothing);
    m_smoothedFill += alpha * (fill - m_smoothedFill);
    const double e = m_smoothedFill - target;
    if (m_tracking)
        track(e, dt);
    else
        acquire(e, dt);
}

void DriftCompensator::acquire(double e, double dt) {
    const double drift = m_drift + m_ki * e * dt;
    double u = m_kp * e + drift;
    const double limit = m_config.maxRatioDeviation;
    if (u > limit) {
        u = limit;
        if (e < 0)
            m_drift = drift; // only unwinding is allowed at the clamp
    } else if (u < -limit) {
        u = -limit;
        if (e > 0)
            m_drift = drift;
    } else {
        m_drift = drift;
    }
    m_ratio = 1 + u;
    m_inBandSeconds = std::abs(e) <= m_config.lockBandSamples ? m_inBandSeconds + dt : 0;
    if (m_inBandSeconds >= m_config.lockSeconds) {
        // Locked: the fill barely moves, so the ratio in use is the drift. Tracking starts
        // from it with the same ratio (no step in pitch) and works the offset off slowly.
        m_tracking = true;
        m_saturatedSeconds = 0;
        m_drift = u - trackingCorrection(e);
    }
}

double DriftCompensator::trackingCorrection(double e) const {
    return e / (m_config.trackingOffsetSeconds * m_config.sampleRateHz);
}

void DriftCompensator::track(double e, double dt) {
    // Overdamped PI: e' = -e / T_offset, the drift following with T_drift.
    const double wanted = trackingCorrection(e);
    const double maxCorrection = m_config.maxTrackingCorrection;
    const double correction = std::clamp(wanted, -maxCorrection, maxCorrection);
    if (correction == wanted) {
        m_drift += wanted * dt / m_config.trackingDriftSeconds;
        m_saturatedSeconds = 0;
    } else if ((m_saturatedSeconds += dt) <= m_smoothing * 4) {
        // The low-passed error may still be rising towards a step it saw: compare from
        // where it has settled.
        m_saturatedFromError = std::abs(e);
    } else if (m_saturatedSeconds >= m_smoothing * 4 + kUnlockSeconds) {
        if (std::abs(e) >= m_saturatedFromError) {
            // The error grew although the correction is at its limit: the drift has changed
            // by more than the correction can make up.
            m_tracking = false;
            m_inBandSeconds = 0;
        }
        m_saturatedSeconds = 0;
    }
    const double limit = m_config.maxRatioDeviation;
    m_drift = std::clamp(m_drift, -limit, limit);
    m_ratio = 1 + std::clamp(m_drift + correction, -limit, limit);
}

void DriftCompensator::holdDriftEstimate() {
    const double limit = m_config.maxRatioDeviation;
    m_ratio = 1 + std::clamp(m_drift, -limit, limit);
}

void DriftCompensator::restartFillAverage() {
    m_smoothedFill = static_cast<double>(m_config.targetFillSamples);
    m_saturatedSeconds = 0; // an error from before the jump says nothing about the drift
    holdDriftEstimate();
}

std::size_t DriftCompensator::excessToDrop(std::size_t fill) {
    const std::size_t target = m_config.targetFillSamples;
    if (fill <= target + m_config.dropMarginSamples) {
        m_aboveMarginCalls = 0;
        return 0;
    }
    m_minFillAbove = m_aboveMarginCalls == 0 ? fill : std::min(m_minFillAbove, fill);
    if (++m_aboveMarginCalls < kDropBlocks)
        return 0;
    // The fill has stayed this high for a while: it is a backlog, not a burst.
    m_aboveMarginCalls = 0;
    return m_minFillAbove - target;
}

void DriftCompensator::resamplePending(std::span<float> out, std::size_t count) {
    const auto& rows = kernel().rows;
    for (std::size_t k = 0; k < count; ++k) {
        const double base = std::floor(m_pos);
        const double phase = (m_pos - base) * kPhases;
        const auto ph = static_cast<int>(phase); // 0 .. kPhases - 1
        const auto a = static_cast<float>(phase - ph);
        const float* x = m_in.get() + static_cast<std::ptrdiff_t>(base) - kHistory;
        const auto& h0 = rows[static_cast<std::size_t>(ph)];
        const auto& h1 = rows[static_cast<std::size_t>(ph) + 1];
        float acc0 = 0;
        float acc1 = 0;
        for (int j = 0; j < kTaps; ++j) {
            acc0 += x[j] * h0[static_cast<std::size_t>(j)];
            acc1 += x[j] * h1[static_cast<std::size_t>(j)];
        }
        out[k] = acc0 + a * (acc1 - acc0);
        m_pos += m_ratio;
    }
}

std::size_t DriftCompensator::generateAvailable(std::span<float> out) {
    std::size_t count = 0;
    while (count < out.size() && static_cast<std::size_t>(std::floor(m_pos)) + kHalf < m_inLength) {
        resamplePending(out.subspan(count, 1), 1);
        ++count;
    }
    return count;
}

void DriftCompensator::keepHistory() {
    const auto first = static_cast<std::size_t>(std::floor(m_pos)) - kHistory;
    const std::size_t keep = m_inLength > first ? m_inLength - first : 0;
    std::copy(m_in.get() + first, m_in.get() + first + keep, m_in.get());
    m_inLength = keep;
    m_pos -= static_cast<double>(first);
}

void DriftCompensator::output(std::span<const float> in, std::span<std::int16_t> out) {
    const auto& curve = declickCurve().w;
    for (std::size_t k = 0; k < in.size(); ++k) {
        float y = in[k];
        if (m_declickArmed) {
            m_declickOffset = m_lastOut - y;
            m_declickDone = 0;
            m_declickArmed = false;
        }
        if (m_declickDone < kDeclickSamples)
            y += m_declickOffset * curve[m_declickDone++];
        y = std::clamp(std::nearbyint(y), -32768.0F, 32767.0F);
        out[k] = static_cast<std::int16_t>(y);
        m_lastOut = y;
    }
}

void DriftCompensator::outputTail(std::span<std::int16_t> out) {
    std::span<float> zeros(m_scratch.get(), std::min(out.size(), m_scratchCapacity));
    std::fill(zeros.begin(), zeros.end(), 0.0F);
    output(zeros, out.first(zeros.size()));
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(zeros.size()), out.end(), std::int16_t{0});
}

void DriftCompensator::discardFromRing(SpscRing<std::int16_t>& ring, std::size_t count) {
    // Restart the resampler on the samples after the gap so that its window never
    // straddles it; the pending history goes with the discarded samples.
    m_droppedSamples += ring.discard(count) + (m_inLength - static_cast<std::size_t>(m_pos));
    std::fill(m_in.get(), m_in.get() + kHistory, 0.0F);
    const std::size_t got = ring.read(std::span<std::int16_t>(m_scratch16.get(), kHistory));
    std::copy(m_scratch16.get(), m_scratch16.get() + got, m_in.get() + (kHistory - got));
    m_inLength = kHistory;
    m_pos = kHistory;
}

bool DriftCompensator::pull(SpscRing<std::int16_t>& ring, std::span<std::int16_t> out,
                            double phaseSamples) {
    const std::size_t n = std::min(out.size(), m_config.maxBlockSamples);
    std::size_t fill = ring.readAvailable();
    if (m_refilling) {
        if (fill < m_config.targetFillSamples) {
            outputTail(out);
            return false;
        }
        m_refilling = false;
        m_declickArmed = true; // fade in from the silence just played
        restartFillAverage();
        // A device that comes back after a stall (or starts) often delivers its backlog at
        // once: start at the target rather than play the excess away with a pitch shift.
        if (fill > m_config.targetFillSamples + m_config.maxBlockSamples) {
            discardFromRing(ring, fill - m_config.targetFillSamples);
            fill = ring.readAvailable();
        }
    }
    updateController(static_cast<double>(fill) + phaseSamples, n);
    if (const std::size_t excess = excessToDrop(fill); excess > 0) {
        discardFromRing(ring, excess);
        m_drops += 1;
        restartFillAverage();
        m_declickArmed = true;
        fill = ring.readAvailable();
    }

    const double lastPos = m_pos + static_cast<double>(n - 1) * m_ratio;
    const auto needed = static_cast<std::size_t>(std::floor(lastPos)) + kHalf + 1;
    const std::size_t toRead = needed > m_inLength ? needed - m_inLength : 0;
    if (fill < toRead) {
        // Do not take a partial block: the ring keeps its samples, so once it has refilled
        // the audio continues exactly where it stopped (after a short silence).
        ++m_underruns;
        m_refilling = true;
        m_declickArmed = true; // decay from the last sample heard instead of a step
        outputTail(out);
        return false;
    }
    const std::size_t got =
        ring.read(std::span<std::int16_t>(m_scratch16.get(), toRead)); // == toRead
    for (std::size_t k = 0; k < got; ++k)
        m_in[m_inLength + k] = m_scratch16[k];
    m_inLength += got;
    std::span<float> resampled(m_scratch.get(), n);
    resamplePending(resampled, n);
    keepHistory();
    output(resampled, out.first(n));
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(n), out.end(), std::int16_t{0});
    return true;
}

std::size_t DriftCompensator::push(std::span<const std::int16_t> in, SpscRing<std::int16_t>& ring,
                                   std::uint64_t consumerUnderruns, double phaseSamples) {
    in = in.first(std::min(in.size(), m_config.maxBlockSamples));
    const std::size_t fill = ring.capacity() - ring.writeAvailable();
    std::size_t pad = 0;
    if (!m_seenConsumerCount || consumerUnderruns != m_consumerUnderruns) {
        // The consumer ran dry (or this is the first block): it has been playing silence,
        // so pad up to the target and fade in from silence.
        if (m_seenConsumerCount)
            ++m_underruns;
        m_seenConsumerCount = true;
        m_consumerUnderruns = consumerUnderruns;
        pad = fill < m_config.targetFillSamples ? m_config.targetFillSamples - fill : 0;
        m_lastOut = 0;
        m_declickArmed = true;
        m_declickDone = kDeclickSamples;
        m_aboveMarginCalls = 0;
        m_skipOutputs = 0;
        restartFillAverage();
    } else if (m_skipOutputs > 0) {
        // A drop is being skipped: the fill falls through the band above the target as the
        // device plays, which is the drop's doing, not the clocks'. What is left to skip is
        // aimed again at the fill as it is now, so that the drop ends on the target however
        // the device moved meanwhile (a stalled one keeps the fill high: no second drop).
        holdDriftEstimate();
        const std::size_t target = m_config.targetFillSamples;
        m_skipOutputs = fill > target ? fill - target : 0;
        if (m_skipOutputs == 0)
            restartFillAverage();
    } else {
        updateController(static_cast<double>(fill) - phaseSamples, in.size());
        if (const std::size_t excess = excessToDrop(fill); excess > 0) {
            m_skipOutputs = excess;
            m_drops += 1;
        }
    }

    std::size_t written = 0;
    if (pad > 0)
        std::fill(m_scratch16.get(), m_scratch16.get() + m_scratchCapacity, std::int16_t{0});
    while (pad > 0) {
        const std::size_t chunk = std::min(pad, m_scratchCapacity);
        const std::size_t w = ring.write(std::span<const std::int16_t>(m_scratch16.get(), chunk));
        written += w;
        pad -= chunk;
        if (w < chunk)
            break;
    }

    for (std::size_t k = 0; k < in.size(); ++k)
        m_in[m_inLength + k] = in[k];
    m_inLength += in.size();
    const std::size_t count =
        generateAvailable(std::span<float>(m_scratch.get(), m_scratchCapacity));
    keepHistory();
    const std::size_t skip = std::min(count, m_skipOutputs);
    if (skip > 0) {
        m_skipOutputs -= skip;
        m_droppedSamples += skip;
        m_declickArmed = true; // the listener's next sample follows the last one written
        if (m_skipOutputs == 0)
            restartFillAverage();
    }
    const std::size_t keep = count - skip;
    std::span<std::int16_t> out16(m_scratch16.get(), keep);
    m_lastBeforeBlock = m_lastOut;
    output(std::span<const float>(m_scratch.get() + skip, keep), out16);
    const std::size_t w = ring.write(out16);
    if (w < keep) {
        // The ring is full (the device has stalled): what did not fit is lost, so the next
        // sample written must join the last one that was.
        m_overflowSamples += keep - w;
        m_lastOut = w > 0 ? static_cast<float>(out16[w - 1]) : m_lastBeforeBlock;
        m_declickArmed = true;
    }
    return written + w;
}

} // namespace diyuma::core
