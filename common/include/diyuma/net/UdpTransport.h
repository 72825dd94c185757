#pragma once
// A POSIX UDP socket "connected" to one relay (IPv4 or IPv6). connect() on a datagram socket
// fixes the peer, so the kernel drops datagrams from any other source and reports ICMP errors
// (port unreachable -> ECONNREFUSED) on the next call. The socket is non-blocking; receive()
// waits with ppoll, so timeouts have microsecond resolution.
//
// Thread: one thread owns the object; send() and receive() must not run concurrently on it.

#include "diyuma/id/InviteLink.h"
#include "diyuma/net/PacketTransport.h"
#include "diyuma/util/Result.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace diyuma::core {

enum class NetError { ResolveFailed = 1, SocketFailed, ConnectFailed };

enum class ReceiveStatus : std::uint8_t {
    Datagram,    ///< one datagram was copied into the buffer (sizeBytes)
    Timeout,     ///< nothing arrived within the timeout
    Interrupted, ///< a signal interrupted the wait (check your stop flag)
    Truncated,   ///< a datagram larger than the buffer arrived and was discarded
    Refused,     ///< ICMP port unreachable: nothing listens at the relay address (yet)
    Error,       ///< another socket error (errorNumber); the socket stays usable
};

struct ReceiveResult {
    ReceiveStatus status = ReceiveStatus::Timeout;
    std::size_t sizeBytes = 0; ///< valid when status == Datagram
    int errorNumber = 0;       ///< errno when status == Error
};

/// Counters for the stats and for error messages ("connection refused").
struct UdpTransportCounters {
    std::uint64_t datagramsSent = 0;
    std::uint64_t datagramsReceived = 0;
    std::uint64_t sendFailures = 0;
    std::uint64_t refused = 0; ///< ECONNREFUSED seen on send or receive
    std::uint64_t truncated = 0;
    std::uint64_t receiveErrors = 0;
};

class UdpTransport final : public PacketTransport {
public:
    /// Resolves relay.host with getaddrinfo (names, IPv4, IPv6; IPv4 is preferred when a name
    /// has both, because relays listen on 0.0.0.0 by default) and connects a non-blocking UDP
    /// socket to it. Errors name the address.
    [[nodiscard]] static Result<UdpTransport> open(const RelayAddress& relay);

    UdpTransport(UdpTransport&& other) noexcept;
    UdpTransport& operator=(UdpTransport&& other) noexcept;
    UdpTransport(const UdpTransport&) = delete;
    UdpTransport& operator=(const UdpTransport&) = delete;
    ~UdpTransport() override;

    SendStatus send(std::span<const std::uint8_t> datagram) override;

    /// Waits up to `timeout` (0 = just look) for one datagram and copies it into `buffer`
    /// (give it more than wire::kMaxDatagramBytes so oversized datagrams are noticed).
    [[nodiscard]] ReceiveResult receive(std::span<std::uint8_t> buffer,
                                        std::chrono::microseconds timeout);

    /// The numeric address actually used, e.g. "127.0.0.1:47400" or "[::1]:47400".
    [[nodiscard]] const std::string& peerAddress() const { return m_peer; }
    [[nodiscard]] const UdpTransportCounters& counters() const { return m_counters; }
    [[nodiscard]] int nativeHandle() const { return m_fd; }

private:
    UdpTransport(int fd, std::string peer) : m_fd(fd), m_peer(std::move(peer)) {}
    void close();

    int m_fd = -1;
    std::string m_peer;
    UdpTransportCounters m_counters;
};

} // namespace diyuma::core
