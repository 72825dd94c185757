#pragma once
// The signal of the mouth-to-ear latency benchmark (docs/PERFORMANCE.md): short chirps in
// silence, their onsets found again in a recording, and the pairing of sent and heard
// onsets on the wall clock.
//
// Onsets are found with the same detector in the sent file and in the recording (first
// sample whose magnitude reaches a fraction of the file's peak after a quiet stretch), so
// the detector's own offset cancels out of the difference.
//
// Thread: pure functions; any thread.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace diyuma::bench {

inline constexpr int kSampleRateHz = 48000;

struct ClickTrackConfig {
    double durationS = 10.0;   ///< length of the file
    double firstClickMs = 250; ///< onset of the first chirp
    /// Time between chirps. Not a multiple of the 20 ms Opus frame, so successive chirps
    /// fall at different points of a frame and the packetization wait is sampled evenly.
    double periodMs = 507;
    double chirpMs = 5;     ///< chirp length
    double startHz = 500;   ///< linear sweep start
    double endHz = 4000;    ///< linear sweep end
    double amplitude = 0.7; ///< peak, relative to full scale (-3 dBFS)
    double fadeMs = 0.5;    ///< raised-cosine fade in and out
};

/// A 48 kHz mono track: silence (exact zeros) with a chirp every periodMs.
[[nodiscard]] std::vector<std::int16_t> makeClickTrack(const ClickTrackConfig& config);

struct OnsetConfig {
    double thresholdFraction = 0.3; ///< of the file's peak magnitude
    double quietMs = 150;           ///< below the threshold for this long before an onset
};

/// Sample positions of the onsets in `samples` (48 kHz). Empty if the file is silent.
[[nodiscard]] std::vector<std::size_t> findOnsets(const std::vector<std::int16_t>& samples,
                                                  const OnsetConfig& config = {});

/// One heard chirp lined up with the sent one it belongs to.
struct MatchedClick {
    std::size_t sentIndex = 0; ///< index into the sent onsets
    double sentUnixMs = 0;     ///< wall-clock time the chirp left the talker's "mouth"
    double heardUnixMs = 0;    ///< wall-clock time it reached the listener's "ear"
    [[nodiscard]] double latencyMs() const { return heardUnixMs - sentUnixMs; }
};

/// Pairs every heard onset with the latest sent onset before it (at most maxLatencyMs
/// earlier); each sent onset is used once. Times: sample / 48 kHz after the start times.
[[nodiscard]] std::vector<MatchedClick> matchClicks(const std::vector<std::size_t>& sentOnsets,
                                                    double sendStartUnixMs,
                                                    const std::vector<std::size_t>& heardOnsets,
                                                    double recordStartUnixMs, double maxLatencyMs);

/// The p-quantile (0..1) of `values` with linear interpolation; nullopt if empty.
[[nodiscard]] std::optional<double> quantile(std::vector<double> values, double p);

} // namespace diyuma::bench
