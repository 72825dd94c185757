#pragma once
// Which picture height the app asks the relay for from each participant, from the size of
// their tile on screen (Subscribe, docs/PROTOCOL.md 4.16).
//
// A tile needs a picture as high as what it shows: the video (16:9) is cropped to fill the
// tile, so the larger of its height and 9/16 of its width, in device pixels. That is rounded
// up to the next simulcast height (180, 360, 720: what the senders send), so that resizing a
// window by a few pixels asks for nothing new; a tile that is hidden or scrolled away asks
// for the smallest. Everything is capped (data saver: 360), the default for participants
// without a tile yet too. update() says when the result differs from what was sent last, so
// a Subscribe goes out only when a tile crosses a step.
//
// Plain C++ (no Qt): CallPage measures the tiles, CallController owns one of these.
// Thread: one thread (the GUI thread).

#include "diyuma/session/VideoSubscription.h"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace diyuma::app {

/// One remote participant's tile as the screen shows it now.
struct TileView {
    std::uint32_t participantId = 0;
    int widthPx = 0; ///< device pixels
    int heightPx = 0;
    bool visible = false; ///< on screen: shown, not scrolled away, the window not minimised
    bool operator==(const TileView&) const = default;
};

class TileSubscription {
public:
    /// The picture heights the senders send (PROTOCOL.md 6.12), smallest first.
    static constexpr std::array<std::uint16_t, 3> kSteps{180, 360, 720};
    static constexpr std::uint16_t kFullCap = 720;
    static constexpr std::uint16_t kDataSaverCap = 360;

    /// The picture height a tile of `widthPx` x `heightPx` device pixels shows of a 16:9
    /// picture cropped to fill it.
    [[nodiscard]] static int neededHeight(int widthPx, int heightPx);
    /// `heightPx` rounded up to the next of kSteps (above the largest: the largest), at most
    /// `cap` (never below the smallest step).
    [[nodiscard]] static std::uint16_t stepFor(int heightPx, std::uint16_t cap);
    /// Each tile's step (hidden ones the smallest), and `cap` for everyone without a tile.
    [[nodiscard]] static core::VideoSubscription subscriptionFor(std::span<const TileView> tiles,
                                                                 std::uint16_t cap);

    /// The largest height asked for (kFullCap, or kDataSaverCap with data saver).
    void setCap(std::uint16_t cap) { m_cap = cap; }
    [[nodiscard]] std::uint16_t cap() const { return m_cap; }

    /// The subscription for `tiles` (kept for the next recompute()) if it differs from the one
    /// last returned, or nothing was returned since reset().
    [[nodiscard]] std::optional<core::VideoSubscription> update(std::span<const TileView> tiles);
    /// The same with the tiles of the last update() (after setCap()).
    [[nodiscard]] std::optional<core::VideoSubscription> recompute();
    /// A new call: nothing was sent yet, no tiles are known.
    void reset();
    /// The subscription last returned (unset after reset()).
    [[nodiscard]] const std::optional<core::VideoSubscription>& current() const { return m_sent; }

private:
    std::uint16_t m_cap = kFullCap;
    std::vector<TileView> m_tiles;
    std::optional<core::VideoSubscription> m_sent;
};

} // namespace diyuma::app
