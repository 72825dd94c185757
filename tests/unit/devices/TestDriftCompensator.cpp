// DriftCompensator with simulated clocks: a device that runs fast or slow relative to the
// media thread, for minutes of simulated time, on both sides of a ring (capture: pull();
// playback: push()). The fill stays near the target, the ratio settles on the clock ratio,
// a 1 kHz tone comes out as a clean tone (Goertzel level and frequency, no spurs, no step),
// and stalls and underruns are recovered from without clicks.

#include "diyuma/audio/AudioFormat.h"
#include "diyuma/audio/DriftCompensator.h"
#include "diyuma/audio/Goertzel.h"
#include "diyuma/audio/SpscRing.h"
#include "diyuma/audio/Tone.h"

#include <QtTest/QtTest>
#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <vector>

using namespace diyuma::core;

namespace {

constexpr double kToneHz = 1000.0;
constexpr double kToneDbfs = -12.0;
const double kToneAmplitude = 32767.0 * std::pow(10.0, kToneDbfs / 20.0);
/// Largest |x[n] - x[n-1]| of the tone (its steepest slope) and |x[n+1] - 2x[n] + x[n-1]|.
double maxSlope(double hz) {
    return kToneAmplitude * 2 * std::numbers::pi * hz / kSampleRateHz;
}
double maxCurvature(double hz) {
    const double w = 2 * std::numbers::pi * hz / kSampleRateHz;
    return kToneAmplitude * w * w;
}

struct Stats {
    std::size_t minFill = SIZE_MAX;
    std::size_t maxFill = 0;
    double ratioSum = 0;
    int ratioCount = 0;
    double minRatio = 10;
    double maxRatio = 0;
    void addRatio(double r) {
        ratioSum += r;
        ++ratioCount;
        minRatio = std::min(minRatio, r);
        maxRatio = std::max(maxRatio, r);
    }
};

/// What came out, with the media thread's time of each block.
struct Output {
    std::vector<std::int16_t> samples;
    std::vector<bool> blockOk;
};

/// Capture: a device (producer) at kSampleRateHz * (1 + drift) writes chunks of
/// `deviceChunk` into a ring; the media thread pulls kBlockSamples every 10 ms.
class CaptureSim {
public:
    CaptureSim(double drift, std::size_t deviceChunk, DriftCompensatorConfig config = {})
        : m_drift(drift), m_chunk(deviceChunk), m_ring(16384), m_comp(config),
          m_tone(kToneHz, kToneDbfs), m_chunkBuf(deviceChunk) {}

