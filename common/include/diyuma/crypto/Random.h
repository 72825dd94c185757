#pragma once
// Randomness from OpenSSL's CSPRNG (RAND_bytes). Thread: any.

#include <cstdint>
#include <span>

namespace diyuma::core {

/// Fills `out` with cryptographically secure random bytes. Returns false only if OpenSSL's
/// generator fails (then `out` must not be used).
[[nodiscard]] bool randomBytes(std::span<std::uint8_t> out);

/// A random 32-bit value (e.g. an SSRC); aborts with a message if the CSPRNG fails, which
/// only happens on a broken system.
[[nodiscard]] std::uint32_t randomU32();
/// A random 64-bit value; same failure behaviour as randomU32.
[[nodiscard]] std::uint64_t randomU64();

} // namespace diyuma::core
