// Sound files: WavWriter round trip, other rates and channel counts converted to 48 kHz
// mono with the tone intact, and clean errors for missing, broken and empty files.

#include "diyuma/audio/AudioFormat.h"
#include "diyuma/audio/Goertzel.h"
#include "diyuma/audio/Tone.h"
#include "diyuma/audio/WavFile.h"

#include <sndfile.h>

#include <QtTest/QtTest>
#include <cmath>
#include <fstream>
#include <numbers>
#include <random>
#include <vector>

using namespace diyuma::core;

namespace {
/// Writes `seconds` of a sine at `hz` (amplitude 0.25 = -12 dBFS) into every channel.
bool writeTone(const std::string& path, int format, int rateHz, int channels, double hz,
               double seconds) {
    SF_INFO info{};
    info.samplerate = rateHz;
    info.channels = channels;
    info.format = format;
    SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
    if (file == nullptr)
        return false;
    const auto frames = static_cast<std::size_t>(seconds * rateHz);
    std::vector<float> data(frames * static_cast<std::size_t>(channels));
    for (std::size_t f = 0; f < frames; ++f) {
        const double v =
            0.25 * std::sin(2.0 * std::numbers::pi * hz * static_cast<double>(f) / rateHz);
        for (int c = 0; c < channels; ++c)
            data[f * channels + c] = static_cast<float>(v);
    }
    const bool ok = sf_writef_float(file, data.data(), static_cast<sf_count_t>(frames)) ==
                    static_cast<sf_count_t>(frames);
    sf_close(file);
    return ok;
}
} // namespace

class TestAudioFiles : public QObject {
    Q_OBJECT
private slots:
    void writeThenReadBack() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("out.wav").toStdString();
        ToneGenerator tone(440.0);
        std::vector<std::int16_t> pcm(48000);
        tone.generate(pcm);
        {
            auto writer = WavWriter::create(path);
            QVERIFY2(writer.ok(), writer.ok() ? "" : writer.error().message.c_str());
            QVERIFY(writer->append(std::span(pcm).first(1000)));
            // Write-through: what is appended is in the file before close.
            auto early = readAudioFileAs48kMono(path);
            QVERIFY(early.ok());
            QCOMPARE(early->size(), std::size_t{1000});
            QVERIFY(writer->appendSilence(5000));
            WavWriter moved = std::move(writer.value()); // movable; the moved-from is closed
            QVERIFY(!writer->append(pcm));
            QVERIFY(moved.append(std::span(pcm).subspan(1000)));
            QCOMPARE(moved.samplesWritten(), std::uint64_t{48000 + 5000});
            moved.close();
            moved.close(); // idempotent
            QVERIFY(!moved.append(pcm));
        }
        auto back = readAudioFileAs48kMono(path);
        QVERIFY2(back.ok(), back.ok() ? "" : back.error().message.c_str());
        QCOMPARE(back->size(), std::size_t{53000});
        QVERIFY(std::equal(pcm.begin(), pcm.begin() + 1000, back->begin()));
        QVERIFY(std::all_of(back->begin() + 1000, back->begin() + 6000,
                            [](std::int16_t v) { return v == 0; }));
        QVERIFY(std::equal(pcm.begin() + 1000, pcm.end(), back->begin() + 6000));
        SF_INFO info{};
        SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
        QVERIFY(file != nullptr);
        QCOMPARE(info.samplerate, 48000);
        QCOMPARE(info.channels, 1);
        QCOMPARE(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
        sf_close(file);
    }

