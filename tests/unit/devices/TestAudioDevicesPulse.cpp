// The real PortAudio path (ALSA -> pulse plugin -> a private PulseAudio daemon with null
// sinks): device lists, the fallback to the default device, a loopback that carries a tone
// from a source to a recorded sink through CaptureDevice and PlaybackDevice for 8 s with the
// rings and drift compensators bounded, a click's round trip (the latency figure), and a
// daemon killed mid-stream (Failed with a message, then reopen() against a new daemon).
//
// Labelled integration: needs pulseaudio, pulseaudio-utils and libasound2-plugins. Never
// skipped: if the daemon cannot start, initTestCase fails and says why.

#include "diyuma/audio/AudioFormat.h"
#include "diyuma/audio/Goertzel.h"
#include "diyuma/audio/WavFile.h"
#include "diyuma/devices/AudioDevices.h"

#include "PulseAudioServer.h"

#include <sys/resource.h>

#include <QtTest/QtTest>
#include <algorithm>
#include <array>
#include <chrono>
#include <thread>
#include <vector>

using namespace diyuma;
using namespace diyuma::devices;
using Block = std::array<std::int16_t, core::kBlockSamples>;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr double kToneHz = 1000.0;
constexpr double kToneDbfs = -12.0;

double cpuSeconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec) + double(usage.ru_stime.tv_sec) +
           (double(usage.ru_utime.tv_usec) + double(usage.ru_stime.tv_usec)) / 1e6;
}

/// The media thread's loop as the app runs it: absolute 10 ms deadlines on the steady
/// clock; `perBlock(index, ok, block)` may change the block before it is played. Returns the
/// longest readBlock + playBlock call, in ms.
template <typename PerBlock>
double pump(CaptureDevice* capture, PlaybackDevice* playback, int blocks, PerBlock perBlock) {
    Block block{};
    auto deadline = SteadyClock::now();
    double longestMs = 0;
    for (int i = 0; i < blocks; ++i) {
        deadline += std::chrono::milliseconds(10);
        std::this_thread::sleep_until(deadline);
        const auto t0 = SteadyClock::now();
        bool ok = false;
        if (capture)
            ok = capture->readBlock(block);
        else
            block.fill(0);
        perBlock(i, ok, block);
        if (playback)
            playback->playBlock({}, block);
        longestMs = std::max(
            longestMs, std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count());
    }
    return longestMs;
}

QString describe(const DeviceStats& s) {
    return QString("drift ratio %1%9, fill %2 ms (target %3), stream latency %4 ms, underruns "
                   "%5, drops %6, overflow %7, callbacks %8")
        .arg(s.driftRatio, 0, 'f', 6)
        .arg(s.fillMs, 0, 'f', 1)
        .arg(s.targetFillMs, 0, 'f', 1)
        .arg(s.streamLatencyMs, 0, 'f', 1)
        .arg(s.underruns)
        .arg(s.drops)
        .arg(s.overflowSamples)
        .arg(s.callbacks)
        .arg(s.driftLocked ? " (locked)" : " (acquiring)");
}

} // namespace

class TestAudioDevicesPulse : public QObject {
    Q_OBJECT

    test::PulseAudioServer m_server;
    std::unique_ptr<AudioSystem> m_system;

    void openBoth(std::unique_ptr<CaptureDevice>& capture,
                  std::unique_ptr<PlaybackDevice>& playback) {
        auto c = CaptureDevice::open(*m_system, "");
        QVERIFY2(c.ok(), c.ok() ? "" : c.error().message.c_str());
        auto p = PlaybackDevice::open(*m_system, "");
        QVERIFY2(p.ok(), p.ok() ? "" : p.error().message.c_str());
        capture = std::move(c.value());
        playback = std::move(p.value());
        QCOMPARE(capture->status(), DeviceStatus::Running);
        QCOMPARE(playback->status(), DeviceStatus::Running);
    }

private slots:
    void initTestCase() {
        // Before Pa_Initialize: the environment must point ALSA and libpulse at our daemon.
        QVERIFY2(m_server.start(), qPrintable("PulseAudio did not start: " + m_server.error()));
        auto system = AudioSystem::create();
        QVERIFY2(system.ok(), system.ok() ? "" : system.error().message.c_str());
        m_system = std::move(system.value());
    }

