// Mixer: exact sums while they fit, a smooth limiter (never clipping) when they do not.

#include "diyuma/audio/AudioFormat.h"
#include "diyuma/audio/Goertzel.h"
#include "diyuma/audio/Mixer.h"
#include "diyuma/audio/Tone.h"

#include <QtTest/QtTest>
#include <vector>

using namespace diyuma::core;

class TestAudioMixer : public QObject {
    Q_OBJECT
private slots:
    void singleInputPassesUnchanged() {
        Mixer mixer;
        ToneGenerator tone(440.0, 0.0); // full scale
        std::array<std::int16_t, kBlockSamples> in{};
        std::array<std::int16_t, kBlockSamples> out{};
        for (int block = 0; block < 100; ++block) {
            tone.generate(in);
            if (block == 50)
                in[7] = -32768; // the most negative sample fits as well
            const std::span<const std::int16_t> inputs[] = {in};
            mixer.mix(inputs, out);
            QCOMPARE(out, in);
        }
        QCOMPARE(mixer.limitedSamples(), std::uint64_t{0});
    }

    void quietSumIsExact() {
        Mixer mixer;
        ToneGenerator a(440.0, -12.0);
        ToneGenerator b(620.0, -12.0);
        std::array<std::int16_t, kBlockSamples> x{};
        std::array<std::int16_t, kBlockSamples> y{};
        std::array<std::int16_t, kBlockSamples> out{};
        for (int block = 0; block < 50; ++block) {
            a.generate(x);
            b.generate(y);
            const std::span<const std::int16_t> inputs[] = {x, y};
            mixer.mix(inputs, out);
            for (std::size_t i = 0; i < out.size(); ++i)
                QCOMPARE(out[i], static_cast<std::int16_t>(x[i] + y[i]));
        }
        QCOMPARE(mixer.gain(), 1.0);
        // No inputs: silence; shorter inputs count as silence after their end.
        mixer.mix({}, out);
        QVERIFY(std::all_of(out.begin(), out.end(), [](std::int16_t v) { return v == 0; }));
        const std::span<const std::int16_t> shortInput[] = {std::span(x).first(10)};
        mixer.mix(shortInput, out);
        QCOMPARE(out[9], x[9]);
        QCOMPARE(out[10], std::int16_t{0});
    }

    void threeFullScaleInputsDoNotClip() {
        Mixer mixer;
        ToneGenerator a(440.0, 0.0);
        ToneGenerator b(440.0, 0.0);
        ToneGenerator c(440.0, 0.0);
        std::array<std::int16_t, kBlockSamples> x{};
        std::array<std::int16_t, kBlockSamples> y{};
        std::array<std::int16_t, kBlockSamples> z{};
        std::array<std::int16_t, kBlockSamples> out{};
        std::vector<std::int16_t> mixed;
        std::vector<double> gains; // out / sum where the sum is large
        for (int block = 0; block < 200; ++block) {
            a.generate(x);
            b.generate(y);
            c.generate(z);
            const std::span<const std::int16_t> inputs[] = {x, y, z};
            mixer.mix(inputs, out);
            for (std::size_t i = 0; i < out.size(); ++i) {
                const int sum = x[i] + y[i] + z[i];
                if (std::abs(sum) > 20000)
                    gains.push_back(static_cast<double>(out[i]) / sum);
            }
            mixed.insert(mixed.end(), out.begin(), out.end());
        }
        QVERIFY(mixer.limitedSamples() > 0);
        // Never more than full scale, and not flattened: after the attack the gain changes
        // slowly (no hard clipping, which would show as gain jumps from sample to sample).
        const auto [lo, hi] = std::minmax_element(mixed.begin(), mixed.end());
        QVERIFY(*hi <= 32767 && *lo >= -32768);
        int flatTops = 0;
        for (std::size_t i = 48000; i + 1 < mixed.size(); ++i)
            flatTops += (std::abs(mixed[i]) >= 32760 && mixed[i] == mixed[i + 1]) ? 1 : 0;
        QVERIFY2(flatTops < 10, qPrintable(QString::number(flatTops)));
        double maxStep = 0;
        for (std::size_t i = gains.size() / 2; i + 1 < gains.size(); ++i)
            maxStep = std::max(maxStep, std::abs(gains[i + 1] - gains[i]));
        QVERIFY2(maxStep < 0.01, qPrintable(QString::number(maxStep)));
        // Still a clean 440 Hz tone near full scale, no clipping harmonics.
        const auto steady = std::span(mixed).subspan(48000, 48000);
        const double fundamental = toneLevelDbfs(steady, 440.0);
        QVERIFY2(fundamental > -3.0, qPrintable(QString::number(fundamental)));
        QVERIFY(toneLevelDbfs(steady, 1320.0) < fundamental - 40.0);
    }

    void limiterReleasesSlowlyAfterALoudBurst() {
        Mixer mixer;
        ToneGenerator loud(300.0, 0.0);
        ToneGenerator loud2(300.0, 0.0);
        std::array<std::int16_t, kBlockSamples> x{};
        std::array<std::int16_t, kBlockSamples> y{};
        std::array<std::int16_t, kBlockSamples> out{};
        for (int block = 0; block < 10; ++block) {
            loud.generate(x);
            loud2.generate(y);
            const std::span<const std::int16_t> inputs[] = {x, y};
            mixer.mix(inputs, out);
        }
        QVERIFY(mixer.gain() < 0.6);
        // Quiet again: the gain recovers over a few hundred ms, not at once.
        std::array<std::int16_t, kBlockSamples> quiet{};
        quiet.fill(1000);
        const std::span<const std::int16_t> one[] = {quiet};
        mixer.mix(one, out);
        QVERIFY(mixer.gain() < 0.7);
        for (int block = 0; block < 400; ++block)
            mixer.mix(one, out);
        QCOMPARE(mixer.gain(), 1.0);
        QCOMPARE(out[0], std::int16_t{1000}); // exact again
    }
};

QTEST_GUILESS_MAIN(TestAudioMixer)
#include "TestAudioMixer.moc"
