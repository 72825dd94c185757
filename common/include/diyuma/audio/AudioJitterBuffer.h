#pragma once
// Adaptive jitter buffer for one remote Opus stream: RTP payloads in (any order, any
// timing), exactly 10 ms of 48 kHz mono PCM out per pull.
//
// Timeline. Everything runs on the sender's RTP timestamp axis, unwrapped to 64 bits (and
// sequence numbers likewise), so 16-bit sequence and 32-bit timestamp wrap are non-events.
// The playout position P is the timestamp of the next sample to be played. The playout delay
// is measured as
//
//     delay = now - P - r_min        (all in samples; r_min: see DelayEstimator)
//
// i.e. how long after the earliest possible (jitter-free) arrival a sample is played. It does
// not depend on where inside a 10 ms pull a packet happened to arrive, and it stays constant
// through silence. On a jitter-free link it settles at minDelay (20 ms: a packet waits one
// pull), the target rises with measured jitter (DelayEstimator) and the buffer follows it:
//
//   delay < target - 5 ms  : lengthen the next frame by 5..15 ms (pitch-synchronous, see
//                            TimeStretch.h), or repeat comfort noise in a DTX gap; on an
//                            underrun, conceal without moving P (the late packet still plays)
//   delay > target + 15 ms : for a while (300 ms if quiet, 600 ms otherwise) -> shorten a
//                            frame by 5..15 ms, preferring quiet frames and DTX gaps, where
//                            whole 20 ms of comfort noise are skipped
//
// Frame decisions, at each frame boundary (S = next expected sequence number, N = the
// earliest buffered packet):
//   N is S, its ts is due               -> decode (Played)
//   N is S, its ts lies ahead           -> DTX gap: the sender was silent, nothing is missing;
//                                          the decoder's comfort noise fills it (Silence),
//                                          not counted as loss
//   N is after S (packets missing)      -> the frame just before N: FEC from N (FecRecovered);
//                                          earlier frames: PLC (Concealed); counted lost
//                                          when N plays
//   nothing buffered                    -> PLC; whether that was loss or DTX is settled when
//                                          the next packet arrives (its sequence number says)
//   nothing for kStreamStoppedAfter     -> zeros (Silence), decoder idle
// Packets whose audio has been played (or concealed) already are counted late (and lost:
// they were a gap at playout) and dropped. FEC needs the next packet to be there when the
// lost frame is due, i.e. one frame more than the jitter-free minimum: hence lossExtraDelay.
// Far jumps of sequence numbers or timestamps (a restarted sender) restart the playout.
//
// Memory: a fixed ring of kSlots packets of up to kMaxPayloadBytes, allocated in the
// constructor; insert() and pull() never allocate.
//
// Thread: one thread (the media thread) calls everything, including stats().

#include "diyuma/audio/AudioFormat.h"
#include "diyuma/audio/DelayEstimator.h"
#include "diyuma/audio/OpusDecoder.h"
#include "diyuma/util/Clock.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace diyuma::core {

struct JitterBufferConfig {
    std::chrono::milliseconds minDelay{20};
    std::chrono::milliseconds maxDelay{400};
    /// Added to the target while recent loss is high (above ~3 % of packets): one frame of
    /// extra delay lets in-band FEC in the next packet repair single losses. 0 turns it off.
    std::chrono::milliseconds lossExtraDelay{20};
};

struct JitterBufferStats {
    std::uint64_t packetsReceived = 0; ///< accepted into the buffer (not duplicates)
    std::uint64_t packetsLost = 0;     ///< never arrived in time (sequence gaps at playout;
                                       ///< late packets are counted here too)
    std::uint64_t packetsLate = 0;     ///< arrived after their playout time (dropped)
    std::uint64_t packetsDuplicate = 0;
    std::uint64_t framesConcealed = 0; ///< 20 ms frames produced by PLC for missing audio
                                       ///< (not DTX comfort noise, not delay growth)
    std::uint64_t framesFecRecovered = 0;
    double jitterMs = 0;       ///< RFC 3550 interarrival jitter estimate
    double targetDelayMs = 0;  ///< current target playout delay
    double currentDelayMs = 0; ///< playout delay at the last pull (see the header comment)
    // Additions beyond the call-engine contract:
    std::uint64_t packetsInvalid = 0;   ///< not an Opus packet, empty or larger than a slot
    std::uint64_t packetsFlushed = 0;   ///< accepted but thrown away unplayed (stream restart)
    std::uint64_t framesDtx = 0;        ///< 20 ms frames of comfort noise in DTX gaps (no loss)
    std::uint64_t framesLengthened = 0; ///< frames stretched to grow the delay
    std::uint64_t framesShortened = 0;  ///< frames shortened (or DTX skipped) to cut the delay
    std::uint64_t streamRestarts = 0;   ///< timeline jumps that restarted playout
};

/// What one pull played; the most notable part of the 10 ms wins
/// (Concealed > FecRecovered > Played > Silence). Silence also covers DTX comfort noise and
/// concealment after quiet audio (most likely a pause, not a loss).
enum class PullResult { Silence, Played, Concealed, FecRecovered };

/// One remote stream. Owns its OpusDecoder. Thread: one thread (the media thread) calls all.
class AudioJitterBuffer {
public:
    static constexpr std::size_t kSlots = 64;             ///< packets held at most (1.28 s)
    static constexpr std::size_t kMaxPayloadBytes = 1200; ///< larger payloads are invalid
    /// No packet for this long and nothing buffered: the stream counts as stopped.
    static constexpr std::chrono::milliseconds kStreamStoppedAfter{1000};