    /// The daemon is the test's instrument: if it died between two tests (it should not;
    /// its log says why), the next test gets a new one instead of failing on it.
    void init() {
        if (m_server.running())
            return;
        qWarning("the PulseAudio daemon is gone; its log:\n%s", qPrintable(m_server.log()));
        QVERIFY2(m_server.start(), qPrintable("PulseAudio did not start: " + m_server.error()));
    }

    void cleanupTestCase() {
        m_system.reset();
        m_server.stopHelpers();
        m_server.stopDaemon();
    }

    void enumeratesPulseDevices() {
        const auto inputs = m_system->inputDevices();
        const auto outputs = m_system->outputDevices();
        QStringList names;
        for (const auto& d : inputs)
            names << QString::fromStdString(d.name) + (d.isDefault ? " (default)" : "");
        qInfo("inputs: %s", qPrintable(names.join(", ")));
        const auto has = [](const std::vector<DeviceInfo>& list, const std::string& name) {
            return std::any_of(list.begin(), list.end(),
                               [&](const DeviceInfo& d) { return d.name == name; });
        };
        QVERIFY(has(inputs, "ALSA: pulse"));
        QVERIFY(has(inputs, "ALSA: default"));
        QVERIFY(has(outputs, "ALSA: pulse"));
        QVERIFY(has(outputs, "ALSA: default"));
        QCOMPARE(std::count_if(inputs.begin(), inputs.end(),
                               [](const DeviceInfo& d) { return d.isDefault; }),
                 1);
        QCOMPARE(std::count_if(outputs.begin(), outputs.end(),
                               [](const DeviceInfo& d) { return d.isDefault; }),
                 1);
        for (const auto& d : inputs)
            QVERIFY(d.maxChannels > 0);
    }

    void unknownNameFallsBackToDefault() {
        std::string defaultInput;
        for (const auto& d : m_system->inputDevices())
            if (d.isDefault)
                defaultInput = d.name;
        auto capture = CaptureDevice::open(*m_system, "Nonexistent API: no such microphone");
        QVERIFY2(capture.ok(), capture.ok() ? "" : capture.error().message.c_str());
        QCOMPARE(capture.value()->usedDeviceName(), defaultInput);
        auto playback = PlaybackDevice::open(*m_system, "Nonexistent API: no such speaker");
        QVERIFY2(playback.ok(), playback.ok() ? "" : playback.error().message.c_str());
        QVERIFY(!playback.value()->usedDeviceName().empty());
        // A name that exists is used as it is.
        auto named = CaptureDevice::open(*m_system, "ALSA: pulse");
        QVERIFY2(named.ok(), named.ok() ? "" : named.error().message.c_str());
        QCOMPARE(named.value()->usedDeviceName(), std::string("ALSA: pulse"));
        // No rescan while streams are open.
        QVERIFY(!m_system->reinitialize().ok());
    }