    /// Runs `blocks` media-thread blocks; the device stops delivering while `deviceStalled`
    /// says so, the media thread skips its pulls while `mediaStalled` says so.
    template <typename DeviceStalled, typename MediaStalled>
    void run(int blocks, Output& out, Stats* stats, int statsFromBlock, DeviceStalled deviceStalled,
             MediaStalled mediaStalled) {
        std::array<std::int16_t, kBlockSamples> block{};
        for (int b = 0; b < blocks; ++b, ++m_block) {
            const double now =
                static_cast<double>(m_block) * 0.010; // media thread's clock, seconds
            const double deviceRate = kSampleRateHz * (1 + m_drift);
            while (m_lastChunkAt + static_cast<double>(m_chunk) / deviceRate <= now) {
                m_lastChunkAt += static_cast<double>(m_chunk) / deviceRate;
                m_tone.generate(m_chunkBuf);
                if (!deviceStalled(now)) {
                    m_ring.write(m_held); // what a holding device kept, all at once
                    m_held.clear();
                    m_ring.write(m_chunkBuf); // a full ring drops, as a callback would
                } else if (m_holdWhileStalled) {
                    m_held.insert(m_held.end(), m_chunkBuf.begin(), m_chunkBuf.end());
                }
            }
            if (mediaStalled(now))
                continue;
            const std::size_t fill = m_ring.readAvailable();
            // What a device layer measures: time since the last callback, as samples.
            const double phase =
                m_usePhase && !deviceStalled(now) ? (now - m_lastChunkAt) * deviceRate : 0.0;
            const bool ok = m_comp.pull(m_ring, block, phase);
            out.samples.insert(out.samples.end(), block.begin(), block.end());
            out.blockOk.push_back(ok);
            if (stats && b >= statsFromBlock) {
                stats->minFill = std::min(stats->minFill, fill);
                stats->maxFill = std::max(stats->maxFill, fill);
                stats->addRatio(m_comp.ratio());
            }
        }
    }
    void run(int blocks, Output& out, Stats* stats = nullptr, int statsFromBlock = 0) {
        run(
            blocks, out, stats, statsFromBlock, [](double) { return false; },
            [](double) { return false; });
    }
    DriftCompensator& comp() { return m_comp; }
    SpscRing<std::int16_t>& ring() { return m_ring; }
    void setUsePhase(bool use) { m_usePhase = use; }
    /// The device's clock changes from now on (as if another device took over the ring).
    void setDrift(double drift) { m_drift = drift; }
    /// A stalled device keeps what it captures and delivers it in one burst when it resumes
    /// (instead of losing it).
    void setHoldWhileStalled(bool hold) { m_holdWhileStalled = hold; }

private:
    bool m_usePhase = true;
    double m_drift;
    std::size_t m_chunk;
    SpscRing<std::int16_t> m_ring;
    DriftCompensator m_comp;
    ToneGenerator m_tone;
    std::vector<std::int16_t> m_chunkBuf;
    long m_block = 0;
    double m_lastChunkAt = 0; ///< device time of the last chunk, seconds
    bool m_holdWhileStalled = false;
    std::vector<std::int16_t> m_held;
};

/// Playback: the media thread pushes a tone block every 10 ms; a device (consumer) at
/// kSampleRateHz * (1 + drift) reads chunks of `deviceChunk`, playing silence and counting
/// an underrun when the ring cannot fill a chunk.
class PlaybackSim {
public:
    PlaybackSim(double drift, std::size_t deviceChunk, DriftCompensatorConfig config = {})
        : m_drift(drift), m_chunk(deviceChunk), m_ring(8192), m_comp(config),
          m_tone(kToneHz, kToneDbfs), m_chunkBuf(deviceChunk) {}

