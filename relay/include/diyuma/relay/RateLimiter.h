#pragma once
// Token buckets keyed by source IP (the port is ignored; IPv6 sources are grouped by /64,
// because one host usually owns a whole /64; IPv4-mapped IPv6 addresses count per host). Used by
// RelayCore for Hello and for Create/Join. The map is bounded: when it holds maxEntries IPs, new
// IPs share one overflow bucket until prune() frees entries whose buckets have refilled.
//
// Thread: not thread-safe; the relay's I/O thread owns it.

#include "diyuma/relay/RelayConfig.h"
#include "diyuma/relay/SocketAddress.h"
#include "diyuma/util/Clock.h"

#include <cstddef>
#include <unordered_map>

namespace diyuma::relay {

class RateLimiter {
public:
    using TimePoint = core::Clock::TimePoint;

    RateLimiter(RateLimit limit, std::size_t maxEntries);

    /// Takes one token from the bucket of `from`'s IP; false if it is empty. Always true
    /// when the limit's perSecond is 0 (unlimited).
    [[nodiscard]] bool allow(const SocketAddress& from, TimePoint now);
    /// Forgets IPs whose buckets are full again (they behave as new ones). Call now and then.
    void prune(TimePoint now);
    /// IPs currently tracked (for tests and stats).
    [[nodiscard]] std::size_t size() const { return m_buckets.size(); }
    /// A new limit (config reload); applies to every bucket from their next use.
    void setLimit(RateLimit limit) { m_limit = limit; }

    /// The key a source address is counted under (port cleared, IPv6 cut to /64).
    [[nodiscard]] static SocketAddress keyOf(const SocketAddress& from);

private:
    struct Bucket {
        double tokens = 0;
        TimePoint last{};
    };
    bool take(Bucket& bucket, TimePoint now) const;
    [[nodiscard]] double refilled(const Bucket& bucket, TimePoint now) const;

    RateLimit m_limit;
    std::size_t m_maxEntries;
    std::unordered_map<SocketAddress, Bucket, SocketAddressHash> m_buckets;
    Bucket m_overflow;
};

} // namespace diyuma::relay