    void loopbackCarriesTheTone() {
        QVERIFY2(m_server.startTone(kToneHz, kToneDbfs, 60), qPrintable(m_server.error()));
        const QString wav = m_server.path("loopback.wav");
        QVERIFY2(m_server.startRecording(wav), qPrintable(m_server.error()));
        std::unique_ptr<CaptureDevice> capture;
        std::unique_ptr<PlaybackDevice> playback;
        openBoth(capture, playback);
        if (QTest::currentTestFailed())
            return;

        int firstOk = -1;
        int okBlocks = 0;
        std::uint64_t captureUnderrunsSettled = 0;
        std::uint64_t playbackUnderrunsSettled = 0;
        std::uint64_t playbackDropsSettled = 0;
        std::vector<std::int16_t> captured;
        float maxLevel = -100;
        const double cpu0 = cpuSeconds();
        const auto t0 = SteadyClock::now();
        constexpr int kBlocks = 800; // 8 s
        const double longestMs =
            pump(capture.get(), playback.get(), kBlocks, [&](int i, bool ok, const Block& block) {
                if (ok) {
                    ++okBlocks;
                    if (firstOk < 0)
                        firstOk = i;
                }
                if (firstOk >= 0 && i == firstOk + 50) { // 0.5 s after audio started
                    captureUnderrunsSettled = capture->stats().underruns;
                    playbackUnderrunsSettled = playback->stats().underruns;
                    playbackDropsSettled = playback->stats().drops;
                }
                if (i >= kBlocks - 300)
                    captured.insert(captured.end(), block.begin(), block.end());
                maxLevel = std::max(maxLevel, capture->levelDbfs());
            });
        const double wall = std::chrono::duration<double>(SteadyClock::now() - t0).count();
        const double cpu = cpuSeconds() - cpu0;
        const DeviceStats cs = capture->stats();
        const DeviceStats ps = playback->stats();
        qInfo("capture:  %s", qPrintable(describe(cs)));
        qInfo("playback: %s", qPrintable(describe(ps)));
        qInfo("first audio block %d (%.0f ms after start), audio blocks %d/%d, longest media "
              "call %.2f ms, CPU of this process %.1f %% of one core over %.1f s",
              firstOk, firstOk * 10.0, okBlocks, kBlocks, longestMs, 100 * cpu / wall, wall);

        QCOMPARE(capture->status(), DeviceStatus::Running);
        QCOMPARE(playback->status(), DeviceStatus::Running);
        QVERIFY2(firstOk >= 0 && firstOk < 300, "no captured audio within 3 s");
        // After the first half second of audio: no repeated underruns, nothing dropped.
        QVERIFY2(cs.underruns <= captureUnderrunsSettled + 1, qPrintable(describe(cs)));
        QVERIFY2(ps.underruns <= playbackUnderrunsSettled + 1, qPrintable(describe(ps)));
        // The output stream's first callbacks come in a burst, then it waits for the server
        // (~1.3 s): the backlog of that start is dropped once. After that at most one more
        // (a stall of the server or of this process on a loaded machine, as the one underrun
        // above; seen once in CTest runs with another test on both cores), never a series.
        QCOMPARE(cs.drops, std::uint64_t{0});
        QCOMPARE(cs.overflowSamples, std::uint64_t{0});
        QVERIFY2(ps.drops <= playbackDropsSettled + 1, qPrintable(describe(ps)));
        // The pulse server's clock is the steady clock here: the ratio stays near 1 and the
        // fill near its target.
        QVERIFY2(std::abs(cs.driftRatio - 1) < 0.005, qPrintable(describe(cs)));
        QVERIFY2(std::abs(ps.driftRatio - 1) < 0.005, qPrintable(describe(ps)));
        QVERIFY2(std::abs(cs.fillMs - cs.targetFillMs) < 15, qPrintable(describe(cs)));
        QVERIFY2(std::abs(ps.fillMs - ps.targetFillMs) < 15, qPrintable(describe(ps)));
        QVERIFY(maxLevel > -14 && maxLevel < -10); // a -12 dBFS sine peaks at -12 dBFS

        // What the capture device delivered: the tone, in 100 ms windows (the ratio may still
        // move by a few hundred ppm, which one long Goertzel window would read as less level).
        // The one underrun allowed above reads as a window a little lower: all but one within
        // 1 dB, that one within 4 dB.
        QStringList capturedLevels;
        int off = 0;
        bool farOff = false;
        for (std::size_t k = 0; k + 4800 <= captured.size(); k += 4800) {
            const double level = core::toneLevelDbfs(std::span(captured).subspan(k, 4800), kToneHz);
            capturedLevels << QString("%1@%2").arg(level, 0, 'f', 1).arg(k / 480);
            off += std::abs(level - kToneDbfs) >= 1.0 ? 1 : 0;
            farOff = farOff || std::abs(level - kToneDbfs) >= 4.0;
        }
        QVERIFY2(!capturedLevels.isEmpty() && off <= 1 && !farOff,
                 qPrintable("captured dBFS@block: " + capturedLevels.join(' ')));

        // What reached the speaker: the same tone, at its frequency.
        m_server.stopRecording();
        auto recording = core::readAudioFileAs48kMono(wav.toStdString());
        QVERIFY2(recording.ok(), recording.ok() ? "" : recording.error().message.c_str());
        const auto& rec = recording.value();
        QVERIFY2(rec.size() > 5 * 48000, qPrintable(QString::number(rec.size())));
        // The recording also holds the time before the playback stream started and after
        // the loop ended: count the 100 ms windows that carry the tone cleanly.
        int windows = 0;
        int firstTone = -1;
        int lastTone = -1;
        int worstNeighbour = -200;
        QString levels; // dBFS of the tone per window, printed when a check fails
        for (std::size_t start = 0; start + 4800 <= rec.size(); start += 4800) {
            const auto w = std::span<const std::int16_t>(rec).subspan(start, 4800);
            // The drift compensator may still be pulling the fill in right after the output
            // stream starts (a pitch offset of up to its ratio clamp, 2.5 %, for a second or
            // so): take the tone at the strongest frequency within that, in 0.25 % steps.
            double level = -200;
            for (int k = -10; k <= 10; ++k)
                level = std::max(level, core::toneLevelDbfs(w, kToneHz * (1 + 0.0025 * k)));
            levels += QString(" %1").arg(level, 0, 'f', 1);
            if (std::abs(level - kToneDbfs) > 1.5)
                continue;
            const int index = static_cast<int>(start / 4800);
            firstTone = firstTone < 0 ? index : firstTone;
            lastTone = index;
            ++windows;
            const double neighbour = std::max({core::toneLevelDbfs(w, kToneHz * 0.8),
                                               core::toneLevelDbfs(w, kToneHz * 1.2),
                                               core::toneLevelDbfs(w, kToneHz * 2)});
            worstNeighbour = std::max(worstNeighbour, static_cast<int>(neighbour - level));
        }
        qInfo("speaker recording: %zu ms, tone in %d of the 100 ms windows %d..%d, strongest "
              "other frequency %d dB below it",
              rec.size() / 48, windows, firstTone, lastTone, -worstNeighbour);
        // parecord and the streams start at their own pace, so where the tone begins varies;
        // once it is there it must stay (a gap would be a dropout): at least 3 s of tone,
        // at most 2 windows without it.
        QVERIFY2(firstTone >= 0 && lastTone - firstTone + 1 >= 30,
                 qPrintable(QString("%1..%2:%3").arg(firstTone).arg(lastTone).arg(levels)));
        QVERIFY2(lastTone - firstTone + 1 - windows <= 2,
                 qPrintable(QString("%1:%2").arg(windows).arg(levels)));
        QVERIFY(worstNeighbour < -30);
        m_server.stopTone();
    }

