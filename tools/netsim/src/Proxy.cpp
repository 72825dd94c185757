#include "diyuma/netsim/Proxy.h"

#include <errno.h>
#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace diyuma::netsim {

namespace {
using namespace std::chrono_literals;

// epoll tags; client ids start above them.
constexpr std::uint64_t kListenTag = 0;
constexpr std::uint64_t kStopTag = 1;
constexpr std::uint64_t kTimerTag = 2;
constexpr std::uint64_t kFirstClientId = 16;

// Datagrams read per readiness event and socket, so one busy socket cannot starve the
// timer (the epoll is level-triggered: the rest is read on the next round).
constexpr int kReadBatch = 64;
// Larger than any UDP datagram over IPv4/IPv6 without jumbograms.
constexpr std::size_t kReceiveBufferBytes = 65536;
// Bursts of video datagrams must not overflow the kernel buffers before we read them.
constexpr int kSocketBufferBytes = 4 * 1024 * 1024;

core::Error proxyError(ProxyError code, std::string message) {
    return core::Error{static_cast<int>(code), std::move(message)};
}

std::string errnoText(int error) {
    return std::strerror(error);
}

bool heapLater(const auto& a, const auto& b) {
    // std::push_heap builds a max-heap: "later" first means the earliest is on top.
    return a.at != b.at ? a.at > b.at : a.order > b.order;
}

void setBuffers(int fd) {
    const int size = kSocketBufferBytes;
    // Best effort: the kernel caps these at net.core.{r,w}mem_max.
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}
} // namespace

struct Proxy::Client {
    Client(std::uint64_t clientId, const Endpoint& from, int socketFd, const Clock& clock,
           const ProxyConfig& config, std::uint64_t number)
        : id(clientId), address(from), fd(socketFd),
          up(clock, deriveSeed(config.seed, number * 2 + 0), config.up),
          down(clock, deriveSeed(config.seed, number * 2 + 1), config.down),
          lastHeard(clock.now()) {}
    ~Client() {
        if (fd >= 0)
            ::close(fd);
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    ImpairmentModel& model(Direction direction) { return direction == Direction::Up ? up : down; }

    std::uint64_t id;
    Endpoint address;
    int fd;
    ImpairmentModel up;
    ImpairmentModel down;
    Clock::TimePoint lastHeard;
};

Proxy::Proxy(const ProxyConfig& config, const Clock& clock)
    : m_config(config), m_clock(clock), m_receiveBuffer(kReceiveBufferBytes) {
    m_stats.seed = config.seed;
    // Rate schedules count from the proxy's start, for every client alike.
    m_config.up.scheduleOrigin = clock.now();
    m_config.down.scheduleOrigin = clock.now();
}

Proxy::~Proxy() {
    m_clients.clear();
    for (int fd : {m_listenFd, m_epollFd, m_stopFd, m_timerFd}) {
        if (fd >= 0)
            ::close(fd);
    }
}

core::Result<std::unique_ptr<Proxy>> Proxy::open(const ProxyConfig& config, const Clock& clock) {
    std::unique_ptr<Proxy> proxy(new Proxy(config, clock));
    Proxy& p = *proxy;
    p.m_listenFd = ::socket(config.listen.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p.m_listenFd < 0)
        return proxyError(ProxyError::SocketFailed,
                          fmt::format("cannot open a UDP socket: {}", errnoText(errno)));
    setBuffers(p.m_listenFd);
    if (::bind(p.m_listenFd, config.listen.sockaddrPtr(),
               static_cast<socklen_t>(config.listen.sockaddrLength())) != 0)
        return proxyError(
            ProxyError::BindFailed,
            fmt::format("cannot listen on {}: {}", config.listen.toString(), errnoText(errno)));
    sockaddr_storage bound{};
    socklen_t boundLength = sizeof bound;
    if (::getsockname(p.m_listenFd, reinterpret_cast<sockaddr*>(&bound), &boundLength) != 0)
        return proxyError(ProxyError::SocketFailed,
                          fmt::format("getsockname failed: {}", errnoText(errno)));
    p.m_local = Endpoint::fromSockaddr(reinterpret_cast<const sockaddr*>(&bound), boundLength);

    p.m_epollFd = ::epoll_create1(EPOLL_CLOEXEC);
    p.m_stopFd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    p.m_timerFd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (p.m_epollFd < 0 || p.m_stopFd < 0 || p.m_timerFd < 0)
        return proxyError(ProxyError::EventLoopFailed,
                          fmt::format("cannot set up the event loop: {}", errnoText(errno)));
    for (const auto& [fd, tag] :
         {std::pair{p.m_listenFd, kListenTag}, std::pair{p.m_stopFd, kStopTag},
          std::pair{p.m_timerFd, kTimerTag}}) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u64 = tag;
        if (::epoll_ctl(p.m_epollFd, EPOLL_CTL_ADD, fd, &event) != 0)
            return proxyError(ProxyError::EventLoopFailed,
                              fmt::format("epoll_ctl failed: {}", errnoText(errno)));
    }
    return proxy;
}