    template <typename DeviceStalled, typename MediaStalled>
    void run(int blocks, std::vector<std::int16_t>& heard, Stats* stats, int statsFromBlock,
             DeviceStalled deviceStalled, MediaStalled mediaStalled) {
        std::array<std::int16_t, kBlockSamples> block{};
        for (int b = 0; b < blocks; ++b, ++m_block) {
            const double now = static_cast<double>(m_block) * 0.010;
            const double deviceRate = kSampleRateHz * (1 + m_drift);
            while (chunkTime(m_deviceChunks + 1, deviceRate) <= now) {
                ++m_deviceChunks;
                if (deviceStalled(now))
                    continue;
                const std::size_t got = m_ring.read(m_chunkBuf);
                if (got < m_chunk) {
                    ++m_consumerUnderruns;
                    std::fill(m_chunkBuf.begin() + static_cast<std::ptrdiff_t>(got),
                              m_chunkBuf.end(), std::int16_t{0});
                }
                heard.insert(heard.end(), m_chunkBuf.begin(), m_chunkBuf.end());
            }
            if (mediaStalled(now))
                continue;
            m_tone.generate(block);
            const std::size_t fill = m_ring.size();
            const double phase = m_usePhase && !deviceStalled(now)
                                     ? (now - chunkTime(m_deviceChunks, deviceRate)) * deviceRate
                                     : 0.0;
            m_comp.push(block, m_ring, m_consumerUnderruns, phase);
            if (stats && b >= statsFromBlock) {
                stats->minFill = std::min(stats->minFill, fill);
                stats->maxFill = std::max(stats->maxFill, fill);
                stats->addRatio(m_comp.ratio());
            }
        }
    }
    void run(int blocks, std::vector<std::int16_t>& heard, Stats* stats = nullptr,
             int statsFromBlock = 0) {
        run(
            blocks, heard, stats, statsFromBlock, [](double) { return false; },
            [](double) { return false; });
    }
    DriftCompensator& comp() { return m_comp; }
    std::uint64_t consumerUnderruns() const { return m_consumerUnderruns; }

private:
    double chunkTime(long chunk, double rate) const {
        return static_cast<double>(chunk) * static_cast<double>(m_chunk) / rate;
    }
    bool m_usePhase = true;
    double m_drift;
    std::size_t m_chunk;
    SpscRing<std::int16_t> m_ring;
    DriftCompensator m_comp;
    ToneGenerator m_tone;
    std::vector<std::int16_t> m_chunkBuf;
    long m_block = 0;
    long m_deviceChunks = 0;
    std::uint64_t m_consumerUnderruns = 0;
};

double maxAbsDiff(std::span<const std::int16_t> x) {
    double m = 0;
    for (std::size_t i = 1; i < x.size(); ++i)
        m = std::max(m, std::abs(double(x[i]) - x[i - 1]));
    return m;
}
double maxAbsSecondDiff(std::span<const std::int16_t> x) {
    double m = 0;
    for (std::size_t i = 2; i < x.size(); ++i)
        m = std::max(m, std::abs(double(x[i]) - 2.0 * x[i - 1] + x[i - 2]));
    return m;
}

/// The fill moved by at most a device chunk and a media block around the target.
void checkFillNearTarget(const Stats& s, const DriftCompensator& comp) {
    const auto target = static_cast<double>(comp.config().targetFillSamples);
    QVERIFY2(double(s.minFill) > target - 480 - 240, qPrintable(QString::number(s.minFill)));
    QVERIFY2(double(s.maxFill) < target + 480 + 240, qPrintable(QString::number(s.maxFill)));
}

/// Checks 200 ms windows every ~10 s: the tone at the expected frequency at its level and
/// clearly above its neighbours, harmonics and other frequencies far below it.
void checkCleanTone(std::span<const std::int16_t> x, double expectedHz) {
    constexpr std::size_t kWindow = 9600;
    const std::array<double, 6> spurs{expectedHz / 2, expectedHz * 1.5, expectedHz * 2,
                                      expectedHz * 3, 5000.0,           12000.0};
    int windows = 0;
    for (std::size_t start = 0; start + kWindow <= x.size(); start += std::size_t{48000} * 10) {
        const auto w = x.subspan(start, kWindow);
        const double level = toneLevelDbfs(w, expectedHz);
        QVERIFY2(std::abs(level - kToneDbfs) < 0.3,
                 qPrintable(QString("tone level %1 dBFS at %2 Hz, window at %3 s")
                                .arg(level)
                                .arg(expectedHz)
                                .arg(double(start) / 48000)));
        // Wrong frequency would show up here: 15 Hz off is 3 Goertzel resolutions.
        QVERIFY(toneLevelDbfs(w, expectedHz - 15) < level - 20);
        QVERIFY(toneLevelDbfs(w, expectedHz + 15) < level - 20);
        for (double f : spurs) {
            const double spur = toneLevelDbfs(w, f);
            QVERIFY2(spur < kToneDbfs - 75,
                     qPrintable(QString("spur %1 dBFS at %2 Hz").arg(spur).arg(f)));
        }
        ++windows;
    }
    QVERIFY(windows >= 3);
}

} // namespace

class TestDriftCompensator : public QObject {
    Q_OBJECT
private:
    /// Minutes of capture at a given drift with a device delivering 240-sample chunks.
    void captureAtDrift(double drift, int minutes) {
        CaptureSim sim(drift, 240);
        Output out;
        Stats settled;
        const int blocks = minutes * 6000;
        sim.run(blocks, out, &settled, 2000); // judged after 20 s
        const auto& cfg = sim.comp().config();
        const auto target = static_cast<double>(cfg.targetFillSamples);
        qInfo("drift %+.2f %%: fill %zu..%zu (target %.0f), ratio %.6f (%.6f..%.6f), "
              "underruns %llu",
              drift * 100, settled.minFill, settled.maxFill, target,
              settled.ratioSum / settled.ratioCount, settled.minRatio, settled.maxRatio,
              static_cast<unsigned long long>(sim.comp().underruns()));
        // One refill at the start, then never again; nothing dropped.
        QCOMPARE(sim.comp().underruns(), std::uint64_t{0});
        QCOMPARE(sim.comp().drops(), std::uint64_t{0});
        const auto okBlocks = std::count(out.blockOk.begin(), out.blockOk.end(), true);
        QVERIFY(okBlocks >= static_cast<long>(out.blockOk.size()) - 5);
        checkFillNearTarget(settled, sim.comp());
        QVERIFY(std::abs(settled.ratioSum / settled.ratioCount - (1 + drift)) < 2e-4);
        // The ratio wobbles by a few ppm, not by the device's bursts (a pitch wobble).
        QVERIFY(settled.maxRatio - settled.minRatio < 1e-4);
        // After the first block of audio the output is a smooth tone: no step, no kink.
        const auto firstOk =
            std::find(out.blockOk.begin(), out.blockOk.end(), true) - out.blockOk.begin();
        const auto audio = std::span<const std::int16_t>(out.samples)
                               .subspan(static_cast<std::size_t>(firstOk + 1) * kBlockSamples);
        const double expectedHz = kToneHz * (1 + drift);
        QVERIFY2(maxAbsSecondDiff(audio) < maxCurvature(expectedHz) * 1.1 + 3,
                 qPrintable(QString::number(maxAbsSecondDiff(audio))));
        checkCleanTone(audio.subspan(48000 * 20), expectedHz);
    }

