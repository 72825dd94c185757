#include "diyuma/relay/VideoForwarder.h"

#include "diyuma/video/Vp8Codec.h"

#include <algorithm>

namespace diyuma::relay {

namespace {
/// What a stream sends at full frame rate: measured, or (sending nothing now) the nominal
/// rate of a 16:9 picture of its height with ~6 % of packet headers.
int fullRate(const StreamRate& s) {
    if (s.rates.cumulativeBps[2] > 0)
        return s.rates.cumulativeBps[2];
    const int height = s.height != 0 ? s.height : 360;
    return core::defaultVideoBitrateBps(height * 16 / 9, height) * 106 / 100;
}
int halfRate(const StreamRate& s) {
    if (s.rates.cumulativeBps[2] > 0)
        return std::max(s.rates.cumulativeBps[1], s.rates.cumulativeBps[0]);
    return static_cast<int>(fullRate(s) * VideoForwarder::kHalfRateShare);
}
} // namespace

void allocateShares(int budgetBps, std::span<const ShareRequest> requests, std::span<int> shares) {
    // Water-filling: each round gives everyone still short the same fraction of its weighted
    // demand; whoever that would give more than it needs gets its demand, and the rest is
    // shared again. At most one round per sender.
    const std::size_t n = std::min(requests.size(), shares.size());
    const auto weight = [&](std::size_t i) {
        return static_cast<double>(std::max(1, requests[i].demandBps)) *
               (requests[i].speaking ? 2.0 : 1.0);
    };
    for (std::size_t i = 0; i < n; ++i)
        shares[i] = -1; // not settled
    double left = std::max(0, budgetBps);
    for (std::size_t round = 0; round < n; ++round) {
        double weights = 0;
        for (std::size_t i = 0; i < n; ++i)
            if (shares[i] < 0)
                weights += weight(i);
        if (weights <= 0)
            break;
        bool settled = false;
        for (std::size_t i = 0; i < n; ++i) {
            if (shares[i] < 0 && left * weight(i) / weights >= requests[i].demandBps) {
                shares[i] = requests[i].demandBps;
                left -= requests[i].demandBps;
                settled = true;
            }
        }
        if (!settled) { // nobody is satisfied: the rest in proportion
            for (std::size_t i = 0; i < n; ++i)
                if (shares[i] < 0)
                    shares[i] = static_cast<int>(left * weight(i) / weights);
            return;
        }
    }
    // Everyone got its demand: what is left over goes to all alike (room to step up to).
    std::size_t count = 0;
    for (std::size_t i = 0; i < n; ++i)
        count += shares[i] >= 0 ? 1 : 0;
    for (std::size_t i = 0; i < n; ++i)
        if (shares[i] >= 0)
            shares[i] +=
                static_cast<int>(left / static_cast<double>(std::max<std::size_t>(1, count)));
}

int VideoForwarder::demandBps(std::span<const StreamRate> streams, std::uint16_t maxHeight) {
    if (streams.empty())
        return 0;
    std::size_t top = 0;
    for (std::size_t i = 0; i < streams.size(); ++i)
        if (streams[i].height <= maxHeight && streams[i].available)
            top = i;
    return fullRate(streams[top]);
}

VideoForwarder::VideoForwarder(std::size_t streamCount)
    : m_streamCount(std::max<std::size_t>(1, streamCount)) {
    if (m_streamCount == 1) { // nothing to choose: forwarded from the first packet
        m_current = 0;
        m_target = 0;
    }
}

void VideoForwarder::update(int shareBps, std::span<const StreamRate> streams,
                            std::uint16_t maxHeight, TimePoint now) {
    if (streams.size() != m_streamCount)
        return;
    if (m_streamCount > 1)
        chooseStream(shareBps, streams, maxHeight, now);
    if (!m_current)
        return;
    // While a switch down waits for the lower stream's key frame, the current stream keeps
    // its base layer if that fits; if not, it stops: what the link cannot carry would only
    // queue there and hold up the key frame. (A stream that is not being left has its half
    // rate fitting, chooseStream(), so only the lowest one pauses for good.)
    const bool switchingDown = m_target && *m_target < *m_current;
    m_temporal.update(shareBps, streams[*m_current].rates, now, switchingDown ? 0 : 2);
}

void VideoForwarder::chooseStream(int shareBps, std::span<const StreamRate> streams,
                                  std::uint16_t maxHeight, TimePoint now) {
    // The lowest stream is always allowed (height limits > 0; the sender always sends it
    // when nothing above it goes).
    const auto allowed = [&](std::size_t i) {
        return i == 0 || (streams[i].height <= maxHeight && streams[i].available);
    };
    std::size_t allowedTop = 0;
    for (std::size_t i = 0; i < streams.size(); ++i)
        if (allowed(i))
            allowedTop = i;
    std::size_t fits = 0;
    std::optional<std::size_t> fitsWithMargin;
    for (std::size_t i = 0; i <= allowedTop; ++i) {
        if (!allowed(i))
            continue;
        const int rate = fullRate(streams[i]);
        if (rate <= shareBps)
            fits = i;
        if (rate <= shareBps * kUpMargin)
            fitsWithMargin = i;
    }
    if (!m_target) { // the first choice: at once
        m_target = fits;
        return;
    }
    const std::size_t target = *m_target;
    // Down at once: over the height limit or not sent, a pending switch up that no longer
    // fits, or not even the target's half frame rate fits.
    const bool overLimit = !allowed(target);
    const bool pendingUp = m_current && target > *m_current;
    const bool tooHigh = fits < target && (pendingUp || halfRate(streams[target]) > shareBps);
    if (overLimit || tooHigh) {
        m_target = std::min(fits, allowedTop);
        m_candidate.reset();
        return;
    }
    // Up after a held margin.
    if (!fitsWithMargin || *fitsWithMargin <= target) {
        m_candidate.reset();
        return;
    }
    if (!m_candidate || *m_candidate != *fitsWithMargin) {
        m_candidate = fitsWithMargin;
        m_candidateSince = now;
        return;
    }
    if (now - m_candidateSince >= kUpHold) {
        m_target = m_candidate;
        m_candidate.reset();
    }
}

void VideoForwarder::switchTo(std::size_t stream, std::uint16_t sequence) {
    if (const auto newest = active().newestOut()) {
        active().freeze();
        m_previous = m_current;
        m_active ^= 1U;
        active().continueAfter(*newest, sequence);
        ++m_spatialSwitches;
    }
    m_current = stream;
    m_temporal.reset();
    m_frameKnown = false;
}

std::optional<std::uint16_t> VideoForwarder::onPacket(std::size_t stream, std::uint16_t sequence,
                                                      std::uint32_t timestamp,
                                                      const FrameInfo& frame) {
    if (m_target && stream == *m_target && m_current != m_target && frame.keyFrame &&
        frame.startOfFrame)
        switchTo(stream, sequence);
    if (m_current && stream == *m_current) {
        // One decision per frame (its packets share the RTP timestamp); a late packet of an
        // older frame goes by its layer.
        bool forward = false;
        if (!m_frameKnown || static_cast<std::int32_t>(timestamp - m_frameTimestamp) > 0) {
            m_frameForwarded =
                m_temporal.onFrame(frame.temporalId, frame.layerSync, frame.keyFrame);
            m_frameTimestamp = timestamp;
            m_frameKnown = true;
            forward = m_frameForwarded;
        } else if (timestamp == m_frameTimestamp) {
            forward = m_frameForwarded;
        } else {
            const auto layer = m_temporal.current();
            forward = layer && frame.temporalId <= *layer;
        }
        return active().onPacket(sequence, forward);
    }
    if (m_previous && stream == *m_previous) // late packets into the gaps the old stream left
        return m_rewriters[m_active ^ 1U].onPacket(sequence, true);
    return std::nullopt;
}

std::optional<VideoForwarder::Input> VideoForwarder::toInput(std::uint16_t out) const {
    if (!m_current)
        return std::nullopt;
    if (const auto in = m_rewriters[m_active].toInput(out))
        return Input{*m_current, *in};
    if (m_previous)
        if (const auto in = m_rewriters[m_active ^ 1U].toInput(out))
            return Input{*m_previous, *in};
    return std::nullopt;
}

} // namespace diyuma::relay
