// makeAudioProcessor(): options, both backends, rejected options, and inputs that must never
// break a processor (wrong block sizes, silence, full-scale noise, clipping).

#include "diyuma/audio/AudioFormat.h"
#include "diyuma/devices/AudioProcessing.h"

#include <QtTest/QtTest>
#include <array>
#include <cmath>
#include <cstdlib>
#include <random>
#include <vector>

using namespace diyuma;
using devices::AudioProcessingBackend;
using devices::AudioProcessingErrorCode;
using devices::AudioProcessingOptions;

Q_DECLARE_METATYPE(diyuma::devices::AudioProcessingBackend)

namespace {

constexpr std::size_t kBlock = static_cast<std::size_t>(core::kBlockSamples);

AudioProcessingOptions options(bool aec, bool ns, bool agc) {
    AudioProcessingOptions o;
    o.echoCancellation = aec;
    o.noiseSuppression = ns;
    o.gainControl = agc;
    return o;
}

int peakOf(std::span<const std::int16_t> x) {
    int peak = 0;
    for (std::int16_t v : x) {
        peak = std::max(peak, std::abs(int(v)));
    }
    return peak;
}

} // namespace

class TestProcessingFactory : public QObject {
    Q_OBJECT
private slots:
    void backendData() {
        QTest::addColumn<AudioProcessingBackend>("backend");
        QTest::newRow("webrtc") << AudioProcessingBackend::WebRtc;
        QTest::newRow("speex") << AudioProcessingBackend::Speex;
    }

    void defaultIsTheMeasuredChoice() {
        QCOMPARE(devices::kDefaultAudioProcessingBackend, AudioProcessingBackend::WebRtc);
        auto p = devices::makeAudioProcessor();
        QVERIFY2(p.ok(), p.ok() ? "" : p.error().message.c_str());
        QVERIFY(p.value() != nullptr);
        const AudioProcessingOptions defaults;
        QVERIFY(defaults.echoCancellation && defaults.noiseSuppression && defaults.gainControl);
    }

    void names() {
        QCOMPARE(devices::backendName(AudioProcessingBackend::WebRtc), std::string_view("webrtc"));
        QCOMPARE(devices::backendName(AudioProcessingBackend::Speex), std::string_view("speex"));
    }

    void everySwitchCombinationConstructs_data() { backendData(); }
    void everySwitchCombinationConstructs() {
        QFETCH(AudioProcessingBackend, backend);
        for (int bits = 0; bits < 8; ++bits) {
            auto o = options(bits & 1, bits & 2, bits & 4);
            o.deviceDelayMs = bits * 20;
            auto p = devices::makeAudioProcessor(backend, o);
            QVERIFY2(p.ok(), p.ok() ? "" : p.error().message.c_str());
            // And it processes a block.
            std::array<std::int16_t, kBlock> far{};
            std::array<std::int16_t, kBlock> mic{};
            p.value()->analyzePlayout(far);
            p.value()->processCapture(mic);
        }
    }

    void rangeLimitsAreAccepted_data() { backendData(); }
    void rangeLimitsAreAccepted() {
        QFETCH(AudioProcessingBackend, backend);
        AudioProcessingOptions o;
        o.deviceDelayMs = devices::kMaxDeviceDelayMs;
        o.echoTailMs = devices::kMinEchoTailMs;
        QVERIFY(devices::makeAudioProcessor(backend, o).ok());
        o.deviceDelayMs = 0;
        o.echoTailMs = devices::kMaxEchoTailMs;
        QVERIFY(devices::makeAudioProcessor(backend, o).ok());
    }

    void badOptionsAreRejected_data() {
        QTest::addColumn<AudioProcessingBackend>("backend");
        QTest::addColumn<int>("delayMs");
        QTest::addColumn<int>("tailMs");
        QTest::addColumn<QString>("mentions");
        for (auto backend : {AudioProcessingBackend::WebRtc, AudioProcessingBackend::Speex}) {
            const QString b = QString::fromUtf8(devices::backendName(backend).data());
            QTest::newRow(qPrintable(b + " negative delay")) << backend << -1 << 250 << "delay";
            QTest::newRow(qPrintable(b + " delay too long"))
                << backend << devices::kMaxDeviceDelayMs + 1 << 250 << "delay";
            QTest::newRow(qPrintable(b + " tail too short"))
                << backend << 0 << devices::kMinEchoTailMs - 1 << "tail";
            QTest::newRow(qPrintable(b + " tail too long"))
                << backend << 0 << devices::kMaxEchoTailMs + 1 << "tail";
        }
    }
    void badOptionsAreRejected() {
        QFETCH(AudioProcessingBackend, backend);
        QFETCH(int, delayMs);
        QFETCH(int, tailMs);
        QFETCH(QString, mentions);
        AudioProcessingOptions o;
        o.deviceDelayMs = delayMs;
        o.echoTailMs = tailMs;
        auto p = devices::makeAudioProcessor(backend, o);
        QVERIFY(!p.ok());
        QCOMPARE(p.error().code, int(AudioProcessingErrorCode::BadOption));
        const QString message = QString::fromStdString(p.error().message);
        QVERIFY2(message.contains(mentions), qPrintable(message));
        QVERIFY2(message.contains(QString::number(mentions == "delay" ? delayMs : tailMs)),
                 qPrintable(message));
    }