    void playbackAtDrift(double drift, int minutes) {
        PlaybackSim sim(drift, 240);
        std::vector<std::int16_t> heard;
        Stats settled;
        sim.run(minutes * 6000, heard, &settled, 2000);
        const auto target = static_cast<double>(sim.comp().config().targetFillSamples);
        qInfo("playback drift %+.2f %%: fill %zu..%zu (target %.0f), ratio %.6f (%.6f..%.6f)",
              drift * 100, settled.minFill, settled.maxFill, target,
              settled.ratioSum / settled.ratioCount, settled.minRatio, settled.maxRatio);
        QVERIFY(settled.maxRatio - settled.minRatio < 1e-4);
        // The consumer underran only before the first push (the stream starts first).
        QVERIFY(sim.consumerUnderruns() <= 1);
        QCOMPARE(sim.comp().underruns(), std::uint64_t{0});
        QCOMPARE(sim.comp().drops(), std::uint64_t{0});
        QCOMPARE(sim.comp().overflowSamples(), std::uint64_t{0});
        checkFillNearTarget(settled, sim.comp());
        // Playback: a fast device consumes more, so fewer inputs per output: r = 1/(1+d).
        QVERIFY(std::abs(settled.ratioSum / settled.ratioCount - 1 / (1 + drift)) < 2e-4);
        // The device's clock is the reference for what is heard: 1 kHz becomes 1/(1+d) kHz.
        const double expectedHz = kToneHz / (1 + drift);
        const auto audio = std::span<const std::int16_t>(heard).subspan(48000);
        QVERIFY2(maxAbsSecondDiff(audio) < maxCurvature(expectedHz) * 1.1 + 3,
                 qPrintable(QString::number(maxAbsSecondDiff(audio))));
        checkCleanTone(audio.subspan(48000 * 20), expectedHz);
    }

private slots:
    void captureFastDevice() { captureAtDrift(+0.003, 3); }
    void captureSlowDevice() { captureAtDrift(-0.003, 3); }
    void captureVeryFastDevice() { captureAtDrift(+0.015, 3); }
    void captureSlowDeviceTwoPercent() { captureAtDrift(-0.02, 2); }
    void playbackFastDevice() { playbackAtDrift(+0.003, 3); }
    void playbackSlowDevice() { playbackAtDrift(-0.003, 3); }
    void playbackVeryFastDevice() { playbackAtDrift(+0.015, 3); }

    void noDriftIsTransparent() {
        // Same clocks: the ratio stays at 1 and the tone passes unchanged, delayed (by a
        // fraction of a sample too: the loop moved the read position while it settled).
        CaptureSim sim(0.0, 480);
        Output out;
        sim.run(3000, out);
        QVERIFY(std::abs(sim.comp().ratio() - 1) < 2e-5);
        // Each 10 ms of the last second against the sine that fits it best (least squares
        // phase at the tone's amplitude): the largest difference anywhere.
        const double w = 2 * std::numbers::pi * kToneHz / kSampleRateHz;
        const std::size_t n = out.samples.size();
        double worst = 0;
        for (std::size_t from = n - 48000; from + kBlockSamples <= n; from += kBlockSamples) {
            double a = 0;
            double b = 0;
            for (std::size_t i = from; i < from + kBlockSamples; ++i) {
                a += out.samples[i] * std::sin(w * double(i));
                b += out.samples[i] * std::cos(w * double(i));
            }
            const double phase = std::atan2(b, a);
            for (std::size_t i = from; i < from + kBlockSamples; ++i)
                worst = std::max(worst, std::abs(out.samples[i] -
                                                 kToneAmplitude * std::sin(w * double(i) + phase)));
        }
        // Rounding and the interpolator's passband ripple: within 8 of an 8225 amplitude.
        QVERIFY2(worst <= 8, qPrintable(QString::number(worst)));
    }