void Proxy::requestStop() {
    const std::uint64_t one = 1;
    // write() is async-signal-safe; a full counter (it cannot be) would only lose a wake-up.
    [[maybe_unused]] const auto written = ::write(m_stopFd, &one, sizeof one);
}

core::Status Proxy::run() {
    std::array<epoll_event, 64> events{};
    Clock::TimePoint lastHousekeeping = m_clock.now();
    bool stop = false;
    while (!stop) {
        deliverDue();
        armTimer();
        // The 1 s timeout only paces the idle-client housekeeping; deliveries wake the timerfd.
        const int n = ::epoll_wait(m_epollFd, events.data(), static_cast<int>(events.size()), 1000);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return proxyError(ProxyError::EventLoopFailed,
                              fmt::format("epoll_wait failed: {}", errnoText(errno)));
        }
        for (int i = 0; i < n; ++i) {
            const std::uint64_t tag = events[static_cast<std::size_t>(i)].data.u64;
            if (tag == kListenTag) {
                onClientReadable();
            } else if (tag == kStopTag) {
                stop = true;
            } else if (tag == kTimerTag) {
                std::uint64_t expirations = 0;
                [[maybe_unused]] const auto got =
                    ::read(m_timerFd, &expirations, sizeof expirations);
            } else if (auto it = m_clients.find(tag); it != m_clients.end()) {
                onUpstreamReadable(*it->second);
            }
        }
        const Clock::TimePoint now = m_clock.now();
        if (now - lastHousekeeping >= 1s) {
            expireIdle(now);
            lastHousekeeping = now;
        }
    }
    for (const Scheduled& s : m_heap)
        ++statsFor(s.direction).droppedShutdown;
    m_heap.clear();
    return core::Ok{};
}

void Proxy::onClientReadable() {
    for (int i = 0; i < kReadBatch; ++i) {
        sockaddr_storage from{};
        socklen_t fromLength = sizeof from;
        const ssize_t got = ::recvfrom(m_listenFd, m_receiveBuffer.data(), m_receiveBuffer.size(),
                                       0, reinterpret_cast<sockaddr*>(&from), &fromLength);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return; // EAGAIN, or an error the next datagram will not have
        }
        ++m_stats.up.in;
        const Endpoint source =
            Endpoint::fromSockaddr(reinterpret_cast<const sockaddr*>(&from), fromLength);
        Client* client = source.isValid() ? clientFor(source) : nullptr;
        if (!client) {
            ++m_stats.up.droppedTooManyClients;
            continue;
        }
        client->lastHeard = m_clock.now();
        admit(*client, Direction::Up, static_cast<std::size_t>(got));
    }
}

void Proxy::onUpstreamReadable(Client& client) {
    for (int i = 0; i < kReadBatch; ++i) {
        const ssize_t got = ::recv(client.fd, m_receiveBuffer.data(), m_receiveBuffer.size(), 0);
        if (got < 0) {
            // ECONNREFUSED: an ICMP error for an earlier send (nothing listens at the target
            // yet); it is consumed by this call, so keep reading.
            if (errno == EINTR || errno == ECONNREFUSED)
                continue;
            return;
        }
        ++m_stats.down.in;
        admit(client, Direction::Down, static_cast<std::size_t>(got));
    }
}

void Proxy::admit(Client& client, Direction direction, std::size_t sizeBytes) {
    const Verdict verdict = client.model(direction).offer(sizeBytes);
    if (verdict.dropped())
        return; // counted by the model
    for (int copy = 0; copy < (verdict.duplicate ? 2 : 1); ++copy) {
        std::vector<std::uint8_t> bytes;
        if (!m_spareBuffers.empty()) {
            bytes = std::move(m_spareBuffers.back());
            m_spareBuffers.pop_back();
        }
        bytes.assign(m_receiveBuffer.begin(),
                     m_receiveBuffer.begin() + static_cast<std::ptrdiff_t>(sizeBytes));
        m_heap.push_back(
            Scheduled{verdict.deliverAt, m_nextOrder++, client.id, direction, std::move(bytes)});
        std::push_heap(m_heap.begin(), m_heap.end(),
                       [](const Scheduled& a, const Scheduled& b) { return heapLater(a, b); });
    }
}

