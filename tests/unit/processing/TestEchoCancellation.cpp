// Echo cancellation on the synthetic echo scenario of bench/aec (EchoScenario.h: two espeak-ng
// talkers, 90 ms delay, 150 ms room, ERL 10 dB, far-end-only / double-talk / near-end-only).
// Asserts behaviour with margins well below what bench_erle measured (docs/PERFORMANCE.md,
// "Echo cancellation"); never time.

#include "diyuma/audio/AudioFormat.h"
#include "diyuma/devices/AudioProcessing.h"

#include "EchoScenario.h"

#include <QtTest/QtTest>
#include <random>

using namespace diyuma;
using devices::AudioProcessingBackend;
using devices::AudioProcessingOptions;

Q_DECLARE_METATYPE(diyuma::devices::AudioProcessingBackend)

namespace {

AudioProcessingOptions options(bool aec, bool ns, bool agc, int delayMs) {
    AudioProcessingOptions o;
    o.echoCancellation = aec;
    o.noiseSuppression = ns;
    o.gainControl = agc;
    o.deviceDelayMs = delayMs;
    return o;
}

QByteArray describe(const bench::EchoMetrics& m) {
    return QStringLiteral("ERLE %1 dB, converged %2 s, near-only %3 dB, double talk %4 dB")
        .arg(m.erleDb, 0, 'f', 1)
        .arg(m.convergenceSeconds, 0, 'f', 1)
        .arg(m.nearOnlyChangeDb, 0, 'f', 1)
        .arg(m.doubleTalkChangeDb, 0, 'f', 1)
        .toUtf8();
}

} // namespace

class TestEchoCancellation : public QObject {
    Q_OBJECT
    bench::EchoScenario m_scenario;

    bench::EchoMetrics run(AudioProcessingBackend backend, const AudioProcessingOptions& o) {
        auto p = devices::makeAudioProcessor(backend, o);
        if (!p.ok()) {
            qFatal("makeAudioProcessor: %s", p.error().message.c_str());
        }
        const auto out = bench::runProcessor(*p.value(), m_scenario);
        return bench::measureEcho(m_scenario, out, 0.0);
    }

private slots:
    void initTestCase() {
        auto s = bench::makeSpeechEchoScenario(bench::EchoScenarioConfig{});
        QVERIFY2(s.ok(), s.ok() ? "" : s.error().message.c_str());
        m_scenario = std::move(s.value());
        // The scenario itself: there is echo to cancel, and near-end speech to keep.
        QVERIFY(bench::erleDb(m_scenario, m_scenario.mic, 0, m_scenario.farOnlyEnd) < 1.0);
    }

    void defaultBackendCancelsEchoAndKeepsNearEnd() {
        // All stages on, as the app starts (measured: ERLE 49 dB, near-only +5.6 dB (AGC)).
        const auto m = run(devices::kDefaultAudioProcessingBackend,
                           options(true, true, true, m_scenario.config.echoDelayMs));
        QVERIFY2(m.erleDb >= 30.0, describe(m));
        QVERIFY2(m.convergenceSeconds >= 0 && m.convergenceSeconds <= 10.0, describe(m));
        // The AGC may lift the near end, but not bury it.
        QVERIFY2(m.nearOnlyChangeDb >= -3.0 && m.nearOnlyChangeDb <= 10.0, describe(m));
        QVERIFY2(m.doubleTalkChangeDb >= -10.0, describe(m));
    }

    void defaultBackendWithoutGainControlKeepsNearEndLevel() {
        // Without the AGC the near end must come out at its own level (measured -0.5 dB).
        const auto m = run(devices::kDefaultAudioProcessingBackend,
                           options(true, true, false, m_scenario.config.echoDelayMs));
        QVERIFY2(m.erleDb >= 30.0, describe(m));
        QVERIFY2(std::abs(m.nearOnlyChangeDb) <= 3.0, describe(m));
    }

    void defaultBackendNeedsNoReportedDelay() {
        // The app's delay estimate may be missing: delay-agnostic mode finds it.
        const auto m = run(devices::kDefaultAudioProcessingBackend, options(true, true, false, 0));
        QVERIFY2(m.erleDb >= 30.0, describe(m));
    }

    void echoCancellationOffLeavesTheEcho_data() {
        QTest::addColumn<AudioProcessingBackend>("backend");
        QTest::addColumn<double>("minErleDb");
        QTest::newRow("webrtc") << AudioProcessingBackend::WebRtc << 25.0; // measured 34.8
        QTest::newRow("speex") << AudioProcessingBackend::Speex << 15.0;   // measured 25.1
    }
    void echoCancellationOffLeavesTheEcho() {
        // The same processor with only the AEC switched on, then off: the figure must drop
        // to nothing, so the ERLE assertions above measure the echo canceller.
        QFETCH(AudioProcessingBackend, backend);
        QFETCH(double, minErleDb);
        const int delay = m_scenario.config.echoDelayMs;
        const auto on = run(backend, options(true, false, false, delay));
        const auto off = run(backend, options(false, false, false, delay));
        QVERIFY2(on.erleDb >= minErleDb, describe(on));
        QVERIFY2(off.erleDb <= 3.0, describe(off));
        QVERIFY2(on.erleDb - off.erleDb >= 12.0, describe(on) + " vs off: " + describe(off));
        QVERIFY2(std::abs(on.nearOnlyChangeDb) <= 3.0, describe(on));
    }

    void recoversAfterSilenceAndClipping() {
        // 2 s of silence, then 2 s of full-scale noise and clipped square waves on both sides,
        // then the scenario: the canceller must still converge and keep the near end.
        auto p =
            devices::makeAudioProcessor(devices::kDefaultAudioProcessingBackend,
                                        options(true, true, false, m_scenario.config.echoDelayMs));
        QVERIFY(p.ok());
        std::mt19937 rng(3);
        std::uniform_int_distribution<int> full(-32768, 32767);
        std::vector<std::int16_t> far(core::kBlockSamples);
        std::vector<std::int16_t> mic(core::kBlockSamples);
        for (int b = 0; b < 400; ++b) {
            for (std::size_t i = 0; i < far.size(); ++i) {
                if (b < 200) {
                    far[i] = mic[i] = 0;
                } else if (b < 300) {
                    far[i] = static_cast<std::int16_t>(full(rng));
                    mic[i] = static_cast<std::int16_t>(full(rng));
                } else {
                    far[i] = (i / 60) % 2 ? 32767 : -32768;
                    mic[i] = (i / 40) % 2 ? -32768 : 32767;
                }
            }
            p.value()->analyzePlayout(far);
            p.value()->processCapture(mic);
        }
        const auto out = bench::runProcessor(*p.value(), m_scenario);
        const auto m = bench::measureEcho(m_scenario, out, 0.0);
        QVERIFY2(m.erleDb >= 25.0, describe(m));
        QVERIFY2(std::abs(m.nearOnlyChangeDb) <= 3.0, describe(m));
    }
};

QTEST_GUILESS_MAIN(TestEchoCancellation)
#include "TestEchoCancellation.moc"