    void withoutPhaseTheFillStillHolds() {
        // A device layer that cannot time its callbacks: the burst beat reaches the ratio
        // (printed), but the fill and the average ratio are still right.
        CaptureSim sim(0.003, 240);
        sim.setUsePhase(false);
        Output out;
        Stats settled;
        sim.run(12000, out, &settled, 2000);
        qInfo("no phase: fill %zu..%zu, ratio %.6f (%.6f..%.6f)", settled.minFill, settled.maxFill,
              settled.ratioSum / settled.ratioCount, settled.minRatio, settled.maxRatio);
        QCOMPARE(sim.comp().underruns(), std::uint64_t{0});
        QVERIFY(std::abs(settled.ratioSum / settled.ratioCount - 1.003) < 2e-4);
        checkFillNearTarget(settled, sim.comp());
    }

    void aFillOffsetWhileTrackingBarelyMovesThePitch() {
        // Locked on a device 0.3 % fast, the media thread misses 20 ms of pulls (a loaded
        // machine): 20 ms more in the ring, well below the drop margin. It is worked off at
        // most 0.25 % off the drift (the acquiring loop would take 2 %), and a 1 kHz tone
        // keeps its level in every 100 ms window.
        CaptureSim sim(0.003, 240);
        Output out;
        sim.run(3000, out);
        QVERIFY(sim.comp().tracking());
        const double drift = sim.comp().driftEstimate();
        qInfo("tracking, drift learnt %.6f, ratio %.6f, fill %.0f", drift, sim.comp().ratio(),
              sim.comp().smoothedFillSamples());
        QVERIFY(std::abs(drift - 0.003) < 2e-4);
        const std::size_t before = out.samples.size();
        Stats after;
        sim.run(
            3000, out, &after, 0, [](double) { return false; },
            [](double t) { return t >= 30.0 && t < 30.02; });
        qInfo("after a 20 ms offset: ratio %.5f..%.5f, fill %zu..%zu, drift learnt %.5f",
              after.minRatio, after.maxRatio, after.minFill, after.maxFill,
              sim.comp().driftEstimate());
        QVERIFY(sim.comp().tracking());
        QCOMPARE(sim.comp().drops(), std::uint64_t{0});
        QCOMPARE(sim.comp().underruns(), std::uint64_t{0});
        QVERIFY(after.maxRatio - (1 + drift) <= 0.0025 + 1e-4);
        QVERIFY(after.maxRatio - (1 + drift) > 0.001); // the offset was seen and worked off
        QVERIFY((1 + drift) - after.minRatio < 5e-4);
        // The offset's integral moves the drift learnt a little (it unwinds over minutes).
        QVERIFY(std::abs(sim.comp().driftEstimate() - 0.003) < 3e-4);
        QVERIFY(std::abs(sim.comp().ratio() - 1.003) < 1e-4);
        const double target = double(sim.comp().config().targetFillSamples);
        QVERIFY2(std::abs(sim.comp().smoothedFillSamples() - target) < 96,
                 qPrintable(QString::number(sim.comp().smoothedFillSamples())));
        const auto audio = std::span<const std::int16_t>(out.samples).subspan(before);
        for (std::size_t k = 0; k + 4800 <= audio.size(); k += 4800) {
            const double level = toneLevelDbfs(audio.subspan(k, 4800), kToneHz * 1.003);
            QVERIFY2(
                std::abs(level - kToneDbfs) < 0.5,
                qPrintable(QString("%1 dBFS at %2 s").arg(level).arg(30.0 + double(k) / 48000)));
        }
    }

