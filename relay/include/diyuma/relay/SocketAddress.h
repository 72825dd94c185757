#pragma once
// A compact, hashable UDP endpoint (IPv4 or IPv6 address + port), used as the key that
// identifies a participant by its source address. Conversions to and from the POSIX
// sockaddr types live here so the relay logic never touches socket headers.
//
// Thread: a value type; any thread.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sockaddr;
struct sockaddr_storage;

namespace diyuma::relay {

class SocketAddress {
public:
    enum class Family : std::uint8_t { None = 0, V4 = 4, V6 = 6 };

    SocketAddress() = default;
    /// An IPv4 endpoint; `ip` in host order (e.g. 0x7F000001 for 127.0.0.1).
    [[nodiscard]] static SocketAddress v4(std::uint32_t ip, std::uint16_t port);
    /// An IPv6 endpoint; `ip` in network order, `scopeId` as in sin6_scope_id.
    [[nodiscard]] static SocketAddress v6(const std::array<std::uint8_t, 16>& ip,
                                          std::uint16_t port, std::uint32_t scopeId = 0);
    /// Parses "1.2.3.4:5", "[::1]:5" or "[fe80::1%eth0]:5". nullopt if malformed.
    [[nodiscard]] static std::optional<SocketAddress> parse(std::string_view text);
    /// From a kernel-filled sockaddr (recvmmsg msg_name). A family other than AF_INET or
    /// AF_INET6, or a too short length, gives a None address.
    [[nodiscard]] static SocketAddress fromSockaddr(const sockaddr* address, std::size_t length);

    /// Fills `out` for sendto/sendmmsg; returns the length to pass, 0 for a None address.
    std::size_t toSockaddr(sockaddr_storage& out) const;
    /// "1.2.3.4:5" or "[::1]:5".
    [[nodiscard]] std::string toString() const;

    [[nodiscard]] Family family() const { return m_family; }
    [[nodiscard]] std::uint16_t port() const { return m_port; }
    [[nodiscard]] std::uint32_t scopeId() const { return m_scopeId; }
    /// IPv4: the first 4 bytes are the address (network order); IPv6: all 16.
    [[nodiscard]] const std::array<std::uint8_t, 16>& ipBytes() const { return m_ip; }
    /// The number of meaningful bytes in ipBytes(): 4, 16, or 0 for None.
    [[nodiscard]] std::size_t ipLength() const;
    [[nodiscard]] bool isValid() const { return m_family != Family::None; }
    /// An IPv4 peer seen through a dual-stack IPv6 socket (::ffff:a.b.c.d).
    [[nodiscard]] bool isV4Mapped() const;

    /// The same address with another port (e.g. to build test fixtures).
    [[nodiscard]] SocketAddress withPort(std::uint16_t port) const;

    bool operator==(const SocketAddress&) const = default;

private:
    std::array<std::uint8_t, 16> m_ip{};
    std::uint32_t m_scopeId = 0;
    std::uint16_t m_port = 0;
    Family m_family = Family::None;
};

/// A hash for maps keyed by address. The keys are chosen by remote peers (spoofed sources
/// reach the rate limiter's map), so the mix is seeded with a random per-process value:
/// colliding keys cannot be precomputed.
struct SocketAddressHash {
    std::size_t operator()(const SocketAddress& address) const noexcept;
};

} // namespace diyuma::relay
