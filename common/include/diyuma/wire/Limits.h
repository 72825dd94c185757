#pragma once
// Size limits of the wire protocol (docs/PROTOCOL.md).

#include <cstddef>
#include <cstdint>

namespace diyuma::core::wire {

/// The largest datagram we send or accept (bytes of UDP payload). Fits an IPv6 path MTU of
/// 1280 with room for IP and UDP headers.
inline constexpr std::size_t kMaxDatagramBytes = 1200;
/// IPv4 and UDP headers: what a datagram costs on the link beyond its payload (counted by the
/// bandwidth estimators).
inline constexpr std::size_t kUdpIpOverheadBytes = 28;
/// A Hello must be at least this large, so the Cookie reply (smaller) never amplifies.
inline constexpr std::size_t kHelloMinBytes = 64;
/// Display names: 1..kMaxNameBytes bytes of UTF-8 without control characters.
inline constexpr std::size_t kMaxNameBytes = 64;
/// Announced media streams (SSRCs) per participant: audio, video layers, later simulcast.
inline constexpr std::size_t kMaxSsrcsPerParticipant = 8;
/// Error reasons: at most this many bytes of UTF-8.
inline constexpr std::size_t kMaxReasonBytes = 200;

} // namespace diyuma::core::wire
