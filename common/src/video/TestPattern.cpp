#include "diyuma/video/TestPattern.h"

#include <algorithm>
#include <array>

namespace diyuma::core {

namespace {

constexpr int kBits = 32;
constexpr int kRows = 3;
constexpr int kLeftCells = 4;
constexpr std::uint8_t kBlack = 16;
constexpr std::uint8_t kWhite = 235;
constexpr std::uint8_t kGrey = 128;
/// Pixels of scroll per frame.
constexpr int kScrollPixels = 4;

struct Yuv {
    std::uint8_t y, u, v;
};
// 75 % colour bars, BT.601 limited range.
constexpr std::array<Yuv, 8> kBars{{{180, 128, 128},
                                    {162, 44, 142},
                                    {131, 156, 44},
                                    {112, 72, 58},
                                    {84, 184, 198},
                                    {65, 100, 212},
                                    {35, 212, 114},
                                    {16, 128, 128}}};

int cellSize(int width) {
    return std::max(4, width / 40);
}

/// Rows of the picture the stamp band takes (grey band from the top).
int bandHeight(int cell) {
    return (kRows + 2) * cell;
}

/// Bars carry a texture of 4x4 blocks that scrolls with them, so that pictures cost bits
/// the way camera pictures do (flat bars compress to almost nothing) while motion search
/// still finds them.
std::uint8_t textured(std::uint8_t base, int x, int y) {
    const auto bx = static_cast<std::uint32_t>(x / 4);
    const auto by = static_cast<std::uint32_t>(y / 4);
    const std::uint32_t hash = (bx * 73856093U) ^ (by * 19349663U) ^ 0x5bd1e995U;
    const int offset = static_cast<int>((hash * 2654435761U) >> 27) - 16; // -16..15
    return static_cast<std::uint8_t>(std::clamp(base + offset, 16, 235));
}

std::uint16_t check(std::uint32_t frameNumber, std::uint32_t low, std::uint16_t high) {
    const std::uint32_t x = frameNumber ^ (frameNumber >> 16) ^ low ^ (low >> 16) ^ high ^ 0xA5C3;
    return static_cast<std::uint16_t>(x);
}

std::array<std::uint32_t, kRows> stampWords(const PatternStamp& stamp) {
    const auto ms = static_cast<std::uint64_t>(stamp.captureUnixMs);
    const auto low = static_cast<std::uint32_t>(ms);
    const auto high = static_cast<std::uint16_t>(ms >> 32);
    return {stamp.frameNumber, low,
            (std::uint32_t{high} << 16) | check(stamp.frameNumber, low, high)};
}

} // namespace

void renderTestPattern(VideoFrame& frame, const PatternStamp& stamp) {
    const int w = frame.width();
    const int h = frame.height();
    if (w < kPatternMinWidth || h < kPatternMinHeight)
        return;
    frame.captureUnixMs = stamp.captureUnixMs;
    const int cell = cellSize(w);
    const int band = std::min(h, bandHeight(cell));
    auto y = frame.y();
    auto u = frame.u();
    auto v = frame.v();
    const int cw = frame.chromaWidth();
    const int ch = frame.chromaHeight();
    const auto shift =
        static_cast<int>((stamp.frameNumber * kScrollPixels) % static_cast<unsigned>(w));

    // Bouncing square below the band.
    const int square = std::max(8, (h - band) / 4);
    const int travel = std::max(1, w - square);
    const auto phase =
        static_cast<int>((stamp.frameNumber * 6U) % (2U * static_cast<unsigned>(travel)));
    const int squareX = phase < travel ? phase : 2 * travel - phase;
    const int squareY = band + std::max(0, (h - band - square) / 2);

    for (int row = 0; row < h; ++row) {
        std::uint8_t* line = y.data() + static_cast<std::ptrdiff_t>(row) * w;
        if (row < band) {
            std::fill(line, line + w, kGrey);
            continue;
        }
        const bool inSquareRows = row >= squareY && row < squareY + square;
        for (int x = 0; x < w; ++x) {
            if (inSquareRows && x >= squareX && x < squareX + square) {
                line[x] = kWhite;
                continue;
            }
            const int scrolled = (x + shift) % w;
            const int bar = scrolled * 8 / w;
            line[x] = textured(kBars[static_cast<std::size_t>(bar)].y, scrolled, row);
        }
    }
    for (int row = 0; row < ch; ++row) {
        std::uint8_t* lu = u.data() + static_cast<std::ptrdiff_t>(row) * cw;
        std::uint8_t* lv = v.data() + static_cast<std::ptrdiff_t>(row) * cw;
        const int lumaRow = row * 2;
        const bool inSquareRows = lumaRow >= squareY && lumaRow < squareY + square;
        for (int x = 0; x < cw; ++x) {
            const int lumaX = x * 2;
            if (lumaRow < band || (inSquareRows && lumaX >= squareX && lumaX < squareX + square)) {
                lu[x] = kGrey;
                lv[x] = kGrey;
                continue;
            }
            const int bar = ((lumaX + shift) % w) * 8 / w;
            lu[x] = kBars[static_cast<std::size_t>(bar)].u;
            lv[x] = kBars[static_cast<std::size_t>(bar)].v;
        }
    }

    // The stamp cells.
    const auto words = stampWords(stamp);
    for (int r = 0; r < kRows; ++r) {
        for (int bit = 0; bit < kBits; ++bit) {
            const bool one = ((words[static_cast<std::size_t>(r)] >> (kBits - 1 - bit)) & 1U) != 0;
            const int x0 = (kLeftCells + bit) * cell;
            const int y0 = (1 + r) * cell;
            for (int row = y0; row < std::min(h, y0 + cell); ++row)
                std::fill_n(y.data() + static_cast<std::ptrdiff_t>(row) * w + x0,
                            std::min(cell, w - x0), one ? kWhite : kBlack);
        }
    }
}

std::optional<PatternStamp> readTestPatternStamp(const VideoFrame& frame) {
    const int w = frame.width();
    const int h = frame.height();
    if (w < kPatternMinWidth || h < kPatternMinHeight)
        return std::nullopt;
    const int cell = cellSize(w);
    if (bandHeight(cell) > h)
        return std::nullopt;
    const auto y = frame.y();
    std::array<std::uint32_t, kRows> words{};
    const int inner0 = cell / 4;
    const int inner1 = std::max(inner0 + 1, cell - cell / 4);
    for (int r = 0; r < kRows; ++r) {
        for (int bit = 0; bit < kBits; ++bit) {
            const int x0 = (kLeftCells + bit) * cell;
            const int y0 = (1 + r) * cell;
            int sum = 0;
            int count = 0;
            for (int row = y0 + inner0; row < y0 + inner1; ++row) {
                for (int x = x0 + inner0; x < x0 + inner1; ++x) {
                    sum += y[static_cast<std::size_t>(row) * static_cast<std::size_t>(w) +
                             static_cast<std::size_t>(x)];
                    ++count;
                }
            }
            if (sum > count * ((kBlack + kWhite) / 2))
                words[static_cast<std::size_t>(r)] |= 1U << (kBits - 1 - bit);
        }
    }
    const auto high = static_cast<std::uint16_t>(words[2] >> 16);
    if (static_cast<std::uint16_t>(words[2]) != check(words[0], words[1], high))
        return std::nullopt;
    return PatternStamp{words[0],
                        static_cast<std::int64_t>((std::uint64_t{high} << 32) | words[1])};
}

} // namespace diyuma::core
