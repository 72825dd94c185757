#include "diyuma/audio/AudioJitterBuffer.h"

#include "diyuma/audio/Goertzel.h"
#include "diyuma/audio/TimeStretch.h"

#include <algorithm>
#include <limits>

namespace diyuma::core {

namespace {

constexpr std::int64_t kMs = kSamplesPerMs;
constexpr std::int64_t kFrame = kFrameSamples;
constexpr std::int64_t kQuantum = kSampleRateHz / 400; // 2.5 ms: what PLC and FEC accept

// Control loop (samples). Grow quickly (late packets hurt more than a few ms of delay),
// shrink only after the excess has lasted, and preferably in quiet audio.
constexpr std::int64_t kGrowMargin = 5 * kMs;
constexpr std::int64_t kGrowHold = 20 * kMs;
constexpr std::int64_t kShrinkMargin = 15 * kMs;
constexpr std::int64_t kShrinkHoldQuiet = 300 * kMs;
constexpr std::int64_t kShrinkHoldLoud = 600 * kMs;
constexpr std::int64_t kShrinkSpacing = 60 * kMs; // at most one cut per 3 frames
constexpr std::size_t kMinShift = 5 * kMs;
constexpr std::size_t kMaxShift = 15 * kMs;

// Below this level a decoded frame is "quiet": a pause, comfort noise, a fade.
constexpr double kQuietDbfs = -45.0;

// Loss average over ~50 packets (1 s); the extra FEC delay switches on above 3 %, off
// below 1 % (hysteresis, so it does not flap).
constexpr double kLossAlpha = 1.0 / 50.0;
constexpr double kLossOn = 0.03;
constexpr double kLossOff = 0.01;

// Timeline jumps that no network produces: the sender restarted or its clock jumped.
constexpr std::int64_t kMaxSequenceJump = 3000;     // 60 s of 20 ms packets
constexpr std::int64_t kTimelineSlack = 1000 * kMs; // beyond maxDelay
constexpr int kFarBehindRestart = 5;

constexpr std::size_t kPcmCapacity = kMaxOpusFrameSamples + kMaxShift;

constexpr std::size_t slotIndex(std::int64_t sequence) {
    return static_cast<std::size_t>(sequence) % AudioJitterBuffer::kSlots;
}

// The next piece of a timestamp gap to fill: whole frames, then whole 2.5 ms steps.
std::int64_t gapChunk(std::int64_t gap) {
    if (gap >= kFrame)
        return kFrame;
    return gap >= kQuantum ? gap - gap % kQuantum : gap;
}

} // namespace

AudioJitterBuffer::AudioJitterBuffer(const Clock& clock, JitterBufferConfig config)
    : m_clock(clock), m_config(config),
      m_minDelay(std::max<std::int64_t>(0, config.minDelay.count()) * kMs),
      m_maxDelay(std::max<std::int64_t>(m_minDelay, config.maxDelay.count() * kMs)),
      m_estimator(m_minDelay, m_maxDelay), m_slots(kSlots), m_pcm(kPcmCapacity),
      m_pcmKind(kPcmCapacity), m_decoded(kPcmCapacity) {
    auto decoder = OpusDecoder::create();
    if (decoder)
        m_decoder.emplace(std::move(decoder.value()));
    m_seen.fill(-1);
}

// ---------------------------------------------------------------------------------------------
// Time and numbering

std::int64_t AudioJitterBuffer::nowSamples() const {
    // Microseconds to 48 kHz samples: * 48 / 1000 = * 6 / 125.
    return m_clock.now().time_since_epoch().count() * 6 / 125;
}

std::int64_t AudioJitterBuffer::unwrapSequence(std::uint16_t sequence) const {
    const auto reference = static_cast<std::uint16_t>(m_highestSequence & 0xffff);
    const auto delta = static_cast<std::int16_t>(static_cast<std::uint16_t>(sequence - reference));
    return m_highestSequence + delta;
}

std::int64_t AudioJitterBuffer::unwrapTimestamp(std::uint32_t timestamp) const {
    const auto reference = static_cast<std::uint32_t>(m_highestTimestamp & 0xffffffff);
    const auto delta = static_cast<std::int32_t>(timestamp - reference);
    return m_highestTimestamp + delta;
}

std::int64_t AudioJitterBuffer::targetDelay(std::int64_t now) const {
    const std::int64_t extra = m_lossMode ? m_config.lossExtraDelay.count() * kMs : 0;
    return m_estimator.targetDelay(now, extra);
}

std::int64_t AudioJitterBuffer::playoutDelay(std::int64_t now, std::size_t played) const {
    if (m_estimator.empty())
        return 0;
    const std::int64_t position = m_decodeTs - m_zeros - static_cast<std::int64_t>(m_pcmCount); // P
    return now + static_cast<std::int64_t>(played) - position - m_estimator.baseTransit();
}

bool AudioJitterBuffer::seen(std::int64_t sequence) const {
    return m_seen[static_cast<std::size_t>(sequence) % m_seen.size()] == sequence;
}

// ---------------------------------------------------------------------------------------------
// Receiving

void AudioJitterBuffer::insert(std::uint16_t sequence, std::uint32_t rtpTimestamp,
                               std::span<const std::uint8_t> payload) {
    const int samples = payload.empty() || payload.size() > kMaxPayloadBytes
                            ? -1
                            : OpusDecoder::packetSamples(payload);
    if (samples <= 0) {
        ++m_stats.packetsInvalid;
        return;
    }
    const std::int64_t now = nowSamples();
    if (m_state == State::Idle) {
        // Unwrapped numbers start far from zero so that nothing goes negative.
        m_highestSequence = (std::int64_t{1} << 32) + sequence;
        m_highestTimestamp = (std::int64_t{1} << 40) + rtpTimestamp;
    }
    const std::int64_t seq = unwrapSequence(sequence);
    const std::int64_t ts = unwrapTimestamp(rtpTimestamp);
    if (seen(seq)) {
        ++m_stats.packetsDuplicate;
        return;
    }
    if (seq > m_highestSequence)
        m_highestSequence = seq;
    if (ts > m_highestTimestamp)
        m_highestTimestamp = ts;
    if (!acceptOrReject(seq, ts, samples))
        return;

    Slot& slot = m_slots[slotIndex(seq)];
    if (slot.sequence >= 0) { // cannot happen while the ring covers [S, S + kSlots)
        freeSlot(slot);
        ++m_stats.packetsFlushed;
    }
    slot.sequence = seq;
    slot.timestamp = ts;
    slot.samples = samples;
    slot.sizeBytes = payload.size();
    std::copy(payload.begin(), payload.end(), slot.payload.begin());
    m_seen[static_cast<std::size_t>(seq) % m_seen.size()] = seq;
    ++m_buffered;
    ++m_stats.packetsReceived;
    m_lastArrival = now;
    m_estimator.onArrival(now, ts);
}

bool AudioJitterBuffer::acceptOrReject(std::int64_t seq, std::int64_t ts, int samples) {
    const std::int64_t now = nowSamples();
    if (m_state == State::Idle) {
        m_state = State::Priming;
        m_nextSequence = seq;
        m_decodeTs = ts;
        return true;
    }
    if (m_state == State::Priming) {
        // Nothing played yet: an earlier packet (reordered at the start) moves the start back.
        if (seq < m_nextSequence) {
            if (m_nextSequence - seq >= static_cast<std::int64_t>(kSlots) / 2) {
                ++m_stats.packetsLate;
                return false;
            }
            m_nextSequence = seq;
            m_decodeTs = ts;
        } else if (seq - m_nextSequence >= static_cast<std::int64_t>(kSlots)) {
            restart(seq, ts);
        }
        return true;
    }

    const std::int64_t seqDelta = seq - m_nextSequence;
    const std::int64_t lead = ts - m_decodeTs;
    const bool plausibleTime =
        lead <= m_maxDelay + kTimelineSlack && lead >= -(m_maxDelay + kTimelineSlack);
    if (seqDelta < 0) {
        // Already played or given up on. From very far behind, repeatedly: a new timeline.
        if (-seqDelta > kMaxSequenceJump && ++m_farBehind >= kFarBehindRestart) {
            restart(seq, ts);
            return true;
        }
        ++m_stats.packetsLate;
        if (plausibleTime && -seqDelta <= kMaxSequenceJump)
            m_estimator.onArrival(now, ts); // lateness is jitter; stray numbers are not
        return false;
    }
    if (seqDelta > kMaxSequenceJump || !plausibleTime) {
        restart(seq, ts);
        return true;
    }
    m_farBehind = 0;
    resolvePendingGap(seq, ts, samples);

    if (ts + samples <= m_decodeTs) {
        // Its time has been played (concealed) already: late. Its place was a gap at playout.
        ++m_stats.packetsLate;
        m_estimator.onArrival(now, ts);
        flushBefore(seq + 1);
        noteLoss(static_cast<std::uint64_t>(seqDelta + 1));
        m_nextSequence = seq + 1;
        return false;
    }
    if (seqDelta >= static_cast<std::int64_t>(kSlots)) {
        // Beyond the ring (a long outage the timeline ran through): give up on what came
        // before the last kSlots sequence numbers.
        const std::int64_t newNext = seq - static_cast<std::int64_t>(kSlots) + 1;
        const std::int64_t flushed = flushBefore(newNext);
        noteLoss(static_cast<std::uint64_t>(
            std::max<std::int64_t>(0, newNext - m_nextSequence - flushed)));
        m_nextSequence = newNext;
    }
    return true;
}

void AudioJitterBuffer::resolvePendingGap(std::int64_t seq, std::int64_t ts, int samples) {
    if (m_pendingFrames == 0)
        return;
    const std::int64_t pending = m_pendingFrames;
    m_pendingFrames = 0;
    std::int64_t concealed = 0;
    if (ts + samples <= m_decodeTs) {
        // Late: the frames since its timestamp stood in for it (and its followers).
        concealed = std::min(pending, (m_decodeTs - ts + kFrame - 1) / kFrame);
    } else if (seq > m_nextSequence) {
        // Packets are missing: as many concealed frames as missing packets were loss.
        concealed = std::min(pending, seq - m_nextSequence);
    }
    // The rest (all of it when seq is the next expected one) was a DTX gap.
    m_stats.framesConcealed += static_cast<std::uint64_t>(concealed);
    m_stats.framesDtx += static_cast<std::uint64_t>(pending - concealed);
}

void AudioJitterBuffer::restart(std::int64_t seq, std::int64_t ts) {
    flushBefore(std::numeric_limits<std::int64_t>::max());
    m_pendingFrames = 0;
    m_zeros = 0;
    m_state = State::Priming;
    m_nextSequence = seq;
    m_decodeTs = ts;
    m_highestSequence = seq;
    m_highestTimestamp = ts;
    m_seen.fill(-1);
    m_farBehind = 0;
    m_excessSince.reset();
    m_deficitSince.reset();
    m_estimator.reset();
    ++m_stats.streamRestarts;
}

void AudioJitterBuffer::freeSlot(Slot& slot) {
    slot.sequence = -1;
    --m_buffered;
}

std::int64_t AudioJitterBuffer::flushBefore(std::int64_t sequence) {
    std::int64_t flushed = 0;
    for (Slot& slot : m_slots) {
        if (slot.sequence >= 0 && slot.sequence < sequence) {
            freeSlot(slot);
            ++flushed;
        }
    }
    m_stats.packetsFlushed += static_cast<std::uint64_t>(flushed);
    return flushed;
}

AudioJitterBuffer::Slot* AudioJitterBuffer::earliestBuffered() {
    if (m_buffered == 0)
        return nullptr;
    const std::int64_t end =
        std::min(m_highestSequence, m_nextSequence + static_cast<std::int64_t>(kSlots) - 1);
    for (std::int64_t s = m_nextSequence; s <= end; ++s) {
        Slot& slot = m_slots[slotIndex(s)];
        if (slot.sequence == s)
            return &slot;
    }
    return nullptr;
}

void AudioJitterBuffer::noteLoss(std::uint64_t lost) {
    m_stats.packetsLost += lost;
    // After ~200 steps the average is 1 anyway; a long outage need not loop for long.
    for (std::uint64_t i = 0; i < std::min<std::uint64_t>(lost, 200); ++i)
        m_lossAverage += (1.0 - m_lossAverage) * kLossAlpha;
    if (m_lossAverage > kLossOn)
        m_lossMode = true;
}

void AudioJitterBuffer::notePlayed() {
    m_lossAverage -= m_lossAverage * kLossAlpha;
    if (m_lossAverage < kLossOff)
        m_lossMode = false;
}

// ---------------------------------------------------------------------------------------------
// Playout

std::optional<std::uint32_t> AudioJitterBuffer::playoutTimestamp() const {
    if (m_state != State::Playing)
        return std::nullopt;
    // Ahead of P: the decoded samples not yet played, then the start-up zeros, then D.
    return static_cast<std::uint32_t>(m_decodeTs - m_zeros - static_cast<std::int64_t>(m_pcmCount));
}

PullResult AudioJitterBuffer::pull(std::span<std::int16_t> out) {
    if (m_state == State::Idle) {
        std::fill(out.begin(), out.end(), std::int16_t{0});
        return PullResult::Silence;
    }
    const std::int64_t now = nowSamples();
    if (m_state == State::Priming)
        prime(now);
    m_lastDelay = playoutDelay(now, 0);
    updateTimers(now, m_lastDelay, targetDelay(now));

    Kind worst = Kind::Silence;
    std::size_t done = 0;
    while (done < out.size()) {
        if (m_pcmCount == 0)
            produce(now, done);
        const std::size_t n = std::min(m_pcmCount, out.size() - done);
        const auto from = static_cast<std::ptrdiff_t>(m_pcmStart);
        std::copy(m_pcm.begin() + from, m_pcm.begin() + from + static_cast<std::ptrdiff_t>(n),
                  out.begin() + static_cast<std::ptrdiff_t>(done));
        for (std::size_t i = 0; i < n; ++i)
            worst = std::max(worst, m_pcmKind[m_pcmStart + i]);
        m_pcmStart += n;
        m_pcmCount -= n;
        done += n;
    }
    switch (worst) {
    case Kind::Silence:
        return PullResult::Silence;
    case Kind::Played:
        return PullResult::Played;
    case Kind::FecRecovered:
        return PullResult::FecRecovered;
    case Kind::Concealed:
        return PullResult::Concealed;
    }
    return PullResult::Silence;
}

void AudioJitterBuffer::prime(std::int64_t now) {
    // Start so that the first pull already runs at the target delay: play silence first if
    // the packets are early, start at once if they have waited longer than that.
    const std::int64_t wanted = now - m_estimator.baseTransit() - targetDelay(now); // P
    const std::int64_t ahead = m_decodeTs - static_cast<std::int64_t>(m_pcmCount) - wanted;
    m_zeros = std::clamp<std::int64_t>(ahead, 0, m_maxDelay);
    m_state = State::Playing;
    m_lastQuiet = true;
    m_decoderIdle = false;
    m_excessSince.reset();
    m_deficitSince.reset();
}

void AudioJitterBuffer::updateTimers(std::int64_t now, std::int64_t delay, std::int64_t target) {
    if (delay - target >= kShrinkMargin) {
        if (!m_excessSince)
            m_excessSince = now;
    } else {
        m_excessSince.reset();
    }
    if (target - delay >= kGrowMargin) {
        if (!m_deficitSince)
            m_deficitSince = now;
    } else {
        m_deficitSince.reset();
    }
}

bool AudioJitterBuffer::shrinkDue(std::int64_t now, bool quiet) const {
    if (!m_excessSince)
        return false;
    const std::int64_t hold = quiet ? kShrinkHoldQuiet : kShrinkHoldLoud;
    return now - *m_excessSince >= hold && now - m_lastShrinkAt >= kShrinkSpacing;
}

bool AudioJitterBuffer::growDue(std::int64_t now, std::int64_t delay, std::int64_t target) const {
    const std::int64_t deficit = target - delay;
    if (deficit < kGrowMargin)
        return false;
    // A large deficit (a jitter spike) is acted on at once; a small one must last a little,
    // so that a pull that came early does not trigger it.
    return deficit >= kFrame || (m_deficitSince && now - *m_deficitSince >= kGrowHold);
}

void AudioJitterBuffer::produce(std::int64_t now, std::size_t played) {
    m_pcmStart = 0;
    while (m_pcmCount == 0) {
        if (m_zeros > 0) {
            const auto n = static_cast<std::size_t>(std::min(m_zeros, kFrame));
            m_zeros -= static_cast<std::int64_t>(n);
            emitZeros(n);
            continue;
        }
        const std::int64_t delay = playoutDelay(now, played);
        const std::int64_t target = targetDelay(now);
        Slot* next = earliestBuffered();
        if (next == nullptr) {
            produceUnderrun(now, delay, target);
        } else if (next->timestamp + next->samples <= m_decodeTs) {
            // Its time went by while it waited (odd packet durations): late after all.
            ++m_stats.packetsLate;
            noteLoss(static_cast<std::uint64_t>(next->sequence - m_nextSequence + 1));
            m_nextSequence = next->sequence + 1;
            freeSlot(*next);
        } else if (next->timestamp <= m_decodeTs) {
            producePacket(*next, delay, target, now);
        } else {
            produceGap(*next, delay, target, now);
        }
    }
}

void AudioJitterBuffer::producePacket(Slot& slot, std::int64_t delay, std::int64_t target,
                                      std::int64_t now) {
    // Sequence numbers skipped without a timestamp gap were lost too (nothing to conceal).
    noteLoss(static_cast<std::uint64_t>(slot.sequence - m_nextSequence));
    m_nextSequence = slot.sequence + 1;
    const std::int64_t start = slot.timestamp;
    const std::int64_t end = slot.timestamp + slot.samples;
    const bool dtxPacket = slot.sizeBytes <= 2;
    const int n = m_decoder
                      ? m_decoder->decode(std::span(slot.payload).first(slot.sizeBytes), m_decoded)
                      : -1;
    freeSlot(slot);
    if (n <= 0) {
        // Corrupt payload: conceal its duration as if it had been lost.
        conceal(static_cast<std::size_t>(gapChunk(end - m_decodeTs)), Kind::Concealed);
        ++m_stats.framesConcealed;
        m_decodeTs = end;
        return;
    }
    notePlayed();
    m_decoderIdle = false;
    const auto frame = std::span<const std::int16_t>(m_decoded).first(static_cast<std::size_t>(n));
    const bool quiet = dtxPacket || rmsDbfs(frame) < kQuietDbfs;
    m_lastQuiet = quiet;
    const Kind kind = dtxPacket ? Kind::Silence : Kind::Played;
    const std::int64_t excess = delay - target;
    auto out = std::span(m_pcm).subspan(m_pcmCount);
    std::size_t written = 0;
    if (excess >= kShrinkMargin && shrinkDue(now, quiet)) {
        const auto maxShift = static_cast<std::size_t>(std::min<std::int64_t>(kMaxShift, excess));
        written = shortenFrame(frame, kMinShift, maxShift, out);
        if (written < frame.size()) {
            ++m_stats.framesShortened;
            m_lastShrinkAt = now;
        }
    } else if (growDue(now, delay, target)) {
        // No more than the deficit (but at least the smallest step), so it does not overshoot.
        const auto maxShift =
            static_cast<std::size_t>(std::min<std::int64_t>(kMaxShift, target - delay));
        written = lengthenFrame(frame, kMinShift, std::max(kMinShift, maxShift), out);
        if (written > frame.size())
            ++m_stats.framesLengthened;
    } else {
        std::copy(frame.begin(), frame.end(), out.begin());
        written = frame.size();
    }
    std::fill_n(m_pcmKind.begin() + static_cast<std::ptrdiff_t>(m_pcmCount), written, kind);
    m_pcmCount += written;
    m_decodeTs = std::max(m_decodeTs, start + n);
}

void AudioJitterBuffer::produceGap(const Slot& next, std::int64_t delay, std::int64_t target,
                                   std::int64_t now) {
    const std::int64_t gap = next.timestamp - m_decodeTs;
    if (next.sequence == m_nextSequence) {
        // Consecutive sequence numbers around a timestamp gap: the sender was silent (DTX)
        // and nothing is missing. Comfort noise from the decoder fills the gap; skipping some
        // of it is the cheapest way to cut delay, repeating it the cheapest way to add some.
        const std::int64_t n = gapChunk(gap);
        const std::int64_t excess = delay - target;
        if (excess >= kShrinkMargin && shrinkDue(now, true)) {
            const std::int64_t cut = std::min(n, excess - excess % kQuantum);
            m_decodeTs += cut;
            ++m_stats.framesShortened;
            m_lastShrinkAt = now;
            return;
        }
        conceal(static_cast<std::size_t>(n), Kind::Silence);
        if (growDue(now, delay, target)) {
            ++m_stats.framesLengthened;
            return;
        }
        m_decodeTs += n;
        ++m_stats.framesDtx;
        return;
    }
    // Packets are missing before `next` (it is the earliest buffered one, so the packet just
    // before it never came). If only that packet's frame is left to fill, the in-band FEC
    // data in `next` rebuilds it. The loss is counted when `next` plays.
    if (gap <= kFrame && gap % kQuantum == 0 && m_decoder) {
        auto out = std::span(m_pcm).subspan(m_pcmCount, static_cast<std::size_t>(gap));
        const int n = m_decoder->decodeFec(std::span(next.payload).first(next.sizeBytes), out);
        if (n == gap) {
            std::fill_n(m_pcmKind.begin() + static_cast<std::ptrdiff_t>(m_pcmCount), n,
                        Kind::FecRecovered);
            m_pcmCount += static_cast<std::size_t>(n);
            m_decodeTs += gap;
            ++m_stats.framesFecRecovered;
            m_decoderIdle = false;
            return;
        }
    }
    const std::int64_t n = gapChunk(gap);
    conceal(static_cast<std::size_t>(n), Kind::Concealed);
    if (growDue(now, delay, target)) {
        // Wait for it rather than give it up: the missing packet may still come.
        ++m_stats.framesLengthened;
        return;
    }
    m_decodeTs += n;
    ++m_stats.framesConcealed;
}

void AudioJitterBuffer::produceUnderrun(std::int64_t now, std::int64_t delay, std::int64_t target) {
    if (now - m_lastArrival > kStreamStoppedAfter.count() * kMs) {
        // Stopped (or a very long pause): zeros, and the decoder rests. Time runs on, so the
        // stream resumes at the same delay when packets come back.
        m_decoderIdle = true;
        emitZeros(kBlockSamples);
        m_decodeTs += kBlockSamples;
        return;
    }
    // Nothing to play: conceal. Whether this was loss or a DTX pause is known only when the
    // next packet arrives (resolvePendingGap). After quiet audio it is most likely a pause.
    const Kind kind = m_lastQuiet ? Kind::Silence : Kind::Concealed;
    conceal(kFrameSamples, kind);
    if (growDue(now, delay, target)) {
        ++m_stats.framesLengthened; // hold the position: the late packet still plays
        return;
    }
    m_decodeTs += kFrame;
    ++m_pendingFrames;
}

void AudioJitterBuffer::conceal(std::size_t samples, Kind kind) {
    auto out = std::span(m_pcm).subspan(m_pcmCount, samples);
    const bool wholeSteps = samples % kQuantum == 0;
    if (m_decoderIdle || !m_decoder || !wholeSteps || m_decoder->conceal(out) < 0) {
        emitZeros(samples);
        return;
    }
    std::fill_n(m_pcmKind.begin() + static_cast<std::ptrdiff_t>(m_pcmCount), samples, kind);
    m_pcmCount += samples;
}

void AudioJitterBuffer::emitZeros(std::size_t samples) {
    std::fill_n(m_pcm.begin() + static_cast<std::ptrdiff_t>(m_pcmCount), samples, 0);
    std::fill_n(m_pcmKind.begin() + static_cast<std::ptrdiff_t>(m_pcmCount), samples,
                Kind::Silence);
    m_pcmCount += samples;
}

// ---------------------------------------------------------------------------------------------

JitterBufferStats AudioJitterBuffer::stats() const {
    JitterBufferStats s = m_stats;
    s.jitterMs = m_estimator.interarrivalJitter() / kMs;
    s.targetDelayMs = static_cast<double>(targetDelay(nowSamples())) / kMs;
    s.currentDelayMs = m_state == State::Playing ? static_cast<double>(m_lastDelay) / kMs : 0.0;
    return s;
}

} // namespace diyuma::core
