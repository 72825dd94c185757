// The impairment model of diyuma-netsim on a fake clock: loss rates within statistical bounds,
// burst loss in runs, delay and jitter bounds, reordering only when asked for, the rate limit
// and its tail drop, duplicates, and the same decisions from the same seed.
//
// Statistical bounds: every rate test uses N = 20000 datagrams and allows 5 standard
// deviations around the expected share, and runs over several seeds. For a Bernoulli share p
// the deviation is sqrt(p(1-p)/N) (p = 5 %: 0.154 %, so 4.23..5.77 %); a test then fails by
// chance with probability below 6e-7 per seed, and a real bug (say a share off by a tenth)
// is far outside. The burst-loss bounds are worked out in burstLossComesInRuns().

#include "diyuma/netsim/ImpairmentModel.h"

#include "FakeClock.h"

#include <QtTest/QtTest>
#include <algorithm>
#include <cmath>
#include <vector>

using namespace diyuma;
using namespace diyuma::netsim;
using namespace std::chrono_literals;
using diyuma::test::FakeClock;

namespace {
constexpr int kN = 20000;
const std::uint64_t kSeeds[] = {1, 2, 3, 42, 1234, 99991, 0xDEADBEEF, 7777777};

struct Offered {
    Clock::TimePoint sentAt;
    Verdict verdict;
    std::size_t sizeBytes = 0;
};

/// Offers `count` datagrams of `sizeBytes`, one every `spacing`, and returns the decisions.
std::vector<Offered> run(ImpairmentModel& model, FakeClock& clock, int count,
                         Clock::Duration spacing, std::size_t sizeBytes = 160) {
    std::vector<Offered> out;
    out.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        out.push_back({clock.now(), model.offer(sizeBytes), sizeBytes});
        clock.advance(spacing);
    }
    return out;
}

double share(std::uint64_t part, std::uint64_t whole) {
    return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

/// Lengths of the runs of consecutive dropped datagrams.
std::vector<int> lossRuns(const std::vector<Offered>& offers) {
    std::vector<int> runs;
    int current = 0;
    for (const auto& o : offers) {
        if (o.verdict.dropped()) {
            ++current;
        } else if (current > 0) {
            runs.push_back(current);
            current = 0;
        }
    }
    if (current > 0)
        runs.push_back(current);
    return runs;
}

double mean(const std::vector<int>& values) {
    double sum = 0;
    for (int v : values)
        sum += v;
    return values.empty() ? 0.0 : sum / static_cast<double>(values.size());
}

double ms(Clock::Duration d) {
    return static_cast<double>(d.count()) / 1000.0;
}
} // namespace

class TestImpairmentModel : public QObject {
    Q_OBJECT
private slots:
    void passesEverythingAtOnceWhenOff() {
        FakeClock clock;
        ImpairmentModel model(clock, 1, ImpairmentConfig{});
        QVERIFY(!model.config().impairs());
        for (const auto& o : run(model, clock, 1000, 1ms)) {
            QVERIFY(!o.verdict.dropped());
            QCOMPARE(o.verdict.deliverAt, o.sentAt);
            QVERIFY(!o.verdict.duplicate);
            QVERIFY(!o.verdict.reordered);
        }
        QCOMPARE(model.counters().passed, 1000u);
    }

    void randomLossRateIsWithinBounds() {
        ImpairmentConfig config;
        config.lossProbability = 0.05;
        for (std::uint64_t seed : kSeeds) {
            FakeClock clock;
            ImpairmentModel model(clock, seed, config);
            const auto offers = run(model, clock, kN, 20ms);
            const double lost = share(model.counters().droppedLoss, kN);
            QVERIFY2(lost > 0.0423 && lost < 0.0577,
                     qPrintable(QString("seed %1: lost %2").arg(seed).arg(lost)));
            QCOMPARE(model.counters().droppedBurst, 0u);
            // Independent losses: runs are short (mean 1/(1-p) = 1.05 datagrams).
            QVERIFY(mean(lossRuns(offers)) < 1.2);
        }
        // The ends of the scale are exact.
        for (double p : {0.0, 1.0}) {
            config.lossProbability = p;
            FakeClock clock;
            ImpairmentModel model(clock, 5, config);
            (void)run(model, clock, 1000, 1ms);
            QCOMPARE(model.counters().droppedLoss, p == 0 ? 0u : 1000u);
        }
    }