    void aChangedDriftIsLearntAgain() {
        // Tracking a device 0.3 % fast, the clock changes to 1.5 % fast: more than the
        // tracking correction can make up, so the loop acquires again and settles on it.
        CaptureSim sim(0.003, 240);
        Output out;
        sim.run(3000, out);
        QVERIFY(sim.comp().tracking());
        sim.setDrift(0.015);
        Stats settled;
        sim.run(6000, out, &settled, 3000);
        qInfo("after the change: ratio %.5f..%.5f, fill %zu..%zu, drift learnt %.6f",
              settled.minRatio, settled.maxRatio, settled.minFill, settled.maxFill,
              sim.comp().driftEstimate());
        QVERIFY(sim.comp().tracking());
        QVERIFY(std::abs(sim.comp().driftEstimate() - 0.015) < 2e-4);
        QCOMPARE(sim.comp().underruns(), std::uint64_t{0});
        checkFillNearTarget(settled, sim.comp());
    }

    void ratioIsClampedForAbsurdDrift() {
        // A device 5 % fast is beyond the clamp: the ratio sits at the clamp and the excess
        // is dropped now and then instead of the ring overflowing.
        CaptureSim sim(0.05, 240);
        Output out;
        sim.run(6000, out);
        const auto& cfg = sim.comp().config();
        QCOMPARE(sim.comp().ratio(), 1 + cfg.maxRatioDeviation);
        QVERIFY(sim.comp().drops() >= 1);
        QVERIFY(sim.ring().readAvailable() < sim.ring().capacity());
    }

    void captureStallIsDroppedWithoutClick() {
        // The media thread stalls for 300 ms at t = 20 s: the device keeps writing, the
        // backlog is dropped at once rather than kept as extra delay for minutes.
        CaptureSim sim(0.003, 240);
        Output out;
        sim.run(2000, out);
        const std::size_t before = out.samples.size();
        Stats after;
        sim.run(
            1000, out, &after, 50, [](double) { return false; },
            [](double t) { return t >= 20.0 && t < 20.3; });
        QCOMPARE(sim.comp().drops(), std::uint64_t{1});
        QVERIFY(sim.comp().droppedSamples() > 10000); // ~300 ms
        QCOMPARE(sim.comp().underruns(), std::uint64_t{0});
        const double target = double(sim.comp().config().targetFillSamples);
        QVERIFY2(double(after.maxFill) < target + 480 + 240,
                 qPrintable(QString::number(after.maxFill)));
        // The splice is not a step: never steeper than the tone plus the de-click ramp.
        const auto tail = std::span<const std::int16_t>(out.samples).subspan(before - 480);
        QVERIFY2(maxAbsDiff(tail) < maxSlope(kToneHz) * 1.35,
                 qPrintable(QString::number(maxAbsDiff(tail))));
    }

    void captureUnderrunRefillsAndFades() {
        // The device delivers nothing for 200 ms at t = 20 s: pull() reports the underrun,
        // plays a short decay then silence, waits for the target fill, and fades back in.
        CaptureSim sim(-0.003, 240);
        Output out;
        sim.run(2000, out);
        const std::size_t before = out.samples.size();
        Stats after;
        sim.run(
            1000, out, &after, 100, [](double t) { return t >= 20.0 && t < 20.2; },
            [](double) { return false; });
        QCOMPARE(sim.comp().underruns(), std::uint64_t{1});
        QCOMPARE(sim.comp().drops(), std::uint64_t{0});
        const auto tail = std::span<const std::int16_t>(out.samples).subspan(before - 480);
        QVERIFY2(maxAbsDiff(tail) < maxSlope(kToneHz) * 1.35,
                 qPrintable(QString::number(maxAbsDiff(tail))));
        const auto silentBlocks = std::count(out.blockOk.begin() + 2000, out.blockOk.end(), false);
        QVERIFY(silentBlocks >= 20 && silentBlocks <= 30); // the gap plus the refill
        checkFillNearTarget(after, sim.comp());
    }

