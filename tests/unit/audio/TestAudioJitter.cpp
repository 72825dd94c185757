// AudioJitterBuffer on a simulated link (JitterHarness): real Opus packets from a tone, a
// FakeClock stepped in 1 ms, a pull every 10 ms. Asserts what is heard (Goertzel) and what is
// counted, never wall-clock time.

#include "diyuma/audio/AudioJitterBuffer.h"
#include "diyuma/audio/DelayEstimator.h"
#include "diyuma/audio/Goertzel.h"

#include "AllocationCounter.h"
#include "JitterHarness.h"

#include <QtTest/QtTest>
#include <atomic>
#include <cstdlib>
#include <new>

using namespace diyuma;
using namespace diyuma::core;
using test::JitterHarness;
using namespace std::chrono_literals;

namespace {
constexpr double kToneDbfs = -12.0;

QString describe(const JitterBufferStats& s) {
    return QString("received %1 lost %2 late %3 dup %4 concealed %5 fec %6 dtx %7 len %8 "
                   "short %9 target %10 ms delay %11 ms jitter %12 ms")
        .arg(s.packetsReceived)
        .arg(s.packetsLost)
        .arg(s.packetsLate)
        .arg(s.packetsDuplicate)
        .arg(s.framesConcealed)
        .arg(s.framesFecRecovered)
        .arg(s.framesDtx)
        .arg(s.framesLengthened)
        .arg(s.framesShortened)
        .arg(s.targetDelayMs)
        .arg(s.currentDelayMs)
        .arg(s.jitterMs);
}

/// A deterministic pseudo-random number in [0, n).
int lcg(int index, int n) {
    std::uint32_t x = static_cast<std::uint32_t>(index) * 2654435761u + 12345u;
    x ^= x >> 15;
    x *= 2246822519u;
    x ^= x >> 13;
    return static_cast<int>(x % static_cast<std::uint32_t>(n));
}
} // namespace

class TestAudioJitter : public QObject {
    Q_OBJECT
private slots:
    void silenceBeforeTheFirstPacket() {
        test::FakeClock clock;
        AudioJitterBuffer jitter(clock);
        std::array<std::int16_t, kBlockSamples> block{};
        block.fill(7);
        QCOMPARE(jitter.pull(block), PullResult::Silence);
        QVERIFY(std::all_of(block.begin(), block.end(), [](std::int16_t s) { return s == 0; }));
        QCOMPARE(jitter.stats().packetsReceived, std::uint64_t{0});
    }

    void inOrderStreamPlaysAtMinDelay() {
        JitterHarness h;
        h.run(150); // 3 s
        const auto s = h.stats();
        QVERIFY2(s.packetsLost == 0 && s.packetsLate == 0 && s.framesConcealed == 0,
                 qPrintable(describe(s)));
        QCOMPARE(s.packetsReceived, static_cast<std::uint64_t>(h.sent().size()));
        QCOMPARE(s.targetDelayMs, 20.0);
        QCOMPARE(s.framesLengthened + s.framesShortened, std::uint64_t{0});
        QVERIFY2(s.jitterMs < 0.1, qPrintable(describe(s)));
        // From the first played block on, the delay is minDelay exactly.
        for (std::size_t i = 2; i < h.delays().size(); ++i)
            QVERIFY2(std::abs(h.delays()[i] - 20.0) < 0.5,
                     qPrintable(QString::number(h.delays()[i])));
        QCOMPARE(h.results().front(), PullResult::Silence); // start-up before the first frame
        QCOMPARE(h.results().back(), PullResult::Played);
        const double level = toneLevelDbfs(h.playedBetween(1.0, 3.0), 440.0);
        QVERIFY2(std::abs(level - kToneDbfs) < 2.0, qPrintable(QString::number(level)));
        QVERIFY(toneLevelDbfs(h.playedBetween(1.0, 3.0), 620.0) < level - 40.0);
    }

    void mouthToEarLatencyOnLoopback() {
        // Tone starting at the first sample of frame 0 (captured during the 20 ms before it is
        // sent at t = 0); output sample m is heard at m / 48 ms. The latency is frame size +
        // Opus lookahead + jitter buffer delay; a device adds its 10 ms block on top.
        JitterHarness h;
        h.run(50);
        const auto& pcm = h.played();
        std::size_t onset = 0;
        while (onset < pcm.size() && std::abs(pcm[onset]) < 2000)
            ++onset;
        QVERIFY(onset < pcm.size());
        const double latencyMs = static_cast<double>(onset) / 48.0 + 20.0;
        qInfo("loopback latency capture->playout: %.1f ms (20 ms frame + 6.5 ms Opus lookahead "
              "+ 20 ms jitter buffer); + 10 ms device block = %.1f ms mouth to ear",
              latencyMs, latencyMs + 10.0);
        QVERIFY2(latencyMs < 50.0, qPrintable(QString::number(latencyMs)));
    }

