#pragma once
// A synthetic video source for diyuma-cli, tests and "no camera": scrolling textured colour bars
// and a bouncing square (so the encoder sees motion), with a machine-readable stamp drawn at the
// top: the frame number and the capture time (Unix ms), which a receiver reads back from the
// decoded picture (glass-to-glass latency, frame matching).
//
// The stamp is 3 rows of 32 square cells (black = 0, white = 1, most significant bit left),
// cells of max(4, width / 40) pixels, starting 4 cells from the left and 1 cell from the top,
// on a mid-grey band:
//   row 0: frame number
//   row 1: capture time, low 32 bits
//   row 2: capture time, high 16 bits | 16-bit check of everything else
// Cells survive VP8 at the bitrates we use (a cell is at least 4x4; each is read from its
// centre). The whole picture is a pure function of (size, frame number, capture time), so a
// receiver can redraw exactly what was sent and compare (PSNR).
//
// Thread: pure functions, any thread.

#include "diyuma/video/VideoFrame.h"

#include <cstdint>
#include <optional>

namespace diyuma::core {

struct PatternStamp {
    std::uint32_t frameNumber = 0;
    std::int64_t captureUnixMs = 0; ///< 0 .. 2^48 - 1
    bool operator==(const PatternStamp&) const = default;
};

/// Smallest picture that holds the stamp (the width for 4-pixel cells, 3 rows + margins).
inline constexpr int kPatternMinWidth = 160;
inline constexpr int kPatternMinHeight = 32;

/// Draws frame `stamp.frameNumber` into `frame` (which must be sized, at least the minimum
/// above) and sets frame.captureUnixMs to stamp.captureUnixMs.
void renderTestPattern(VideoFrame& frame, const PatternStamp& stamp);

/// Reads the stamp back; nothing if the picture is too small or the check does not match
/// (not a test pattern, or damaged beyond reading).
[[nodiscard]] std::optional<PatternStamp> readTestPatternStamp(const VideoFrame& frame);

} // namespace diyuma::core
