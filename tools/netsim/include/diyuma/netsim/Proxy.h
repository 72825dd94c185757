#pragma once
// The UDP impairment proxy: one listening socket for clients; for every client source address
// its own upstream socket connected to the target (so the relay sees one address per client);
// replies on that socket go back to that client from the listening socket. Each client has
// two ImpairmentModels, one per direction, seeded from the seed, the client's number (in the
// order clients first sent) and the direction, so every client has its own link.
//
// One thread: epoll over the sockets, an eventfd for requestStop() and a timerfd armed for
// the earliest scheduled delivery; deliveries wait in a binary heap keyed by (time, arrival
// order), so datagrams due at the same time leave in the order they came.
//
// Thread: open() and run() on one thread; requestStop() from any thread or a signal handler;
// stats() on the run() thread, or after run() returned.

#include "diyuma/netsim/Endpoint.h"
#include "diyuma/netsim/ImpairmentModel.h"
#include "diyuma/netsim/NetsimStats.h"
#include "diyuma/util/Clock.h"
#include "diyuma/util/Result.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

namespace diyuma::netsim {

struct ProxyConfig {
    Endpoint listen;
    Endpoint target;
    std::uint64_t seed = 1;
    ImpairmentConfig up;   ///< client -> target
    ImpairmentConfig down; ///< target -> client
    /// Most clients at once (each costs a socket); datagrams from more are dropped.
    std::size_t maxClients = 1024;
    /// A client that sent nothing for this long is forgotten and its socket closed.
    std::chrono::seconds idleTimeout{120};
};

enum class ProxyError { SocketFailed = 1, BindFailed, EventLoopFailed };

class Proxy {
public:
    /// Binds the listening socket and sets up the event loop. `clock` must outlive the proxy
    /// and be a real clock (the timer sleeps in real time).
    [[nodiscard]] static core::Result<std::unique_ptr<Proxy>> open(const ProxyConfig& config,
                                                                   const Clock& clock);
    ~Proxy();
    Proxy(const Proxy&) = delete;
    Proxy& operator=(const Proxy&) = delete;

    /// The bound listening address (with the port the kernel chose for port 0).
    [[nodiscard]] const Endpoint& localAddress() const { return m_local; }

    /// Forwards until requestStop(); then drops what is still scheduled (counted as
    /// "shutdown"). Fails only if the event loop itself fails.
    [[nodiscard]] core::Status run();
    /// Async-signal-safe (one write() to an eventfd).
    void requestStop();

    [[nodiscard]] NetsimStats stats() const;

private:
    struct Client;
    struct Scheduled {
        Clock::TimePoint at;
        std::uint64_t order = 0; ///< arrival order: ties leave first in, first out
        std::uint64_t clientId = 0;
        Direction direction = Direction::Up;
        std::vector<std::uint8_t> bytes;
    };

    Proxy(const ProxyConfig& config, const Clock& clock);
    void onClientReadable();
    void onUpstreamReadable(Client& client);
    void admit(Client& client, Direction direction, std::size_t sizeBytes);
    Client* clientFor(const Endpoint& from);
    void deliverDue();
    void send(Client& client, Direction direction, std::span<const std::uint8_t> bytes);
    void expireIdle(Clock::TimePoint now);
    void closeClient(std::uint64_t id);
    void armTimer();
    DirectionStats& statsFor(Direction direction) {
        return direction == Direction::Up ? m_stats.up : m_stats.down;
    }

    ProxyConfig m_config;
    const Clock& m_clock;
    Endpoint m_local;
    int m_listenFd = -1;
    int m_epollFd = -1;
    int m_stopFd = -1;
    int m_timerFd = -1;
    std::unordered_map<Endpoint, std::uint64_t, EndpointHash> m_clientIds;
    std::unordered_map<std::uint64_t, std::unique_ptr<Client>> m_clients;
    std::uint64_t m_nextClientNumber = 0;
    std::vector<Scheduled> m_heap; ///< min-heap on (at, order)
    std::uint64_t m_nextOrder = 0;
    std::vector<std::vector<std::uint8_t>> m_spareBuffers; ///< reused payload buffers
    std::vector<std::uint8_t> m_receiveBuffer;
    NetsimStats m_stats;
    DirectionStats m_closedModels[2]; ///< model counters of clients already forgotten
};

} // namespace diyuma::netsim
