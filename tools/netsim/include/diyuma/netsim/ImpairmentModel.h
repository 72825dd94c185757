#pragma once
// One direction of an impaired link as a pure model: a datagram of N bytes is offered at
// clock.now(); the model says whether it is dropped (and why) or when it should be delivered,
// and whether a duplicate follows it. No sockets, no threads, no allocation: the proxy
// (Proxy.h) does the I/O and keeps the scheduled deliveries.
//
// Each offered datagram goes through these stages, in this order:
//   1. Loss. Burst loss first (Gilbert-Elliott: two states; each packet the state may change,
//      good -> bad with goodToBad, bad -> good with badToGood, and a packet is lost while the
//      state is bad), then random loss (Bernoulli, lossProbability) of what is left. The long
//      run share lost by the burst model is goodToBad / (goodToBad + badToGood); bursts last
//      1 / badToGood packets on average.
//   2. Rate limit: a token bucket of rateBitsPerSecond (UDP payload bits; 0 = unlimited),
//      kBucketBytes deep, in front of a FIFO queue. A packet waits until the bucket holds its
//      size; if that wait would exceed queueLimit it is dropped instead (tail drop).
//   3. Delay and jitter: each packet gets delay + U(-jitter, +jitter) (uniform, floored at 0)
//      after it leaves the bucket. Packets keep their order: one whose draw would put it
//      before its predecessor is delivered together with (right after) that predecessor, so
//      jitter alone never reorders and never exceeds delay + jitter.
//   4. Reordering: with reorderProbability a packet is held reorderDelay longer than stage 3
//      says, without holding up the packets behind it: whatever is offered in that time
//      overtakes it. Without it (0) the model never reorders.
//   5. Duplication: with duplicateProbability a second copy is delivered right after the first
//      (the copy is made behind the rate limit, so it costs no tokens).
//
// Randomness: std::mt19937_64 (its output is fixed by the standard), and every packet draws
// exactly kDrawsPerPacket values whether or not it is dropped, so the same seed and the same
// offers give the same decisions on every platform, and changing one stage's settings (say
// the delay) does not change which packets another stage (say loss) picks.
//
// Thread: one thread owns an instance; the Clock may be shared (it is thread-safe).

#include "diyuma/util/Clock.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace diyuma::netsim {

using core::Clock;

/// The two directions through the proxy.
enum class Direction : std::uint8_t {
    Up = 0,   ///< client -> relay
    Down = 1, ///< relay -> client
};

/// Gilbert-Elliott burst loss: per-packet state transition probabilities (0..1).
struct BurstLoss {
    double goodToBad = 0; ///< chance, each packet, that a burst starts
    double badToGood = 1; ///< chance, each packet in a burst, that it ends
};

struct ImpairmentConfig {
    double lossProbability = 0; ///< Bernoulli, 0..1
    std::optional<BurstLoss> burstLoss;
    Clock::Duration delay{0};
    Clock::Duration jitter{0}; ///< half-width of the uniform spread around `delay`
    double reorderProbability = 0;
    Clock::Duration reorderDelay{std::chrono::milliseconds(30)};
    std::uint64_t rateBitsPerSecond = 0; ///< 0: no rate limit
    /// Rate changes: from `at` after `scheduleOrigin` on, the rate is `bitsPerSecond` (0: no
    /// limit), in order of `at`; before the first, rateBitsPerSecond. A capacity step.
    struct RateStep {
        Clock::Duration at{0};
        std::uint64_t bitsPerSecond = 0;
    };
    std::vector<RateStep> rateSchedule;
    Clock::TimePoint scheduleOrigin{}; ///< set by the proxy when it starts
    /// The rate limit in force at `now` (0: none).
    [[nodiscard]] std::uint64_t rateAt(Clock::TimePoint now) const;
    Clock::Duration queueLimit{std::chrono::milliseconds(200)};
    double duplicateProbability = 0;

    /// False when every stage is off (the model then delivers everything at once).
    [[nodiscard]] bool impairs() const;
};

/// Why a datagram was dropped.
enum class DropReason : std::uint8_t {
    None = 0,
    Loss,      ///< random (Bernoulli) loss
    BurstLoss, ///< Gilbert-Elliott bad state
    Queue,     ///< tail drop: the rate limiter's queue was full
};

/// What to do with one offered datagram.
struct Verdict {
    DropReason drop = DropReason::None;
    Clock::TimePoint deliverAt{};  ///< when not dropped: when to send it on
    bool duplicate = false;        ///< send a second copy right after the first
    bool reordered = false;        ///< held back by the reorder stage
    Clock::Duration queueDelay{0}; ///< time spent waiting for the rate limiter
    [[nodiscard]] bool dropped() const { return drop != DropReason::None; }
};

/// What the model decided so far.
struct ImpairmentCounters {
    std::uint64_t offered = 0;
    std::uint64_t passed = 0; ///< not dropped (copies not counted)
    std::uint64_t droppedLoss = 0;
    std::uint64_t droppedBurst = 0;
    std::uint64_t droppedQueue = 0;
    std::uint64_t duplicated = 0;
    std::uint64_t reordered = 0;
};

/// A well-mixed seed for stream `stream` (e.g. client number * 2 + direction) of `seed`
/// (SplitMix64), so nearby seeds and streams give unrelated random sequences.
[[nodiscard]] std::uint64_t deriveSeed(std::uint64_t seed, std::uint64_t stream);

class ImpairmentModel {
public:
    /// Depth of the token bucket: one full-size Ethernet payload, so the rate holds over any
    /// window longer than one packet's transmission time.
    static constexpr std::size_t kBucketBytes = 1500;
    /// Random values drawn per offered packet (loss, burst state, jitter, reorder, duplicate).
    static constexpr int kDrawsPerPacket = 5;

    /// `clock` must outlive the model.
    ImpairmentModel(const Clock& clock, std::uint64_t seed, const ImpairmentConfig& config);

    /// Offers one datagram of `sizeBytes` at clock.now() and returns the decision.
    [[nodiscard]] Verdict offer(std::size_t sizeBytes);

    [[nodiscard]] const ImpairmentConfig& config() const { return m_config; }
    [[nodiscard]] const ImpairmentCounters& counters() const { return m_counters; }
    /// True while the burst-loss model is in its bad state (for tests).
    [[nodiscard]] bool inBurst() const { return m_bad; }

private:
    /// Uniform in [0, 1) from the top 53 bits of one generator output.
    double draw();
    /// Stage 2: when the packet leaves the bucket, or nullopt for a tail drop.
    std::optional<Clock::TimePoint> rateLimit(Clock::TimePoint now, std::size_t sizeBytes);

    const Clock& m_clock;
    ImpairmentConfig m_config;
    std::mt19937_64 m_random;
    ImpairmentCounters m_counters;
    bool m_bad = false; ///< Gilbert-Elliott state
    // Token bucket: m_tokensBits tokens at m_bucketTime (when the last accepted packet left).
    bool m_bucketStarted = false;
    Clock::TimePoint m_bucketTime{};
    double m_tokensBits = 0;
    // Delivery time of the last packet that was not held back (stage 3 keeps order behind it).
    std::optional<Clock::TimePoint> m_lastInOrder;
};

} // namespace diyuma::netsim