    void lossIsConcealedAndCounted() {
        JitterHarness h;
        // Two packets in a row: the first is concealed. (Here packets arrive just before the
        // pull, so at 20 ms the packet after a loss is already there: the second of the two
        // is rebuilt from its successor's FEC.)
        h.fate = [](int i) {
            return i == 50 || i == 51 ? std::vector<int>{} : std::vector<int>{0};
        };
        h.run(150);
        const auto s = h.stats();
        QVERIFY2(s.packetsLost == 2 && s.framesConcealed == 1 && s.framesFecRecovered == 1 &&
                     s.packetsLate == 0,
                 qPrintable(describe(s)));
        QCOMPARE(s.packetsReceived, static_cast<std::uint64_t>(h.sent().size() - 2));
        QVERIFY(std::count(h.results().begin(), h.results().end(), PullResult::Concealed) >= 1);
        // Audio keeps going around the gap (Opus' PLC fades a steady tone somewhat).
        const double level = toneLevelDbfs(h.playedBetween(0.9, 1.2), 440.0);
        QVERIFY2(level > kToneDbfs - 8.0, qPrintable(QString::number(level)));
    }

    void lossWithoutFecDataIsConcealed() {
        // Packets arrive just after the pull: at 20 ms the successor is not there yet when the
        // lost frame is due, so PLC fills it.
        JitterHarness h;
        h.fate = [](int i) { return i == 50 ? std::vector<int>{} : std::vector<int>{1}; };
        h.run(150);
        const auto s = h.stats();
        QVERIFY2(s.packetsLost == 1 && s.framesConcealed == 1 && s.framesFecRecovered == 0 &&
                     s.packetsLate == 0,
                 qPrintable(describe(s)));
        QVERIFY(std::abs(s.currentDelayMs - 20.0) < 0.5);
    }

    void fecRecoversASingleLoss() {
        // 40 ms of buffering: when frame 50 is due, packet 51 (carrying its FEC) is there.
        // The same stream without the loss is the reference for what should have been heard.
        JitterBufferConfig config;
        config.minDelay = 40ms;
        JitterHarness lossy(config);
        JitterHarness clean(config);
        lossy.syllableHz = clean.syllableHz = 4.0;
        lossy.fate = [](int i) { return i == 50 ? std::vector<int>{} : std::vector<int>{0}; };
        lossy.run(150);
        clean.run(150);
        const auto s = lossy.stats();
        QVERIFY2(s.framesFecRecovered == 1 && s.packetsLost == 1 && s.framesConcealed == 0,
                 qPrintable(describe(s)));
        const auto& results = lossy.results();
        const auto fecBlock = static_cast<std::size_t>(
            std::find(results.begin(), results.end(), PullResult::FecRecovered) - results.begin());
        QVERIFY(fecBlock < results.size());
        QCOMPARE(results[fecBlock + 1], PullResult::FecRecovered); // both halves of the frame
        // Timing is identical (no stretching), so the outputs line up sample by sample.
        QCOMPARE(clean.stats().framesLengthened + s.framesLengthened, std::uint64_t{0});
        double signal = 0;
        double error = 0;
        for (std::size_t i = fecBlock * 480; i < fecBlock * 480 + 960; ++i) {
            const double ref = clean.played()[i];
            signal += ref * ref;
            error += (lossy.played()[i] - ref) * (lossy.played()[i] - ref);
        }
        const double snrDb = 10.0 * std::log10(signal / std::max(error, 1.0));
        qInfo("FEC-recovered frame vs. the lossless stream: SNR %.1f dB", snrDb);
        QVERIFY2(snrDb > 20.0, qPrintable(QString::number(snrDb)));
    }

