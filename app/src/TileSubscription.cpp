#include "TileSubscription.h"

#include <algorithm>

namespace diyuma::app {

int TileSubscription::neededHeight(int widthPx, int heightPx) {
    // A 16:9 picture scaled to cover the tile: as high as the tile, or higher when the tile is
    // wider than 16:9 (the top and bottom are cropped then).
    const int byWidth = (std::max(0, widthPx) * 9 + 15) / 16;
    return std::max(std::max(0, heightPx), byWidth);
}

std::uint16_t TileSubscription::stepFor(int heightPx, std::uint16_t cap) {
    const std::uint16_t limit = std::max(cap, kSteps.front());
    for (const std::uint16_t step : kSteps)
        if (heightPx <= step)
            return std::min(step, limit);
    return std::min(kSteps.back(), limit);
}

core::VideoSubscription TileSubscription::subscriptionFor(std::span<const TileView> tiles,
                                                          std::uint16_t cap) {
    core::VideoSubscription subscription;
    subscription.defaultMaxHeight = stepFor(kSteps.back(), cap);
    for (const TileView& tile : tiles)
        subscription.maxHeightByParticipant[tile.participantId] =
            tile.visible ? stepFor(neededHeight(tile.widthPx, tile.heightPx), cap)
                         : stepFor(0, cap);
    return subscription;
}

std::optional<core::VideoSubscription> TileSubscription::update(std::span<const TileView> tiles) {
    m_tiles.assign(tiles.begin(), tiles.end());
    return recompute();
}

std::optional<core::VideoSubscription> TileSubscription::recompute() {
    auto subscription = subscriptionFor(m_tiles, m_cap);
    if (m_sent && *m_sent == subscription)
        return std::nullopt;
    m_sent = subscription;
    return subscription;
}

void TileSubscription::reset() {
    m_tiles.clear();
    m_sent.reset();
}

} // namespace diyuma::app
