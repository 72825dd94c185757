#include "diyuma/cc/DelayBasedEstimator.h"

#include <algorithm>
#include <cmath>

namespace diyuma::core::cc {

namespace {

constexpr auto kGroupSpan = std::chrono::milliseconds(5);
constexpr std::int64_t kBurstArrivalUs = 5'000;

double ms(Clock::Duration d) {
    return static_cast<double>(d.count()) / 1000.0;
}

} // namespace

// ---- InterArrival ----

std::optional<InterArrival::Deltas> InterArrival::add(Clock::TimePoint sendTime,
                                                      std::int64_t arrivalUs) {
    if (!m_current) {
        m_current = Group{sendTime, sendTime, arrivalUs, arrivalUs};
        return std::nullopt;
    }
    Group& g = *m_current;
    if (sendTime < g.firstSend)
        return std::nullopt; // reordered into an older group: ignored, as GCC does
    // A packet belongs to the group if it was sent within 5 ms of the group's first, or if it
    // arrived in a burst with it (less than 5 ms later and sooner than it was sent after).
    const std::int64_t arrivalGap = arrivalUs - g.lastArrivalUs;
    const auto sendGap = sendTime - g.lastSend;
    const bool burst =
        arrivalGap >= 0 && arrivalGap < kBurstArrivalUs && arrivalGap - sendGap.count() < 0;
    if (sendTime - g.firstSend <= kGroupSpan || burst) {
        g.lastSend = std::max(g.lastSend, sendTime);
        g.lastArrivalUs = std::max(g.lastArrivalUs, arrivalUs);
        return std::nullopt;
    }
    std::optional<Deltas> out;
    if (m_previous) {
        Deltas d;
        d.sendDeltaMs = ms(g.lastSend - m_previous->lastSend);
        d.arrivalDeltaMs =
            static_cast<double>(g.lastArrivalUs - m_previous->lastArrivalUs) / 1000.0;
        d.arrivalTimeMs = static_cast<double>(g.lastArrivalUs) / 1000.0;
        // A jump back of the receiver's clock or a reordering across groups: skip it.
        if (d.arrivalDeltaMs >= 0)
            out = d;
    }
    m_previous = g;
    m_current = Group{sendTime, sendTime, arrivalUs, arrivalUs};
    return out;
}

// ---- TrendlineDetector ----

BandwidthUsage TrendlineDetector::update(const InterArrival::Deltas& d) {
    constexpr double kSmoothing = 0.9;
    const double delta = d.arrivalDeltaMs - d.sendDeltaMs;
    m_numDeltas = std::min(m_numDeltas + 1, 1000);
    if (!m_firstArrivalMs)
        m_firstArrivalMs = d.arrivalTimeMs;
    m_accumulatedDelay += delta;
    m_smoothedDelay = kSmoothing * m_smoothedDelay + (1 - kSmoothing) * m_accumulatedDelay;

    m_points[m_pointNext] = Point{d.arrivalTimeMs - *m_firstArrivalMs, m_smoothedDelay};
    m_pointNext = (m_pointNext + 1) % kWindow;
    m_pointCount = std::min(m_pointCount + 1, kWindow);

    if (m_pointCount == kWindow) {
        // Least-squares slope of delay over time: how fast the queue grows (ms per ms).
        double meanX = 0;
        double meanY = 0;
        for (const Point& p : m_points) {
            meanX += p.x;
            meanY += p.y;
        }
        meanX /= kWindow;
        meanY /= kWindow;
        double numerator = 0;
        double denominator = 0;
        for (const Point& p : m_points) {
            numerator += (p.x - meanX) * (p.y - meanY);
            denominator += (p.x - meanX) * (p.x - meanX);
        }
        if (denominator != 0)
            m_trend = numerator / denominator;
    }
    detect(d.sendDeltaMs, d.arrivalTimeMs);
    return m_state;
}

void TrendlineDetector::detect(double sendDeltaMs, double nowMs) {
    constexpr double kThresholdGain = 4.0;
    constexpr double kOveruseTimeMs = 10.0;
    if (m_numDeltas < 2) {
        m_state = BandwidthUsage::Normal;
        return;
    }
    const double modified = std::min(m_numDeltas, 60) * m_trend * kThresholdGain;
    if (modified > m_threshold) {
        m_timeOverusingMs =
            m_timeOverusingMs < 0 ? sendDeltaMs / 2 : m_timeOverusingMs + sendDeltaMs;
        ++m_overuseCounter;
        if (m_timeOverusingMs > kOveruseTimeMs && m_overuseCounter > 1 &&
            m_trend >= m_previousTrend) {
            m_timeOverusingMs = 0;
            m_overuseCounter = 0;
            m_state = BandwidthUsage::Overusing;
        }
    } else if (modified < -m_threshold) {
        m_timeOverusingMs = -1;
        m_overuseCounter = 0;
        m_state = BandwidthUsage::Underusing;
    } else {
        m_timeOverusingMs = -1;
        m_overuseCounter = 0;
        m_state = BandwidthUsage::Normal;
    }
    m_previousTrend = m_trend;
    updateThreshold(modified, nowMs);
}

void TrendlineDetector::updateThreshold(double modified, double nowMs) {
    // The threshold follows |modified| slowly upwards and faster downwards, so that it is
    // not triggered by the noise of a steady link yet reacts to a real queue (GCC 5.4).
    constexpr double kUp = 0.0087;
    constexpr double kDown = 0.039;
    constexpr double kMaxJump = 15.0;
    if (!m_lastThresholdUpdateMs)
        m_lastThresholdUpdateMs = nowMs;
    const double magnitude = std::abs(modified);
    if (magnitude > m_threshold + kMaxJump) { // a spike: do not let it drag the threshold
        m_lastThresholdUpdateMs = nowMs;
        return;
    }
    const double k = magnitude < m_threshold ? kDown : kUp;
    const double dt = std::min(nowMs - *m_lastThresholdUpdateMs, 100.0);
    m_threshold = std::clamp(m_threshold + k * (magnitude - m_threshold) * dt, 6.0, 600.0);
    m_lastThresholdUpdateMs = nowMs;
}

// ---- AimdRateControl ----

AimdRateControl::AimdRateControl(int minBitrateBps, int maxBitrateBps, int startBitrateBps)
    : m_minBps(minBitrateBps), m_maxBps(maxBitrateBps),
      m_bitrateBps(std::clamp(startBitrateBps, minBitrateBps, maxBitrateBps)) {}

void AimdRateControl::setEstimate(int bitrateBps, Clock::TimePoint now) {
    m_bitrateBps = std::clamp(bitrateBps, m_minBps, m_maxBps);
    m_lastChange = now;
}

void AimdRateControl::updateLinkCapacity(double ackedBps) {
    constexpr double kAlpha = 0.05;
    if (!m_linkCapacity) {
        m_linkCapacity = ackedBps;
        return;
    }
    m_linkCapacity = (1 - kAlpha) * *m_linkCapacity + kAlpha * ackedBps;
    const double norm = std::max(*m_linkCapacity, 1.0);
    const double error = *m_linkCapacity - ackedBps;
    m_linkCapacityVariance = std::clamp(
        (1 - kAlpha) * m_linkCapacityVariance + kAlpha * error * error / norm / 1000.0, 0.4, 2.5);
}

int AimdRateControl::update(BandwidthUsage usage, std::optional<int> ackedBps, Clock::Duration rtt,
                            Clock::TimePoint now) {
    switch (usage) {
    case BandwidthUsage::Normal:
        if (m_state == State::Hold) {
            m_state = State::Increase;
            m_lastChange = now;
        }
        break;
    case BandwidthUsage::Overusing:
        m_state = State::Decrease;
        break;
    case BandwidthUsage::Underusing:
        m_state = State::Hold;
        break;
    }
    if (!m_lastChange)
        m_lastChange = now;
    const double dtSeconds =
        std::min(static_cast<double>((now - *m_lastChange).count()) / 1e6, 1.0);

    // The link capacity estimate is stale if the throughput is well outside it.
    if (m_linkCapacity && ackedBps) {
        const double deviation = 3 * std::sqrt(m_linkCapacityVariance * *m_linkCapacity * 1000.0);
        if (*ackedBps > *m_linkCapacity + deviation)
            m_linkCapacity.reset();
    }

    double rate = m_bitrateBps;
    switch (m_state) {
    case State::Hold:
        break;
    case State::Increase: {
        if (m_linkCapacity) {
            // Near the capacity seen last: about one packet per response time.
            const double responseSeconds = static_cast<double>(rtt.count()) / 1e6 + 0.1;
            const double bitsPerFrame = rate / 30.0;
            const double packetsPerFrame = std::ceil(bitsPerFrame / (1200.0 * 8.0));
            const double packetBits = bitsPerFrame / packetsPerFrame;
            rate += std::max(4000.0, packetBits / responseSeconds) * dtSeconds;
        } else {
            rate += std::max(rate * (std::pow(1.08, dtSeconds) - 1.0), 1000.0 * dtSeconds);
        }
        m_lastChange = now;
        break;
    }
    case State::Decrease: {
        constexpr double kBeta = 0.85;
        const double measured = ackedBps ? static_cast<double>(*ackedBps) : rate;
        double decreased = kBeta * measured;
        if (decreased > rate && m_linkCapacity)
            decreased = kBeta * *m_linkCapacity;
        rate = std::min(rate, decreased);
        if (ackedBps)
            updateLinkCapacity(*ackedBps);
        m_state = State::Hold;
        m_lastChange = now;
        break;
    }
    }
    // Do not climb far beyond what the receiver has seen get through (it could be a rate the
    // link never carried), but never fall because of this rule.
    if (ackedBps) {
        const double ceiling = 1.5 * *ackedBps + 10'000.0;
        if (rate > ceiling)
            rate = std::max<double>(ceiling, std::min<double>(m_bitrateBps, rate));
    }
    m_bitrateBps = std::clamp(static_cast<int>(rate), m_minBps, m_maxBps);
    return m_bitrateBps;
}

} // namespace diyuma::core::cc