    void burstLossRaisesDelayForFec() {
        // Repeated losses switch on lossExtraDelay: one more frame buffered, so FEC can work.
        JitterHarness h;
        h.fate = [](int i) { return i % 10 == 5 ? std::vector<int>{} : std::vector<int>{0}; };
        h.run(500);
        const auto s = h.stats();
        QVERIFY2(s.targetDelayMs >= 40.0, qPrintable(describe(s)));
        QVERIFY2(s.framesFecRecovered > 20, qPrintable(describe(s)));
        QVERIFY2(s.packetsLost >= 45, qPrintable(describe(s)));
    }

    void reorderWithinTheBufferIsNotLoss() {
        JitterBufferConfig config;
        config.minDelay = 60ms;
        JitterHarness h(config);
        // From the third packet on, every even packet is overtaken by the odd one after it.
        h.fate = [](int i) { return std::vector<int>{i >= 2 && i % 2 == 0 ? 25 : 0}; };
        h.run(150);
        const auto s = h.stats();
        QVERIFY2(s.packetsLost == 0 && s.packetsLate == 0 && s.framesConcealed == 0,
                 qPrintable(describe(s)));
        QCOMPARE(s.packetsReceived, static_cast<std::uint64_t>(h.sent().size()));
        const double level = toneLevelDbfs(h.playedBetween(1.0, 3.0), 440.0);
        QVERIFY2(std::abs(level - kToneDbfs) < 2.0, qPrintable(QString::number(level)));
    }

    void duplicatesAreCountedAndIgnored() {
        JitterHarness h;
        // A copy 3 ms later, and every tenth packet once more long after it was played.
        h.fate = [](int i) {
            return i % 10 == 0 ? std::vector<int>{0, 3, 200} : std::vector<int>{0, 3};
        };
        h.run(150);
        const auto s = h.stats();
        const auto sent = static_cast<std::uint64_t>(h.sent().size());
        QVERIFY2(s.packetsLost == 0 && s.packetsLate == 0 && s.framesConcealed == 0,
                 qPrintable(describe(s)));
        QCOMPARE(s.packetsReceived, sent);
        // The very last copies are still in flight when the run ends.
        QVERIFY2(s.packetsDuplicate >= sent + sent / 10 - 2, qPrintable(describe(s)));
        const double level = toneLevelDbfs(h.playedBetween(1.0, 3.0), 440.0);
        QVERIFY2(std::abs(level - kToneDbfs) < 2.0, qPrintable(QString::number(level)));
    }

    void sequenceAndTimestampWrapWithoutLoss() {
        // Sequence numbers cross 65535 -> 0 after 36 packets, timestamps cross 2^32 after 40.
        JitterHarness h({}, 440.0, 65500, 0xffffffffu - 960 * 40 + 1);
        h.run(200);
        const auto s = h.stats();
        QVERIFY2(s.packetsLost == 0 && s.packetsLate == 0 && s.framesConcealed == 0 &&
                     s.packetsDuplicate == 0 && s.streamRestarts == 0,
                 qPrintable(describe(s)));
        QCOMPARE(s.packetsReceived, std::uint64_t{200});
        QVERIFY(std::abs(s.currentDelayMs - 20.0) < 0.5);
        const double level = toneLevelDbfs(h.playedBetween(0.5, 3.9), 440.0);
        QVERIFY2(std::abs(level - kToneDbfs) < 2.0, qPrintable(QString::number(level)));
    }

    void latePacketIsCountedAndDropped() {
        JitterHarness h;
        h.fate = [](int i) { return std::vector<int>{i == 50 ? 80 : 0}; };
        h.run(150);
        const auto s = h.stats();
        QVERIFY2(s.packetsLate == 1 && s.packetsLost == 1 &&
                     s.framesConcealed + s.framesFecRecovered >= 1,
                 qPrintable(describe(s)));
        QCOMPARE(s.packetsReceived, static_cast<std::uint64_t>(h.sent().size() - 1));
        // The late packet showed 80 ms of jitter: the target went up.
        QVERIFY2(s.targetDelayMs > 60.0, qPrintable(describe(s)));
    }