    void burstLossComesInRuns() {
        // ENTER 2 %, LEAVE 25 %: long-run loss p/(p+r) = 2/27 = 7.41 %, bursts of 1/r = 4
        // datagrams on average. The state is a Markov chain with lambda = 1-p-r = 0.73, so the
        // loss count varies (1+lambda)/(1-lambda) = 6.4 times as much as a Bernoulli count:
        // sd = sqrt(6.4 * N * 0.0741 * 0.9259) / N = 0.47 %; 5 sd: 5.06..9.76 %.
        // Burst lengths are geometric (mean 4, sd sqrt(1-r)/r = 3.46) and there are about
        // N * 0.0741 * 0.25 = 370 of them, so their mean has sd 0.18; 5 sd: 3.1..4.9.
        ImpairmentConfig config;
        config.burstLoss = BurstLoss{0.02, 0.25};
        for (std::uint64_t seed : kSeeds) {
            FakeClock clock;
            ImpairmentModel model(clock, seed, config);
            const auto offers = run(model, clock, kN, 20ms);
            const double lost = share(model.counters().droppedBurst, kN);
            QVERIFY2(lost > 0.0506 && lost < 0.0976,
                     qPrintable(QString("seed %1: lost %2").arg(seed).arg(lost)));
            QCOMPARE(model.counters().droppedLoss, 0u);
            const auto runs = lossRuns(offers);
            QVERIFY2(mean(runs) > 3.1 && mean(runs) < 4.9,
                     qPrintable(QString("seed %1: mean burst %2").arg(seed).arg(mean(runs))));
            QVERIFY(*std::max_element(runs.begin(), runs.end()) >= 10);
            for (const auto& o : offers) {
                if (o.verdict.dropped())
                    QCOMPARE(o.verdict.drop, DropReason::BurstLoss);
            }
        }
        // The same share lost at random comes in far shorter runs (mean 1/(1-0.0741) = 1.08).
        ImpairmentConfig random;
        random.lossProbability = 2.0 / 27.0;
        FakeClock clock;
        ImpairmentModel model(clock, 1, random);
        QVERIFY(mean(lossRuns(run(model, clock, kN, 20ms))) < 1.2);
    }

    void burstAndRandomLossAdd() {
        // Random loss applies to what the burst model let through: 1-(1-0.0741)(1-0.05) = 12 %.
        ImpairmentConfig config;
        config.burstLoss = BurstLoss{0.02, 0.25};
        config.lossProbability = 0.05;
        FakeClock clock;
        ImpairmentModel model(clock, 11, config);
        (void)run(model, clock, kN, 20ms);
        const auto& c = model.counters();
        QVERIFY(c.droppedBurst > 0 && c.droppedLoss > 0);
        const double randomShare = share(c.droppedLoss, kN - c.droppedBurst);
        QVERIFY2(randomShare > 0.042 && randomShare < 0.058,
                 qPrintable(QString::number(randomShare)));
        QCOMPARE(c.offered, static_cast<std::uint64_t>(kN));
        QCOMPARE(c.passed + c.droppedBurst + c.droppedLoss, c.offered);
    }

    void delayAndJitterStayWithinBounds() {
        // 40 ms +- 10 ms, a datagram every 20 ms: every delay lies in [30, 50] ms, the
        // extremes are reached, and the mean is 40 ms (uniform sd 5.77 ms; the mean of 20000
        // has sd 0.04 ms, so 39.5..40.5 is over 10 sd).
        ImpairmentConfig config;
        config.delay = 40ms;
        config.jitter = 10ms;
        FakeClock clock;
        ImpairmentModel model(clock, 3, config);
        const auto offers = run(model, clock, kN, 20ms);
        double lowest = 1e9;
        double highest = 0;
        double sum = 0;
        for (const auto& o : offers) {
            QVERIFY(!o.verdict.dropped());
            const double d = ms(o.verdict.deliverAt - o.sentAt);
            QVERIFY2(d >= 30.0 && d <= 50.0, qPrintable(QString::number(d)));
            lowest = std::min(lowest, d);
            highest = std::max(highest, d);
            sum += d;
        }
        QVERIFY(lowest < 30.1);
        QVERIFY(highest > 49.9);
        QVERIFY2(sum / kN > 39.5 && sum / kN < 40.5, qPrintable(QString::number(sum / kN)));

        // Without jitter the delay is exact; with jitter above the delay it is floored at 0.
        config.jitter = 0ms;
        ImpairmentModel fixed(clock, 3, config);
        for (const auto& o : run(fixed, clock, 100, 20ms))
            QCOMPARE(o.verdict.deliverAt - o.sentAt, Clock::Duration(40ms));
        config.delay = 5ms;
        config.jitter = 10ms;
        ImpairmentModel floored(clock, 3, config);
        int atOnce = 0;
        for (const auto& o : run(floored, clock, 2000, 20ms)) {
            const auto d = o.verdict.deliverAt - o.sentAt;
            QVERIFY(d >= Clock::Duration(0) && d <= Clock::Duration(15ms));
            atOnce += d == Clock::Duration(0) ? 1 : 0;
        }
        QVERIFY(atOnce > 0);
    }

