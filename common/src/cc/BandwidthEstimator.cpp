#include "diyuma/cc/BandwidthEstimator.h"

#include "diyuma/wire/TransportFeedback.h"

#include <algorithm>
#include <cmath>

namespace diyuma::core::cc {

namespace {

constexpr std::size_t kHistory = 4096; // sequence numbers remembered (a power of two)
constexpr auto kAckedWindow = std::chrono::milliseconds(500);
constexpr std::int64_t kAckedMinSpanUs = 100'000;
/// One cut per burst: the feedbacks of the next this long (plus the RTT) report the same one.
constexpr auto kBurstCutInterval = std::chrono::milliseconds(300);
constexpr auto kProbeDuration = std::chrono::milliseconds(30);
constexpr std::size_t kProbeMinPackets = 6;
constexpr std::size_t kProbeMaxPacketBytes = 1100;
constexpr auto kProbeTimeout = std::chrono::seconds(1);
constexpr auto kProbeMaxInterval = std::chrono::seconds(3);
constexpr auto kFirstProbeAfter = std::chrono::milliseconds(200);
constexpr auto kSteadyBeforeProbe = std::chrono::seconds(1);

double seconds(Clock::Duration d) {
    return static_cast<double>(d.count()) / 1e6;
}

} // namespace

BandwidthEstimator::BandwidthEstimator(const Clock& clock, BandwidthEstimatorConfig config)
    : m_clock(clock), m_config(config), m_history(kHistory),
      m_aimd(config.minBitrateBps, config.maxBitrateBps, config.startBitrateBps),
      m_lossBased(config.maxBitrateBps), m_target(m_aimd.bitrateBps()) {}

void BandwidthEstimator::setMaxBitrate(int maxBitrateBps) {
    m_config.maxBitrateBps = std::max(maxBitrateBps, m_config.minBitrateBps);
    m_aimd = AimdRateControl(m_config.minBitrateBps, m_config.maxBitrateBps,
                             std::min(m_aimd.bitrateBps(), m_config.maxBitrateBps));
    m_lossBased = std::min(m_lossBased, m_config.maxBitrateBps);
    updateTarget(m_clock.now());
}

void BandwidthEstimator::onPacketSent(std::uint16_t sequence, std::size_t sizeBytes,
                                      int probeCluster) {
    const Clock::TimePoint now = m_clock.now();
    if (!m_nextProbeAt && m_config.probing)
        m_nextProbeAt = now + kFirstProbeAfter;
    // Everything sent while a cluster's padding goes out belongs to the cluster: the receiver
    // gets it at the rate the padding and the media make together.
    const bool clusterOpen = m_cluster.id != kNoProbe && !m_cluster.done &&
                             m_cluster.sentBytes > 0 && m_cluster.sentPadding < m_cluster.packets;
    if (probeCluster != kNoProbe && probeCluster != m_cluster.id)
        probeCluster = kNoProbe; // a stale cluster's padding: plain traffic
    if (probeCluster != kNoProbe)
        ++m_cluster.sentPadding;
    if (probeCluster == kNoProbe && clusterOpen)
        probeCluster = m_cluster.id;
    if (probeCluster != kNoProbe) {
        if (m_cluster.sentBytes == 0)
            m_cluster.firstSent = now;
        m_cluster.lastSent = now;
        m_cluster.sentBytes += sizeBytes;
        ++m_cluster.sent;
        m_cluster.lastSentSizeBytes = static_cast<std::uint32_t>(sizeBytes);
    }
    Sent& slot = m_history[sequence % kHistory];
    slot = Sent{true, false, sequence, static_cast<std::uint32_t>(sizeBytes), probeCluster, now};
}

bool BandwidthEstimator::onFeedback(const wire::RtcpPacket& feedback) {
    const Clock::TimePoint now = m_clock.now();
    wire::TransportFeedbackHeader header;
    std::size_t lost = 0;
    std::size_t total = 0;
    bool overused = false;
    std::optional<Clock::TimePoint> newestSent;
    const auto error = wire::parseTransportFeedback(
        feedback, header, [&](std::uint16_t sequence, bool received, std::int64_t arrivalUs) {
            Sent& sent = m_history[sequence % kHistory];
            if (!sent.used || sent.sequence != sequence || sent.reported)
                return; // never sent, forgotten, or reported before
            sent.reported = true;
            ++total;
            if (received) {
                onReceived(sent, arrivalUs);
                overused = overused || m_detector.state() == BandwidthUsage::Overusing;
                if (!newestSent || sent.at > *newestSent)
                    newestSent = sent.at;
            } else {
                ++lost;
            }
            if (sent.probeCluster != kNoProbe && sent.probeCluster == m_cluster.id)
                onProbePacket(sent, received, arrivalUs);
        });
    if (error != wire::ParseError::None)
        return false;
    if (total == 0)
        return true;
    ++m_feedbacks;
    if (newestSent) {
        // The feedback's delay includes the receiver's batching (up to its interval): the
        // estimate is an upper bound of the round trip, smoothed as RFC 6298 does.
        const Clock::Duration sample = now - *newestSent;
        m_rtt = (m_rtt * 7 + sample) / 8;
    }
    updateLoss(lost, total, now);
    BandwidthUsage usage = overused ? BandwidthUsage::Overusing : m_detector.state();
    const std::optional<int> acked = ackedBitrate();
    // A burst's overuse measures nothing but what was sent: one cut of 15 % from the target
    // per burst (the feedbacks of one burst report it several times), held meanwhile.
    // A probe's overuse is no burst: it was meant to fill the link, and says it is full.
    const bool probedLately =
        m_cluster.id != kNoProbe && now - m_cluster.startedAt < kAckedWindow + m_rtt;
    const bool burst = usage == BandwidthUsage::Overusing && acked && *acked < m_target &&
                       !probedLately && linkKeepsUp();
    if (burst && m_lastBurstCutAt && now - *m_lastBurstCutAt < m_rtt + kBurstCutInterval)
        usage = BandwidthUsage::Underusing; // hold
    else if (burst)
        m_lastBurstCutAt = now;
    (void)m_aimd.update(usage, burst ? std::optional<int>(m_target) : acked, m_rtt, now);
    updateStandingQueue(acked, now);
    finishProbe(now);
    updateTarget(now);
    return true;
}

void BandwidthEstimator::onReceived(const Sent& sent, std::int64_t arrivalUs) {
    // One-way delay up to a constant (the two clocks' offset): its minimum over the last 5 to
    // 10 s is the empty-queue baseline (windows, so that clock drift cannot accumulate).
    const std::int64_t offset = arrivalUs - sent.at.time_since_epoch().count();
    m_feedbackMinOffset = std::min(m_feedbackMinOffset, offset);
    m_baseOffsetCurrent = std::min(m_baseOffsetCurrent, offset);
    if (const auto deltas = m_interArrival.add(sent.at, arrivalUs))
        (void)m_detector.update(*deltas);
    m_arrivals[m_arrivalHead] =
        Arrival{arrivalUs, sent.at.time_since_epoch().count(), sent.sizeBytes};
    m_arrivalHead = (m_arrivalHead + 1) % kArrivals;
    m_arrivalCount = std::min(m_arrivalCount + 1, kArrivals);
}

std::optional<int> BandwidthEstimator::ackedBitrate() const {
    if (m_arrivalCount < 2)
        return std::nullopt;
    // Arrivals are in report order, which is send order: take the newest arrival time as
    // "now" on the receiver's clock and sum what arrived within the window before it.
    std::int64_t newest = 0;
    for (std::size_t i = 0; i < m_arrivalCount; ++i)
        newest =
            std::max(newest, m_arrivals[(m_arrivalHead + kArrivals - 1 - i) % kArrivals].arrivalUs);
    const std::int64_t windowUs = std::chrono::duration_cast<Clock::Duration>(kAckedWindow).count();
    std::uint64_t bytes = 0;
    std::int64_t oldest = newest;
    for (std::size_t i = 0; i < m_arrivalCount; ++i) {
        const Arrival& a = m_arrivals[(m_arrivalHead + kArrivals - 1 - i) % kArrivals];
        if (newest - a.arrivalUs > windowUs)
            continue;
        bytes += a.sizeBytes;
        oldest = std::min(oldest, a.arrivalUs);
    }
    const std::int64_t span = std::max(newest - oldest, kAckedMinSpanUs);
    if (newest - oldest < kAckedMinSpanUs / 2)
        return std::nullopt; // too little to say
    return static_cast<int>(static_cast<double>(bytes) * 8.0 * 1e6 / static_cast<double>(span));
}

bool BandwidthEstimator::linkKeepsUp() const {
    if (m_arrivalCount < 2)
        return false;
    std::int64_t newest = 0;
    for (std::size_t i = 0; i < m_arrivalCount; ++i)
        newest =
            std::max(newest, m_arrivals[(m_arrivalHead + kArrivals - 1 - i) % kArrivals].arrivalUs);
    const std::int64_t windowUs = std::chrono::duration_cast<Clock::Duration>(kAckedWindow).count();
    std::int64_t oldestArrival = newest;
    std::int64_t firstSent = std::numeric_limits<std::int64_t>::max();
    std::int64_t lastSent = std::numeric_limits<std::int64_t>::min();
    for (std::size_t i = 0; i < m_arrivalCount; ++i) {
        const Arrival& a = m_arrivals[(m_arrivalHead + kArrivals - 1 - i) % kArrivals];
        if (newest - a.arrivalUs > windowUs)
            continue;
        oldestArrival = std::min(oldestArrival, a.arrivalUs);
        firstSent = std::min(firstSent, a.sentUs);
        lastSent = std::max(lastSent, a.sentUs);
    }
    const std::int64_t arrivalSpan = newest - oldestArrival;
    const std::int64_t sentSpan = lastSent - firstSent;
    if (arrivalSpan < kAckedMinSpanUs / 2)
        return false; // too little to say
    return arrivalSpan <= sentSpan + sentSpan / 10 + 20'000;
}

void BandwidthEstimator::updateStandingQueue(std::optional<int> acked, Clock::TimePoint now) {
    constexpr std::int64_t kEnterUs = 150'000;
    constexpr std::int64_t kLeaveUs = 50'000;
    constexpr auto kBaseWindow = std::chrono::seconds(5);
    if (!m_baseWindowStart || now - *m_baseWindowStart >= kBaseWindow) {
        m_baseOffsetPrevious = m_baseOffsetCurrent;
        m_baseOffsetCurrent = kNoOffset;
        m_baseWindowStart = now;
    }
    const std::int64_t base = std::min(m_baseOffsetPrevious, m_baseOffsetCurrent);
    if (m_feedbackMinOffset == kNoOffset || base == kNoOffset)
        return;
    m_queueDelayUs = m_feedbackMinOffset - base;
    m_feedbackMinOffset = kNoOffset;
    // A queue that stays (a deep buffer filled at a capacity drop) is not seen by the trend,
    // which is flat while it stands: send under the throughput until it drains, or the delay
    // it adds stays for tens of seconds.
    if (m_queueDelayUs > kEnterUs)
        m_draining = true;
    else if (m_queueDelayUs < kLeaveUs)
        m_draining = false;
    if (m_draining && acked) {
        const int cap = static_cast<int>(0.75 * *acked);
        if (m_aimd.bitrateBps() > cap)
            m_aimd.setEstimate(cap, now);
    }
}

void BandwidthEstimator::updateLoss(std::size_t lost, std::size_t total, Clock::TimePoint now) {
    constexpr double kHighLoss = 0.10;
    constexpr double kLowLoss = 0.02;
    if (!m_lossWindowStart)
        m_lossWindowStart = now;
    m_lossWindowLost += lost;
    m_lossWindowTotal += total;
    const auto windowAge = now - *m_lossWindowStart;
    // At least 100 packets, or a second with 10: over fewer, random loss of a few percent
    // looks like 10 % now and then (3 of 20 lost happens 1 time in 13 at 5 % loss).
    if (m_lossWindowTotal < 100 &&
        !(windowAge >= std::chrono::seconds(1) && m_lossWindowTotal >= 10))
        return;
    m_lossFraction = static_cast<double>(m_lossWindowLost) / static_cast<double>(m_lossWindowTotal);
    m_lossWindowLost = 0;
    m_lossWindowTotal = 0;
    m_lossWindowStart = now;
    if (m_lossFraction > kHighLoss) {
        if (!m_lastLossDecrease ||
            now - *m_lastLossDecrease >= std::chrono::milliseconds(300) + m_rtt) {
            m_lossBased =
                static_cast<int>(std::min(m_lossBased, m_target) * (1.0 - 0.5 * m_lossFraction));
            m_lastLossDecrease = now;
            m_lastDecreaseAt = now;
        }
    } else if (m_lossFraction < kLowLoss) {
        // Regain the loss-based limit at 8 % a second (GCC's loss-based increase).
        const double dt = std::min(seconds(windowAge), 1.0);
        m_lossBased = static_cast<int>(
            std::min<double>(m_config.maxBitrateBps, m_lossBased * std::pow(1.08, dt) + 1000.0));
    }
    m_lossBased = std::clamp(m_lossBased, m_config.minBitrateBps, m_config.maxBitrateBps);
}

void BandwidthEstimator::updateTarget(Clock::TimePoint now) {
    const int target = std::clamp(std::min(m_aimd.bitrateBps(), m_lossBased),
                                  m_config.minBitrateBps, m_config.maxBitrateBps);
    if (target < m_target * 0.95)
        m_lastDecreaseAt = now;
    m_target = target;
    scheduleProbe(now);
}

void BandwidthEstimator::scheduleProbe(Clock::TimePoint now) {
    if (!m_config.probing || !m_nextProbeAt || now < *m_nextProbeAt || m_pendingProbe)
        return;
    if (m_cluster.id != kNoProbe && !m_cluster.done)
        return; // one cluster at a time
    if (m_target >= m_config.maxBitrateBps * 0.95)
        return;
    if (m_wantedBps > 0 && m_target >= m_wantedBps)
        return; // enough for all that would be sent: nothing to find out
    if (m_lastDecreaseAt && now - *m_lastDecreaseAt < kSteadyBeforeProbe)
        return;
    if (m_detector.state() == BandwidthUsage::Overusing)
        return;
    if (m_lossFraction > 0.10)
        return; // losing packets heavily (the loss-based limit is cutting): no room to find
    ProbeRequest probe;
    probe.clusterId = m_nextClusterId++;
    probe.bitrateBps = std::min(2 * m_target, m_config.maxBitrateBps);
    if (m_wantedBps > 0)
        probe.bitrateBps = std::min(probe.bitrateBps, m_wantedBps + m_wantedBps / 4);
    const double bytes = probe.bitrateBps * seconds(kProbeDuration) / 8.0;
    probe.packets = std::max(kProbeMinPackets,
                             static_cast<std::size_t>(std::ceil(bytes / kProbeMaxPacketBytes)));
    probe.bytes = std::max(static_cast<std::size_t>(bytes), probe.packets * 100);
    m_pendingProbe = probe;
    m_cluster = Cluster{};
    m_cluster.id = probe.clusterId;
    m_cluster.bitrateBps = probe.bitrateBps;
    m_cluster.packets = probe.packets;
    m_cluster.startedAt = now;
    m_nextProbeAt = now + m_probeInterval;
    ++m_probesSent;
}

std::optional<ProbeRequest> BandwidthEstimator::takeProbeRequest() {
    scheduleProbe(m_clock.now());
    auto out = m_pendingProbe;
    m_pendingProbe.reset();
    return out;
}

void BandwidthEstimator::onProbePacket(const Sent& sent, bool received, std::int64_t arrivalUs) {
    ++m_cluster.reported;
    if (!received)
        return;
    if (m_cluster.received == 0) {
        m_cluster.firstArrivalUs = arrivalUs;
        m_cluster.firstReceivedSizeBytes = sent.sizeBytes;
    }
    m_cluster.firstArrivalUs = std::min(m_cluster.firstArrivalUs, arrivalUs);
    m_cluster.lastArrivalUs = std::max(m_cluster.lastArrivalUs, arrivalUs);
    ++m_cluster.received;
    m_cluster.receivedBytes += sent.sizeBytes;
}

void BandwidthEstimator::finishProbe(Clock::TimePoint now) {
    Cluster& c = m_cluster;
    if (c.id == kNoProbe || c.done)
        return;
    const bool allSent = c.sentPadding >= c.packets;
    const bool allReported = allSent && c.reported >= c.sent;
    if (!allReported && now - c.startedAt < kProbeTimeout)
        return;
    c.done = true;
    bool raised = false;
    bool saturated = false;
    // A probe that lost more than a fifth of itself shows no spare capacity.
    if (c.received >= 3 && c.received * 5 >= c.sent * 4) {
        const double sendSeconds = seconds(c.lastSent - c.firstSent);
        // A cluster sent as one burst (the relay's) may arrive within one 250 us tick of the
        // feedback: then the link carried at least its bytes in that tick.
        const double receiveSeconds =
            static_cast<double>(std::max<std::int64_t>(c.lastArrivalUs - c.firstArrivalUs,
                                                       wire::kTransportFeedbackDeltaUs)) /
            1e6;
        // Bytes over intervals: the last packet sent and the first received are not in them.
        const double sendRate =
            sendSeconds > 0
                ? static_cast<double>(c.sentBytes - c.lastSentSizeBytes) * 8.0 / sendSeconds
                : 1e12;
        const double receiveRate =
            static_cast<double>(c.receivedBytes - c.firstReceivedSizeBytes) * 8.0 / receiveSeconds;
        // Received clearly slower than sent: the probe filled the link, and what got through
        // is its capacity (start a little under it, so the queue the probe left drains).
        // Otherwise the link carried all of it and may carry more: probe again soon.
        saturated = receiveRate < 0.9 * sendRate;
        // Never more than the rate probed for: a cluster sent as a burst (the relay's) through
        // a token-bucket policer can pass at line rate while the bucket lasts, which says
        // nothing about the rate it lets through for long.
        const double result = std::min<double>(
            saturated ? 0.9 * receiveRate : std::min(sendRate, receiveRate), c.bitrateBps);
        if (saturated && receiveRate >= c.bitrateBps)
            saturated = false; // it took all we probed with: there may be more
        m_lastProbeResultBps = static_cast<int>(result);
        if (result > m_target * 1.1) {
            const int bitrate = static_cast<int>(std::min<double>(result, m_config.maxBitrateBps));
            m_aimd.setEstimate(bitrate, now);
            m_lossBased = std::max(m_lossBased, bitrate);
            raised = true;
            ++m_probesSucceeded;
        }
    }
    m_probeInterval = raised && !saturated
                          ? std::chrono::seconds(1)
                          : std::min<Clock::Duration>(m_probeInterval * 2, kProbeMaxInterval);
    m_nextProbeAt = now + m_probeInterval;
}

BandwidthEstimate BandwidthEstimator::estimate() const {
    BandwidthEstimate e;
    e.targetBps = m_target;
    e.delayBasedBps = m_aimd.bitrateBps();
    e.lossBasedBps = m_lossBased;
    e.ackedBps = ackedBitrate();
    e.lossFraction = m_lossFraction;
    e.usage = m_detector.state();
    e.rtt = m_rtt;
    e.feedbacks = m_feedbacks;
    e.probesSent = m_probesSent;
    e.probesSucceeded = m_probesSucceeded;
    e.lastProbeBps = m_lastProbeResultBps;
    e.queueDelay = Clock::Duration(m_queueDelayUs);
    return e;
}

} // namespace diyuma::core::cc