    void jitterSpikeRaisesTargetThenDecays() {
        JitterHarness h;
        // A 100 ms stall: packets 100..104 are held and arrive together.
        h.fate = [](int i) {
            return std::vector<int>{i >= 100 && i < 105 ? 100 - 20 * (i - 100) : 0};
        };
        h.run(106);
        auto s = h.stats();
        QVERIFY2(s.targetDelayMs >= 100.0, qPrintable(describe(s)));
        QVERIFY2(s.packetsLate >= 3, qPrintable(describe(s)));
        h.run(50); // 1 s later: held, and the buffer has grown to it
        s = h.stats();
        QVERIFY2(s.targetDelayMs >= 100.0, qPrintable(describe(s)));
        QVERIFY2(s.currentDelayMs >= 90.0, qPrintable(describe(s)));
        QVERIFY(s.framesLengthened > 0);
        h.run(100); // 3 s after the spike: on its way down, not gone
        s = h.stats();
        QVERIFY2(s.targetDelayMs > 40.0 && s.targetDelayMs < 100.0, qPrintable(describe(s)));
        h.run(1000); // 20 s later: back to minDelay, and so is the buffer
        s = h.stats();
        QVERIFY2(s.targetDelayMs < 21.0, qPrintable(describe(s)));
        QVERIFY2(s.currentDelayMs < 36.0, qPrintable(describe(s)));
        QVERIFY(s.framesShortened > 0);
        const auto lateAfterSpike = s.packetsLate;
        QVERIFY2(lateAfterSpike <= 5, qPrintable(describe(s)));
        // The time stretching did not damage the tone.
        const double level = toneLevelDbfs(h.playedBetween(4.0, 25.0), 440.0);
        QVERIFY2(std::abs(level - kToneDbfs) < 2.0, qPrintable(QString::number(level)));
    }

    void dtxGapIsNotLoss() {
        JitterHarness h;
        // 1 s tone, 2 s digital silence (the encoder goes DTX, sends a comfort-noise update
        // now and then), tone again.
        h.silence = [](int frame) { return frame >= 50 && frame < 150; };
        h.run(250);
        const auto s = h.stats();
        QVERIFY2(h.sent().size() < 200, qPrintable(QString::number(h.sent().size())));
        QVERIFY2(s.packetsLost == 0 && s.packetsLate == 0 && s.framesConcealed == 0,
                 qPrintable(describe(s)));
        QVERIFY2(s.framesDtx > 50, qPrintable(describe(s)));
        QVERIFY2(s.targetDelayMs == 20.0, qPrintable(describe(s)));
        QVERIFY2(std::abs(s.currentDelayMs - 20.0) < 0.5, qPrintable(describe(s)));
        // Silent in the gap, the tone back at full level afterwards.
        QVERIFY(rmsDbfs(h.playedBetween(1.5, 2.9)) < -50.0);
        const double level = toneLevelDbfs(h.playedBetween(3.5, 5.0), 440.0);
        QVERIFY2(std::abs(level - kToneDbfs) < 2.0, qPrintable(QString::number(level)));
        // A silent stretch reports Silence, not concealment.
        const auto gapBlocks = std::span(h.results()).subspan(160, 120);
        QVERIFY(std::count(gapBlocks.begin(), gapBlocks.end(), PullResult::Concealed) == 0);
    }

    void overlongBufferingShrinksBack() {
        JitterHarness h;
        // The path loses 100 ms of latency after 3 s: from then on packets arrive 100 ms
        // earlier than the buffer was set up for, and pile up.
        h.fate = [](int i) { return std::vector<int>{i < 150 ? 100 : 0}; };
        h.run(160);
        auto s = h.stats();
        QVERIFY2(s.currentDelayMs > 100.0, qPrintable(describe(s)));
        h.run(350); // 7 s later: the buffer follows the target down (whose peak still decays:
                    // the last slow packets arrived 100 ms after faster ones)
        s = h.stats();
        QVERIFY2(s.currentDelayMs < s.targetDelayMs + 16.0, qPrintable(describe(s)));
        QVERIFY2(s.framesShortened >= 5, qPrintable(describe(s)));
        h.run(1000); // 20 s later: back at minDelay
        s = h.stats();
        QVERIFY2(s.currentDelayMs < 36.0 && s.targetDelayMs < 21.0, qPrintable(describe(s)));
        QVERIFY2(s.packetsLost == 0 && s.packetsLate == 0 && s.framesConcealed == 0,
                 qPrintable(describe(s)));
        const double level = toneLevelDbfs(h.playedBetween(3.0, 30.0), 440.0);
        QVERIFY2(std::abs(level - kToneDbfs) < 2.0, qPrintable(QString::number(level)));
    }