    void jitterAloneNeverReorders() {
        // A datagram every millisecond with +-40 ms of jitter: the draws would reorder most of
        // them, but the model keeps the order and still stays within delay + jitter.
        ImpairmentConfig config;
        config.delay = 50ms;
        config.jitter = 40ms;
        for (std::uint64_t seed : kSeeds) {
            FakeClock clock;
            ImpairmentModel model(clock, seed, config);
            const auto offers = run(model, clock, 5000, 1ms);
            for (std::size_t i = 1; i < offers.size(); ++i) {
                QVERIFY(offers[i].verdict.deliverAt >= offers[i - 1].verdict.deliverAt);
                const auto d = offers[i].verdict.deliverAt - offers[i].sentAt;
                QVERIFY(d >= Clock::Duration(10ms) && d <= Clock::Duration(90ms));
            }
            QCOMPARE(model.counters().reordered, 0u);
        }
    }

    void reorderingHappensOnlyWhenConfigured() {
        // 10 % held back 30 ms, a datagram every millisecond: exactly the held datagrams are
        // overtaken (by the next one that is not held; all 29 after one being held too has a
        // chance of 1e-29), and their share is within 5 sd (0.21 %).
        ImpairmentConfig config;
        config.delay = 20ms;
        config.reorderProbability = 0.10;
        config.reorderDelay = 30ms;
        for (std::uint64_t seed : kSeeds) {
            FakeClock clock;
            ImpairmentModel model(clock, seed, config);
            const auto offers = run(model, clock, kN, 1ms);
            // overtaken[i]: some datagram sent after i is delivered before it.
            Clock::TimePoint earliestLater = Clock::TimePoint::max();
            int overtaken = 0;
            for (std::size_t i = offers.size(); i-- > 0;) {
                const bool isOvertaken = earliestLater < offers[i].verdict.deliverAt;
                QCOMPARE(isOvertaken, offers[i].verdict.reordered);
                overtaken += isOvertaken ? 1 : 0;
                earliestLater = std::min(earliestLater, offers[i].verdict.deliverAt);
            }
            QCOMPARE(static_cast<std::uint64_t>(overtaken), model.counters().reordered);
            const double held = share(model.counters().reordered, kN);
            QVERIFY2(held > 0.0894 && held < 0.1106,
                     qPrintable(QString("seed %1: %2").arg(seed).arg(held)));
        }
        // The same traffic with reordering off: in order.
        config.reorderProbability = 0;
        FakeClock clock;
        ImpairmentModel model(clock, 1, config);
        const auto offers = run(model, clock, kN, 5ms);
        for (std::size_t i = 1; i < offers.size(); ++i)
            QVERIFY(offers[i].verdict.deliverAt > offers[i - 1].verdict.deliverAt);
    }

