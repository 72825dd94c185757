// The bandwidth estimator and the feedback generator (common/include/diyuma/cc): what the
// generator reports (arrivals, losses, late packets, wrap, packets too many for one
// feedback), the detector on a steady and on a filling queue, and the estimator on a
// simulated bottleneck driven by a fake clock: a capacity step from 2 Mbit/s to 300 kbit/s
// and back, loss without a queue, and a cap (data saver).

#include "diyuma/cc/BandwidthEstimator.h"
#include "diyuma/cc/DelayBasedEstimator.h"
#include "diyuma/cc/TransportFeedbackGenerator.h"
#include "diyuma/wire/TransportFeedback.h"

#include "CcScenario.h"

#include <QtTest/QtTest>
#include <algorithm>
#include <vector>

using namespace diyuma::core;
using namespace diyuma::core::cc;
using namespace std::chrono_literals;
using cctest::CcScenario;
using cctest::Sample;

namespace {

struct Reported {
    std::uint16_t sequence = 0;
    bool received = false;
    std::int64_t arrivalUs = 0;
};

std::vector<Reported> parse(std::span<const std::uint8_t> bytes) {
    std::vector<Reported> out;
    wire::RtcpReader reader(bytes);
    wire::RtcpPacket packet;
    if (!reader.next(packet))
        return out;
    wire::TransportFeedbackHeader header;
    if (wire::parseTransportFeedback(packet, header, [&](std::uint16_t s, bool r, std::int64_t t) {
            out.push_back({s, r, t});
        }) != wire::ParseError::None)
        out.clear();
    return out;
}

Clock::TimePoint at(int ms) {
    return Clock::TimePoint(std::chrono::milliseconds(1'000'000 + ms));
}

/// The first sample at or after `seconds` where `pred` holds; -1 if none.
template <typename P>
double firstTime(const std::vector<Sample>& samples, double seconds, P pred) {
    for (const Sample& s : samples)
        if (s.seconds >= seconds && pred(s))
            return s.seconds;
    return -1;
}

void printTrace(const std::vector<Sample>& samples) {
    if (!qEnvironmentVariableIsSet("DIYUMA_CC_TRACE"))
        return;
    for (const Sample& s : samples)
        qInfo("%6.1f s capacity %5d target %5d received %5d kbit/s queue %6.1f ms", s.seconds,
              s.capacityBps / 1000, s.targetBps / 1000, s.receivedBps / 1000, s.queueMs);
}

} // namespace

class TestBandwidthEstimator : public QObject {
    Q_OBJECT

private slots:
    void generatorReportsArrivalsAndLosses() {
        TransportFeedbackGenerator g(0xABCD, 50ms);
        QCOMPARE(g.nextFeedbackAt(), Clock::TimePoint::max());
        g.onPacket(10, at(0));
        g.onPacket(11, at(2));
        g.onPacket(13, at(5)); // 12 lost
        std::array<std::uint8_t, 1200> buffer{};
        QVERIFY(g.take(at(49), buffer).empty()); // not due yet
        QCOMPARE(g.nextFeedbackAt(), at(50));
        auto fb = parse(g.take(at(50), buffer));
        QCOMPARE(fb.size(), std::size_t{4});
        QCOMPARE(fb[0].sequence, std::uint16_t{10});
        QVERIFY(fb[0].received && fb[1].received && !fb[2].received && fb[3].received);
        QCOMPARE(fb[1].arrivalUs - fb[0].arrivalUs, std::int64_t{2000});
        QCOMPARE(fb[3].arrivalUs - fb[0].arrivalUs, std::int64_t{5000});
        QVERIFY(g.take(at(200), buffer).empty()); // nothing new
        QCOMPARE(g.nextFeedbackAt(), Clock::TimePoint::max());

        // 12 arrives after it was reported lost: late, not reported again.
        g.onPacket(12, at(210));
        QCOMPARE(g.late(), std::uint64_t{1});
        QCOMPARE(g.nextFeedbackAt(), Clock::TimePoint::max());
        // Across the wrap: 14 .. 65535, 0 .. 3 in two feedbacks.
        g.onPacket(14, at(220));
        fb = parse(g.take(at(300), buffer));
        QCOMPARE(fb.size(), std::size_t{1});
        QCOMPARE(fb[0].sequence, std::uint16_t{14});
        g.onPacket(15, at(310));
        g.onPacket(16, at(311));
        fb = parse(g.take(at(400), buffer));
        QCOMPARE(fb.size(), std::size_t{2});
        QCOMPARE(g.feedbacks(), std::uint64_t{3});
    }

