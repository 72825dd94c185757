#pragma once
// Simulcast (PROTOCOL.md section 6.12): which layers a picture size is sent in, and how an
// uplink budget is shared among them.
//
//  - simulcastLayersFor: each layer halves the width and height of the one above (rounded
//    down to even), down to the smallest that is still >= kMinSimulcastLayerHeight lines, at
//    most kMaxSimulcastLayers: 1280x720 -> 320x180, 640x360, 1280x720; 640x360 -> two;
//    320x180 -> one. Nominal bitrates from defaultVideoBitrateBps, the top one as configured.
//  - SimulcastRateAllocator: a pure state machine (budget and time in, per-layer bitrates and
//    on/off out). Bottom-up: layer 0 gets what there is up to its nominal (never switched
//    off for bandwidth), then layer 1, and so on. A layer switches off when it would get less
//    than kLayerOffShare of its nominal bitrate, and on again only after kLayerOnShare of it
//    has fitted for kLayerOnHold. Layers nobody wants (LayersWanted) get nothing and cost
//    nothing.
//
// Thread: plain values; one thread at a time (the media thread).

#include "diyuma/util/Clock.h"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace diyuma::core {

inline constexpr std::size_t kMaxSimulcastLayers = 3;
/// The smallest picture height a lower layer is made at (about 180 lines).
inline constexpr int kMinSimulcastLayerHeight = 180;

/// One simulcast layer's picture size and nominal bitrate (bps).
struct SimulcastLayerSize {
    int width = 0;
    int height = 0;
    int bitrateBps = 0;
};

/// The layers a width x height picture is sent in, lowest first (at least one: the picture's
/// own size at `topBitrateBps`), at most `maxLayers` (1..kMaxSimulcastLayers). A lower
/// layer's nominal bitrate is defaultVideoBitrateBps of its size, never above the one above.
[[nodiscard]] std::vector<SimulcastLayerSize>
simulcastLayersFor(int width, int height, int topBitrateBps, int maxLayers = 3);

class SimulcastRateAllocator {
public:
    /// Below this share of its nominal bitrate a layer (other than 0) is switched off...
    static constexpr double kLayerOffShare = 0.6;
    /// ...and it comes back when this share has fitted for kLayerOnHold.
    static constexpr double kLayerOnShare = 0.8;
    static constexpr auto kLayerOnHold = std::chrono::seconds(2);
    /// Layer 0 gets at least this much (bps), whatever the budget.
    static constexpr int kMinBaseBitrateBps = 50'000;

    /// `nominalBps`: each layer's nominal bitrate, lowest first (1..kMaxSimulcastLayers).
    /// Every layer starts on at its nominal bitrate.
    explicit SimulcastRateAllocator(std::span<const int> nominalBps);

    /// Shares `budgetBps` (all video may use now) among the layers wanted (bit k: layer k) at
    /// `now`. Call it regularly (every adaptation step): the hold before a layer comes back
    /// is measured between calls.
    void update(int budgetBps, std::uint8_t wanted, Clock::TimePoint now);

    [[nodiscard]] std::size_t layerCount() const { return m_count; }
    /// Switched on for bandwidth (layer 0 always).
    [[nodiscard]] bool on(std::size_t layer) const { return m_layers[layer].on; }
    /// The bitrate the layer gets (bps); 0 when off or not wanted.
    [[nodiscard]] int bitrateBps(std::size_t layer) const { return m_layers[layer].bitrateBps; }
    [[nodiscard]] int nominalBps(std::size_t layer) const { return m_layers[layer].nominalBps; }
    /// The sum of all nominal bitrates: the most video can use.
    [[nodiscard]] int maxBitrateBps() const;

private:
    struct Layer {
        int nominalBps = 0;
        int bitrateBps = 0;
        bool on = true;
        std::optional<Clock::TimePoint> fitsSince; ///< off, but kLayerOnShare fits since then
    };
    std::array<Layer, kMaxSimulcastLayers> m_layers{};
    std::size_t m_count = 0;
};

} // namespace diyuma::core