    void toneThroughJitterKeepsItsFrequency() {
        JitterHarness h({}, 1000.0);
        h.fate = [](int i) { return std::vector<int>{lcg(i, 15)}; }; // 0..14 ms jitter
        h.run(300);
        const auto s = h.stats();
        qInfo("0..14 ms uniform jitter: %s", qPrintable(describe(s)));
        QVERIFY2(s.jitterMs > 2.0 && s.jitterMs < 10.0, qPrintable(describe(s)));
        QVERIFY2(s.targetDelayMs >= 30.0 && s.targetDelayMs <= 36.0, qPrintable(describe(s)));
        const double level = toneLevelDbfs(h.playedBetween(2.0, 6.0), 1000.0);
        QVERIFY2(std::abs(level - kToneDbfs) < 2.0, qPrintable(QString::number(level)));
        QVERIFY(toneLevelDbfs(h.playedBetween(2.0, 6.0), 440.0) < level - 40.0);
        QVERIFY(toneLevelDbfs(h.playedBetween(2.0, 6.0), 1200.0) < level - 40.0);
        // Once adapted, nothing more is late.
        const auto before = s.packetsLate;
        h.run(100);
        QCOMPARE(h.stats().packetsLate, before);
    }

    void lossyLinkSoak() {
        // 60 s of a bad link: 5 % loss, 0..40 ms jitter (so reordering), 2 % duplicates.
        JitterHarness h;
        h.syllableHz = 3.0;
        h.fate = [](int i) {
            if (lcg(i, 100) < 5)
                return std::vector<int>{};
            const int delay = lcg(i + 7919, 41);
            if (lcg(i + 104729, 100) < 2)
                return std::vector<int>{delay, delay + 7};
            return std::vector<int>{delay};
        };
        h.run(3000);
        const auto s = h.stats();
        qInfo("lossy link soak: %s", qPrintable(describe(s)));
        const auto sent = static_cast<double>(h.sent().size());
        QCOMPARE(s.streamRestarts, std::uint64_t{0});
        QVERIFY2(static_cast<double>(s.packetsLost) < 0.08 * sent, qPrintable(describe(s)));
        QVERIFY2(static_cast<double>(s.packetsLate) < 0.02 * sent, qPrintable(describe(s)));
        QVERIFY2(s.targetDelayMs >= 50.0 && s.targetDelayMs <= 90.0, qPrintable(describe(s)));
        QVERIFY2(s.framesFecRecovered > s.framesConcealed, qPrintable(describe(s)));
        double worst = 0;
        for (std::size_t i = 500; i < h.delays().size(); ++i)
            worst = std::max(worst, std::abs(h.delays()[i] - h.targets()[i]));
        QVERIFY2(worst < 40.0, qPrintable(QString::number(worst)));
        // The tone is still there at its (modulated) level: 0.6 average gain, -4.4 dB.
        const double level = toneLevelDbfs(h.playedBetween(5.0, 60.0), 440.0);
        QVERIFY2(std::abs(level - (kToneDbfs - 4.4)) < 2.0, qPrintable(QString::number(level)));
    }

    void interarrivalJitterFollowsRfc3550() {
        JitterHarness h;
        h.fate = [](int i) { return std::vector<int>{i % 2 == 0 ? 0 : 10}; };
        h.run(300);
        // |D| is 10 ms for every packet: J converges to 10 ms.
        const auto s = h.stats();
        QVERIFY2(std::abs(s.jitterMs - 10.0) < 0.5, qPrintable(describe(s)));
    }

    void stoppedStreamTurnsToSilence() {
        JitterHarness h;
        h.fate = [](int i) { return i < 100 ? std::vector<int>{0} : std::vector<int>{}; };
        h.run(200);
        const auto tail = std::span(h.results()).last(50);
        QVERIFY(std::all_of(tail.begin(), tail.end(),
                            [](PullResult r) { return r == PullResult::Silence; }));
        const auto pcm = h.playedBetween(3.5, 4.0);
        QVERIFY(std::all_of(pcm.begin(), pcm.end(), [](std::int16_t v) { return v == 0; }));
    }

