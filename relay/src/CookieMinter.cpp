#include "diyuma/relay/CookieMinter.h"

#include "diyuma/crypto/Hmac.h"
#include "diyuma/crypto/Random.h"
#include "diyuma/util/BigEndian.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace diyuma::relay {

CookieMinter::CookieMinter(std::chrono::seconds validity) : m_validity(validity) {
    if (!core::randomBytes(m_secret)) {
        // Without a secret every cookie would be forgeable; there is no safe way on.
        std::fputs("diyuma-relay: the CSPRNG failed; cannot make a cookie secret\n", stderr);
        std::abort();
    }
}

CookieMinter::CookieMinter(const Secret& secret, std::chrono::seconds validity)
    : m_secret(secret), m_validity(validity) {}

std::uint32_t CookieMinter::secondsOf(TimePoint now) {
    // Monotonic seconds, truncated to 32 bits: the age is computed modulo 2^32, so the wrap
    // after 136 years of uptime is harmless.
    return static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
}

wire::Cookie CookieMinter::make(std::uint32_t issuedAt, const SocketAddress& address) const {
    std::uint8_t head[5];
    core::be::store32(std::span<std::uint8_t, 4>(head, 4), issuedAt);
    head[4] = static_cast<std::uint8_t>(address.family());
    std::uint8_t port[2];
    core::be::store16(port, address.port());
    const auto mac = core::hmacSha256(
        m_secret,
        {head, std::span<const std::uint8_t>(address.ipBytes().data(), address.ipLength()), port});
    wire::Cookie cookie{};
    std::copy_n(head, 4, cookie.begin());
    std::copy_n(mac.begin(), cookie.size() - 4, cookie.begin() + 4);
    return cookie;
}

wire::Cookie CookieMinter::mint(const SocketAddress& to, TimePoint now) const {
    return make(secondsOf(now), to);
}

bool CookieMinter::check(const wire::Cookie& cookie, const SocketAddress& from,
                         TimePoint now) const {
    const std::uint32_t issuedAt =
        core::be::load32(std::span<const std::uint8_t, 4>(cookie.data(), 4));
    const std::uint32_t age = secondsOf(now) - issuedAt; // modulo 2^32: a future stamp is huge
    if (age > static_cast<std::uint64_t>(m_validity.count()))
        return false;
    const auto expected = make(issuedAt, from);
    return core::constantTimeEqual(expected, cookie);
}

} // namespace diyuma::relay
