#pragma once
// The bare forwarder's only "protocol": a fixed 8-byte registration datagram that puts its
// source address into a group. The forwarder echoes it back as the acknowledgement.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |      'B'      |      'F'      |      'R'      |      'G'      |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                       group (big-endian)                      |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Every other datagram from a registered address is forwarded to the other members of its
// group. 'B' (0x42) is outside RTP's first-byte range 128..191, so it never looks like media.
//
// Thread: pure; any thread.

#include "diyuma/util/BigEndian.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace diyuma::bench {

inline constexpr std::array<std::uint8_t, 4> kRegistrationMagic{'B', 'F', 'R', 'G'};
inline constexpr std::size_t kRegistrationBytes = 8;

[[nodiscard]] inline std::array<std::uint8_t, kRegistrationBytes>
encodeRegistration(std::uint32_t group) {
    std::array<std::uint8_t, kRegistrationBytes> bytes{};
    std::copy(kRegistrationMagic.begin(), kRegistrationMagic.end(), bytes.begin());
    core::be::store32(std::span(bytes).subspan<4, 4>(), group);
    return bytes;
}

/// The group of a registration datagram, or nullopt if `bytes` is not one.
[[nodiscard]] inline std::optional<std::uint32_t>
parseRegistration(std::span<const std::uint8_t> bytes) {
    if (bytes.size() != kRegistrationBytes ||
        !std::equal(kRegistrationMagic.begin(), kRegistrationMagic.end(), bytes.begin()))
        return std::nullopt;
    return core::be::load32(bytes.subspan<4, 4>());
}

} // namespace diyuma::bench
