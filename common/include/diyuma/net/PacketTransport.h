#pragma once
// The one way the session and the call engine send datagrams to the relay. Receiving is the
// driver's job: whoever owns the socket (diyuma-cli's loop, later the app's network thread)
// hands every received datagram to CallEngine::onDatagram. Tests put a fake here.

#include <cstdint>
#include <span>

namespace diyuma::core {

/// Outcome of one send. A datagram that was not sent is simply lost: callers that need
/// reliability (control requests) retransmit on their own timers.
enum class SendStatus : std::uint8_t {
    Sent,    ///< handed to the kernel (or the fake)
    Dropped, ///< not sent (socket buffer full, ICMP error pending, too large...)
};

/// Sends datagrams to one peer (the relay).
/// Thread: whichever single thread drives the engine calls send(); implementations need no
/// locking of their own for that use.
class PacketTransport {
public:
    virtual ~PacketTransport() = default;
    /// Sends one datagram of at most wire::kMaxDatagramBytes. Never blocks. The bytes are
    /// only read during the call (the caller keeps ownership).
    virtual SendStatus send(std::span<const std::uint8_t> datagram) = 0;
};

} // namespace diyuma::core
