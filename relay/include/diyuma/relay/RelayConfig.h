#pragma once
// Tunables of RelayCore. The defaults are the protocol's (docs/PROTOCOL.md); the command line
// of diyuma-relay overrides some of them.
//
// Thread: a value type; any thread.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace diyuma::relay {

struct RateLimit {
    double perSecond = 0; ///< tokens added per second (0 = unlimited)
    double burst = 0;     ///< bucket size: how many may come at once after a quiet time
    bool operator==(const RateLimit&) const = default;
};

struct RelayConfig {
    std::size_t maxConferences = 1000;
    std::size_t maxParticipantsPerConference = 50;

    /// An empty conference that has been used is removed after this long (--empty-ttl).
    std::chrono::seconds emptyTtl{60};
    /// A conference nobody ever joined is removed this long after its creation, counted in
    /// wall-clock time so it spans restarts (--unused-ttl).
    std::chrono::seconds unusedTtl{86400};

    /// Silence after which a participant is removed (also sent to clients in Joined).
    std::chrono::milliseconds participantTimeout{10000};
    /// Ping interval the client is told to use in Joined.
    std::chrono::milliseconds keepaliveInterval{1000};
    /// How often unacknowledged roster changes are sent again.
    std::chrono::milliseconds rosterResendInterval{200};
    /// More unacked roster changes than this and the participant is dropped (must rejoin).
    std::size_t maxUnackedRoster = 256;

    /// How long a cookie stays valid (the protocol says 60 s).
    std::chrono::seconds cookieValidity{60};
    /// A retransmitted Create (same source address and request id) within this window gets
    /// the same conference again.
    std::chrono::seconds createReplayWindow{30};

    /// Hellos per source IP (IPv6: per /64). Cookies are smaller than Hellos, so this guards
    /// CPU and reflection volume, not amplification; many clients may share one IP behind NAT.
    RateLimit helloRate{2000.0, 4000.0};
    /// Creates and Joins per source IP (IPv6: per /64), counted after the cookie check.
    RateLimit requestRate{5.0, 20.0};
    /// Source IPs tracked by each rate limiter; beyond this, unknown IPs share one bucket.
    std::size_t maxRateLimitEntries = 65536;

    /// Media (RTP and RTCP) each joined participant (one source address) may send, in
    /// datagrams and in bytes; over it, datagrams are dropped as rate_limited_media.
    /// 0 = unlimited (the default: a relay should not guess how much video costs).
    RateLimit mediaPacketRate{0.0, 0.0};
    RateLimit mediaByteRate{0.0, 0.0};

    bool operator==(const RelayConfig&) const = default;
};

} // namespace diyuma::relay
