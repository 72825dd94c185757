#pragma once
// Pitch-synchronous time stretching of one decoded frame (a small WSOLA, as NetEq's
// "accelerate" and "preemptive expand"): the jitter buffer shortens or lengthens audio by
// 5..15 ms at a time without a click and without changing the pitch.
//
// Both functions look for the shift n (within [minShift, maxShift]) at which the frame best
// resembles itself (normalised cross-correlation over kOverlapSamples), then cross-fade
// between the two copies over kOverlapSamples:
//
//   shorten:  out = xfade(in[0, L) -> in[n, n+L)) ++ in[n+L, N)            length N - n
//   lengthen: out = in[0, n) ++ xfade(in[n, n+L) -> in[0, L)) ++ in[L, N)  length N + n
//
// The first and last samples of `out` equal those of `in`, so the result joins the audio
// before and after it seamlessly. On a periodic signal n lands on a multiple of the period.
//
// Thread: pure functions, any thread. They do not allocate.

#include <cstddef>
#include <cstdint>
#include <span>

namespace diyuma::core {

inline constexpr std::size_t kOverlapSamples = 240; ///< 5 ms at 48 kHz

/// Writes `in` shortened by n samples (minShift <= n <= maxShift, n + kOverlapSamples <=
/// in.size()) into `out` (out.size() >= in.size()); returns the samples written. If `in` is
/// too short for minShift, copies it unchanged.
std::size_t shortenFrame(std::span<const std::int16_t> in, std::size_t minShift,
                         std::size_t maxShift, std::span<std::int16_t> out);

/// Writes `in` lengthened by n samples (same bounds) into `out` (out.size() >= in.size() +
/// maxShift); returns the samples written. If `in` is too short, copies it unchanged.
std::size_t lengthenFrame(std::span<const std::int16_t> in, std::size_t minShift,
                          std::size_t maxShift, std::span<std::int16_t> out);

} // namespace diyuma::core
