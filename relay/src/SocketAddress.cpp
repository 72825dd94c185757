#include "diyuma/relay/SocketAddress.h"

#include "diyuma/crypto/Random.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

namespace diyuma::relay {

SocketAddress SocketAddress::v4(std::uint32_t ip, std::uint16_t port) {
    SocketAddress a;
    a.m_family = Family::V4;
    a.m_port = port;
    a.m_ip[0] = static_cast<std::uint8_t>(ip >> 24);
    a.m_ip[1] = static_cast<std::uint8_t>(ip >> 16);
    a.m_ip[2] = static_cast<std::uint8_t>(ip >> 8);
    a.m_ip[3] = static_cast<std::uint8_t>(ip);
    return a;
}

SocketAddress SocketAddress::v6(const std::array<std::uint8_t, 16>& ip, std::uint16_t port,
                                std::uint32_t scopeId) {
    SocketAddress a;
    a.m_family = Family::V6;
    a.m_port = port;
    a.m_ip = ip;
    a.m_scopeId = scopeId;
    return a;
}

std::optional<SocketAddress> SocketAddress::parse(std::string_view text) {
    std::string_view host;
    std::string_view portText;
    bool bracketed = false;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return std::nullopt;
        host = text.substr(1, close - 1);
        portText = text.substr(close + 2);
        bracketed = true;
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos)
            return std::nullopt;
        host = text.substr(0, colon);
        portText = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos)
            return std::nullopt; // an IPv6 address needs brackets
    }
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(portText.data(), portText.data() + portText.size(), port);
    if (portText.empty() || ec != std::errc() || end != portText.data() + portText.size() ||
        port > 65535)
        return std::nullopt;
    if (host.empty() || host.size() > 100)
        return std::nullopt;

    std::string hostCopy(host);
    if (!bracketed) {
        in_addr v4addr{};
        if (inet_pton(AF_INET, hostCopy.c_str(), &v4addr) != 1)
            return std::nullopt;
        return v4(ntohl(v4addr.s_addr), static_cast<std::uint16_t>(port));
    }
    std::uint32_t scope = 0;
    if (const auto percent = hostCopy.find('%'); percent != std::string::npos) {
        const std::string zone = hostCopy.substr(percent + 1);
        hostCopy.resize(percent);
        scope = if_nametoindex(zone.c_str());
        if (scope == 0) {
            const auto [zend, zec] = std::from_chars(zone.data(), zone.data() + zone.size(), scope);
            if (zone.empty() || zec != std::errc() || zend != zone.data() + zone.size())
                return std::nullopt;
        }
    }
    in6_addr v6addr{};
    if (inet_pton(AF_INET6, hostCopy.c_str(), &v6addr) != 1)
        return std::nullopt;
    std::array<std::uint8_t, 16> ip{};
    std::memcpy(ip.data(), &v6addr, ip.size());
    return v6(ip, static_cast<std::uint16_t>(port), scope);
}

SocketAddress SocketAddress::fromSockaddr(const sockaddr* address, std::size_t length) {
    SocketAddress a;
    if (address == nullptr)
        return a;
    if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
        sockaddr_in in{};
        std::memcpy(&in, address, sizeof in);
        a.m_family = Family::V4;
        a.m_port = ntohs(in.sin_port);
        std::memcpy(a.m_ip.data(), &in.sin_addr, 4);
    } else if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
        sockaddr_in6 in6{};
        std::memcpy(&in6, address, sizeof in6);
        a.m_family = Family::V6;
        a.m_port = ntohs(in6.sin6_port);
        std::memcpy(a.m_ip.data(), &in6.sin6_addr, 16);
        a.m_scopeId = in6.sin6_scope_id;
    }
    return a;
}

std::size_t SocketAddress::toSockaddr(sockaddr_storage& out) const {
    switch (m_family) {
    case Family::V4: {
        sockaddr_in in{};
        in.sin_family = AF_INET;
        in.sin_port = htons(m_port);
        std::memcpy(&in.sin_addr, m_ip.data(), 4);
        std::memcpy(&out, &in, sizeof in);
        return sizeof in;
    }
    case Family::V6: {
        sockaddr_in6 in6{};
        in6.sin6_family = AF_INET6;
        in6.sin6_port = htons(m_port);
        std::memcpy(&in6.sin6_addr, m_ip.data(), 16);
        in6.sin6_scope_id = m_scopeId;
        std::memcpy(&out, &in6, sizeof in6);
        return sizeof in6;
    }
    case Family::None:
        break;
    }
    return 0;
}

std::string SocketAddress::toString() const {
    char buffer[INET6_ADDRSTRLEN] = {};
    switch (m_family) {
    case Family::V4:
        inet_ntop(AF_INET, m_ip.data(), buffer, sizeof buffer);
        return std::string(buffer) + ":" + std::to_string(m_port);
    case Family::V6: {
        inet_ntop(AF_INET6, m_ip.data(), buffer, sizeof buffer);
        std::string out = "[" + std::string(buffer);
        if (m_scopeId != 0)
            out += "%" + std::to_string(m_scopeId);
        return out + "]:" + std::to_string(m_port);
    }
    case Family::None:
        break;
    }
    return "none";
}

std::size_t SocketAddress::ipLength() const {
    switch (m_family) {
    case Family::V4:
        return 4;
    case Family::V6:
        return 16;
    case Family::None:
        break;
    }
    return 0;
}

bool SocketAddress::isV4Mapped() const {
    static constexpr std::uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    return m_family == Family::V6 && std::memcmp(m_ip.data(), kPrefix, sizeof kPrefix) == 0;
}

SocketAddress SocketAddress::withPort(std::uint16_t port) const {
    SocketAddress copy = *this;
    copy.m_port = port;
    return copy;
}

namespace {
std::uint64_t mix(std::uint64_t x) {
    // The murmur3/splitmix64 finaliser: every input bit affects every output bit.
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}
std::uint64_t load64le(const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}
} // namespace

std::size_t SocketAddressHash::operator()(const SocketAddress& address) const noexcept {
    static const std::uint64_t kSeed = core::randomU64();
    const auto& ip = address.ipBytes();
    std::uint64_t h =
        kSeed ^ (std::uint64_t{address.port()} << 8) ^ static_cast<std::uint64_t>(address.family());
    h = mix(h ^ load64le(ip.data()));
    h = mix(h ^ load64le(ip.data() + 8) ^ (std::uint64_t{address.scopeId()} << 17));
    return static_cast<std::size_t>(h);
}

} // namespace diyuma::relay
