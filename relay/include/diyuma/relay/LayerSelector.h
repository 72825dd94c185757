#pragma once
// Which temporal layers of one sender's video one receiver gets (PROTOCOL.md section 6.11):
//
//   update(share, rates, now) ─► the target: the highest temporal layer whose cumulative
//                                bitrate fits the receiver's share of its downlink; none
//                                (paused) when not even the base layer fits
//   onFrame(tid, sync, key)   ─► forward this frame or not, switching to the target where
//                                the stream allows it
//
// Down-switches happen at once (at the next frame); an up-switch waits until the higher layer
// has fitted with a 15 % margin for kUpHold (no flapping at the edge) and then starts at a
// frame that decodes from what the receiver has: a sync frame of the layer (its Y / B bit:
// it refers to TL0 only) or a key frame. The base layer pauses only when over 1.2 x the share
// and resumes when it has fitted (no margin) for kUpHold, at a key frame (the relay asks
// for one). A stream without temporal layers is all or nothing (its frames are TL0).
//
// Pure: times come in as arguments. Thread: the relay's I/O thread.

#include "diyuma/util/Clock.h"

#include <array>
#include <cstdint>
#include <optional>

namespace diyuma::relay {

/// What a stream sends, per temporal layer, cumulatively (layer t: TL0..t), in bit/s; a
/// layer the stream does not send costs nothing more than the ones below it.
struct LayerRates {
    std::array<int, 3> cumulativeBps{};
};

class LayerSelector {
public:
    using TimePoint = core::Clock::TimePoint;
    static constexpr auto kUpHold = std::chrono::seconds(1);
    static constexpr double kUpMargin = 0.85;
    /// The base layer is paused only when its rate is over 1.2 x the share.
    static constexpr double kBaseTolerance = 1.2;

    /// New budget for this stream (bit/s of the receiver's downlink) and what it sends now;
    /// `maxLayer` caps the target (a simulcast switch down holds the old stream at its base
    /// layer until the new one starts).
    void update(int shareBps, const LayerRates& rates, TimePoint now, std::uint8_t maxLayer = 2);
    /// Back to the start: every layer, from the next frame (a new simulcast stream begins at
    /// its key frame).
    void reset() {
        m_target = m_current = std::uint8_t{2};
        m_candidate.reset();
    }
    /// One frame (all its packets get the same answer: call it once per frame).
    [[nodiscard]] bool onFrame(std::uint8_t temporalId, bool layerSync, bool keyFrame);

    /// The highest layer forwarded now (nothing when paused or not started).
    [[nodiscard]] std::optional<std::uint8_t> current() const { return m_current; }
    [[nodiscard]] std::optional<std::uint8_t> target() const { return m_target; }
    [[nodiscard]] bool paused() const { return !m_target; }
    /// Paused and waiting for a key frame to resume: the relay should ask the sender.
    [[nodiscard]] bool wantsKeyFrame() const { return m_target && !m_current; }
    [[nodiscard]] std::uint64_t switches() const { return m_switches; }

private:
    std::optional<std::uint8_t> m_target = std::uint8_t{2}; ///< all, until told otherwise
    std::optional<std::uint8_t> m_current = std::uint8_t{2};
    std::optional<std::uint8_t> m_candidate; ///< a higher target being held
    TimePoint m_candidateSince{};
    std::uint64_t m_switches = 0;
};

} // namespace diyuma::relay
