#include "diyuma/net/UdpTransport.h"

#include "diyuma/wire/Limits.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace diyuma::core {

namespace {
Error netError(NetError code, std::string message) {
    return Error{static_cast<int>(code), std::move(message)};
}

std::string numericAddress(const sockaddr* address, socklen_t length) {
    char host[NI_MAXHOST] = {};
    char port[NI_MAXSERV] = {};
    if (getnameinfo(address, length, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return "?";
    if (address->sa_family == AF_INET6)
        return fmt::format("[{}]:{}", host, port);
    return fmt::format("{}:{}", host, port);
}
} // namespace

Result<UdpTransport> UdpTransport::open(const RelayAddress& relay) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_protocol = IPPROTO_UDP;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* list = nullptr;
    const std::string port = std::to_string(relay.port);
    const int rc = getaddrinfo(relay.host.c_str(), port.c_str(), &hints, &list);
    if (rc != 0 || list == nullptr)
        return netError(NetError::ResolveFailed,
                        fmt::format("cannot resolve relay address {}: {}", relay.toString(),
                                    rc != 0 ? gai_strerror(rc) : "no address"));

    // A name with both families: take IPv4 first (the relay's default --listen is 0.0.0.0),
    // then whatever else the resolver offered, in its order.
    std::string lastError = "no usable address";
    for (int pass = 0; pass < 2; ++pass) {
        for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
            const bool ipv4 = ai->ai_family == AF_INET;
            if ((pass == 0) != ipv4)
                continue;
            int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                              ai->ai_protocol);
            if (fd < 0) {
                lastError = fmt::format("socket: {}", std::strerror(errno));
                continue;
            }
            if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
                lastError = fmt::format("connect: {}", std::strerror(errno));
                ::close(fd);
                continue;
            }
            std::string peer = numericAddress(ai->ai_addr, ai->ai_addrlen);
            freeaddrinfo(list);
            return UdpTransport(fd, std::move(peer));
        }
    }
    freeaddrinfo(list);
    return netError(NetError::ConnectFailed, fmt::format("cannot open a UDP socket to relay {}: {}",
                                                         relay.toString(), lastError));
}

UdpTransport::UdpTransport(UdpTransport&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_peer(std::move(other.m_peer)),
      m_counters(other.m_counters) {}

UdpTransport& UdpTransport::operator=(UdpTransport&& other) noexcept {
    if (this != &other) {
        close();
        m_fd = std::exchange(other.m_fd, -1);
        m_peer = std::move(other.m_peer);
        m_counters = other.m_counters;
    }
    return *this;
}

UdpTransport::~UdpTransport() {
    close();
}

void UdpTransport::close() {
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

SendStatus UdpTransport::send(std::span<const std::uint8_t> datagram) {
    if (m_fd < 0 || datagram.size() > wire::kMaxDatagramBytes) {
        ++m_counters.sendFailures;
        return SendStatus::Dropped;
    }
    for (;;) {
        const ssize_t n = ::send(m_fd, datagram.data(), datagram.size(), MSG_NOSIGNAL);
        if (n >= 0) {
            ++m_counters.datagramsSent;
            return SendStatus::Sent;
        }
        if (errno == EINTR)
            continue;
        // ECONNREFUSED reports an ICMP error caused by an earlier datagram; this one was not
        // sent. EAGAIN means the socket buffer is full: dropping is the right call for
        // real-time media, and control requests are retransmitted anyway.
        if (errno == ECONNREFUSED)
            ++m_counters.refused;
        ++m_counters.sendFailures;
        return SendStatus::Dropped;
    }
}

ReceiveResult UdpTransport::receive(std::span<std::uint8_t> buffer,
                                    std::chrono::microseconds timeout) {
    ReceiveResult result;
    if (m_fd < 0) {
        result.status = ReceiveStatus::Error;
        result.errorNumber = EBADF;
        return result;
    }
    auto readOne = [&]() -> bool {
        // MSG_TRUNC makes recv return the real length, so an oversized datagram is detected
        // rather than silently cut.
        const ssize_t n = ::recv(m_fd, buffer.data(), buffer.size(), MSG_TRUNC);
        if (n >= 0) {
            if (static_cast<std::size_t>(n) > buffer.size()) {
                ++m_counters.truncated;
                result.status = ReceiveStatus::Truncated;
                return true;
            }
            ++m_counters.datagramsReceived;
            result.status = ReceiveStatus::Datagram;
            result.sizeBytes = static_cast<std::size_t>(n);
            return true;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return false;
        if (errno == EINTR) {
            result.status = ReceiveStatus::Interrupted;
            return true;
        }
        if (errno == ECONNREFUSED) {
            ++m_counters.refused;
            result.status = ReceiveStatus::Refused;
            return true;
        }
        ++m_counters.receiveErrors;
        result.status = ReceiveStatus::Error;
        result.errorNumber = errno;
        return true;
    };

    if (readOne())
        return result;
    if (timeout.count() <= 0) {
        result.status = ReceiveStatus::Timeout;
        return result;
    }
    pollfd pfd{m_fd, POLLIN, 0};
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000);
    ts.tv_nsec = static_cast<long>((timeout.count() % 1'000'000) * 1000);
    const int ready = ::ppoll(&pfd, 1, &ts, nullptr);
    if (ready < 0) {
        result.status = errno == EINTR ? ReceiveStatus::Interrupted : ReceiveStatus::Error;
        result.errorNumber = errno;
        return result;
    }
    if (ready == 0 || !readOne())
        result.status = ReceiveStatus::Timeout;
    return result;
}

} // namespace diyuma::core
