#include "diyuma/relay/RateLimiter.h"

#include <algorithm>
#include <chrono>

namespace diyuma::relay {

RateLimiter::RateLimiter(RateLimit limit, std::size_t maxEntries)
    : m_limit(limit), m_maxEntries(maxEntries) {
    m_overflow.tokens = m_limit.burst;
}

SocketAddress RateLimiter::keyOf(const SocketAddress& from) {
    // IPv4 peers of a dual-stack socket keep their whole address (one bucket per IPv4
    // host, not one for all of ::ffff:0:0/96).
    if (from.family() == SocketAddress::Family::V6 && !from.isV4Mapped()) {
        auto ip = from.ipBytes();
        std::fill(ip.begin() + 8, ip.end(), std::uint8_t{0});
        return SocketAddress::v6(ip, 0);
    }
    return from.withPort(0);
}

double RateLimiter::refilled(const Bucket& bucket, TimePoint now) const {
    const double elapsedS = std::chrono::duration<double>(now - bucket.last).count();
    // A clock that went back (it cannot with steady_clock, but tests may) adds nothing.
    return std::min(m_limit.burst, bucket.tokens + std::max(0.0, elapsedS) * m_limit.perSecond);
}

bool RateLimiter::take(Bucket& bucket, TimePoint now) const {
    bucket.tokens = refilled(bucket, now);
    bucket.last = std::max(bucket.last, now);
    if (bucket.tokens < 1.0)
        return false;
    bucket.tokens -= 1.0;
    return true;
}

bool RateLimiter::allow(const SocketAddress& from, TimePoint now) {
    if (m_limit.perSecond <= 0)
        return true;
    const SocketAddress key = keyOf(from);
    auto it = m_buckets.find(key);
    if (it == m_buckets.end()) {
        if (m_buckets.size() >= m_maxEntries)
            return take(m_overflow, now);
        it = m_buckets.emplace(key, Bucket{m_limit.burst, now}).first;
    }
    return take(it->second, now);
}

void RateLimiter::prune(TimePoint now) {
    std::erase_if(m_buckets,
                  [&](const auto& entry) { return refilled(entry.second, now) >= m_limit.burst; });
}

} // namespace diyuma::relay