    void stereo44100IsConvertedTo48kMono() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("cd.wav").toStdString();
        QVERIFY(writeTone(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 2, 1000.0, 2.0));
        auto pcm = readAudioFileAs48kMono(path);
        QVERIFY2(pcm.ok(), pcm.ok() ? "" : pcm.error().message.c_str());
        QVERIFY(std::abs(static_cast<long>(pcm->size()) - 96000) <= 2);
        const auto middle = std::span(*pcm).subspan(24000, 48000);
        const double level = toneLevelDbfs(middle, 1000.0);
        QVERIFY2(std::abs(level - -12.0) < 0.5, qPrintable(QString::number(level)));
        // The frequency is preserved: no energy where a wrong-rate playback would put it.
        QVERIFY(toneLevelDbfs(middle, 1000.0 * 44100 / 48000) < level - 40.0);
        QVERIFY(toneLevelDbfs(middle, 1000.0 * 48000 / 44100) < level - 40.0);
    }

    void mono22050IsConvertedTo48k() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("low.wav").toStdString();
        QVERIFY(writeTone(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 22050, 1, 440.0, 1.0));
        auto pcm = readAudioFileAs48kMono(path);
        QVERIFY(pcm.ok());
        QVERIFY(std::abs(static_cast<long>(pcm->size()) - 48000) <= 2);
        const auto middle = std::span(*pcm).subspan(12000, 24000);
        const double level = toneLevelDbfs(middle, 440.0);
        QVERIFY2(std::abs(level - -12.0) < 0.5, qPrintable(QString::number(level)));
        QVERIFY(toneLevelDbfs(middle, 620.0) < level - 40.0);
    }

    void otherFormatsAndChannelCounts() {
        QTemporaryDir dir;
        // FLAC, 4 channels at 96 kHz, and a float AIFF at 16 kHz.
        const std::string flac = dir.filePath("a.flac").toStdString();
        QVERIFY(writeTone(flac, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 96000, 4, 700.0, 0.5));
        const std::string aiff = dir.filePath("b.aiff").toStdString();
        QVERIFY(writeTone(aiff, SF_FORMAT_AIFF | SF_FORMAT_FLOAT, 16000, 1, 700.0, 0.5));
        for (const auto& path : {flac, aiff}) {
            auto pcm = readAudioFileAs48kMono(path);
            QVERIFY2(pcm.ok(), pcm.ok() ? "" : pcm.error().message.c_str());
            QVERIFY(std::abs(static_cast<long>(pcm->size()) - 24000) <= 2);
            const double level = toneLevelDbfs(std::span(*pcm).subspan(4800, 14400), 700.0);
            QVERIFY2(std::abs(level - -12.0) < 0.5, qPrintable(QString::number(level)));
        }
    }

    void missingFileIsAnError() {
        auto pcm = readAudioFileAs48kMono("/nonexistent/dir/missing.wav");
        QVERIFY(!pcm.ok());
        QCOMPARE(pcm.error().code, static_cast<int>(AudioErrorCode::FileMissing));
        QVERIFY(pcm.error().message.find("/nonexistent/dir/missing.wav") != std::string::npos);
        QVERIFY(pcm.error().message.find('\n') == std::string::npos);
        auto writer = WavWriter::create("/nonexistent/dir/out.wav");
        QVERIFY(!writer.ok());
        QCOMPARE(writer.error().code, static_cast<int>(AudioErrorCode::FileWrite));
        QVERIFY(writer.error().message.find("/nonexistent/dir/out.wav") != std::string::npos);
    }

    void brokenFileIsAnError() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("noise.wav").toStdString();
        {
            std::ofstream f(path, std::ios::binary);
            std::mt19937 rng(42);
            for (int i = 0; i < 4096; ++i)
                f.put(static_cast<char>(rng() & 0xff));
        }
        auto pcm = readAudioFileAs48kMono(path);
        QVERIFY(!pcm.ok());
        QCOMPARE(pcm.error().code, static_cast<int>(AudioErrorCode::FileUnreadable));
        QVERIFY(pcm.error().message.find(path) != std::string::npos);
        QVERIFY(pcm.error().message.find('\n') == std::string::npos);
        // A WAV header cut short.
        const std::string truncated = dir.filePath("cut.wav").toStdString();
        {
            std::ofstream f(truncated, std::ios::binary);
            f.write("RIFF\x24\x00\x00\x00WAVEfmt ", 16);
        }
        QVERIFY(!readAudioFileAs48kMono(truncated).ok());
        // A directory.
        QVERIFY(!readAudioFileAs48kMono(dir.path().toStdString()).ok());
    }

    void emptyFileIsAnError() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("empty.wav").toStdString();
        {
            auto writer = WavWriter::create(path);
            QVERIFY(writer.ok());
        }
        auto pcm = readAudioFileAs48kMono(path);
        QVERIFY(!pcm.ok());
        QCOMPARE(pcm.error().code, static_cast<int>(AudioErrorCode::FileEmpty));
        QVERIFY(pcm.error().message.find(path) != std::string::npos);
        const std::string zeroBytes = dir.filePath("zero.wav").toStdString();
        { std::ofstream f(zeroBytes); }
        QVERIFY(!readAudioFileAs48kMono(zeroBytes).ok());
    }
};

QTEST_GUILESS_MAIN(TestAudioFiles)
#include "TestAudioFiles.moc"
