#pragma once
// Stateless address-validation cookies (docs/PROTOCOL.md, flow step 1):
//   cookie = issuedAtSeconds u32 (the relay's monotonic seconds)
//         || first 16 bytes of HMAC-SHA-256(secret, issuedAt || family || IP bytes || port)
// family is one byte, 4 or 6; IP bytes are 4 or 16; port is 2 bytes big-endian. A cookie is
// valid for `validity` (60 s) for the address it was minted for. The secret is random per
// relay process, so a restart invalidates all cookies (clients then send Hello again).
//
// Thread: mint/check are const and touch no shared state; any thread.

#include "diyuma/relay/SocketAddress.h"
#include "diyuma/util/Clock.h"
#include "diyuma/wire/Control.h"

#include <array>
#include <chrono>
#include <cstdint>

namespace diyuma::relay {

namespace wire = core::wire;

class CookieMinter {
public:
    using TimePoint = core::Clock::TimePoint;
    using Secret = std::array<std::uint8_t, 32>;

    /// With a fresh random secret (aborts only if the CSPRNG is broken).
    explicit CookieMinter(std::chrono::seconds validity = std::chrono::seconds(60));
    /// With a given secret (tests).
    CookieMinter(const Secret& secret, std::chrono::seconds validity);

    [[nodiscard]] wire::Cookie mint(const SocketAddress& to, TimePoint now) const;
    /// True if `cookie` was minted by this minter for `from` no longer than validity ago.
    /// The MAC is compared in constant time.
    [[nodiscard]] bool check(const wire::Cookie& cookie, const SocketAddress& from,
                             TimePoint now) const;

private:
    [[nodiscard]] wire::Cookie make(std::uint32_t issuedAt, const SocketAddress& address) const;
    [[nodiscard]] static std::uint32_t secondsOf(TimePoint now);

    Secret m_secret{};
    std::chrono::seconds m_validity;
};

} // namespace diyuma::relay
