#include "diyuma/relay/LayerSelector.h"

#include <algorithm>

namespace diyuma::relay {

void LayerSelector::update(int shareBps, const LayerRates& rates, TimePoint now,
                           std::uint8_t maxLayer) {
    // The highest layer that fits, and the highest that fits with the margin. Layers a
    // stream does not send (yet) cost what the ones below cost: target 2 means "all".
    // The base layer gets a tolerance both ways: it is paused only when clearly over the
    // share (its measured rate is noisy: a few frames a second), and resumes without the
    // up-switch margin (never suspend video while the lowest layer fits).
    std::optional<std::uint8_t> fits;
    std::optional<std::uint8_t> fitsWithMargin;
    int rate = 0;
    for (std::size_t t = 0; t < rates.cumulativeBps.size(); ++t) {
        rate = std::max(rate, rates.cumulativeBps[t]);
        const bool base = t == 0;
        if (rate <= shareBps * (base ? kBaseTolerance : 1.0))
            fits = static_cast<std::uint8_t>(t);
        if (rate <= shareBps * (base ? 1.0 : kUpMargin))
            fitsWithMargin = static_cast<std::uint8_t>(t);
    }
    if (fits && *fits > maxLayer)
        fits = maxLayer;
    if (fitsWithMargin && *fitsWithMargin > maxLayer)
        fitsWithMargin = maxLayer;
    if (!fits || (m_target && *fits < *m_target) || (!m_target && !fits)) {
        m_target = fits; // down (or paused) at once
        m_candidate.reset();
        return;
    }
    // Up: only after the higher layer fitted with the margin for kUpHold.
    const std::optional<std::uint8_t> higher = fitsWithMargin;
    if (!higher || (m_target && *higher <= *m_target)) {
        m_candidate.reset();
        return;
    }
    if (!m_candidate || *m_candidate != *higher) {
        m_candidate = higher;
        m_candidateSince = now;
        return;
    }
    if (now - m_candidateSince >= kUpHold) {
        m_target = m_candidate;
        m_candidate.reset();
    }
}

bool LayerSelector::onFrame(std::uint8_t temporalId, bool layerSync, bool keyFrame) {
    if (!m_target) {
        if (m_current) {
            m_current.reset();
            ++m_switches;
        }
        return false;
    }
    if (!m_current) { // resuming after a pause: only a key frame can start it
        if (!keyFrame)
            return false;
        m_current = m_target;
        ++m_switches;
        return true;
    }
    if (*m_target < *m_current) { // down at once
        m_current = m_target;
        ++m_switches;
    } else if (*m_target > *m_current && temporalId > *m_current && temporalId <= *m_target &&
               (layerSync || keyFrame)) {
        m_current = temporalId; // up at a frame that needs nothing the receiver lacks
        ++m_switches;
    } else if (*m_target > *m_current && keyFrame) {
        m_current = m_target;
        ++m_switches;
    }
    return temporalId <= *m_current;
}

} // namespace diyuma::relay
