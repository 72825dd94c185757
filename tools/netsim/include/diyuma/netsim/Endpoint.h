#pragma once
// A UDP endpoint (IPv4 or IPv6 address + port) as the proxy uses it: resolved from
// "HOST:PORT" text, filled from recvfrom(), passed to sendto()/bind()/connect(), printed, and
// used as a hash key for the client table. The socket headers stay in the .cpp.
//
// Thread: a value type; any thread.

#include "diyuma/util/Result.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

struct sockaddr;

namespace diyuma::netsim {

enum class EndpointError { BadSyntax = 1, ResolveFailed };

class Endpoint {
public:
    Endpoint() = default;

    /// Parses "HOST:PORT", "[IPv6]:PORT" (the port must be given) and resolves HOST with
    /// getaddrinfo (IPv4 preferred when a name has both). Errors name the text.
    [[nodiscard]] static core::Result<Endpoint> resolve(std::string_view text);
    /// From a kernel-filled address; an unknown family or short length gives an invalid one.
    [[nodiscard]] static Endpoint fromSockaddr(const sockaddr* address, std::size_t length);

    [[nodiscard]] const sockaddr* sockaddrPtr() const;
    [[nodiscard]] std::size_t sockaddrLength() const { return m_length; }
    /// AF_INET or AF_INET6 (0 when invalid).
    [[nodiscard]] int family() const;
    [[nodiscard]] std::uint16_t port() const;
    [[nodiscard]] bool isValid() const { return m_length > 0; }
    /// Numeric "1.2.3.4:5" or "[::1]:5".
    [[nodiscard]] std::string toString() const;

    /// Equal when family, address, port (and IPv6 scope) are.
    bool operator==(const Endpoint& other) const;

private:
    // Large and aligned enough for sockaddr_in6 (28 bytes); checked in the .cpp.
    alignas(8) std::array<std::uint8_t, 32> m_storage{};
    std::size_t m_length = 0;
};

/// Hash for client tables (FNV-1a over family, address and port). The proxy is a test tool
/// on loopback, so no defence against chosen colliding keys is needed.
struct EndpointHash {
    std::size_t operator()(const Endpoint& endpoint) const noexcept;
};

} // namespace diyuma::netsim
