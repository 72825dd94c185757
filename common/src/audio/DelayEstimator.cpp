#include "diyuma/audio/DelayEstimator.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace diyuma::core {

DelayEstimator::DelayEstimator(std::int64_t minDelay, std::int64_t maxDelay)
    : m_minDelay(minDelay), m_maxDelay(std::max(minDelay, maxDelay)) {}

void DelayEstimator::reset() {
    m_next = 0;
    m_count = 0;
    m_baseTransit = 0;
    m_percentileDelay = 0;
    m_lastRelativeDelay = 0;
    m_peak = 0;
    m_peakAt = 0;
    m_havePrevTransit = false;
    // The RFC 3550 jitter is a long-running average: it survives a new timeline.
}

void DelayEstimator::onArrival(std::int64_t arrival, std::int64_t rtpTimestamp) {
    const std::int64_t transit = arrival - rtpTimestamp;

    // RFC 3550 6.4.1: J += (|D(i-1,i)| - J) / 16, in arrival order.
    if (m_havePrevTransit) {
        const auto d = static_cast<double>(std::llabs(transit - m_prevTransit));
        m_jitter += (d - m_jitter) / 16.0;
    }
    m_prevTransit = transit;
    m_havePrevTransit = true;

    m_window[m_next] = Arrival{arrival, transit};
    m_next = (m_next + 1) % m_window.size();
    m_count = std::min(m_count + 1, m_window.size());

    // The window is small (128), so a full scan per packet is cheaper than clever structures.
    std::int64_t base = std::numeric_limits<std::int64_t>::max();
    std::size_t n = 0;
    for (std::size_t i = 0; i < m_count; ++i) {
        const Arrival& a = m_window[i];
        if (arrival - a.arrival > kWindowMaxAge)
            continue;
        base = std::min(base, a.transit);
        m_scratch[n++] = a.transit;
    }
    m_baseTransit = base;
    for (std::size_t i = 0; i < n; ++i)
        m_scratch[i] -= base;
    const auto rank = static_cast<std::size_t>(kPercentile * static_cast<double>(n - 1) + 0.5);
    std::nth_element(m_scratch.begin(), m_scratch.begin() + static_cast<std::ptrdiff_t>(rank),
                     m_scratch.begin() + static_cast<std::ptrdiff_t>(n));
    m_percentileDelay = m_scratch[rank];

    m_lastRelativeDelay = transit - base;
    if (m_lastRelativeDelay >= decayedPeak(arrival)) {
        m_peak = m_lastRelativeDelay;
        m_peakAt = arrival;
    }
}

std::int64_t DelayEstimator::decayedPeak(std::int64_t now) const {
    const std::int64_t age = now - m_peakAt;
    if (age <= kPeakHold)
        return m_peak;
    const double halvings = static_cast<double>(age - kPeakHold) / kPeakHalfLife;
    return static_cast<std::int64_t>(static_cast<double>(m_peak) * std::exp2(-halvings));
}

std::int64_t DelayEstimator::targetDelay(std::int64_t now, std::int64_t extra) const {
    const std::int64_t jitter = m_count == 0 ? 0 : std::max(m_percentileDelay, decayedPeak(now));
    return std::clamp(m_minDelay + jitter + extra, m_minDelay, m_maxDelay);
}

} // namespace diyuma::core
