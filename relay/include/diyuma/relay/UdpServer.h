#pragma once
// The relay's socket layer: one non-blocking UDP socket per address family (IPv4, IPv6 or
// both; an IPv6 socket alone is dual-stack), datagrams taken in
// batches with recvmmsg into preallocated buffers, handed to RelayCore, and everything the
// core wants sent gathered into one preallocated sendmmsg batch. Forwarded copies of a
// datagram all point at the same receive buffer (no copy); control replies are copied into
// a preallocated reply pool. The batch is flushed after every receive batch and timer tick,
// before the receive buffers are reused. RelayCore::onTimer runs every tickInterval. A datagram
// for an IPv4 peer leaves through the IPv4 socket, one for an IPv6 peer (or an IPv4 peer seen
// as ::ffff:a.b.c.d by a dual-stack socket) through the IPv6 socket, so with one socket per
// family every reply leaves from the address the peer talks to.
//
// Thread: open(), run(), drain(), stats() and localAddress() on one thread (the I/O thread,
// which also owns the RelayCore). requestStop() may be called from any thread and from a
// signal handler (it only stores an atomic and writes to an eventfd).

#include "diyuma/relay/PacketSink.h"
#include "diyuma/relay/RelayCore.h"
#include "diyuma/relay/RelayStats.h"
#include "diyuma/relay/SocketAddress.h"
#include "diyuma/util/Clock.h"
#include "diyuma/util/Log.h"
#include "diyuma/util/Result.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace diyuma::relay {

struct UdpServerConfig {
    std::size_t recvBatch = 64;         ///< datagrams per recvmmsg
    std::size_t recvBufferBytes = 1500; ///< per datagram (at least kMaxDatagramBytes + 1)
    std::size_t sendBatch = 1024;       ///< datagrams per sendmmsg (flushed when full)
    /// Datagrams the core built per batch (copied, 1200 B each): control replies, and the
    /// per-receiver copies of forwarded RTP that carry the receiver's transport-wide number.
    std::size_t replySlots = 1024;
    int socketBufferBytes = 4 << 20;      ///< SO_RCVBUF / SO_SNDBUF wish (the kernel caps it)
    std::size_t maxBatchesPerWakeup = 16; ///< then the timer gets a turn even under load
    std::chrono::milliseconds tickInterval{50};
};

enum class UdpServerError { NotOpen = 1, SocketFailed = 2, BindFailed = 3 };

class UdpServer final {
public:
    /// `core`, `clock` and `log` must outlive the server; `log` may be null.
    UdpServer(RelayCore& core, const core::Clock& clock, core::LogSink* log,
              UdpServerConfig config = {});
    ~UdpServer();
    UdpServer(const UdpServer&) = delete;
    UdpServer& operator=(const UdpServer&) = delete;

    /// Creates the socket and binds it (port 0: the kernel picks one). The error message is
    /// one line naming the address and the system's reason.
    [[nodiscard]] core::Status open(const SocketAddress& listen);
    /// Opens one socket per address, at most one IPv4 and one IPv6 address. With both, the
    /// IPv6 socket is IPv6-only (so both may use the same port); alone it is dual-stack.
    /// On error no socket stays open.
    [[nodiscard]] core::Status open(std::span<const SocketAddress> listen);
    /// The first bound address (with the real port) after a successful open().
    [[nodiscard]] SocketAddress localAddress() const;
    /// Every bound address, in the order they were opened.
    [[nodiscard]] std::vector<SocketAddress> localAddresses() const;

    /// Serves until requestStop(); then flushes what is pending and returns.
    [[nodiscard]] core::Status run();
    /// Async-signal-safe; any thread. run() returns soon after.
    void requestStop();

    /// Called on the I/O thread every `interval` while run() serves (e.g. a stats line).
    void setPeriodic(std::chrono::milliseconds interval, std::function<void()> callback);

    /// After run() returned: lets `produce` queue datagrams through the server's sink (e.g.
    /// RelayCore::sendGoingAway) and sends them at once. I/O thread.
    void drain(const std::function<void(PacketSink&)>& produce);

    [[nodiscard]] const UdpServerStats& stats() const { return m_stats; }

private:
    class BatchSink final : public PacketSink {
    public:
        explicit BatchSink(UdpServer& server) : m_server(server) {}
        void forward(const SocketAddress& to, std::span<const std::uint8_t> bytes) override;
        void send(const SocketAddress& to, std::span<const std::uint8_t> bytes) override;

    private:
        UdpServer& m_server;
    };

    /// One bound socket and the datagrams waiting to leave through it.
    struct Socket {
        int fd = -1;
        SocketAddress local;
        std::vector<iovec> sendIov;
        std::vector<sockaddr_storage> sendAddrs;
        std::vector<mmsghdr> sendMsgs;
        std::size_t sendCount = 0;
    };

    [[nodiscard]] core::Status openOne(const SocketAddress& listen, int v6Only);
    void closeAll();
    void receiveBatches(int fd);
    /// The socket a datagram to `to` leaves through; null if none has its family.
    [[nodiscard]] Socket* socketFor(const SocketAddress& to);
    /// Queues a datagram, flushing first if its queue or the reply pool is full.
    void enqueue(const SocketAddress& to, const std::uint8_t* data, std::size_t size, bool isReply);
    void flush();
    void flush(Socket& socket);
    void log(core::LogLevel level, std::string_view text);

    RelayCore& m_core;
    const core::Clock& m_clock;
    core::LogSink* m_log;
    UdpServerConfig m_config;
    BatchSink m_sink{*this};

    std::vector<Socket> m_sockets; ///< at most one per family; reserved, never reallocated
    int m_stopFd = -1;
    std::atomic<bool> m_stopRequested{false};

    // Receive side: recvBatch buffers, iovecs, addresses and headers, allocated once.
    std::vector<std::uint8_t> m_recvBuffers;
    std::vector<iovec> m_recvIov;
    std::vector<sockaddr_storage> m_recvAddrs;
    std::vector<mmsghdr> m_recvMsgs;

    // Send side: up to sendBatch pending datagrams per socket (in Socket); replies copied
    // into m_replyBuffers, shared by the sockets and reset by every flush.
    std::vector<std::uint8_t> m_replyBuffers;
    std::size_t m_replyUsed = 0;

    std::chrono::milliseconds m_periodicInterval{0};
    std::function<void()> m_periodic;

    UdpServerStats m_stats;
};

} // namespace diyuma::relay
