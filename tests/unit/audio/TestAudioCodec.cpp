// Opus wrappers, the tone generator, Goertzel/RMS levels and the time stretcher.

#include "diyuma/audio/AudioFormat.h"
#include "diyuma/audio/Goertzel.h"
#include "diyuma/audio/OpusDecoder.h"
#include "diyuma/audio/OpusEncoder.h"
#include "diyuma/audio/TimeStretch.h"
#include "diyuma/audio/Tone.h"

#include <QtTest/QtTest>
#include <vector>

using namespace diyuma::core;

namespace {
/// Encodes `frames` 20 ms frames of a tone; returns the packets.
std::vector<std::vector<std::uint8_t>> encodeTone(OpusEncoder& encoder, double hz, int frames) {
    ToneGenerator tone(hz);
    std::vector<std::vector<std::uint8_t>> packets;
    std::array<std::int16_t, kFrameSamples> pcm{};
    std::array<std::uint8_t, OpusEncoder::kMaxPacketBytes> out{};
    for (int i = 0; i < frames; ++i) {
        tone.generate(pcm);
        const int bytes = encoder.encode(pcm, out);
        if (bytes < 0)
            qFatal("encode failed");
        packets.emplace_back(out.begin(), out.begin() + bytes);
    }
    return packets;
}
} // namespace

class TestAudioCodec : public QObject {
    Q_OBJECT
private slots:
    void goertzelFindsToneAndRejectsOthers() {
        ToneGenerator tone(440.0, -12.0);
        std::vector<std::int16_t> pcm(4800); // 100 ms
        tone.generate(pcm);
        const double at440 = toneLevelDbfs(pcm, 440.0);
        QVERIFY2(std::abs(at440 - -12.0) < 1.0, qPrintable(QString::number(at440)));
        const double at620 = toneLevelDbfs(pcm, 620.0);
        QVERIFY2(at620 < -60.0, qPrintable(QString::number(at620)));
        // Off-bin frequencies and other lengths read the same level.
        ToneGenerator odd(1234.5, -30.0);
        std::vector<std::int16_t> other(3331);
        odd.generate(other);
        QVERIFY(std::abs(toneLevelDbfs(other, 1234.5) - -30.0) < 1.0);
        QCOMPARE(toneLevelDbfs({}, 440.0), kSilenceDbfs);
        std::vector<std::int16_t> zeros(480, 0);
        QCOMPARE(toneLevelDbfs(zeros, 440.0), kSilenceDbfs);
    }

    void rmsOfFullScaleSine() {
        ToneGenerator tone(1000.0, 0.0);
        std::vector<std::int16_t> pcm(48000);
        tone.generate(pcm);
        QVERIFY(std::abs(rmsDbfs(pcm) - -3.01) < 0.05);
        QVERIFY(std::abs(toneLevelDbfs(pcm, 1000.0)) < 0.1);
        QCOMPARE(rmsDbfs({}), kSilenceDbfs);
    }

    void tonePhaseIsContinuous() {
        ToneGenerator a(440.0);
        ToneGenerator b(440.0);
        std::vector<std::int16_t> whole(4800);
        a.generate(whole);
        std::vector<std::int16_t> pieces;
        std::array<std::int16_t, 480> block{};
        for (int i = 0; i < 10; ++i) {
            b.generate(block);
            pieces.insert(pieces.end(), block.begin(), block.end());
        }
        QCOMPARE(pieces, whole);
        const auto peak = *std::max_element(whole.begin(), whole.end());
        QVERIFY(std::abs(peak - 32767 * 0.2512) < 20); // -12 dBFS
    }

    void encoderSettingsAndErrors() {
        auto encoder = OpusEncoder::create(24000);
        QVERIFY(encoder.ok());
        QCOMPARE(encoder->bitrateBps(), 24000);
        QVERIFY(encoder->setBitrate(64000));
        QCOMPARE(encoder->bitrateBps(), 64000);
        QVERIFY(encoder->setExpectedLossPercent(20));
        QVERIFY(!encoder->setExpectedLossPercent(101));
        // VOIP mode: 6.5 ms of algorithmic delay (see OpusEncoder.h for why not LOWDELAY).
        QCOMPARE(encoder->lookaheadSamples(), 312);
        qInfo("Opus VOIP lookahead: %d samples (%.1f ms)", encoder->lookaheadSamples(),
              encoder->lookaheadSamples() / 48.0);
        std::array<std::int16_t, 480> tooShort{};
        std::array<std::uint8_t, 1500> out{};
        QCOMPARE(encoder->encode(tooShort, out), -1);
        auto bad = OpusEncoder::create(-5);
        QVERIFY(!bad.ok());
        QVERIFY(bad.error().message.find("opus") != std::string::npos);
        // Moved-from wrappers fail cleanly instead of crashing.
        OpusEncoder moved = std::move(encoder.value());
        std::array<std::int16_t, kFrameSamples> frame{};
        QCOMPARE(encoder->encode(frame, out), -1);
        QVERIFY(moved.encode(frame, out) > 0);
    }

