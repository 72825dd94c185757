#pragma once
// One receiver's view of one sender's video (PROTOCOL.md section 6.12): which of the sender's
// simulcast streams it gets, up to which temporal layer, and the renumbering that makes what
// it gets one continuous stream whatever stream it comes from.
//
//   update(share, streams, maxHeight, now) ─► the target stream and the temporal layers of
//                                             the current one (every tick)
//   onPacket(stream, sequence, ts, frame)  ─► the packet's number for this receiver, or
//                                             nothing (not forwarded)
//   toInput(out)                           ─► the stream and packet a NACK for `out` means
//
// Spatial choice (streams lowest first): the highest stream within the receiver's height
// limit whose full rate (all temporal layers) fits its share; the lowest if none does.
// Down at once when even the target's half frame rate (TL0+TL1) does not fit any more, or
// when the limit drops below it; up only after the higher stream has fitted with a 15 %
// margin for kUpHold. Streams that send nothing now (the sender encodes only what someone
// receives) count at their nominal rate for their height; a stream the sender does not send
// although asked (StreamRate::available) is not chosen, and a receiver on it or switching to
// it goes to the best one that is, at once.
//
// A switch happens at a key frame of the target stream (the streams are independent VP8
// encodings: nothing else of it decodes); until then the current stream goes on, held at its
// base temporal layer when the switch is down (or stopped, if even that does not fit: then it
// would only queue at the receiver's link ahead of the key frame). The new stream's first packet
// gets the number after the newest the receiver has; late packets of the old stream still fill the
// gaps they left. The sender shares RTP timestamps and picture IDs across its streams, so sequence
// numbers (here) and the SSRC (by the relay) are all that is rewritten.
//
// A sender with one stream starts forwarded at once (as before simulcast); with several, the
// receiver gets nothing until the target's first key frame (wantsKeyFrame()).
//
// Pure and allocation-free after construction. Thread: the relay's I/O thread.

#include "diyuma/relay/LayerSelector.h"
#include "diyuma/relay/SequenceRewriter.h"
#include "diyuma/util/Clock.h"

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace diyuma::relay {

/// What the selection knows of one simulcast stream of the sender.
struct StreamRate {
    std::uint16_t height = 0; ///< announced (0: not known; never above a height limit)
    LayerRates rates;         ///< measured; all zero when it sends nothing now
    /// False when the sender does not send it although asked to (its uplink cannot carry
    /// it): not chosen, and left at once (the lowest stream is always taken as available).
    bool available = true;
};

/// What the relay reads of a frame from its frame marking (RFC 9626), without VP8.
struct FrameInfo {
    std::uint8_t temporalId = 0;
    bool layerSync = false;
    bool keyFrame = false;
    bool startOfFrame = false;
};

/// One sender's claim on a receiver's video budget.
struct ShareRequest {
    int demandBps = 0;     ///< what its best allowed stream sends (VideoForwarder::demandBps)
    bool speaking = false; ///< speaking now: weighs twice
};

/// Shares `budgetBps` among senders (PROTOCOL.md 6.11): in proportion to demand, the speaker's
/// weighing twice, nobody getting more than its demand (what one does not need goes to the
/// others). `shares` has the size of `requests`. Pure, allocation-free.
void allocateShares(int budgetBps, std::span<const ShareRequest> requests, std::span<int> shares);

class VideoForwarder {
public:
    using TimePoint = core::Clock::TimePoint;
    static constexpr auto kUpHold = std::chrono::seconds(1);
    static constexpr double kUpMargin = 0.85;
    /// TL0+TL1 of a stream of three temporal layers is 60 % of its rate (Vp8Codec's split).
    static constexpr double kHalfRateShare = 0.6;

    /// What the highest stream within `maxHeight` sends at full frame rate (measured, or the
    /// nominal rate for its height when it sends nothing now): a sender's demand.
    [[nodiscard]] static int demandBps(std::span<const StreamRate> streams,
                                       std::uint16_t maxHeight);

    /// `streamCount` simulcast streams, lowest first (at least 1).
    explicit VideoForwarder(std::size_t streamCount);

    /// Every tick: this sender's share of the receiver's downlink (bit/s), what its streams
    /// send now (`streams`, lowest first, as many as at construction), and the largest
    /// height the receiver wants from it.
    void update(int shareBps, std::span<const StreamRate> streams, std::uint16_t maxHeight,
                TimePoint now);
    /// One RTP packet of stream `stream`. Call once per packet; all packets of a frame share
    /// `timestamp`. Returns its number for this receiver, or nothing.
    [[nodiscard]] std::optional<std::uint16_t> onPacket(std::size_t stream, std::uint16_t sequence,
                                                        std::uint32_t timestamp,
                                                        const FrameInfo& frame);

    struct Input {
        std::size_t stream = 0;
        std::uint16_t sequence = 0;
    };
    /// The packet a NACK for `out` asks for (of the current stream, or of the one before the
    /// last switch); nothing for a number that stands for no packet.
    [[nodiscard]] std::optional<Input> toInput(std::uint16_t out) const;

    /// A stream this receiver is leaving: the one before the last switch, or the current one
    /// while a switch down waits for the key frame. Repairs of it are not worth the link.
    [[nodiscard]] bool leaving(std::size_t stream) const {
        return stream != m_current || (m_target && m_current && *m_target < *m_current);
    }
    /// The stream forwarded now (nothing before the first key frame of a simulcast sender).
    [[nodiscard]] std::optional<std::size_t> current() const { return m_current; }
    /// The stream wanted (nothing before the first update() of a simulcast sender).
    [[nodiscard]] std::optional<std::size_t> target() const { return m_target; }
    /// The relay should ask the sender for a key frame of target(): starting, switching, or
    /// back from a pause.
    [[nodiscard]] bool wantsKeyFrame() const {
        return m_target && (m_current != m_target || m_temporal.wantsKeyFrame());
    }
    /// The highest temporal layer forwarded of the current stream (nothing when paused).
    [[nodiscard]] std::optional<std::uint8_t> temporalLayer() const {
        return m_current ? m_temporal.current() : std::nullopt;
    }
    /// Paused for bandwidth: not even the base layer of the lowest stream fits (a stream
    /// stopped while a switch down waits for its key frame is not paused).
    [[nodiscard]] bool paused() const {
        return m_current && m_current == m_target && m_temporal.paused();
    }
    [[nodiscard]] std::uint64_t spatialSwitches() const { return m_spatialSwitches; }
    [[nodiscard]] std::uint64_t temporalSwitches() const { return m_temporal.switches(); }

private:
    void chooseStream(int shareBps, std::span<const StreamRate> streams, std::uint16_t maxHeight,
                      TimePoint now);
    void switchTo(std::size_t stream, std::uint16_t sequence);
    SequenceRewriter& active() { return m_rewriters[m_active]; }

    std::size_t m_streamCount;
    std::optional<std::size_t> m_current;
    std::optional<std::size_t> m_target;
    std::optional<std::size_t> m_previous; ///< the stream before the last switch
    std::optional<std::size_t> m_candidate;
    TimePoint m_candidateSince{};
    LayerSelector m_temporal;
    /// The current stream's numbering and the previous one's (frozen), alternating.
    std::array<SequenceRewriter, 2> m_rewriters{};
    std::size_t m_active = 0;
    std::uint32_t m_frameTimestamp = 0; ///< the newest frame of the current stream decided
    bool m_frameKnown = false;
    bool m_frameForwarded = false;
    std::uint64_t m_spatialSwitches = 0;
};

} // namespace diyuma::relay
