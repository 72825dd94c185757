#pragma once
// First-byte demultiplexing of one UDP port (RFC 7983 section 7, RFC 5761 section 4):
//   0x0D (in 4..15, unassigned by RFC 7983)      -> Diyuma control message
//   128..191, second byte & 0x7F in 64..95        -> RTCP (RFC 5761: PT 192..223)
//   128..191, otherwise                           -> RTP
//   anything else                                 -> Unknown (counted and dropped)
// Thread: pure, any thread.

#include <cstdint>
#include <span>

namespace diyuma::core::wire {

enum class PacketKind : std::uint8_t { Unknown = 0, Control, Rtp, Rtcp };

[[nodiscard]] PacketKind classify(std::span<const std::uint8_t> datagram);

} // namespace diyuma::core::wire