    void senderRestartIsFollowed() {
        test::FakeClock clock;
        AudioJitterBuffer jitter(clock);
        auto encoder = OpusEncoder::create();
        QVERIFY(encoder.ok());
        ToneGenerator tone(440.0);
        std::array<std::int16_t, kFrameSamples> pcm{};
        std::array<std::uint8_t, 1275> packet{};
        std::array<std::int16_t, kBlockSamples> block{};
        std::vector<std::int16_t> played;
        // 2 s from one numbering, then the sender restarts with unrelated numbers.
        for (int frame = 0; frame < 200; ++frame) {
            tone.generate(pcm);
            const int bytes = encoder->encode(pcm, packet);
            QVERIFY(bytes > 2);
            const bool second = frame >= 100;
            const auto seq = static_cast<std::uint16_t>(second ? 30000 + frame : 100 + frame);
            const auto ts = static_cast<std::uint32_t>(second ? 777777777u + 960u * frame
                                                              : 1000u + 960u * frame);
            jitter.insert(seq, ts, std::span(packet).first(static_cast<std::size_t>(bytes)));
            for (int i = 0; i < 2; ++i) {
                jitter.pull(block);
                played.insert(played.end(), block.begin(), block.end());
                clock.advance(10ms);
            }
        }
        const auto s = jitter.stats();
        QCOMPARE(s.streamRestarts, std::uint64_t{1});
        QVERIFY2(s.packetsLate == 0 && s.packetsLost == 0, qPrintable(describe(s)));
        const double level =
            toneLevelDbfs(std::span(played).subspan(48000 * 5 / 2, 48000 * 3 / 2), 440.0);
        QVERIFY2(std::abs(level - kToneDbfs) < 2.0, qPrintable(QString::number(level)));
    }

    void garbageIsCountedNotPlayed() {
        test::FakeClock clock;
        AudioJitterBuffer jitter(clock);
        std::vector<std::uint8_t> tooBig(AudioJitterBuffer::kMaxPayloadBytes + 1, 0x08);
        jitter.insert(1, 0, tooBig);
        jitter.insert(2, 960, {});
        const std::uint8_t badToc[] = {0x03}; // code 3 without a frame count byte
        jitter.insert(3, 1920, badToc);
        QCOMPARE(jitter.stats().packetsInvalid, std::uint64_t{3});
        QCOMPARE(jitter.stats().packetsReceived, std::uint64_t{0});
    }

    void insertAndPullDoNotAllocate() {
        JitterHarness h;
        h.fate = [](int i) {
            if (i % 7 == 3)
                return std::vector<int>{};          // loss
            return std::vector<int>{lcg(i, 30), 5}; // jitter + duplicates
        };
        h.run(50); // warm up (Qt Test and the harness allocate outside the window)
        // Pre-encoded packets so that only insert() and pull() run while counting.
        std::vector<test::SentPacket> packets(h.sent().end() - 20, h.sent().end());
        auto& jitter = h.jitter();
        std::array<std::int16_t, kBlockSamples> block{};
        std::uint16_t seq = static_cast<std::uint16_t>(packets.back().sequence + 1);
        std::uint32_t ts = packets.back().timestamp + 960;
        g_allocations = 0;
        g_countAllocations = true;
        for (int i = 0; i < 500; ++i) {
            const auto& p = packets[static_cast<std::size_t>(i) % packets.size()];
            if (i % 9 != 4)
                jitter.insert(seq, ts, p.payload);
            seq = static_cast<std::uint16_t>(seq + 1);
            ts += 960;
            for (int k = 0; k < 2; ++k) {
                h.clock().advance(std::chrono::milliseconds(k == 0 ? 10 + lcg(i, 5) : 10));
                (void)jitter.pull(block);
            }
            (void)jitter.stats();
        }
        g_countAllocations = false;
        QCOMPARE(g_allocations.load(), std::uint64_t{0});
    }

    void estimatorPeakHoldsThenDecays() {
        DelayEstimator e(20 * 48, 400 * 48);
        std::int64_t t = 0;
        std::int64_t ts = 0;
        for (int i = 0; i < 50; ++i, t += 960, ts += 960)
            e.onArrival(t, ts);
        QCOMPARE(e.targetDelay(t), std::int64_t{20 * 48});
        const std::int64_t late = t + 60 * 48;
        e.onArrival(late, ts); // 60 ms late
        QCOMPARE(e.targetDelay(late), std::int64_t{80 * 48});
        QCOMPARE(e.targetDelay(late + 48000), std::int64_t{80 * 48});   // held 1 s
        const std::int64_t later = e.targetDelay(late + 48000 + 96000); // one half-life later
        QVERIFY(std::abs(later - 50 * 48) <= 1);
        QCOMPARE(e.targetDelay(t + 48000 * 60), std::int64_t{20 * 48});
    }
};

QTEST_GUILESS_MAIN(TestAudioJitter)
#include "TestAudioJitter.moc"