    void rateLimitCapsThroughput() {
        // 100 kbit/s, offered 200 kbit/s (250-byte datagrams every 10 ms) for 20 s, 100 ms
        // queue: no window of deliveries carries more than rate * window + one bucket, the
        // link is kept busy (at least 97 % of the rate), about half is tail-dropped, and no
        // datagram waits longer than the queue limit.
        ImpairmentConfig config;
        config.rateBitsPerSecond = 100'000;
        config.queueLimit = 100ms;
        FakeClock clock;
        ImpairmentModel model(clock, 1, config);
        const auto offers = run(model, clock, 2000, 10ms, 250);
        std::vector<Clock::TimePoint> delivered;
        for (const auto& o : offers) {
            if (o.verdict.dropped()) {
                QCOMPARE(o.verdict.drop, DropReason::Queue);
                continue;
            }
            QVERIFY(o.verdict.queueDelay <= Clock::Duration(100ms));
            QCOMPARE(o.verdict.deliverAt - o.sentAt, o.verdict.queueDelay);
            delivered.push_back(o.verdict.deliverAt);
        }
        QVERIFY(std::is_sorted(delivered.begin(), delivered.end()));
        const double bucketBits = ImpairmentModel::kBucketBytes * 8.0;
        for (std::size_t i = 0; i < delivered.size(); i += 7) {
            for (std::size_t j = i; j < delivered.size(); ++j) {
                const double bits = static_cast<double>(j - i + 1) * 2000.0;
                const double allowed =
                    100'000.0 * static_cast<double>((delivered[j] - delivered[i]).count()) / 1e6 +
                    bucketBits;
                QVERIFY2(bits <= allowed + 1.0,
                         qPrintable(QString("%1 bits in %2 ms")
                                        .arg(bits)
                                        .arg(ms(delivered[j] - delivered[i]))));
            }
        }
        const double seconds = ms(delivered.back() - delivered.front()) / 1000.0;
        const double throughput = static_cast<double>(delivered.size() - 1) * 2000.0 / seconds;
        // Above the rate by at most the bucket's head start spread over the 20 s.
        QVERIFY2(throughput > 97'000.0 && throughput < 100'000.0 + bucketBits / seconds,
                 qPrintable(QString::number(throughput)));
        // Offered 2000, the link carries ~1000 in 20 s plus the bucket and the queue.
        const auto dropped = model.counters().droppedQueue;
        QVERIFY2(dropped > 950 && dropped < 1000, qPrintable(QString::number(dropped)));

        // Below the rate nothing waits and nothing is dropped.
        ImpairmentModel light(clock, 1, config);
        for (const auto& o : run(light, clock, 500, 40ms, 250)) {
            QVERIFY(!o.verdict.dropped());
            QCOMPARE(o.verdict.queueDelay, Clock::Duration(0));
        }
    }

