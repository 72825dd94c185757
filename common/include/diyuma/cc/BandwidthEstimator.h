#pragma once
// The send-side bandwidth estimator of one hop (a client's uplink to the relay, or the relay's
// downlink to one receiver): transport-wide sequence numbers and sizes go in as packets are
// sent, transport feedback (RTPFB FMT 15) comes back, a target bitrate comes out.
//
//   target = min(delay-based, loss-based), within [min, max]
//   - delay-based: DelayBasedEstimator.h (GCC trendline + AIMD), fed with the throughput the
//     receiver acknowledged over the last 500 ms;
//   - loss-based: more than 10 % loss over at least 100 packets (or a second) cuts the rate by half
//   the loss
//     fraction (at most once per 300 ms + RTT); under 2 % for a second lifts the limit;
//   - standing queue: when the one-way delay stays over 150 ms above its minimum of the last
//     5..10 s (a deep buffer filled at a capacity drop, which the trend does not see once it
//     stops growing), the rate is held at 0.75 x the throughput until it is under 50 ms;
//   - probing: when the target has been steady for a while below the maximum, or at the
//     start, the estimator asks for a probe cluster (padding packets, about 30 ms at twice the
//     target). The caller sends it through onPacketSent() with the cluster's ID; the rate the
//     receiver got the cluster at, when higher than the target, becomes the new delay-based
//     estimate. Probes that show nothing more back off (1 s, 2 s, at most 3 s apart); a probe that
//     filled the link (received clearly slower than sent) sets the estimate to 0.9 x what got
//     through and backs off too. With a wanted rate set (setWantedBitrate: what the sender
//     would send if it could), probing stops once the target reaches it and never probes
//     above 1.25 x it: a probe briefly fills the link, and filling it for nothing makes the
//     delay-based part back off from what the media actually needs.
//   - bursts: an overuse while the link still delivers everything about as fast as it was sent
//     (a key frame forwarded faster than the bottleneck, queueing for a few tens of ms) cuts
//     the target by 15 % (once per burst), not to 0.85 x the acknowledged rate: what gets
//     through is then what was sent, and says nothing of the capacity. An overuse within a
//     probe's window is never a burst (a probe is meant to fill the link).
//
// No sockets, no threads: time comes from the injected Clock. Nothing is allocated after
// construction.
// Thread: one thread at a time.

#include "diyuma/cc/DelayBasedEstimator.h"
#include "diyuma/util/Clock.h"
#include "diyuma/wire/RtcpFeedback.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace diyuma::core::cc {

inline constexpr int kNoProbe = -1;

struct BandwidthEstimatorConfig {
    int minBitrateBps = 50'000;
    int maxBitrateBps = 5'000'000;
    int startBitrateBps = 1'000'000;
    /// Probe at the start (twice the start rate) and when capacity may have come back.
    bool probing = true;
};

/// A probe the caller should send now: `bytes` of padding in packets of at most
/// `maxPacketBytes`, paced at `bitrateBps`, each announced with onPacketSent(..., clusterId).
struct ProbeRequest {
    int clusterId = 0;
    int bitrateBps = 0;
    std::size_t bytes = 0;
    std::size_t packets = 0;
};

/// What the estimator thinks, for stats.
struct BandwidthEstimate {
    int targetBps = 0;
    int delayBasedBps = 0;
    int lossBasedBps = 0;
    std::optional<int> ackedBps;
    double lossFraction = 0; ///< over the last evaluated window
    BandwidthUsage usage = BandwidthUsage::Normal;
    Clock::Duration rtt{};
    std::uint64_t feedbacks = 0;
    std::uint64_t probesSent = 0;
    std::uint64_t probesSucceeded = 0; ///< probes that raised the estimate
    int lastProbeBps = 0;              ///< what the last probe measured (0: none yet)
    Clock::Duration queueDelay{};      ///< one-way delay over its recent minimum
};

class BandwidthEstimator {
public:
    BandwidthEstimator(const Clock& clock, BandwidthEstimatorConfig config = {});

    /// A packet left with this transport-wide sequence number (the whole datagram's size).
    void onPacketSent(std::uint16_t transportSequence, std::size_t sizeBytes,
                      int probeCluster = kNoProbe);
    /// Transport feedback for this hop. False (and nothing changed) if it is not a
    /// well-formed feedback packet.
    bool onFeedback(const wire::RtcpPacket& feedback);
    /// A probe cluster due now, if any (each request is given once).
    [[nodiscard]] std::optional<ProbeRequest> takeProbeRequest();