Proxy::Client* Proxy::clientFor(const Endpoint& from) {
    if (auto it = m_clientIds.find(from); it != m_clientIds.end())
        return m_clients.at(it->second).get();
    if (m_clients.size() >= m_config.maxClients)
        return nullptr;
    const int fd = ::socket(m_config.target.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return nullptr;
    setBuffers(fd);
    // connect() fixes the peer: the kernel drops datagrams from anyone but the target.
    if (::connect(fd, m_config.target.sockaddrPtr(),
                  static_cast<socklen_t>(m_config.target.sockaddrLength())) != 0) {
        ::close(fd);
        return nullptr;
    }
    const std::uint64_t id = kFirstClientId + m_nextClientNumber;
    auto client = std::make_unique<Client>(id, from, fd, m_clock, m_config, m_nextClientNumber);
    ++m_nextClientNumber;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = id;
    if (::epoll_ctl(m_epollFd, EPOLL_CTL_ADD, fd, &event) != 0)
        return nullptr; // ~Client closes the socket
    ++m_stats.clients;
    Client* raw = client.get();
    m_clients.emplace(id, std::move(client));
    m_clientIds.emplace(from, id);
    return raw;
}

void Proxy::deliverDue() {
    const Clock::TimePoint now = m_clock.now();
    while (!m_heap.empty() && m_heap.front().at <= now) {
        std::pop_heap(m_heap.begin(), m_heap.end(),
                      [](const Scheduled& a, const Scheduled& b) { return heapLater(a, b); });
        Scheduled due = std::move(m_heap.back());
        m_heap.pop_back();
        if (auto it = m_clients.find(due.clientId); it != m_clients.end())
            send(*it->second, due.direction, due.bytes);
        else
            ++statsFor(due.direction).droppedSendError; // the client was forgotten meanwhile
        m_spareBuffers.push_back(std::move(due.bytes));
    }
}

void Proxy::send(Client& client, Direction direction, std::span<const std::uint8_t> bytes) {
    ssize_t sent = -1;
    do {
        sent =
            direction == Direction::Up
                ? ::send(client.fd, bytes.data(), bytes.size(), 0)
                : ::sendto(m_listenFd, bytes.data(), bytes.size(), 0, client.address.sockaddrPtr(),
                           static_cast<socklen_t>(client.address.sockaddrLength()));
    } while (sent < 0 && errno == EINTR);
    if (sent < 0)
        ++statsFor(direction).droppedSendError; // full buffer, ICMP error: the network's loss
    else
        ++statsFor(direction).out;
}

void Proxy::armTimer() {
    itimerspec spec{};
    if (!m_heap.empty()) {
        auto wait = m_heap.front().at - m_clock.now();
        wait = std::max(wait, Clock::Duration(1)); // 0 would disarm the timer
        spec.it_value.tv_sec = static_cast<time_t>(wait.count() / 1'000'000);
        spec.it_value.tv_nsec = static_cast<long>(wait.count() % 1'000'000) * 1000;
    }
    (void)::timerfd_settime(m_timerFd, 0, &spec, nullptr);
}

void Proxy::expireIdle(Clock::TimePoint now) {
    std::vector<std::uint64_t> idle;
    for (const auto& [id, client] : m_clients) {
        if (now - client->lastHeard > m_config.idleTimeout)
            idle.push_back(id);
    }
    for (const std::uint64_t id : idle)
        closeClient(id);
}

void Proxy::closeClient(std::uint64_t id) {
    auto it = m_clients.find(id);
    if (it == m_clients.end())
        return;
    Client& client = *it->second;
    m_closedModels[0].addModel(client.up.counters());
    m_closedModels[1].addModel(client.down.counters());
    ::epoll_ctl(m_epollFd, EPOLL_CTL_DEL, client.fd, nullptr);
    m_clientIds.erase(client.address);
    m_clients.erase(it);
}

NetsimStats Proxy::stats() const {
    NetsimStats stats = m_stats;
    const auto addCounters = [](DirectionStats& to, const DirectionStats& from) {
        to.droppedLoss += from.droppedLoss;
        to.droppedBurst += from.droppedBurst;
        to.droppedQueue += from.droppedQueue;
        to.duplicated += from.duplicated;
        to.reordered += from.reordered;
    };
    addCounters(stats.up, m_closedModels[0]);
    addCounters(stats.down, m_closedModels[1]);
    for (const auto& [id, client] : m_clients) {
        stats.up.addModel(client->up.counters());
        stats.down.addModel(client->down.counters());
    }
    return stats;
}

} // namespace diyuma::netsim