    void clickRoundTripLatency() {
        // Capture what is played: move our capture stream to speaker.monitor, play clicks,
        // and count samples (media-thread time) from writing a click to reading it back.
        std::unique_ptr<CaptureDevice> capture;
        std::unique_ptr<PlaybackDevice> playback;
        openBoth(capture, playback);
        if (QTest::currentTestFailed())
            return;
        QByteArray list;
        QCOMPARE(m_server.pactl({"list", "short", "source-outputs"}, &list), 0);
        int moved = 0;
        for (const QByteArray& line : list.split('\n')) {
            const auto fields = line.simplified().split(' ');
            if (!fields.isEmpty() && !fields[0].isEmpty())
                moved += m_server.pactl({"move-source-output", QString::fromUtf8(fields[0]),
                                         "speaker.monitor"}) == 0;
        }
        QVERIFY2(moved >= 1, list.constData());

        constexpr int kClickEvery = 50; // blocks
        constexpr std::int16_t kClick = 16000;
        std::vector<long> sentAt;
        std::vector<double> latenciesMs;
        bool waiting = false;
        int lost = 0;
        long sample = 0;
        pump(capture.get(), playback.get(), 1200, [&](int i, bool ok, Block& block) {
            // Listen first (the block we just read), then replace it by what we play.
            if (ok && waiting) {
                for (std::size_t k = 0; k < block.size(); ++k)
                    if (std::abs(block[k]) > kClick / 2) {
                        latenciesMs.push_back(double(sample + long(k) - sentAt.back()) /
                                              core::kSamplesPerMs);
                        waiting = false;
                        break;
                    }
            }
            block.fill(0);
            if (waiting && sample - sentAt.back() > core::kSampleRateHz) {
                ++lost; // not back within a second (the playback stream was still starting)
                waiting = false;
            }
            if (i >= 200 && i % kClickEvery == 0 && !waiting) {
                block[0] = kClick;
                sentAt.push_back(sample);
                waiting = true;
            }
            sample += core::kBlockSamples;
        });
        QVERIFY2(latenciesMs.size() >= 15,
                 qPrintable(QString("%1 clicks back, %2 lost").arg(latenciesMs.size()).arg(lost)));
        QVERIFY(lost <= 2);
        std::sort(latenciesMs.begin(), latenciesMs.end());
        const DeviceStats cs = capture->stats();
        const DeviceStats ps = playback->stats();
        qInfo("click round trip (playBlock -> ring -> output stream -> pulse null sink monitor "
              "-> input stream -> ring -> readBlock), %zu clicks: min %.1f ms, median %.1f ms, "
              "max %.1f ms; ring targets %.0f + %.0f ms, stream latencies %.1f + %.1f ms",
              latenciesMs.size(), latenciesMs.front(), latenciesMs[latenciesMs.size() / 2],
              latenciesMs.back(), cs.targetFillMs, ps.targetFillMs, cs.streamLatencyMs,
              ps.streamLatencyMs);
        // A click that came back only after a second would be an echo of a later one.
        QVERIFY(latenciesMs.back() < 500);
        QVERIFY(latenciesMs.front() > 0);
    }