    [[nodiscard]] int targetBitrateBps() const { return m_target; }
    [[nodiscard]] BandwidthEstimate estimate() const;
    [[nodiscard]] const BandwidthEstimatorConfig& config() const { return m_config; }
    /// Caps the maximum (e.g. a data-saver setting); the target follows at once.
    void setMaxBitrate(int maxBitrateBps);
    /// What the sender would use if it could (0: no such limit): no probing beyond it.
    void setWantedBitrate(int wantedBps) { m_wantedBps = std::max(0, wantedBps); }

private:
    struct Sent {
        bool used = false;
        bool reported = false;
        std::uint16_t sequence = 0;
        std::uint32_t sizeBytes = 0;
        int probeCluster = kNoProbe;
        Clock::TimePoint at{};
    };
    struct Arrival {
        std::int64_t arrivalUs = 0; ///< the receiver's clock
        std::int64_t sentUs = 0;    ///< ours
        std::uint32_t sizeBytes = 0;
    };
    struct Cluster {
        int id = kNoProbe;
        int bitrateBps = 0;
        std::size_t packets = 0;     ///< padding packets asked for
        std::size_t sentPadding = 0; ///< of them sent
        std::size_t sent = 0;        ///< packets in the cluster (padding and media)
        std::size_t reported = 0;
        std::size_t received = 0;
        std::uint64_t sentBytes = 0;
        std::uint64_t receivedBytes = 0;
        std::uint32_t lastSentSizeBytes = 0;
        std::uint32_t firstReceivedSizeBytes = 0;
        Clock::TimePoint firstSent{};
        Clock::TimePoint lastSent{};
        std::int64_t firstArrivalUs = 0;
        std::int64_t lastArrivalUs = 0;
        Clock::TimePoint startedAt{};
        bool done = false;
    };

    void onReceived(const Sent& sent, std::int64_t arrivalUs);
    void onProbePacket(const Sent& sent, bool received, std::int64_t arrivalUs);
    /// Evaluates the cluster once every packet of it was reported (or it timed out).
    void finishProbe(Clock::TimePoint now);
    [[nodiscard]] std::optional<int> ackedBitrate() const;
    /// Whether the link delivered the last window's packets about as fast as they were sent
    /// (arrivals spread over at most 10 % + 20 ms more than the sends): an overuse then comes
    /// from a burst (a key frame sent faster than the link), not from sending more than the
    /// link carries.
    [[nodiscard]] bool linkKeepsUp() const;
    void updateStandingQueue(std::optional<int> acked, Clock::TimePoint now);
    void updateLoss(std::size_t lost, std::size_t total, Clock::TimePoint now);
    void updateTarget(Clock::TimePoint now);
    void scheduleProbe(Clock::TimePoint now);

    const Clock& m_clock;
    BandwidthEstimatorConfig m_config;
    std::vector<Sent> m_history; ///< ring by sequence number
    InterArrival m_interArrival;
    TrendlineDetector m_detector;
    AimdRateControl m_aimd;

    // Throughput the receiver saw: arrivals of the last kAckedWindow.
    static constexpr std::size_t kArrivals = 1024;
    std::array<Arrival, kArrivals> m_arrivals{};
    std::size_t m_arrivalHead = 0;
    std::size_t m_arrivalCount = 0;

    // Standing queue: one-way delay offsets (receiver arrival - our send time).
    static constexpr std::int64_t kNoOffset = std::numeric_limits<std::int64_t>::max();
    std::int64_t m_feedbackMinOffset = kNoOffset; ///< in the feedback being read
    std::int64_t m_baseOffsetCurrent = kNoOffset;
    std::int64_t m_baseOffsetPrevious = kNoOffset;
    std::optional<Clock::TimePoint> m_baseWindowStart;
    std::int64_t m_queueDelayUs = 0;
    bool m_draining = false;

    // Loss-based limit.
    int m_lossBased;
    std::size_t m_lossWindowLost = 0;
    std::size_t m_lossWindowTotal = 0;
    std::optional<Clock::TimePoint> m_lossWindowStart;
    std::optional<Clock::TimePoint> m_lastLossDecrease;
    double m_lossFraction = 0;

    // Probing.
    std::optional<ProbeRequest> m_pendingProbe;
    Cluster m_cluster;
    int m_nextClusterId = 1;
    std::optional<Clock::TimePoint> m_nextProbeAt;
    int m_wantedBps = 0; ///< setWantedBitrate (0: none)
    std::optional<Clock::TimePoint> m_lastBurstCutAt;
    Clock::Duration m_probeInterval = std::chrono::seconds(1);
    int m_lastProbeResultBps = 0;

    int m_target;
    std::optional<Clock::TimePoint> m_lastDecreaseAt; ///< the target fell by more than 5 %
    Clock::Duration m_rtt = std::chrono::milliseconds(100);
    std::uint64_t m_feedbacks = 0;
    std::uint64_t m_probesSent = 0;
    std::uint64_t m_probesSucceeded = 0;
};

} // namespace diyuma::core::cc
