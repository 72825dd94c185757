#pragma once
// The one place where multi-byte wire fields are loaded and stored (network byte order).
// Callers check lengths first; these helpers never look past the bytes they are given.

#include <cstdint>
#include <span>

namespace diyuma::core::be {

inline std::uint16_t load16(std::span<const std::uint8_t, 2> b) {
    return static_cast<std::uint16_t>((b[0] << 8) | b[1]);
}
inline std::uint32_t load32(std::span<const std::uint8_t, 4> b) {
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
           std::uint32_t{b[3]};
}
inline std::uint64_t load64(std::span<const std::uint8_t, 8> b) {
    return (std::uint64_t{load32(b.first<4>())} << 32) | load32(b.last<4>());
}
inline void store16(std::span<std::uint8_t, 2> b, std::uint16_t v) {
    b[0] = static_cast<std::uint8_t>(v >> 8);
    b[1] = static_cast<std::uint8_t>(v);
}
inline void store32(std::span<std::uint8_t, 4> b, std::uint32_t v) {
    b[0] = static_cast<std::uint8_t>(v >> 24);
    b[1] = static_cast<std::uint8_t>(v >> 16);
    b[2] = static_cast<std::uint8_t>(v >> 8);
    b[3] = static_cast<std::uint8_t>(v);
}
inline void store64(std::span<std::uint8_t, 8> b, std::uint64_t v) {
    store32(b.first<4>(), static_cast<std::uint32_t>(v >> 32));
    store32(b.last<4>(), static_cast<std::uint32_t>(v));
}

} // namespace diyuma::core::be