    void daemonKilledMidStream() {
        std::unique_ptr<CaptureDevice> capture;
        std::unique_ptr<PlaybackDevice> playback;
        openBoth(capture, playback);
        if (QTest::currentTestFailed())
            return;
        QVERIFY2(m_server.startTone(kToneHz, kToneDbfs, 60), qPrintable(m_server.error()));
        pump(capture.get(), playback.get(), 200, [](int, bool, Block&) {});
        QVERIFY(capture->stats().callbacks > 0);
        QVERIFY(playback->stats().callbacks > 0);

        m_server.killDaemon();
        // Keep the media loop running: both devices must notice and report, and no call may
        // hang (the loop itself would, and the test time out).
        int blocks = 0;
        double longestMs = 0;
        while (blocks < 1000 && (capture->status() != DeviceStatus::Failed ||
                                 playback->status() != DeviceStatus::Failed)) {
            longestMs = std::max(longestMs,
                                 pump(capture.get(), playback.get(), 10, [](int, bool, Block&) {}));
            blocks += 10;
        }
        qInfo("after the kill: failed after %d blocks, longest media call %.2f ms", blocks,
              longestMs);
        qInfo("capture error: %s", capture->lastError().c_str());
        qInfo("playback error: %s", playback->lastError().c_str());
        QCOMPARE(capture->status(), DeviceStatus::Failed);
        QCOMPARE(playback->status(), DeviceStatus::Failed);
        QVERIFY(!capture->lastError().empty());
        QVERIFY(!playback->lastError().empty());
        QCOMPARE(capture->levelDbfs(), -100.0F);

        // No daemon: reopen fails cleanly, with a message.
        const auto noServer = capture->reopen(*m_system);
        qInfo("reopen without a daemon: %s",
              noServer.ok() ? "ok" : noServer.error().message.c_str());
        if (noServer.ok()) {
            // Some setups open a PCM lazily: then it must fail soon after.
            pump(capture.get(), nullptr, 400, [](int, bool, Block&) {});
        }
        QCOMPARE(capture->status(), DeviceStatus::Failed);
        QVERIFY(!capture->lastError().empty());

        // A new daemon: reopen recovers, audio flows again.
        QVERIFY2(m_server.start(), qPrintable(m_server.error()));
        QVERIFY2(m_server.startTone(kToneHz, kToneDbfs, 60), qPrintable(m_server.error()));
        // As the app does (it retries a failed device), a reopen that comes before the new
        // daemon takes clients ("Illegal combination of I/O devices" from ALSA's pulse plugin)
        // is tried again, for up to 2 s.
        const auto reopenSoon = [&](auto& device) {
            auto status = device->reopen(*m_system);
            for (int attempt = 0; !status.ok() && attempt < 10; ++attempt) {
                QTest::qWait(200);
                status = device->reopen(*m_system);
            }
            return status;
        };
        const auto c = reopenSoon(capture);
        QVERIFY2(c.ok(), c.ok() ? "" : c.error().message.c_str());
        const auto p = reopenSoon(playback);
        QVERIFY2(p.ok(), p.ok() ? "" : p.error().message.c_str());
        QCOMPARE(capture->status(), DeviceStatus::Running);
        QCOMPARE(playback->status(), DeviceStatus::Running);
        std::vector<std::int16_t> captured;
        pump(capture.get(), playback.get(), 600, [&](int i, bool, const Block& block) {
            // After the new stream's start-up burst (and the drop of its backlog).
            if (i >= 400)
                captured.insert(captured.end(), block.begin(), block.end());
        });
        QCOMPARE(capture->status(), DeviceStatus::Running);
        QCOMPARE(playback->status(), DeviceStatus::Running);
        qInfo("after reopen: %s", qPrintable(describe(capture->stats())));
        // The tone is back, unbroken, at its level, in every 100 ms window. Its pitch is not
        // judged here: the kill came before the drift loop had locked on (a second after the
        // start), and on a loaded machine the new stream's start can keep it acquiring for a
        // few seconds, within tenths of a percent (loopbackCarriesTheTone judges the pitch).
        // So each window's level is the strongest within 1 % of the tone's frequency.
        // One window may hold a drift correction of the new stream (a drop or pad of a few
        // samples, which a Goertzel window reads a little lower): all but one within 1.5 dB,
        // that one within 4 dB.
        const auto levelNearTone = [](std::span<const std::int16_t> window) {
            double best = -200;
            for (double hz = kToneHz * 0.99; hz <= kToneHz * 1.01; hz += 2)
                best = std::max(best, core::toneLevelDbfs(window, hz));
            return best;
        };
        QStringList levels;
        int off = 0;
        bool farOff = false;
        for (std::size_t k = 0; k + 4800 <= captured.size(); k += 4800) {
            const double level = levelNearTone(std::span(captured).subspan(k, 4800));
            levels << QString::number(level, 'f', 1);
            off += std::abs(level - kToneDbfs) >= 1.5 ? 1 : 0;
            farOff = farOff || std::abs(level - kToneDbfs) >= 4.0;
        }
        QVERIFY2(levels.size() >= 15 && off <= 1 && !farOff, qPrintable(levels.join(' ')));
        QVERIFY(std::abs(core::rmsDbfs(captured) - (kToneDbfs - 3.01)) < 1.0);
    }
};

QTEST_GUILESS_MAIN(TestAudioDevicesPulse)
#include "TestAudioDevicesPulse.moc"