    void aBurstAfterAnUnderrunIsNotPlayedAway() {
        // Tracking a device 0.3 % slow, the device stalls for 90 ms and then delivers what
        // it held at once: the ring runs dry (one underrun), then holds ~90 ms, 60 ms above
        // the target but below the drop margin. pull() starts again at the target instead
        // of playing the excess away at a shifted pitch (0.25 % off for as long as it lasts).
        CaptureSim sim(-0.003, 240);
        sim.setHoldWhileStalled(true);
        Output out;
        sim.run(3000, out);
        QVERIFY(sim.comp().tracking());
        const double drift = sim.comp().ratio() - 1;
        Stats after;
        sim.run(
            500, out, &after, 30, [](double t) { return t >= 30.0 && t < 30.09; },
            [](double) { return false; });
        qInfo("after the burst: ratio %.5f..%.5f, fill %zu..%zu, dropped %llu samples",
              after.minRatio, after.maxRatio, after.minFill, after.maxFill,
              static_cast<unsigned long long>(sim.comp().droppedSamples()));
        QCOMPARE(sim.comp().underruns(), std::uint64_t{1});
        QCOMPARE(sim.comp().drops(), std::uint64_t{0});
        QVERIFY(sim.comp().droppedSamples() > 2000); // the backlog above the target
        // The loop sees what is left of the device's chunk and the refill's step: ~3 ms.
        QVERIFY2(after.minRatio > 1 + drift - 8e-4 && after.maxRatio < 1 + drift + 8e-4,
                 qPrintable(QString("%1..%2").arg(after.minRatio).arg(after.maxRatio)));
        const double target = double(sim.comp().config().targetFillSamples);
        QVERIFY2(double(after.maxFill) < target + 480 + 240,
                 qPrintable(QString::number(after.maxFill)));
    }

    void playbackDeviceStallIsDropped() {
        // The device stops reading for 400 ms: the ring fills up (the overflow is counted),
        // then the backlog is skipped so the delay returns to the target.
        PlaybackSim sim(0.0, 240);
        std::vector<std::int16_t> heard;
        sim.run(2000, heard);
        const auto stalled = [](double t) { return t >= 20.0 && t < 20.4; };
        const auto never = [](double) { return false; };
        Stats during; // the 1.6 s after the stall (while it lasts, nothing is heard)
        sim.run(200, heard, &during, 40, stalled, never);
        Stats after;
        sim.run(800, heard, &after, 0, stalled, never);
        // Dropped once: what push() skips is aimed at the fill until it is back at the target.
        QCOMPARE(sim.comp().drops(), std::uint64_t{1});
        // The backlog is dropped, not played away faster: the ratio (the pitch) stays
        // where the drift put it, during the stall and after it.
        QVERIFY2(during.minRatio > 1 - 3e-3 && during.maxRatio < 1 + 3e-3,
                 qPrintable(QString("%1..%2").arg(during.minRatio).arg(during.maxRatio)));
        QVERIFY2(after.minRatio > 1 - 3e-3 && after.maxRatio < 1 + 3e-3,
                 qPrintable(QString("%1..%2").arg(after.minRatio).arg(after.maxRatio)));
        QVERIFY(sim.comp().droppedSamples() > 10000);
        const double target = double(sim.comp().config().targetFillSamples);
        QVERIFY2(double(after.maxFill) < target + 480 + 240,
                 qPrintable(QString::number(after.maxFill)));
        QVERIFY(maxAbsDiff(std::span<const std::int16_t>(heard).subspan(48000)) <
                maxSlope(kToneHz) * 1.35);
    }

    void playbackUnderrunIsPaddedOnce() {
        // The media thread stalls 150 ms: the device underruns, push() notices and pads the
        // ring back to the target; one underrun event, not a series.
        PlaybackSim sim(0.002, 240);
        std::vector<std::int16_t> heard;
        sim.run(2000, heard);
        const auto before = sim.consumerUnderruns();
        Stats after;
        sim.run(
            1000, heard, &after, 100, [](double) { return false; },
            [](double t) { return t >= 20.0 && t < 20.15; });
        QVERIFY(sim.consumerUnderruns() > before);
        QCOMPARE(sim.comp().underruns(), std::uint64_t{1});
        checkFillNearTarget(after, sim.comp());
    }
};

QTEST_APPLESS_MAIN(TestDriftCompensator)
#include "TestDriftCompensator.moc"
