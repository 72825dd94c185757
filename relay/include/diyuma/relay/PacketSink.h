#pragma once
// Where RelayCore puts the datagrams it wants sent. The core never touches a socket: the I/O
// layer (UdpServer) implements this and batches the datagrams into sendmmsg; tests implement
// it with a recording fake.
//
// Thread: called by RelayCore on the thread that drives it (the relay's I/O thread).

#include "diyuma/relay/SocketAddress.h"

#include <cstdint>
#include <span>

namespace diyuma::relay {

class PacketSink {
public:
    virtual ~PacketSink() = default;

    /// Forward a received datagram (or one packet of a compound RTCP datagram) unchanged to
    /// `to`. `bytes` is the span that was handed to RelayCore::onDatagram, or a part of it, so
    /// it stays valid as long as the caller's receive
    /// buffer does: the sink may keep the span (not a copy) until it flushes, and many
    /// destinations of one datagram share the same bytes. Must not allocate per call.
    virtual void forward(const SocketAddress& to, std::span<const std::uint8_t> bytes) = 0;

    /// Send a datagram the core built (a control reply, a roster update). `bytes` lives in a
    /// scratch buffer of the core and is valid only during this call: copy it or send it now.
    virtual void send(const SocketAddress& to, std::span<const std::uint8_t> bytes) = 0;
};

} // namespace diyuma::relay
