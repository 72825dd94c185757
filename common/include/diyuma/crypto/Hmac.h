#pragma once
// HMAC-SHA-256 (OpenSSL) and the admin challenge-response built on it (docs/PROTOCOL.md,
// "Admin proof"). Thread: any.

#include "diyuma/wire/Control.h"

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>

namespace diyuma::core {

using Sha256Digest = std::array<std::uint8_t, 32>;

/// HMAC-SHA-256 of the concatenation of `parts` under `key`.
[[nodiscard]] Sha256Digest hmacSha256(std::span<const std::uint8_t> key,
                                      std::initializer_list<std::span<const std::uint8_t>> parts);

/// Compares in time independent of where the inputs differ.
[[nodiscard]] bool constantTimeEqual(std::span<const std::uint8_t> a,
                                     std::span<const std::uint8_t> b);

/// What the relay stores instead of the admin secret:
/// HMAC-SHA-256(key = secret, "diyuma-admin-verifier-v1").
[[nodiscard]] Sha256Digest adminVerifier(const wire::AdminSecret& secret);

/// The proof a joining admin sends: HMAC-SHA-256(key = verifier,
/// "diyuma-admin-proof-v1" || cookie || conferenceId as 8 big-endian bytes).
/// The cookie is fresh, address-bound and short-lived, so it doubles as the challenge.
[[nodiscard]] wire::AdminProof adminProof(const Sha256Digest& verifier, const wire::Cookie& cookie,
                                          std::uint64_t conferenceId);

} // namespace diyuma::core
