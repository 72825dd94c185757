#pragma once
// Level measurements for tests, benchmarks and meters: the level of one frequency (Goertzel
// algorithm with a Hann window) and the RMS level.
//
// Thread: pure functions; any thread. They do not allocate.

#include "diyuma/audio/AudioFormat.h"

#include <cstdint>
#include <span>

namespace diyuma::core {

/// What the level functions return for silence or an empty block (instead of -infinity, which
/// JSON cannot carry).
inline constexpr double kSilenceDbfs = -200.0;

/// Level of one frequency in a block, in dB relative to a full-scale sine (a 0 dBFS sine at
/// that frequency gives ~0, a -12 dBFS one ~-12). Hann-windowed, so the frequency need not sit
/// on a DFT bin; resolution is about 2 * sampleRateHz / samples.size() Hz (use >= 50 ms for
/// tones 100 Hz apart). Returns kSilenceDbfs for an empty block or no energy.
[[nodiscard]] double toneLevelDbfs(std::span<const std::int16_t> samples, double frequencyHz,
                                   int sampleRateHz = kSampleRateHz);

/// RMS level in dBFS, relative to a full-scale square wave (a full-scale sine gives -3.01).
/// Returns kSilenceDbfs for an empty block or digital silence.
[[nodiscard]] double rmsDbfs(std::span<const std::int16_t> samples);

} // namespace diyuma::core
