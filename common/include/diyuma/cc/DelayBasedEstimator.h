#pragma once
// The delay-based half of the bandwidth estimator, after Google Congestion Control
// (draft-ietf-rmcat-gcc-02 and libwebrtc's goog_cc, whose constants are used):
//
//   packet groups (5 ms of send time) ─► inter-arrival deltas ─► trendline of the queuing
//   delay (linear regression over 20 smoothed points) ─► overuse detector with an adaptive
//   threshold ─► AIMD rate control (multiplicative +8 %/s far from the last known capacity,
//   additive near it; on overuse 0.85 x the measured throughput).
//
// Pure: times come in as arguments, nothing reads a clock, no allocation after construction.
// Thread: one thread at a time.

#include "diyuma/util/Clock.h"

#include <array>
#include <cstdint>
#include <optional>

namespace diyuma::core::cc {

enum class BandwidthUsage : std::uint8_t { Normal, Underusing, Overusing };

/// Groups packets sent within 5 ms of each other (a video frame's burst) and gives the send
/// and arrival time differences of consecutive complete groups (GCC section 5.2).
class InterArrival {
public:
    struct Deltas {
        double sendDeltaMs = 0;
        double arrivalDeltaMs = 0;
        double arrivalTimeMs = 0; ///< the later group's arrival, receiver clock
    };
    /// One received packet, in send order: send time on the sender's clock, arrival time on
    /// the receiver's (any origin, microseconds).
    [[nodiscard]] std::optional<Deltas> add(Clock::TimePoint sendTime, std::int64_t arrivalUs);

private:
    struct Group {
        Clock::TimePoint firstSend{};
        Clock::TimePoint lastSend{};
        std::int64_t firstArrivalUs = 0;
        std::int64_t lastArrivalUs = 0;
    };
    std::optional<Group> m_current;
    std::optional<Group> m_previous;
};

/// The queuing-delay trend and the overuse detector on it (GCC sections 5.3 and 5.4).
class TrendlineDetector {
public:
    BandwidthUsage update(const InterArrival::Deltas& deltas);
    [[nodiscard]] BandwidthUsage state() const { return m_state; }
    [[nodiscard]] double trend() const { return m_trend; }
    [[nodiscard]] double threshold() const { return m_threshold; }

private:
    void detect(double sendDeltaMs, double nowMs);
    void updateThreshold(double modifiedTrend, double nowMs);

    static constexpr std::size_t kWindow = 20;
    struct Point {
        double x = 0; ///< arrival time, ms since the first
        double y = 0; ///< smoothed accumulated delay, ms
    };
    std::array<Point, kWindow> m_points{};
    std::size_t m_pointCount = 0;
    std::size_t m_pointNext = 0;
    std::optional<double> m_firstArrivalMs;
    double m_accumulatedDelay = 0;
    double m_smoothedDelay = 0;
    int m_numDeltas = 0;
    double m_trend = 0;
    double m_previousTrend = 0;
    double m_threshold = 12.5;
    std::optional<double> m_lastThresholdUpdateMs;
    double m_timeOverusingMs = -1;
    int m_overuseCounter = 0;
    BandwidthUsage m_state = BandwidthUsage::Normal;
};

/// Additive-increase / multiplicative-decrease of the delay-based rate (GCC section 5.5).
class AimdRateControl {
public:
    AimdRateControl(int minBitrateBps, int maxBitrateBps, int startBitrateBps);

    /// Applies the detector's state; `ackedBps` is the throughput the receiver saw (if known),
    /// `rtt` the round-trip time. Returns the new rate.
    int update(BandwidthUsage usage, std::optional<int> ackedBps, Clock::Duration rtt,
               Clock::TimePoint now);
    /// A probe (or another reliable measurement) showed this much gets through: start there.
    void setEstimate(int bitrateBps, Clock::TimePoint now);
    [[nodiscard]] int bitrateBps() const { return m_bitrateBps; }
    /// The capacity last seen at an overuse (nothing until the first one).
    [[nodiscard]] std::optional<double> linkCapacityBps() const { return m_linkCapacity; }

private:
    enum class State : std::uint8_t { Hold, Increase, Decrease };
    void updateLinkCapacity(double ackedBps);

    int m_minBps;
    int m_maxBps;
    int m_bitrateBps;
    State m_state = State::Hold;
    std::optional<Clock::TimePoint> m_lastChange;
    std::optional<double> m_linkCapacity; ///< average throughput at overuse
    double m_linkCapacityVariance = 0.4;  ///< relative, as libwebrtc's LinkCapacityEstimator
};

} // namespace diyuma::core::cc