    void rateScheduleStepsTheCapacity() {
        // 2 Mbit/s from the start, 300 kbit/s from 10 s, no limit from 20 s; offered 1 Mbit/s
        // (1250-byte datagrams every 10 ms): nothing waits before the cut, the link carries
        // ~300 kbit/s during it (the rest tail-dropped), and all passes again after it.
        ImpairmentConfig config;
        config.rateBitsPerSecond = 2'000'000;
        config.queueLimit = 100ms;
        FakeClock clock;
        config.scheduleOrigin = clock.now();
        config.rateSchedule = {{10s, 300'000}, {20s, 0}};
        QVERIFY(config.impairs());
        QCOMPARE(config.rateAt(clock.now() + 9s), std::uint64_t{2'000'000});
        QCOMPARE(config.rateAt(clock.now() + 15s), std::uint64_t{300'000});
        QCOMPARE(config.rateAt(clock.now() + 25s), std::uint64_t{0});
        ImpairmentModel model(clock, 1, config);
        const auto start = clock.now();
        const auto offers = run(model, clock, 3000, 10ms, 1250);
        std::array<double, 3> deliveredBits{};
        std::array<int, 3> dropped{};
        for (const auto& o : offers) {
            const auto phase = static_cast<std::size_t>(
                std::min<std::int64_t>(2, (o.sentAt - start) / Clock::Duration(10s)));
            if (o.verdict.dropped()) {
                ++dropped[phase];
                continue;
            }
            deliveredBits[phase] += 10'000;
            // (What queued during the cut drains in the first 100 ms after it.)
            if (phase == 0 || o.sentAt - start >= 20s + 100ms)
                QCOMPARE(o.verdict.queueDelay, Clock::Duration(0));
        }
        QCOMPARE(dropped[0], 0);
        QCOMPARE(dropped[2], 0);
        const double cutBps = deliveredBits[1] / 10.0;
        QVERIFY2(cutBps > 280'000 && cutBps < 330'000, qPrintable(QString::number(cutBps)));
    }

    void fullQueueDropsTheTail() {
        // 100 datagrams of 1000 bytes at once into 80 kbit/s (100 ms per datagram) with a
        // 250 ms queue: the bucket (1500 bytes) sends the first at once, the next two wait
        // 50 and 150 ms, the third would wait 250 ms (kept: the limit is inclusive), the rest
        // more: tail drop. Once the queue has drained, datagrams pass again.
        ImpairmentConfig config;
        config.rateBitsPerSecond = 80'000;
        config.queueLimit = 250ms;
        FakeClock clock;
        ImpairmentModel model(clock, 1, config);
        std::vector<Verdict> verdicts;
        for (int i = 0; i < 100; ++i)
            verdicts.push_back(model.offer(1000));
        QVERIFY(!verdicts[0].dropped());
        QCOMPARE(verdicts[0].queueDelay, Clock::Duration(0));
        QCOMPARE(verdicts[1].queueDelay, Clock::Duration(50ms));
        QCOMPARE(verdicts[2].queueDelay, Clock::Duration(150ms));
        QCOMPARE(verdicts[3].queueDelay, Clock::Duration(250ms));
        for (int i = 4; i < 100; ++i)
            QCOMPARE(verdicts[static_cast<std::size_t>(i)].drop, DropReason::Queue);
        QCOMPARE(model.counters().droppedQueue, 96u);
        clock.advance(100ms); // the queue now holds 150 ms: one more fits, then it is full
        QVERIFY(!model.offer(1000).dropped());
        QCOMPARE(model.offer(1000).drop, DropReason::Queue);
        clock.advance(1s);
        const Verdict after = model.offer(1000);
        QVERIFY(!after.dropped());
        QCOMPARE(after.queueDelay, Clock::Duration(0));
    }

    void duplicatesAtTheConfiguredRate() {
        ImpairmentConfig config;
        config.duplicateProbability = 0.03;
        config.delay = 10ms;
        for (std::uint64_t seed : kSeeds) {
            FakeClock clock;
            ImpairmentModel model(clock, seed, config);
            (void)run(model, clock, kN, 20ms);
            // sd sqrt(0.03 * 0.97 / 20000) = 0.12 %: 2.4..3.6 % is 5 sd.
            const double copies = share(model.counters().duplicated, kN);
            QVERIFY2(copies > 0.024 && copies < 0.036, qPrintable(QString::number(copies)));
        }
    }

    void sameSeedSameDecisions() {
        ImpairmentConfig config;
        config.lossProbability = 0.05;
        config.burstLoss = BurstLoss{0.01, 0.3};
        config.delay = 30ms;
        config.jitter = 15ms;
        config.reorderProbability = 0.02;
        config.rateBitsPerSecond = 64'000;
        config.queueLimit = 80ms;
        config.duplicateProbability = 0.02;
        const auto decisions = [&](std::uint64_t seed, const ImpairmentConfig& c) {
            FakeClock clock;
            ImpairmentModel model(clock, seed, c);
            std::vector<Offered> offers;
            for (int i = 0; i < 5000; ++i) {
                offers.push_back(
                    {clock.now(), model.offer(100 + static_cast<std::size_t>(i % 7) * 40), 0});
                clock.advance(Clock::Duration(3000 + (i % 11) * 1000));
            }
            return offers;
        };
        const auto same = [](const std::vector<Offered>& a, const std::vector<Offered>& b) {
            for (std::size_t i = 0; i < a.size(); ++i) {
                if (a[i].verdict.drop != b[i].verdict.drop ||
                    a[i].verdict.deliverAt != b[i].verdict.deliverAt ||
                    a[i].verdict.duplicate != b[i].verdict.duplicate ||
                    a[i].verdict.reordered != b[i].verdict.reordered)
                    return false;
            }
            return a.size() == b.size();
        };
        const auto first = decisions(42, config);
        QVERIFY(same(first, decisions(42, config)));
        QVERIFY(!same(first, decisions(43, config)));

        // Every datagram draws the same values whatever happens to it, so a change to one
        // stage leaves the others' choices alone: other delays, same losses.
        ImpairmentConfig slower = config;
        slower.delay = 90ms;
        slower.jitter = 1ms;
        const auto second = decisions(42, slower);
        int lost = 0;
        for (std::size_t i = 0; i < first.size(); ++i) {
            const bool lostFirst = first[i].verdict.drop == DropReason::Loss ||
                                   first[i].verdict.drop == DropReason::BurstLoss;
            const bool lostSecond = second[i].verdict.drop == DropReason::Loss ||
                                    second[i].verdict.drop == DropReason::BurstLoss;
            QCOMPARE(lostFirst, lostSecond);
            lost += lostFirst ? 1 : 0;
        }
        QVERIFY(lost > 100);
    }

    void derivedSeedsDiffer() {
        QCOMPARE(deriveSeed(1, 0), deriveSeed(1, 0));
        QVERIFY(deriveSeed(1, 0) != deriveSeed(1, 1));
        QVERIFY(deriveSeed(1, 0) != deriveSeed(2, 0));
        QVERIFY(deriveSeed(1, 1) != deriveSeed(2, 0));
    }
};

QTEST_GUILESS_MAIN(TestImpairmentModel)
#include "TestImpairmentModel.moc"
