#include "diyuma/relay/UdpServer.h"

#include "diyuma/wire/Limits.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace diyuma::relay {

namespace {
core::Error makeError(UdpServerError code, std::string message) {
    return core::Error{static_cast<int>(code), std::move(message)};
}
} // namespace

UdpServer::UdpServer(RelayCore& core, const core::Clock& clock, core::LogSink* log,
                     UdpServerConfig config)
    : m_core(core), m_clock(clock), m_log(log), m_config(config) {
    m_config.recvBatch = std::max<std::size_t>(1, m_config.recvBatch);
    m_config.sendBatch = std::max<std::size_t>(1, m_config.sendBatch);
    m_config.replySlots = std::max<std::size_t>(1, m_config.replySlots);
    // One byte more than the protocol allows, so an oversized datagram is seen as such.
    m_config.recvBufferBytes =
        std::max<std::size_t>(m_config.recvBufferBytes, wire::kMaxDatagramBytes + 1);

    m_recvBuffers.resize(m_config.recvBatch * m_config.recvBufferBytes);
    m_recvIov.resize(m_config.recvBatch);
    m_recvAddrs.resize(m_config.recvBatch);
    m_recvMsgs.resize(m_config.recvBatch);
    for (std::size_t i = 0; i < m_config.recvBatch; ++i) {
        m_recvIov[i].iov_base = m_recvBuffers.data() + i * m_config.recvBufferBytes;
        m_recvIov[i].iov_len = m_config.recvBufferBytes;
        std::memset(&m_recvMsgs[i], 0, sizeof(mmsghdr));
        m_recvMsgs[i].msg_hdr.msg_iov = &m_recvIov[i];
        m_recvMsgs[i].msg_hdr.msg_iovlen = 1;
        m_recvMsgs[i].msg_hdr.msg_name = &m_recvAddrs[i];
    }

    m_replyBuffers.resize(m_config.replySlots * wire::kMaxDatagramBytes);
    m_sockets.reserve(2);
}

UdpServer::~UdpServer() {
    closeAll();
    if (m_stopFd >= 0)
        ::close(m_stopFd);
}

void UdpServer::closeAll() {
    for (auto& socket : m_sockets) {
        if (socket.fd >= 0)
            ::close(socket.fd);
    }
    m_sockets.clear();
}

SocketAddress UdpServer::localAddress() const {
    return m_sockets.empty() ? SocketAddress{} : m_sockets.front().local;
}

std::vector<SocketAddress> UdpServer::localAddresses() const {
    std::vector<SocketAddress> addresses;
    for (const auto& socket : m_sockets)
        addresses.push_back(socket.local);
    return addresses;
}

core::Status UdpServer::open(const SocketAddress& listen) {
    return open(std::span<const SocketAddress>(&listen, 1));
}

core::Status UdpServer::open(std::span<const SocketAddress> listen) {
    if (!m_sockets.empty())
        return makeError(UdpServerError::SocketFailed, "the relay socket is already open");
    if (listen.empty())
        return makeError(UdpServerError::BindFailed, "no listen address");
    std::size_t v4 = 0;
    for (const auto& address : listen)
        v4 += address.family() == SocketAddress::Family::V4 ? 1 : 0;
    if (v4 > 1 || listen.size() - v4 > 1)
        return makeError(UdpServerError::BindFailed,
                         "at most one IPv4 and one IPv6 listen address");
    if (m_stopFd < 0) {
        m_stopFd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (m_stopFd < 0)
            return makeError(
                UdpServerError::SocketFailed,
                fmt::format("cannot create an eventfd to serve: {}", std::strerror(errno)));
    }
    // With an IPv4 socket next to it, the IPv6 one must not also take IPv4 (it could not
    // bind the same port, and replies must leave through the socket the peer talks to).
    const int v6Only = v4 > 0 ? 1 : 0;
    for (const auto& address : listen) {
        if (auto opened = openOne(address, v6Only); !opened) {
            closeAll();
            return opened;
        }
    }
    return core::Ok{};
}

