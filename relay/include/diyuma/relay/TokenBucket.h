#pragma once
// One token bucket whose limit is passed in on every use, so a reloaded limit applies at
// once. Used per participant for media (packets and bytes per second); RateLimiter keeps
// its own buckets per source IP.
//
// Thread: a value type, owned by whoever owns the participant (the relay's I/O thread).

#include "diyuma/relay/RelayConfig.h"
#include "diyuma/util/Clock.h"

#include <algorithm>
#include <chrono>

namespace diyuma::relay {

class TokenBucket {
public:
    using TimePoint = core::Clock::TimePoint;

    /// Takes `cost` tokens; false (and nothing taken) if fewer are left. A bucket starts
    /// full at its first use. Always true when `limit.perSecond` is 0 (unlimited).
    /// No allocation; safe on the forwarding path.
    [[nodiscard]] bool take(const RateLimit& limit, double cost, TimePoint now) {
        if (limit.perSecond <= 0)
            return true;
        if (!m_started) {
            m_started = true;
            m_tokens = limit.burst;
        } else {
            const double elapsedS = std::chrono::duration<double>(now - m_last).count();
            m_tokens = std::min(limit.burst, m_tokens + std::max(0.0, elapsedS) * limit.perSecond);
        }
        m_last = std::max(m_last, now);
        if (m_tokens < cost)
            return false;
        m_tokens -= cost;
        return true;
    }

private:
    double m_tokens = 0;
    TimePoint m_last{};
    bool m_started = false;
};

} // namespace diyuma::relay