    void generatorSplitsLongRunsAndWraps() {
        TransportFeedbackGenerator g(1, 50ms);
        // 1500 packets, 65000 .. 964 across the wrap: more than one packet holds.
        for (int i = 0; i < 1500; ++i)
            g.onPacket(static_cast<std::uint16_t>(65000 + i), at(i / 10));
        std::array<std::uint8_t, 1200> buffer{};
        std::vector<Reported> all;
        int packets = 0;
        for (auto fb = g.take(at(200), buffer); !fb.empty(); fb = g.take(at(200), buffer)) {
            QVERIFY(fb.size() <= wire::TransportFeedbackBuilder::kMaxBytes);
            const auto part = parse(fb);
            QVERIFY(!part.empty());
            all.insert(all.end(), part.begin(), part.end());
            ++packets;
        }
        QVERIFY(packets >= 2);
        QCOMPARE(all.size(), std::size_t{1500});
        for (std::size_t i = 0; i < all.size(); ++i) {
            QCOMPARE(all[i].sequence, static_cast<std::uint16_t>(65000 + i));
            QVERIFY(all[i].received);
        }
        // A jump far ahead (a restarted counter) gives up the old numbers instead of
        // reporting thousands as lost.
        g.onPacket(30000, at(300));
        const auto fb = parse(g.take(at(400), buffer));
        QCOMPARE(fb.size(), std::size_t{1});
        QCOMPARE(fb[0].sequence, std::uint16_t{30000});
    }

    void detectorIsQuietOnASteadyLinkAndSeesAFillingQueue() {
        // Groups 33 ms apart in send time, arriving 33 ms apart: no trend.
        InterArrival ia;
        TrendlineDetector d;
        int overuse = 0;
        for (int i = 0; i < 200; ++i) {
            const auto send = at(33 * i);
            const std::int64_t arrival = (33 * i + 20) * 1000;
            if (auto deltas = ia.add(send, arrival))
                overuse += d.update(*deltas) == BandwidthUsage::Overusing;
        }
        QCOMPARE(overuse, 0);
        QCOMPARE(d.state(), BandwidthUsage::Normal);
        // Each group arriving 5 ms later than the one before: the queue grows.
        InterArrival ia2;
        TrendlineDetector d2;
        int firstOveruse = -1;
        for (int i = 0; i < 200 && firstOveruse < 0; ++i) {
            if (auto deltas = ia2.add(at(33 * i), (38 * i + 20) * 1000))
                if (d2.update(*deltas) == BandwidthUsage::Overusing)
                    firstOveruse = i;
        }
        QVERIFY2(firstOveruse > 0 && firstOveruse < 30, qPrintable(QString::number(firstOveruse)));
        // Draining (arrivals closer together than sends): underuse.
        InterArrival ia3;
        TrendlineDetector d3;
        bool underuse = false;
        for (int i = 0; i < 60; ++i)
            if (auto deltas = ia3.add(at(33 * i), std::max(0, 2000 - 3 * i) * 1000 + 33 * i * 1000))
                underuse = underuse || d3.update(*deltas) == BandwidthUsage::Underusing;
        QVERIFY(underuse);
    }

