#include "diyuma/video/SimulcastLayers.h"

#include "diyuma/video/Vp8Codec.h"

#include <algorithm>

namespace diyuma::core {

std::vector<SimulcastLayerSize> simulcastLayersFor(int width, int height, int topBitrateBps,
                                                   int maxLayers) {
    std::vector<SimulcastLayerSize> top{{width, height, topBitrateBps}};
    const auto most =
        static_cast<std::size_t>(std::clamp(maxLayers, 1, static_cast<int>(kMaxSimulcastLayers)));
    while (top.size() < most) {
        const SimulcastLayerSize& above = top.back();
        // Halved and rounded down to even: the encoder's chroma planes stay exact.
        const int w = (above.width / 2) & ~1;
        const int h = (above.height / 2) & ~1;
        if (h < kMinSimulcastLayerHeight || w < 16)
            break;
        top.push_back({w, h, std::min(defaultVideoBitrateBps(w, h), above.bitrateBps)});
    }
    std::reverse(top.begin(), top.end());
    return top;
}

SimulcastRateAllocator::SimulcastRateAllocator(std::span<const int> nominalBps)
    : m_count(std::min(nominalBps.size(), kMaxSimulcastLayers)) {
    for (std::size_t k = 0; k < m_count; ++k) {
        m_layers[k].nominalBps = nominalBps[k];
        m_layers[k].bitrateBps = nominalBps[k];
    }
}

int SimulcastRateAllocator::maxBitrateBps() const {
    int sum = 0;
    for (std::size_t k = 0; k < m_count; ++k)
        sum += m_layers[k].nominalBps;
    return sum;
}

void SimulcastRateAllocator::update(int budgetBps, std::uint8_t wanted, Clock::TimePoint now) {
    int left = budgetBps;
    bool blocked = false; // a lower wanted layer is off: every higher one is too
    for (std::size_t k = 0; k < m_count; ++k) {
        Layer& layer = m_layers[k];
        const bool isWanted = (wanted >> k & 1U) != 0;
        if (k == 0) {
            // Never off for bandwidth: it gets what there is (at least the floor).
            layer.bitrateBps =
                std::clamp(left, std::min(kMinBaseBitrateBps, layer.nominalBps), layer.nominalBps);
            if (isWanted)
                left -= layer.bitrateBps;
            continue;
        }
        // A layer nobody wants now is judged too, on what it would get if it were wanted
        // (it costs nothing): so it is ready, or known not to fit, the moment it is asked for
        // (the relay takes a wanted layer that stays silent for off at the sender).
        const double share =
            layer.nominalBps > 0 ? static_cast<double>(left) / layer.nominalBps : 0;
        if (blocked) {
            layer.on = false;
            layer.fitsSince.reset();
        } else if (layer.on) {
            if (share < kLayerOffShare) {
                layer.on = false;
                layer.fitsSince.reset();
            }
        } else if (share >= kLayerOnShare) {
            if (!layer.fitsSince)
                layer.fitsSince = now;
            if (now - *layer.fitsSince >= kLayerOnHold) {
                layer.on = true;
                layer.fitsSince.reset();
            }
        } else {
            layer.fitsSince.reset();
        }
        if (!isWanted) {
            layer.bitrateBps = 0;
            continue;
        }
        if (!layer.on) {
            layer.bitrateBps = 0;
            blocked = true;
            continue;
        }
        layer.bitrateBps = std::clamp(left, 0, layer.nominalBps);
        left -= layer.bitrateBps;
    }
}

} // namespace diyuma::core