core::Status UdpServer::openOne(const SocketAddress& listen, int v6Only) {
    const auto fail = [&](UdpServerError code, std::string_view step) {
        const int error = errno;
        return makeError(
            code, fmt::format("cannot {} {}: {}", step, listen.toString(), std::strerror(error)));
    };
    if (!listen.isValid())
        return makeError(UdpServerError::BindFailed, "no listen address");
    const int family = listen.family() == SocketAddress::Family::V6 ? AF_INET6 : AF_INET;
    Socket socket;
    socket.fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (socket.fd < 0)
        return fail(UdpServerError::SocketFailed, "create a UDP socket for");
    // Owned by m_sockets from here, so every error path below closes it (closeAll).
    m_sockets.push_back(std::move(socket));
    Socket& added = m_sockets.back();
    const int fd = added.fd;
    if (family == AF_INET6)
        (void)::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6Only, sizeof v6Only);

    // Bigger kernel buffers ride out bursts (many senders at once, a slow tick); the kernel
    // caps the wish at net.core.rmem_max / wmem_max, which is fine.
    const int wish = m_config.socketBufferBytes;
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &wish, sizeof wish);
    (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &wish, sizeof wish);

    sockaddr_storage address{};
    const auto length = listen.toSockaddr(address);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), static_cast<socklen_t>(length)) !=
        0)
        return fail(UdpServerError::BindFailed, "listen on");
    sockaddr_storage bound{};
    socklen_t boundLength = sizeof bound;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &boundLength) != 0)
        return fail(UdpServerError::BindFailed, "read the bound address of");
    added.local =
        SocketAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&bound), boundLength);

    added.sendIov.resize(m_config.sendBatch);
    added.sendAddrs.resize(m_config.sendBatch);
    added.sendMsgs.resize(m_config.sendBatch);
    for (std::size_t i = 0; i < m_config.sendBatch; ++i) {
        std::memset(&added.sendMsgs[i], 0, sizeof(mmsghdr));
        added.sendMsgs[i].msg_hdr.msg_iov = &added.sendIov[i];
        added.sendMsgs[i].msg_hdr.msg_iovlen = 1;
        added.sendMsgs[i].msg_hdr.msg_name = &added.sendAddrs[i];
    }

    int rcv = 0;
    int snd = 0;
    socklen_t optLength = sizeof rcv;
    (void)::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &optLength);
    optLength = sizeof snd;
    (void)::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, &optLength);
    log(core::LogLevel::Debug, fmt::format("listening on {} (SO_RCVBUF {} B, SO_SNDBUF {} B)",
                                           added.local.toString(), rcv, snd));
    return core::Ok{};
}

void UdpServer::requestStop() {
    m_stopRequested.store(true, std::memory_order_relaxed); // the eventfd write wakes poll()
    if (m_stopFd >= 0) {
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto n = ::write(m_stopFd, &one, sizeof one);
    }
}

void UdpServer::setPeriodic(std::chrono::milliseconds interval, std::function<void()> callback) {
    m_periodicInterval = interval;
    m_periodic = std::move(callback);
}

core::Status UdpServer::run() {
    if (m_sockets.empty())
        return makeError(UdpServerError::NotOpen, "the relay socket is not open");
    auto nextTick = m_clock.now() + m_config.tickInterval;
    const bool periodic = m_periodic && m_periodicInterval.count() > 0;
    auto nextPeriodic = m_clock.now() + m_periodicInterval;

    // The stop eventfd first, then one entry per socket (at most two).
    std::array<pollfd, 3> fds{};
    fds[0] = {m_stopFd, POLLIN, 0};
    for (std::size_t i = 0; i < m_sockets.size(); ++i)
        fds[i + 1] = {m_sockets[i].fd, POLLIN, 0};
    const auto fdCount = static_cast<nfds_t>(m_sockets.size() + 1);
    while (!m_stopRequested.load(std::memory_order_relaxed)) {
        auto now = m_clock.now();
        const auto waitUs = std::max<std::int64_t>(0, (nextTick - now).count());
        const int timeoutMs = static_cast<int>((waitUs + 999) / 1000);
        const int ready = ::poll(fds.data(), fdCount, timeoutMs);
        if (ready < 0 && errno != EINTR) {
            log(core::LogLevel::Error, fmt::format("poll failed: {}", std::strerror(errno)));
            break;
        }
        if (ready > 0 && (fds[0].revents & POLLIN) != 0)
            break;
        if (ready > 0) {
            for (nfds_t i = 1; i < fdCount; ++i) {
                if ((fds[i].revents & POLLIN) != 0)
                    receiveBatches(fds[i].fd);
            }
        }

        now = m_clock.now();
        if (now >= nextTick) {
            m_core.onTimer(now, m_sink);
            flush();
            ++m_stats.timerTicks;
            nextTick += m_config.tickInterval;
            if (nextTick <= now)
                nextTick = now + m_config.tickInterval; // fell behind: do not catch up in a burst
        }
        if (periodic && now >= nextPeriodic) {
            m_periodic();
            nextPeriodic = now + m_periodicInterval;
        }
    }
    flush();
    return core::Ok{};
}

void UdpServer::drain(const std::function<void(PacketSink&)>& produce) {
    if (m_sockets.empty())
        return;
    produce(m_sink);
    flush();
}

