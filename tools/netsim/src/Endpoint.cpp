#include "diyuma/netsim/Endpoint.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstddef>
#include <cstring>
#include <memory>

namespace diyuma::netsim {

namespace {
static_assert(sizeof(sockaddr_in6) <= 32 && sizeof(sockaddr_in) <= 32);

core::Error endpointError(EndpointError code, std::string message) {
    return core::Error{static_cast<int>(code), std::move(message)};
}

// The key fields: family, port, address (and the IPv6 scope), nothing of the padding.
struct KeyFields {
    int family = 0;
    std::uint16_t port = 0;
    std::uint32_t scope = 0;
    std::array<std::uint8_t, 16> ip{};
};

KeyFields keyFields(const Endpoint& e) {
    KeyFields k;
    k.family = e.family();
    if (k.family == AF_INET) {
        sockaddr_in a{};
        std::memcpy(&a, e.sockaddrPtr(), sizeof a);
        k.port = a.sin_port;
        std::memcpy(k.ip.data(), &a.sin_addr, 4);
    } else if (k.family == AF_INET6) {
        sockaddr_in6 a{};
        std::memcpy(&a, e.sockaddrPtr(), sizeof a);
        k.port = a.sin6_port;
        k.scope = a.sin6_scope_id;
        std::memcpy(k.ip.data(), &a.sin6_addr, 16);
    }
    return k;
}
} // namespace

core::Result<Endpoint> Endpoint::resolve(std::string_view text) {
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find("]:");
        if (close == std::string_view::npos)
            return endpointError(EndpointError::BadSyntax,
                                 fmt::format("'{}' is not [IPv6]:PORT", text));
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon)
            return endpointError(EndpointError::BadSyntax,
                                 fmt::format("'{}' is not HOST:PORT (IPv6 as [ADDR]:PORT)", text));
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    unsigned portNumber = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), portNumber);
    if (host.empty() || port.empty() || ec != std::errc() || end != port.data() + port.size() ||
        portNumber > 65535)
        return endpointError(EndpointError::BadSyntax,
                             fmt::format("'{}' is not HOST:PORT with a port 0..65535", text));

    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string hostText(host);
    const std::string portText = std::to_string(portNumber);
    if (const int rc = getaddrinfo(hostText.c_str(), portText.c_str(), &hints, &found); rc != 0)
        return endpointError(EndpointError::ResolveFailed,
                             fmt::format("cannot resolve '{}': {}", text, gai_strerror(rc)));
    const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found, &freeaddrinfo);
    const addrinfo* pick = nullptr;
    for (const addrinfo* ai = found; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET && (!pick || pick->ai_family != AF_INET))
            pick = ai;
        else if (ai->ai_family == AF_INET6 && !pick)
            pick = ai;
    }
    Endpoint endpoint = pick ? fromSockaddr(pick->ai_addr, pick->ai_addrlen) : Endpoint{};
    if (!endpoint.isValid())
        return endpointError(EndpointError::ResolveFailed,
                             fmt::format("'{}' has no IPv4 or IPv6 address", text));
    return endpoint;
}

Endpoint Endpoint::fromSockaddr(const sockaddr* address, std::size_t length) {
    Endpoint e;
    if (!address)
        return e;
    if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
        std::memcpy(e.m_storage.data(), address, sizeof(sockaddr_in));
        e.m_length = sizeof(sockaddr_in);
    } else if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
        std::memcpy(e.m_storage.data(), address, sizeof(sockaddr_in6));
        e.m_length = sizeof(sockaddr_in6);
    }
    return e;
}

const sockaddr* Endpoint::sockaddrPtr() const {
    // The storage is only ever filled by memcpy from a real sockaddr of that family, and the
    // socket calls take the generic pointer type; this is the one place it is formed.
    return reinterpret_cast<const sockaddr*>(m_storage.data());
}

int Endpoint::family() const {
    if (m_length == 0)
        return 0;
    sa_family_t family = 0;
    std::memcpy(&family, m_storage.data() + offsetof(sockaddr, sa_family), sizeof family);
    return family;
}

std::uint16_t Endpoint::port() const {
    return ntohs(keyFields(*this).port);
}

std::string Endpoint::toString() const {
    const KeyFields k = keyFields(*this);
    char text[INET6_ADDRSTRLEN] = {};
    if (k.family == AF_INET) {
        inet_ntop(AF_INET, k.ip.data(), text, sizeof text);
        return fmt::format("{}:{}", text, ntohs(k.port));
    }
    if (k.family == AF_INET6) {
        inet_ntop(AF_INET6, k.ip.data(), text, sizeof text);
        return fmt::format("[{}]:{}", text, ntohs(k.port));
    }
    return "(none)";
}

bool Endpoint::operator==(const Endpoint& other) const {
    const KeyFields a = keyFields(*this);
    const KeyFields b = keyFields(other);
    return a.family == b.family && a.port == b.port && a.scope == b.scope && a.ip == b.ip;
}

std::size_t EndpointHash::operator()(const Endpoint& endpoint) const noexcept {
    const KeyFields k = keyFields(endpoint);
    std::uint64_t h = 0xCBF29CE484222325ULL;
    const auto add = [&h](std::uint64_t byte) {
        h ^= byte;
        h *= 0x100000001B3ULL;
    };
    add(static_cast<std::uint64_t>(k.family));
    add(k.port & 0xFFu);
    add(k.port >> 8);
    for (int i = 0; i < 4; ++i)
        add((k.scope >> (8 * i)) & 0xFFu);
    for (const std::uint8_t byte : k.ip)
        add(byte);
    return static_cast<std::size_t>(h);
}

} // namespace diyuma::netsim
