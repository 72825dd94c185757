#include "diyuma/netsim/ImpairmentModel.h"

#include <algorithm>
#include <cmath>

namespace diyuma::netsim {

bool ImpairmentConfig::impairs() const {
    return lossProbability > 0 || (burstLoss && burstLoss->goodToBad > 0) || delay.count() > 0 ||
           jitter.count() > 0 || reorderProbability > 0 || rateBitsPerSecond > 0 ||
           !rateSchedule.empty() || duplicateProbability > 0;
}

std::uint64_t ImpairmentConfig::rateAt(Clock::TimePoint now) const {
    std::uint64_t rate = rateBitsPerSecond;
    for (const RateStep& step : rateSchedule)
        if (now - scheduleOrigin >= step.at)
            rate = step.bitsPerSecond;
    return rate;
}

std::uint64_t deriveSeed(std::uint64_t seed, std::uint64_t stream) {
    // SplitMix64 (Steele, Lea, Flood 2014) over seed and stream: two rounds so that both
    // inputs are fully mixed.
    const auto mix = [](std::uint64_t z) {
        z += 0x9E3779B97F4A7C15ULL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    };
    return mix(mix(seed) ^ stream);
}

ImpairmentModel::ImpairmentModel(const Clock& clock, std::uint64_t seed,
                                 const ImpairmentConfig& config)
    : m_clock(clock), m_config(config), m_random(seed) {}

double ImpairmentModel::draw() {
    return static_cast<double>(m_random() >> 11) * 0x1.0p-53;
}

std::optional<Clock::TimePoint> ImpairmentModel::rateLimit(Clock::TimePoint now,
                                                           std::size_t sizeBytes) {
    const std::uint64_t bitsPerSecond = m_config.rateAt(now);
    if (bitsPerSecond == 0) {
        m_bucketStarted = false; // unlimited now: what waited has left by the time it matters
        return std::max(now, m_bucketTime);
    }
    const double rate = static_cast<double>(bitsPerSecond);
    const double capacityBits = static_cast<double>(kBucketBytes) * 8.0;
    if (!m_bucketStarted) {
        m_bucketStarted = true;
        m_bucketTime = now;
        m_tokensBits = capacityBits;
    }
    // FIFO: this packet is served once everything accepted before it has left.
    const Clock::TimePoint start = std::max(now, m_bucketTime);
    const double idleUs = static_cast<double>((start - m_bucketTime).count());
    const double tokens = std::min(capacityBits, m_tokensBits + idleUs * rate / 1e6);
    const double needBits = static_cast<double>(sizeBytes) * 8.0;
    Clock::TimePoint leave = start;
    double left = tokens - needBits;
    if (left < 0) {
        // Wait for the missing tokens; a packet larger than the bucket waits for the whole
        // of its size to trickle in, so it cannot jump the rate either.
        leave += Clock::Duration(static_cast<std::int64_t>(std::ceil(-left * 1e6 / rate)));
        left = 0;
    }
    if (leave - now > m_config.queueLimit)
        return std::nullopt; // the queue holds more than queueLimit of data: tail drop
    m_bucketTime = leave;
    m_tokensBits = left;
    return leave;
}

Verdict ImpairmentModel::offer(std::size_t sizeBytes) {
    const Clock::TimePoint now = m_clock.now();
    // Always the same draws in the same order (see the header).
    const double lossDraw = draw();
    const double burstDraw = draw();
    const double jitterDraw = draw();
    const double reorderDraw = draw();
    const double duplicateDraw = draw();
    static_assert(kDrawsPerPacket == 5, "keep kDrawsPerPacket in step with offer()");

    ++m_counters.offered;
    Verdict verdict;
    if (m_config.burstLoss) {
        const BurstLoss& b = *m_config.burstLoss;
        m_bad = m_bad ? !(burstDraw < b.badToGood) : burstDraw < b.goodToBad;
    }
    if (m_bad) {
        verdict.drop = DropReason::BurstLoss;
        ++m_counters.droppedBurst;
        return verdict;
    }
    if (lossDraw < m_config.lossProbability) {
        verdict.drop = DropReason::Loss;
        ++m_counters.droppedLoss;
        return verdict;
    }

    const auto left = rateLimit(now, sizeBytes);
    if (!left) {
        verdict.drop = DropReason::Queue;
        ++m_counters.droppedQueue;
        return verdict;
    }
    verdict.queueDelay = *left - now;

    Clock::Duration delay = m_config.delay;
    if (m_config.jitter.count() > 0) {
        const double spreadUs = static_cast<double>(m_config.jitter.count());
        const auto offset =
            static_cast<std::int64_t>(std::floor((2.0 * jitterDraw - 1.0) * spreadUs));
        delay = std::max(Clock::Duration(0), delay + Clock::Duration(offset));
    }
    Clock::TimePoint at = *left + delay;
    if (m_lastInOrder && at < *m_lastInOrder)
        at = *m_lastInOrder; // keep the order: leave right after the one before
    m_lastInOrder = at;

    if (reorderDraw < m_config.reorderProbability) {
        at += m_config.reorderDelay;
        verdict.reordered = true;
        ++m_counters.reordered;
    }
    verdict.deliverAt = at;
    ++m_counters.passed;
    if (duplicateDraw < m_config.duplicateProbability) {
        verdict.duplicate = true;
        ++m_counters.duplicated;
    }
    return verdict;
}

} // namespace diyuma::netsim