    explicit AudioJitterBuffer(const Clock& clock, JitterBufferConfig config = {});
    AudioJitterBuffer(const AudioJitterBuffer&) = delete;
    AudioJitterBuffer& operator=(const AudioJitterBuffer&) = delete;

    /// A received RTP payload (Opus) with its sequence number and RTP timestamp; arrival time
    /// is clock.now(). Handles reorder, duplicates, sequence and timestamp wrap. The payload is
    /// copied; the span need not outlive the call.
    void insert(std::uint16_t sequence, std::uint32_t rtpTimestamp,
                std::span<const std::uint8_t> payload);
    /// Produces exactly kBlockSamples (10 ms) of audio for playout into `out` (caller-owned;
    /// other sizes work too), called every 10 ms by the playout clock. Silence before the
    /// stream starts or after it stopped (no packets).
    PullResult pull(std::span<std::int16_t> out);
    [[nodiscard]] JitterBufferStats stats() const;
    /// The playout position P (the sender's RTP timestamp of the next sample to play) while
    /// the stream plays; for lip sync.
    [[nodiscard]] std::optional<std::uint32_t> playoutTimestamp() const;

private:
    enum class State { Idle, Priming, Playing };
    enum class Kind : std::uint8_t { Silence, Played, FecRecovered, Concealed };
    struct Slot {
        std::int64_t sequence = -1; ///< unwrapped; -1 = free
        std::int64_t timestamp = 0; ///< unwrapped
        int samples = 0;            ///< duration
        std::size_t sizeBytes = 0;
        std::array<std::uint8_t, kMaxPayloadBytes> payload{};
    };

    [[nodiscard]] std::int64_t nowSamples() const;
    [[nodiscard]] std::int64_t unwrapSequence(std::uint16_t sequence) const;
    [[nodiscard]] std::int64_t unwrapTimestamp(std::uint32_t timestamp) const;
    [[nodiscard]] std::int64_t targetDelay(std::int64_t now) const;
    /// Playout delay of the next sample to play, `played` samples into the current pull.
    [[nodiscard]] std::int64_t playoutDelay(std::int64_t now, std::size_t played) const;
    [[nodiscard]] Slot* earliestBuffered();
    [[nodiscard]] bool seen(std::int64_t sequence) const;

    bool acceptOrReject(std::int64_t sequence, std::int64_t timestamp, int samples);
    void resolvePendingGap(std::int64_t sequence, std::int64_t timestamp, int samples);
    void restart(std::int64_t sequence, std::int64_t timestamp);
    void freeSlot(Slot& slot);
    std::int64_t flushBefore(std::int64_t sequence); ///< frees older slots; returns how many
    void noteLoss(std::uint64_t lost);
    void notePlayed();
    void prime(std::int64_t now);
    void updateTimers(std::int64_t now, std::int64_t delay, std::int64_t target);
    void produce(std::int64_t now, std::size_t played);
    void producePacket(Slot& slot, std::int64_t delay, std::int64_t target, std::int64_t now);
    void produceGap(const Slot& next, std::int64_t delay, std::int64_t target, std::int64_t now);
    void produceUnderrun(std::int64_t now, std::int64_t delay, std::int64_t target);
    void conceal(std::size_t samples, Kind kind);
    void emitZeros(std::size_t samples);
    [[nodiscard]] bool shrinkDue(std::int64_t now, bool quiet) const;
    [[nodiscard]] bool growDue(std::int64_t now, std::int64_t delay, std::int64_t target) const;

    const Clock& m_clock;
    JitterBufferConfig m_config;
    std::int64_t m_minDelay; ///< samples
    std::int64_t m_maxDelay; ///< samples
    std::optional<OpusDecoder> m_decoder;
    DelayEstimator m_estimator;
    JitterBufferStats m_stats;
    State m_state = State::Idle;

    // Packets.
    std::vector<Slot> m_slots; ///< ring indexed by sequence % kSlots
    std::size_t m_buffered = 0;
    std::array<std::int64_t, 256> m_seen{}; ///< sequence numbers accepted, by sequence % 256
    std::int64_t m_highestSequence = 0;     ///< unwrap reference
    std::int64_t m_highestTimestamp = 0;    ///< unwrap reference
    std::int64_t m_lastArrival = 0;         ///< samples
    int m_farBehind = 0; ///< consecutive packets from far behind the playout (restart sign)

    // Playout: samples ahead of P are [m_pcm (m_pcmCount)] [m_zeros] [from m_decodeTs on].
    std::int64_t m_nextSequence = 0; ///< S: next sequence number to play
    std::int64_t m_decodeTs = 0;     ///< D: timestamp of the next sample to decode
    std::int64_t m_zeros = 0;        ///< start-up silence still to play before D
    std::vector<std::int16_t> m_pcm; ///< decoded, not yet played
    std::vector<Kind> m_pcmKind;
    std::size_t m_pcmStart = 0;
    std::size_t m_pcmCount = 0;
    std::vector<std::int16_t> m_decoded; ///< scratch: one decoded packet
    int m_pendingFrames = 0;   ///< concealed on an empty buffer, loss or DTX not known yet
    bool m_lastQuiet = true;   ///< the last decoded frame was quiet (DTX, pause)
    bool m_decoderIdle = true; ///< stream stopped: zeros, not PLC

    // Control.
    std::int64_t m_lastDelay = 0;
    std::optional<std::int64_t> m_excessSince; ///< delay above target + margin since (samples)
    std::optional<std::int64_t> m_deficitSince;
    std::int64_t m_lastShrinkAt = 0;
    double m_lossAverage = 0; ///< exponential average of lost (1) vs played (0) packets
    bool m_lossMode = false;  ///< lossExtraDelay in force
};

} // namespace diyuma::core