void UdpServer::receiveBatches(int fd) {
    const auto batch = static_cast<unsigned>(m_config.recvBatch);
    for (std::size_t round = 0; round < m_config.maxBatchesPerWakeup; ++round) {
        for (auto& message : m_recvMsgs) {
            message.msg_hdr.msg_namelen = sizeof(sockaddr_storage); // in/out: reset every time
            message.msg_hdr.msg_flags = 0;
            message.msg_len = 0;
        }
        const int n = ::recvmmsg(fd, m_recvMsgs.data(), batch, MSG_DONTWAIT, nullptr);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                log(core::LogLevel::Warning, fmt::format("recvmmsg: {}", std::strerror(errno)));
            return;
        }
        if (n == 0)
            return;
        ++m_stats.recvCalls;
        m_stats.datagramsReceived += static_cast<std::uint64_t>(n);
        m_stats.largestRecvBatch =
            std::max<std::uint64_t>(m_stats.largestRecvBatch, static_cast<std::uint64_t>(n));
        const auto now = m_clock.now();
        for (int i = 0; i < n; ++i) {
            const auto& header = m_recvMsgs[static_cast<std::size_t>(i)].msg_hdr;
            if ((header.msg_flags & MSG_TRUNC) != 0)
                ++m_stats.truncatedReceives;
            const auto from = SocketAddress::fromSockaddr(
                static_cast<const sockaddr*>(header.msg_name), header.msg_namelen);
            const std::span<const std::uint8_t> bytes(
                static_cast<const std::uint8_t*>(header.msg_iov->iov_base),
                std::min<std::size_t>(m_recvMsgs[static_cast<std::size_t>(i)].msg_len,
                                      m_config.recvBufferBytes));
            m_core.onDatagram(from, bytes, now, m_sink);
        }
        // Forwarded spans point into the receive buffers: send before they are reused.
        flush();
        if (static_cast<unsigned>(n) < batch)
            return;
    }
}

UdpServer::Socket* UdpServer::socketFor(const SocketAddress& to) {
    for (auto& socket : m_sockets) {
        if (socket.local.family() == to.family())
            return &socket;
    }
    return nullptr;
}

void UdpServer::enqueue(const SocketAddress& to, const std::uint8_t* data, std::size_t size,
                        bool isReply) {
    Socket* socket = socketFor(to);
    if (socket == nullptr) {
        ++m_stats.sendErrors; // no socket of that family (only with a hand-made address)
        return;
    }
    if (socket->sendCount == m_config.sendBatch)
        flush(*socket);
    if (isReply) {
        if (m_replyUsed == m_config.replySlots)
            flush(); // every queue may point into the reply pool
        std::uint8_t* slot = m_replyBuffers.data() + m_replyUsed++ * wire::kMaxDatagramBytes;
        std::copy(data, data + size, slot);
        data = slot;
    }
    const std::size_t index = socket->sendCount++;
    auto& header = socket->sendMsgs[index].msg_hdr;
    header.msg_namelen = static_cast<socklen_t>(to.toSockaddr(socket->sendAddrs[index]));
    // sendmmsg does not write through iov_base; the const_cast only satisfies the C type.
    socket->sendIov[index].iov_base = const_cast<std::uint8_t*>(data);
    socket->sendIov[index].iov_len = size;
}

void UdpServer::BatchSink::forward(const SocketAddress& to, std::span<const std::uint8_t> bytes) {
    m_server.enqueue(to, bytes.data(), bytes.size(), false);
}

void UdpServer::BatchSink::send(const SocketAddress& to, std::span<const std::uint8_t> bytes) {
    if (bytes.size() > wire::kMaxDatagramBytes)
        return; // the core never builds these; refuse rather than overrun a reply slot
    m_server.enqueue(to, bytes.data(), bytes.size(), true);
}

void UdpServer::flush() {
    for (auto& socket : m_sockets)
        flush(socket);
    m_replyUsed = 0;
}

void UdpServer::flush(Socket& socket) {
    std::size_t done = 0;
    const std::size_t count = socket.sendCount;
    m_stats.largestSendBatch = std::max<std::uint64_t>(m_stats.largestSendBatch, count);
    while (done < count) {
        const int n = ::sendmmsg(socket.fd, socket.sendMsgs.data() + done,
                                 static_cast<unsigned>(count - done), 0);
        ++m_stats.sendCalls;
        if (n > 0) {
            done += static_cast<std::size_t>(n);
            m_stats.datagramsSent += static_cast<std::uint64_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            // The socket's send buffer is full: UDP semantics, drop the rest and count it.
            m_stats.sendWouldBlock += count - done;
            break;
        }
        // This one datagram failed (e.g. no route to its destination); skip it.
        ++m_stats.sendErrors;
        ++done;
    }
    socket.sendCount = 0;
}

void UdpServer::log(core::LogLevel level, std::string_view text) {
    if (m_log != nullptr)
        m_log->log(core::LogCategory::Net, level, text);
}

} // namespace diyuma::relay