    void opusRoundTripKeepsTheTone() {
        auto encoder = OpusEncoder::create();
        auto decoder = OpusDecoder::create();
        QVERIFY(encoder.ok() && decoder.ok());
        const auto packets = encodeTone(*encoder, 440.0, 100);
        std::vector<std::int16_t> decoded;
        std::array<std::int16_t, kMaxOpusFrameSamples> out{};
        for (const auto& p : packets) {
            QCOMPARE(OpusDecoder::packetSamples(p), kFrameSamples);
            const int n = decoder->decode(p, out);
            QCOMPARE(n, kFrameSamples);
            decoded.insert(decoded.end(), out.begin(), out.begin() + n);
        }
        const auto steady = std::span(decoded).subspan(48000 / 2); // skip the first 0.5 s
        const double level = toneLevelDbfs(steady, 440.0);
        QVERIFY2(std::abs(level - -12.0) < 2.0, qPrintable(QString::number(level)));
        QVERIFY(toneLevelDbfs(steady, 620.0) < level - 40.0);
        // Bitrate: 32 kbps means ~80 bytes per 20 ms.
        std::size_t bytes = 0;
        for (const auto& p : packets)
            bytes += p.size();
        qInfo("Opus 32 kbps tone: %.1f bytes per packet",
              static_cast<double>(bytes) / static_cast<double>(packets.size()));
        QVERIFY(bytes / packets.size() < 160);
    }

    void fecRebuildsALostFrame() {
        auto encoder = OpusEncoder::create();
        auto withFec = OpusDecoder::create();
        auto plcOnly = OpusDecoder::create();
        QVERIFY(encoder.ok() && withFec.ok() && plcOnly.ok());
        // A tone that changes frequency exactly at the lost frame: PLC can only continue the
        // old one, FEC carries the new one.
        auto packets = encodeTone(*encoder, 440.0, 50);
        auto after = encodeTone(*encoder, 880.0, 10);
        packets.insert(packets.end(), after.begin(), after.end());
        std::array<std::int16_t, kMaxOpusFrameSamples> out{};
        for (std::size_t i = 0; i < 50; ++i) {
            QVERIFY(withFec->decode(packets[i], out) == kFrameSamples);
            QVERIFY(plcOnly->decode(packets[i], out) == kFrameSamples);
        }
        // Frames 50 and 51 are 880 Hz; 50 is lost.
        std::array<std::int16_t, kFrameSamples> fec{};
        QCOMPARE(withFec->decodeFec(packets[51], fec), kFrameSamples);
        std::array<std::int16_t, kFrameSamples> plc{};
        QCOMPARE(plcOnly->conceal(plc), kFrameSamples);
        const double fec880 = toneLevelDbfs(std::span(fec).last(480), 880.0);
        const double plc880 = toneLevelDbfs(std::span(plc).last(480), 880.0);
        qInfo("lost frame at 880 Hz: FEC %.1f dBFS, PLC %.1f dBFS", fec880, plc880);
        QVERIFY2(fec880 > -20.0, qPrintable(QString::number(fec880)));
        QVERIFY(fec880 > plc880 + 10.0);
        // Decoding continues normally after the recovered frame.
        QCOMPARE(withFec->decode(packets[51], out), kFrameSamples);
        QVERIFY(toneLevelDbfs(std::span(out).first(kFrameSamples), 880.0) > -16.0);
    }

    void decoderRejectsBadInput() {
        auto decoder = OpusDecoder::create();
        QVERIFY(decoder.ok());
        std::array<std::int16_t, kMaxOpusFrameSamples> out{};
        const std::uint8_t garbage[] = {0x03};
        QCOMPARE(decoder->decode(garbage, out), -1);
        QCOMPARE(OpusDecoder::packetSamples(garbage), -1);
        QCOMPARE(OpusDecoder::packetSamples({}), -1);
        std::array<std::int16_t, 100> odd{};
        QCOMPARE(decoder->conceal(odd), -1); // not a multiple of 2.5 ms
        QCOMPARE(decoder->conceal(std::span(out).first(480)), 480);
    }

    void dtxSendsNothingForSilence() {
        auto encoder = OpusEncoder::create();
        QVERIFY(encoder.ok());
        std::array<std::int16_t, kFrameSamples> silence{};
        std::array<std::uint8_t, 1500> out{};
        int dtxFrames = 0;
        for (int i = 0; i < 100; ++i) {
            const int n = encoder->encode(silence, out);
            QVERIFY(n >= 0);
            dtxFrames += n <= 2 ? 1 : 0;
        }
        QVERIFY2(dtxFrames > 70, qPrintable(QString::number(dtxFrames)));
    }

    void timeStretchKeepsPitchAndEnds() {
        ToneGenerator tone(440.0);
        std::vector<std::int16_t> frame(kFrameSamples);
        tone.generate(frame);
        std::vector<std::int16_t> out(kFrameSamples + 720);
        const std::size_t shorter = shortenFrame(frame, 240, 720, out);
        QVERIFY(shorter >= kFrameSamples - 720 && shorter <= kFrameSamples - 240);
        QCOMPARE(out.front(), frame.front());
        QCOMPARE(out[shorter - 1], frame.back());
        // On a pure tone the cut is a whole number of periods (48000 / 440 = 109.1 samples).
        const double periods = static_cast<double>(kFrameSamples - shorter) / (48000.0 / 440.0);
        QVERIFY2(std::abs(periods - std::round(periods)) < 0.05,
                 qPrintable(QString::number(periods)));
        QVERIFY(std::abs(toneLevelDbfs(std::span(out).first(shorter), 440.0) - -12.0) < 1.0);

        const std::size_t longer = lengthenFrame(frame, 240, 720, out);
        QVERIFY(longer >= kFrameSamples + 240 && longer <= kFrameSamples + 720);
        QCOMPARE(out.front(), frame.front());
        QCOMPARE(out[longer - 1], frame.back());
        QVERIFY(std::abs(toneLevelDbfs(std::span(out).first(longer), 440.0) - -12.0) < 1.0);
        // Too short to stretch: copied unchanged.
        QCOMPARE(shortenFrame(std::span(frame).first(300), 240, 720, out), std::size_t{300});
    }
};

QTEST_GUILESS_MAIN(TestAudioCodec)
#include "TestAudioCodec.moc"