    void unknownBackendIsRejected() {
        auto p = devices::makeAudioProcessor(static_cast<AudioProcessingBackend>(7));
        QVERIFY(!p.ok());
        QCOMPARE(p.error().code, int(AudioProcessingErrorCode::BadOption));
        QVERIFY2(p.error().message.find("unknown backend") != std::string::npos,
                 p.error().message.c_str());
    }

    void wrongBlockSizeIsLeftAlone_data() { backendData(); }
    void wrongBlockSizeIsLeftAlone() {
        QFETCH(AudioProcessingBackend, backend);
        auto p = devices::makeAudioProcessor(backend);
        QVERIFY(p.ok());
        std::vector<std::int16_t> odd(kBlock - 1, 1234);
        p.value()->analyzePlayout(odd);
        p.value()->processCapture(odd);
        QVERIFY(std::all_of(odd.begin(), odd.end(), [](std::int16_t v) { return v == 1234; }));
        std::vector<std::int16_t> none;
        p.value()->analyzePlayout(none);
        p.value()->processCapture(none);
    }

    void allStagesOffChangesLittle_data() { backendData(); }
    void allStagesOffChangesLittle() {
        // With every switch off the microphone must pass (WebRtc keeps its 80 Hz high-pass;
        // a 1 kHz tone goes through it unchanged in level).
        QFETCH(AudioProcessingBackend, backend);
        auto p = devices::makeAudioProcessor(backend, options(false, false, false));
        QVERIFY(p.ok());
        double inPower = 0;
        double outPower = 0;
        std::array<std::int16_t, kBlock> far{};
        std::array<std::int16_t, kBlock> mic{};
        for (int b = 0; b < 100; ++b) {
            for (std::size_t i = 0; i < kBlock; ++i) {
                const double t = double(b * kBlock + i) / core::kSampleRateHz;
                mic[i] = static_cast<std::int16_t>(8000 * std::sin(2 * M_PI * 1000 * t));
                far[i] = mic[i];
            }
            const auto in = mic;
            p.value()->analyzePlayout(far);
            p.value()->processCapture(mic);
            if (b >= 20) {
                for (std::size_t i = 0; i < kBlock; ++i) {
                    inPower += double(in[i]) * in[i];
                    outPower += double(mic[i]) * mic[i];
                }
            }
        }
        QVERIFY2(std::abs(10 * std::log10(outPower / inPower)) < 0.5,
                 qPrintable(QString::number(10 * std::log10(outPower / inPower))));
    }

    void silenceStaysSilentAfterClippingAndNoise_data() { backendData(); }
    void silenceStaysSilentAfterClippingAndNoise() {
        // Silence, then 3 s of full-scale noise and clipped square waves on both sides, then
        // silence again: the output must be silent (no ringing, no runaway gain) again.
        QFETCH(AudioProcessingBackend, backend);
        auto p = devices::makeAudioProcessor(backend, options(true, true, true));
        QVERIFY(p.ok());
        std::mt19937 rng(7);
        std::uniform_int_distribution<int> full(-32768, 32767);
        std::array<std::int16_t, kBlock> far{};
        std::array<std::int16_t, kBlock> mic{};
        auto block = [&](int kind, int b) {
            for (std::size_t i = 0; i < kBlock; ++i) {
                switch (kind) {
                case 0:
                    far[i] = mic[i] = 0;
                    break;
                case 1:
                    far[i] = static_cast<std::int16_t>(full(rng));
                    mic[i] = static_cast<std::int16_t>(full(rng));
                    break;
                default: // clipped square waves, 200 Hz and 310 Hz
                    far[i] = ((b * kBlock + i) / 120) % 2 ? 32767 : -32768;
                    mic[i] = ((b * kBlock + i) / 77) % 2 ? 32767 : -32768;
                    break;
                }
            }
            p.value()->analyzePlayout(far);
            p.value()->processCapture(mic);
            return peakOf(mic);
        };
        for (int b = 0; b < 200; ++b) {
            QVERIFY2(block(0, b) <= 1, "silence in, sound out before anything was played");
        }
        for (int b = 0; b < 300; ++b) {
            block(b < 150 ? 1 : 2, b);
        }
        int lastPeak = 0;
        for (int b = 0; b < 300; ++b) {
            lastPeak = block(0, b);
        }
        QVERIFY2(lastPeak <= 1, qPrintable(QString("peak %1 after 3 s of silence").arg(lastPeak)));
    }
};

QTEST_GUILESS_MAIN(TestProcessingFactory)
#include "TestProcessingFactory.moc"
