#pragma once
// A sender, a bottleneck and a receiver in simulated time: the sender produces video-like
// traffic at the estimator's target (a frame every 33 ms, paced out at 2.5 x the target, as
// VideoSender does) and sends the probe clusters the estimator asks for as padding; the
// receiver's TransportFeedbackGenerator reports arrivals back over an unloaded return path.
// Every 100 ms a sample records the capacity, the target and what arrived.

#include "diyuma/cc/BandwidthEstimator.h"
#include "diyuma/cc/TransportFeedbackGenerator.h"
#include "diyuma/wire/RtcpFeedback.h"

#include "FakeClock.h"
#include "SimulatedLink.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

namespace cctest {

using namespace std::chrono_literals;
using diyuma::core::Clock;

struct Sample {
    double seconds = 0;
    int capacityBps = 0;
    int targetBps = 0;
    int receivedBps = 0; ///< what arrived in the last 100 ms
    double queueMs = 0;
};

class CcScenario {
public:
    CcScenario(int capacityBps, diyuma::core::cc::BandwidthEstimatorConfig config,
               Clock::Duration propagation = 20ms, std::size_t queueBytes = 60'000)
        : m_link(capacityBps, propagation, queueBytes), m_estimator(m_clock, config),
          m_generator(0x5EED), m_propagation(propagation) {
        m_start = m_clock.now();
    }

    /// A forwarded stream that does not follow the estimate (the relay's view of a receiver):
    /// frames of `bitrateBps`, every `keyFrameEvery`-th (0: none) `keyFrameBytes` large, paced
    /// at `pacingBps`. Unset: the sender follows the target (2.5 x pacing), as a client does.
    struct FixedMedia {
        int bitrateBps = 0;
        int keyFrameEvery = 0;
        std::size_t keyFrameBytes = 0;
        int pacingBps = 0;
    };
    std::optional<FixedMedia> fixedMedia;

    /// Runs for `duration`; `capacityAt(seconds)` gives the link capacity at each step, and
    /// `lossEvery` > 0 drops every n-th packet before the bottleneck (random-ish loss).
    void run(Clock::Duration duration, const std::function<int(double)>& capacityAt,
             int lossEvery = 0) {
        const auto end = m_clock.now() + duration;
        while (m_clock.now() < end) {
            m_clock.advance(1ms);
            const auto now = m_clock.now();
            m_link.setCapacity(capacityAt(secondsAt(now)));
            produce(now, lossEvery);
            m_link.deliver(now, [&](std::uint16_t id, std::size_t bytes, Clock::TimePoint at) {
                m_generator.onPacket(id, at);
                m_receivedBytesWindow += bytes;
            });
            std::array<std::uint8_t, 1200> buffer{};
            for (auto fb = m_generator.take(now, buffer); !fb.empty();
                 fb = m_generator.take(now, buffer))
                m_feedback.push_back({now + m_propagation, {fb.begin(), fb.end()}});
            while (!m_feedback.empty() && m_feedback.front().at <= now) {
                diyuma::core::wire::RtcpReader reader(m_feedback.front().bytes);
                diyuma::core::wire::RtcpPacket packet;
                if (reader.next(packet))
                    m_parsedFeedback += m_estimator.onFeedback(packet) ? 1 : 0;
                m_feedback.pop_front();
            }
            if (now - m_lastSample >= 100ms) {
                m_lastSample = now;
                samples.push_back({secondsAt(now), m_link.capacity(),
                                   m_estimator.targetBitrateBps(),
                                   static_cast<int>(m_receivedBytesWindow * 8 * 10),
                                   static_cast<double>(m_link.queueDelay(now).count()) / 1000.0});
                m_receivedBytesWindow = 0;
            }
        }
    }

    [[nodiscard]] diyuma::core::cc::BandwidthEstimator& estimator() { return m_estimator; }
    [[nodiscard]] int parsedFeedback() const { return m_parsedFeedback; }
    std::vector<Sample> samples;

private:
    double secondsAt(Clock::TimePoint t) const {
        return static_cast<double>((t - m_start).count()) / 1e6;
    }

    void sendPacket(std::size_t bytes, int cluster, Clock::TimePoint now, int lossEvery) {
        const std::uint16_t seq = m_nextSequence++;
        m_estimator.onPacketSent(seq, bytes, cluster);
        if (lossEvery > 0 && ++m_lossCounter % lossEvery == 0)
            return;
        (void)m_link.send(seq, bytes, now);
    }

    void produce(Clock::TimePoint now, int lossEvery) {
        const int target = m_estimator.targetBitrateBps();
        if (now >= m_nextFrameAt) {
            m_nextFrameAt = now + 33ms;
            std::size_t frameBytes = static_cast<std::size_t>(target / 30 / 8);
            if (fixedMedia) {
                const bool key =
                    fixedMedia->keyFrameEvery > 0 &&
                    m_frames % static_cast<std::uint64_t>(fixedMedia->keyFrameEvery) == 0;
                frameBytes = key ? fixedMedia->keyFrameBytes
                                 : static_cast<std::size_t>(fixedMedia->bitrateBps / 30 / 8);
            }
            ++m_frames;
            while (frameBytes > 0) {
                const std::size_t bytes = std::min<std::size_t>(frameBytes, 1200);
                m_pacerQueue.push_back(bytes);
                frameBytes -= bytes;
            }
        }
        while (!m_pacerQueue.empty() && now >= m_pacerFreeAt) {
            const std::size_t bytes = m_pacerQueue.front();
            m_pacerQueue.pop_front();
            sendPacket(bytes, diyuma::core::cc::kNoProbe, now, lossEvery);
            const double pace = fixedMedia ? fixedMedia->pacingBps : 2.5 * target;
            m_pacerFreeAt =
                std::max(m_pacerFreeAt, now) + Clock::Duration(static_cast<Clock::Duration::rep>(
                                                   static_cast<double>(bytes) * 8e6 / pace));
        }
        if (auto probe = m_estimator.takeProbeRequest()) {
            m_probe = *probe;
            m_probeLeft = probe->packets;
            m_probeNextAt = now;
        }
        while (m_probeLeft > 0 && now >= m_probeNextAt) {
            const std::size_t bytes = m_probe.bytes / m_probe.packets;
            sendPacket(bytes, m_probe.clusterId, now, lossEvery);
            --m_probeLeft;
            m_probeNextAt += Clock::Duration(static_cast<Clock::Duration::rep>(
                static_cast<double>(bytes) * 8e6 / m_probe.bitrateBps));
        }
    }

    struct Feedback {
        Clock::TimePoint at{};
        std::vector<std::uint8_t> bytes;
    };
    diyuma::test::FakeClock m_clock;
    diyuma::test::SimulatedLink m_link;
    diyuma::core::cc::BandwidthEstimator m_estimator;
    diyuma::core::cc::TransportFeedbackGenerator m_generator;
    Clock::Duration m_propagation;
    Clock::TimePoint m_start{};
    Clock::TimePoint m_lastSample{};
    Clock::TimePoint m_nextFrameAt{};
    std::uint64_t m_frames = 0;
    Clock::TimePoint m_pacerFreeAt{};
    std::deque<std::size_t> m_pacerQueue;
    diyuma::core::cc::ProbeRequest m_probe;
    std::size_t m_probeLeft = 0;
    Clock::TimePoint m_probeNextAt{};
    std::deque<Feedback> m_feedback;
    std::uint16_t m_nextSequence = 65000; // wraps early in every run
    std::uint64_t m_receivedBytesWindow = 0;
    int m_lossCounter = 0;
    int m_parsedFeedback = 0;
};

} // namespace cctest
