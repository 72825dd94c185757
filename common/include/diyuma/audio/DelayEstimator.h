#pragma once
// Arrival statistics of one RTP audio stream and the playout delay they call for; the timing
// half of AudioJitterBuffer, kept apart so it can be read and tested on its own.
//
// All times are in samples at 48 kHz (1 sample = 1/48 ms) on a 64-bit axis: local arrival
// times from the Clock, RTP timestamps unwrapped by the caller.
//
//   relative transit  r_i = arrival_i - rtpTimestamp_i       (constant on a jitter-free link)
//   base transit      r_min = min r over the window          (the fastest packet)
//   relative delay    d_i = r_i - r_min >= 0                  (how late packet i was)
//   target            minDelay + max(p95(d over window), decaying peak of d) + extra,
//                     clamped to [minDelay, maxDelay]
//
// The 95th percentile follows steady jitter; the peak tracker makes a single spike raise the
// target at once, holds it for kPeakHold and then lets it decay with half-life
// kPeakHalfLife (fast up, slow down). Long silences (DTX) do not disturb any of it: r_i does
// not depend on how many packets were skipped.
//
// Thread: one thread (the jitter buffer's). Never allocates.

#include <array>
#include <cstddef>
#include <cstdint>

namespace diyuma::core {

class DelayEstimator {
public:
    /// Arrivals kept for r_min and the percentile (2.5 s of 20 ms packets).
    static constexpr std::size_t kWindowPackets = 128;
    /// Arrivals older than this (samples, 10 s) no longer count, however few packets came.
    static constexpr std::int64_t kWindowMaxAge = 10 * 48000;
    static constexpr double kPercentile = 0.95;
    static constexpr std::int64_t kPeakHold = 48000;     ///< 1 s
    static constexpr double kPeakHalfLife = 2.0 * 48000; ///< 2 s

    DelayEstimator(std::int64_t minDelay, std::int64_t maxDelay);

    /// Records one packet (not a duplicate; late ones count: they show the jitter).
    void onArrival(std::int64_t arrival, std::int64_t rtpTimestamp);
    /// Forgets all arrivals (a new stream timeline). Counters of the caller are not ours.
    void reset();

    [[nodiscard]] bool empty() const { return m_count == 0; }
    /// r_min: the smallest relative transit in the window (valid when !empty()).
    [[nodiscard]] std::int64_t baseTransit() const { return m_baseTransit; }
    /// d of the latest arrival.
    [[nodiscard]] std::int64_t lastRelativeDelay() const { return m_lastRelativeDelay; }
    /// The target playout delay at time `now` (samples), `extra` added before clamping.
    [[nodiscard]] std::int64_t targetDelay(std::int64_t now, std::int64_t extra = 0) const;
    /// RFC 3550 section 6.4.1 interarrival jitter estimate (samples).
    [[nodiscard]] double interarrivalJitter() const { return m_jitter; }

private:
    struct Arrival {
        std::int64_t arrival = 0;
        std::int64_t transit = 0;
    };
    [[nodiscard]] std::int64_t decayedPeak(std::int64_t now) const;

    std::int64_t m_minDelay;
    std::int64_t m_maxDelay;
    std::array<Arrival, kWindowPackets> m_window{};
    std::array<std::int64_t, kWindowPackets> m_scratch{};
    std::size_t m_next = 0;  ///< ring position of the next arrival
    std::size_t m_count = 0; ///< valid entries
    std::int64_t m_baseTransit = 0;
    std::int64_t m_percentileDelay = 0;
    std::int64_t m_lastRelativeDelay = 0;
    std::int64_t m_peak = 0;
    std::int64_t m_peakAt = 0;
    bool m_havePrevTransit = false;
    std::int64_t m_prevTransit = 0;
    double m_jitter = 0;
};

} // namespace diyuma::core