    void capacityStepDownAndBack() {
        BandwidthEstimatorConfig config;
        config.startBitrateBps = 1'000'000;
        config.maxBitrateBps = 2'500'000;
        CcScenario scenario(2'000'000, config);
        const auto capacity = [](double t) { return t >= 20 && t < 40 ? 300'000 : 2'000'000; };
        scenario.run(70s, capacity);
        const auto& s = scenario.samples;
        printTrace(s);
        QVERIFY(scenario.parsedFeedback() > 1000);
        const auto within = [&](double from, double to, double low, double high) {
            for (const Sample& x : s)
                if (x.seconds >= from && x.seconds < to &&
                    (x.targetBps < low || x.targetBps > high))
                    return x.seconds;
            return -1.0;
        };
        // 2 Mbit/s: the target stays near the capacity (GCC's sawtooth: a decrease to 0.85 x
        // the throughput at each overuse, then additive increase) and never far above it.
        QCOMPARE(within(10, 20, 1.2e6, 2.2e6), -1.0);
        // The cut: the target fits the new capacity (10 % over it at most) within a second,
        // and stays between 60 % and 115 % of it while the cut lasts.
        const double fits =
            firstTime(s, 20.0, [](const Sample& x) { return x.targetBps <= 330'000; });
        QVERIFY2(fits > 0 && fits - 20.0 <= 1.0, qPrintable(QString::number(fits)));
        QCOMPARE(within(21.5, 40, 180'000, 345'000), -1.0);
        // The 1.5 s queue the cut left (60 kB at 300 kbit/s) is drained within 10 s, not
        // left standing at 90 % utilisation.
        const double drained = firstTime(s, 21.0, [](const Sample& x) { return x.queueMs < 100; });
        QVERIFY2(drained > 0 && drained < 31.0, qPrintable(QString::number(drained)));
        // The limit lifts: probes find the capacity again within 10 s (the aim).
        const double back =
            firstTime(s, 40.0, [](const Sample& x) { return x.targetBps >= 1'500'000; });
        QVERIFY2(back > 0 && back - 40.0 <= 10.0, qPrintable(QString::number(back)));
        QCOMPARE(within(back + 1, 70, 1.2e6, 2.2e6), -1.0);
        QVERIFY(scenario.estimator().estimate().probesSucceeded >= 2);
    }

    void startsLowAndProbesUp() {
        BandwidthEstimatorConfig config;
        config.startBitrateBps = 300'000;
        config.maxBitrateBps = 3'000'000;
        CcScenario scenario(2'000'000, config);
        scenario.run(6s, [](double) { return 2'000'000; });
        printTrace(scenario.samples);
        const double up = firstTime(scenario.samples, 0,
                                    [](const Sample& x) { return x.targetBps >= 1'200'000; });
        QVERIFY2(up > 0 && up <= 3.0, qPrintable(QString::number(up)));
        // Without probing the same start climbs at 8 %/s at most (capped at 1.5 x what got
        // through): it is still far from the capacity after 3 s.
        config.probing = false;
        CcScenario slow(2'000'000, config);
        slow.run(3s, [](double) { return 2'000'000; });
        QVERIFY(slow.estimator().targetBitrateBps() < 600'000);
        QCOMPARE(slow.estimator().estimate().probesSent, std::uint64_t{0});
    }

    void lossWithoutQueueCutsTheRate() {
        // No bottleneck, but every 5th packet lost (20 %): the loss-based limit cuts by half
        // the loss (10 %) per evaluated window (100 packets, about a second here): from the
        // 2.4 Mbit/s the start probe found (before any loss was counted) to about
        // 2.4 M x 0.9^24 = 190 kbit/s in 25 s, and no later probe pushes it back up.
        BandwidthEstimatorConfig config;
        config.startBitrateBps = 1'000'000;
        CcScenario lossy(50'000'000, config);
        lossy.run(
            25s, [](double) { return 50'000'000; }, 5);
        printTrace(lossy.samples);
        QVERIFY2(lossy.estimator().targetBitrateBps() < 300'000,
                 qPrintable(QString::number(lossy.estimator().targetBitrateBps())));
        QVERIFY(lossy.estimator().estimate().lossFraction > 0.15);
        QCOMPARE(lossy.estimator().estimate().probesSucceeded, std::uint64_t{1}); // the start
        // 1 % loss is normal on a wireless link: no cut; the rate climbs to the maximum.
        CcScenario light(50'000'000, config);
        light.run(
            15s, [](double) { return 50'000'000; }, 100);
        QCOMPARE(light.estimator().targetBitrateBps(), config.maxBitrateBps);
    }

    void probingStopsAtTheWantedRate() {
        // A receiver whose senders would use at most 1 Mbit/s, behind a 10 Mbit/s link: the
        // estimator probes up to that and then no more (each probe fills the link for a
        // moment); without a wanted rate it keeps probing towards its maximum.
        BandwidthEstimatorConfig config;
        config.startBitrateBps = 300'000;
        config.maxBitrateBps = 8'000'000;
        CcScenario wanted(10'000'000, config);
        wanted.estimator().setWantedBitrate(1'000'000);
        wanted.run(5s, [](double) { return 10'000'000; });
        QVERIFY2(wanted.estimator().targetBitrateBps() >= 1'000'000,
                 qPrintable(QString::number(wanted.estimator().targetBitrateBps())));
        const auto probesAt5s = wanted.estimator().estimate().probesSent;
        wanted.run(10s, [](double) { return 10'000'000; });
        QCOMPARE(wanted.estimator().estimate().probesSent, probesAt5s);
        QVERIFY(wanted.estimator().estimate().lastProbeBps <= 1'250'000);
        CcScenario unlimited(10'000'000, config);
        unlimited.run(15s, [](double) { return 10'000'000; });
        QVERIFY(unlimited.estimator().estimate().probesSent > probesAt5s);
        QVERIFY(unlimited.estimator().targetBitrateBps() > 4'000'000);
    }

    void keyFramesOfAForwardedStreamDoNotCutTheEstimate() {
        // The relay's view of a receiver behind 2.5 Mbit/s: a 720p stream of 1.4 Mbit/s with a
        // 25 KB key frame every 3 s, forwarded as the sender paced it (3.75 Mbit/s). Each key
        // frame queues ~25 ms at the bottleneck; the estimate must stay where 720p fits.
        BandwidthEstimatorConfig config;
        config.startBitrateBps = 2'500'000;
        config.maxBitrateBps = 8'000'000;
        CcScenario scenario(2'500'000, config);
        scenario.estimator().setWantedBitrate(1'950'000);
        scenario.fixedMedia = CcScenario::FixedMedia{1'400'000, 90, 25'000, 3'750'000};
        scenario.run(20s, [](double) { return 2'500'000; });
        printTrace(scenario.samples);
        int lowest = std::numeric_limits<int>::max();
        for (const auto& x : scenario.samples)
            if (x.seconds > 2)
                lowest = std::min(lowest, x.targetBps);
        QVERIFY2(lowest >= 1'700'000, qPrintable(QString::number(lowest)));
    }

    void capFollowsAtOnce() {
        BandwidthEstimatorConfig config;
        config.startBitrateBps = 1'000'000;
        CcScenario scenario(10'000'000, config);
        scenario.run(5s, [](double) { return 10'000'000; });
        QVERIFY(scenario.estimator().targetBitrateBps() > 2'000'000);
        scenario.estimator().setMaxBitrate(400'000);
        QCOMPARE(scenario.estimator().targetBitrateBps(), 400'000);
        scenario.run(5s, [](double) { return 10'000'000; });
        QCOMPARE(scenario.estimator().targetBitrateBps(), 400'000); // no probe goes past a cap
    }

    void malformedFeedbackChangesNothing() {
        diyuma::test::FakeClock clock;
        BandwidthEstimator e(clock);
        const std::uint8_t nack[] = {0x81, 0xCD, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0, 5, 0, 0};
        wire::RtcpReader reader(nack);
        wire::RtcpPacket packet;
        QVERIFY(reader.next(packet));
        QVERIFY(!e.onFeedback(packet));
        QCOMPARE(e.estimate().feedbacks, std::uint64_t{0});
        QCOMPARE(e.targetBitrateBps(), BandwidthEstimatorConfig{}.startBitrateBps);
        // A well-formed feedback about packets never sent is read and ignored.
        wire::TransportFeedbackBuilder b;
        b.begin(1, 0, 500, 0, 0);
        QVERIFY(b.add(500, 1000));
        std::array<std::uint8_t, 64> buffer{};
        wire::RtcpReader reader2(b.write(buffer));
        QVERIFY(reader2.next(packet));
        QVERIFY(e.onFeedback(packet));
        QCOMPARE(e.estimate().feedbacks, std::uint64_t{0});
    }
};

QTEST_APPLESS_MAIN(TestBandwidthEstimator)
#include "TestBandwidthEstimator.moc"
