// The video pieces of the core around libvpx: the test pattern and its stamp, VP8 encode and
// decode (quality, key frames, errors), the packetizer feeding the frame assembler, and the
// IVF (also across a picture size change) and Y4M files.

#include "diyuma/video/TestPattern.h"
#include "diyuma/video/VideoFiles.h"
#include "diyuma/video/VideoFrameAssembler.h"
#include "diyuma/video/Vp8Codec.h"
#include "diyuma/video/Vp8Packetizer.h"

#include "FakeClock.h"

#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>
#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <vector>

using namespace diyuma::core;
using diyuma::test::FakeClock;

namespace {

constexpr std::int64_t kT0 = 1'764'806'400'000; // 2025-12-04, a realistic Unix ms value

VideoFrame pattern(int w, int h, std::uint32_t n) {
    VideoFrame f(w, h);
    renderTestPattern(f, PatternStamp{n, kT0 + n * 33});
    return f;
}

Vp8Encoder encoder(int w, int h, int bitrateBps = 800'000) {
    Vp8EncoderConfig config;
    config.width = w;
    config.height = h;
    config.bitrateBps = bitrateBps;
    auto e = Vp8Encoder::create(config);
    if (!e)
        qFatal("%s", e.error().message.c_str());
    return std::move(e.value());
}

std::vector<std::uint8_t> copyOf(std::span<const std::uint8_t> s) {
    return {s.begin(), s.end()};
}

} // namespace

class TestVideoCodec : public QObject {
    Q_OBJECT
private slots:
    void bitrateFollowsThePictureSize() {
        QCOMPARE(defaultVideoBitrateBps(640, 360), 500'000);
        QCOMPARE(defaultVideoBitrateBps(1280, 720), 1'500'000);
        QCOMPARE(defaultVideoBitrateBps(960, 540), 500'000 + 1'000'000 * 5 / 12);
        QCOMPARE(defaultVideoBitrateBps(320, 180), 150'000);     // the floor, not 125 kbit/s
        QCOMPARE(defaultVideoBitrateBps(1920, 1080), 3'166'666); // on the same line
    }

    void patternStampRoundTrips() {
        for (auto [w, h] : {std::pair{160, 90}, std::pair{320, 180}, std::pair{640, 360},
                            std::pair{1280, 720}, std::pair{641, 361}}) {
            VideoFrame f(w, h);
            const PatternStamp stamp{0xDEADBEEF, (std::int64_t{0xABCD} << 32) | 0x12345678};
            renderTestPattern(f, stamp);
            QCOMPARE(f.captureUnixMs, stamp.captureUnixMs);
            auto back = readTestPatternStamp(f);
            QVERIFY2(back, qPrintable(QString("%1x%2").arg(w).arg(h)));
            QCOMPARE(*back, stamp);
        }
        // The picture moves: two frames differ; the same frame twice is identical.
        QVERIFY(psnrY(pattern(640, 360, 1), pattern(640, 360, 2)) < 40);
        QCOMPARE(psnrY(pattern(640, 360, 7), pattern(640, 360, 7)), 99.0);
    }

    void damagedOrForeignPicturesHaveNoStamp() {
        VideoFrame grey(640, 360);
        std::fill(grey.data().begin(), grey.data().end(), std::uint8_t{128});
        QVERIFY(!readTestPatternStamp(grey));
        VideoFrame f = pattern(640, 360, 42);
        // Flip one cell of the frame-number row: the check no longer matches.
        const int cell = 640 / 40;
        for (int row = cell; row < 2 * cell; ++row)
            for (int x = 10 * cell; x < 11 * cell; ++x) {
                auto& px = f.y()[static_cast<std::size_t>(row * 640 + x)];
                px = px > 128 ? 16 : 235;
            }
        QVERIFY(!readTestPatternStamp(f));
        VideoFrame tiny(64, 32);
        QVERIFY(!readTestPatternStamp(tiny));
    }

    void encodeDecodeKeepsPictureAndStamp() {
        // 3 s of 360p at 800 kbit/s: every decoded picture carries its frame's stamp, and its
        // PSNR against the picture that was sent is high. 30 dB is where VP8 artefacts start
        // to be visible on this synthetic content; a broken pipeline gives < 15 dB.
        auto enc = encoder(640, 360);
        auto dec = Vp8Decoder::create();
        QVERIFY(dec);
        VideoFrame decoded;
        double worst = 99;
        int keyFrames = 0;
        for (std::uint32_t n = 0; n < 90; ++n) {
            const VideoFrame sent = pattern(640, 360, n);
            auto out = enc.encode(sent, n * 33, n == 0);
            QVERIFY(out);
            QVERIFY(out.value().has_value());
            keyFrames += out.value()->keyFrame ? 1 : 0;
            auto shown = dec->decode(out.value()->data, decoded);
            QVERIFY2(shown, shown ? "" : shown.error().message.c_str());
            QVERIFY(shown.value());
            QCOMPARE(decoded.width(), 640);
            QCOMPARE(decoded.height(), 360);
            auto stamp = readTestPatternStamp(decoded);
            QVERIFY2(stamp, qPrintable(QString("frame %1").arg(n)));
            QCOMPARE(stamp->frameNumber, n);
            QCOMPARE(stamp->captureUnixMs, kT0 + n * 33);
            if (n >= 5) // the first frames ramp up the rate control
                worst = std::min(worst, psnrY(sent, decoded));
        }
        QCOMPARE(keyFrames, 1); // only the forced one: key frames come when asked
        QVERIFY2(worst > 30, qPrintable(QString::number(worst)));
    }

    void temporalLayersCanBeDropped() {
        // 3 temporal layers: the pattern is TL0 TL2 TL1 TL2 (restarting at a key frame), and a
        // receiver that gets only TL0, or TL0 and TL1, or everything decodes every frame it
        // gets without an error and with its own stamp; so does one that adds TL1 and TL2 at
        // their sync frames. Each layer's share of the bytes follows the 40/20/40 split.
        for (const int layers : {2, 3}) {
            Vp8EncoderConfig config;
            config.width = 640;
            config.height = 360;
            config.bitrateBps = 600'000;
            config.temporalLayers = layers;
            auto enc = Vp8Encoder::create(config);
            QVERIFY(enc);
            struct Frame {
                std::vector<std::uint8_t> data;
                std::uint8_t tid;
                bool sync;
                bool nonReference;
                std::uint32_t n;
            };
            std::vector<Frame> frames;
            for (std::uint32_t n = 0; n < 120; ++n) {
                auto out = enc.value().encode(pattern(640, 360, n), n * 33, n == 0 || n == 61);
                QVERIFY(out && out.value());
                const EncodedVideoFrame& f = *out.value();
                frames.push_back({copyOf(f.data), f.temporalId, f.layerSync, f.nonReference, n});
            }
            const std::vector<std::uint8_t> three = {0, 2, 1, 2};
            const std::vector<std::uint8_t> two = {0, 1};
            const auto& expected = layers == 3 ? three : two;
            for (std::size_t i = 0; i < frames.size(); ++i) {
                const std::size_t inPattern = (i < 61 ? i : i - 61) % expected.size();
                QCOMPARE(frames[i].tid, expected[inPattern]);
                QCOMPARE(frames[i].nonReference, frames[i].tid == layers - 1);
            }
            std::array<std::uint64_t, 3> bytesPerLayer{};
            for (const Frame& f : frames)
                bytesPerLayer[f.tid] += f.data.size();
            if (layers == 3)
                QVERIFY(bytesPerLayer[0] > bytesPerLayer[1]);
            for (int keep = 0; keep < layers; ++keep) {
                auto dec = Vp8Decoder::create();
                QVERIFY(dec);
                VideoFrame decoded;
                int shown = 0;
                for (const Frame& f : frames) {
                    if (f.tid > keep)
                        continue;
                    auto result = dec->decode(f.data, decoded);
                    QVERIFY2(result,
                             qPrintable(QString("%1 layers, keep TL0..%2, frame %3: %4")
                                            .arg(layers)
                                            .arg(keep)
                                            .arg(f.n)
                                            .arg(result ? "" : result.error().message.c_str())));
                    QVERIFY(result.value());
                    auto stamp = readTestPatternStamp(decoded);
                    QVERIFY(stamp && stamp->frameNumber == f.n);
                    ++shown;
                }
                QCOMPARE(shown, static_cast<int>(
                                    std::count_if(frames.begin(), frames.end(),
                                                  [&](const Frame& f) { return f.tid <= keep; })));
            }
            // TL0 only for the first second, then everything from the first sync frame on.
            auto dec = Vp8Decoder::create();
            QVERIFY(dec);
            VideoFrame decoded;
            bool upper = false;
            for (const Frame& f : frames) {
                if (f.n >= 30 && f.sync)
                    upper = true;
                if (f.tid > 0 && !upper)
                    continue;
                auto result = dec->decode(f.data, decoded);
                QVERIFY2(result, qPrintable(QString("switch up, frame %1").arg(f.n)));
                const auto stamp = readTestPatternStamp(decoded);
                QVERIFY2(stamp && stamp->frameNumber == f.n,
                         qPrintable(QString("switch up, frame %1 unreadable").arg(f.n)));
            }
            QVERIFY(upper);
        }
    }

    void forcedKeyFrameAndBitrate() {
        auto enc = encoder(320, 180, 150'000);
        auto first = enc.encode(pattern(320, 180, 0), 0, false);
        QVERIFY(first.value()->keyFrame); // the first frame is always a key frame
        auto delta = enc.encode(pattern(320, 180, 1), 33, false);
        QVERIFY(!delta.value()->keyFrame);
        auto key = enc.encode(pattern(320, 180, 2), 66, true);
        QVERIFY(key.value()->keyFrame);
        QVERIFY(enc.setBitrate(300'000));
        QCOMPARE(enc.config().bitrateBps, 300'000);
        QVERIFY(!enc.setBitrate(1));
        // The wrong picture size is an error, not a crash.
        auto wrong = enc.encode(pattern(640, 360, 3), 99, false);
        QVERIFY(!wrong);
        QCOMPARE(wrong.error().code, static_cast<int>(VideoErrorCode::Encode));
    }

    void noBurstAfterAKeyFrame() {
        // 720p at 1.5 Mbit/s with three temporal layers, as the top simulcast layer is sent;
        // a key frame forced at picture 150. The delta frames after it ramp up their quality
        // (Vp8Codec.h): none is over 4x the average frame before the key frame (without the
        // ramp the largest was 10x, 60 KB); the second after it costs no more than a second
        // before it, within 25 %; the picture is back within 2 dB of its quality before.
        Vp8EncoderConfig config;
        config.width = 1280;
        config.height = 720;
        config.bitrateBps = 1'500'000;
        config.temporalLayers = 3;
        auto created = Vp8Encoder::create(config);
        QVERIFY(created);
        Vp8Encoder& enc = created.value();
        auto dec = Vp8Decoder::create();
        QVERIFY(dec);
        VideoFrame shown;
        double bytesBefore = 0;
        double psnrBefore = 0;
        double bytesAfter = 0;
        double psnrLater = 0;
        std::size_t largestAfter = 0;
        for (std::uint32_t n = 0; n < 240; ++n) {
            const VideoFrame picture = pattern(1280, 720, n);
            auto frame = enc.encode(picture, n * 33, n == 150);
            QVERIFY(frame && frame.value());
            QCOMPARE(frame.value()->keyFrame, n == 0 || n == 150);
            const std::size_t size = frame.value()->data.size();
            QVERIFY(dec.value().decode(frame.value()->data, shown));
            const double psnr = psnrY(picture, shown);
            if (n >= 120 && n < 150) {
                bytesBefore += static_cast<double>(size);
                psnrBefore += psnr / 30;
            } else if (n > 150 && n <= 180) {
                bytesAfter += static_cast<double>(size);
                largestAfter = std::max(largestAfter, size);
            } else if (n >= 210) {
                psnrLater += psnr / 30;
            }
        }
        const QString figures = QString("before: %1 B/frame, %2 dB; after: %3 B/frame, largest "
                                        "%4 B; a second later %5 dB")
                                    .arg(bytesBefore / 30)
                                    .arg(psnrBefore)
                                    .arg(bytesAfter / 30)
                                    .arg(largestAfter)
                                    .arg(psnrLater);
        qInfo("%s", qPrintable(figures));
        QVERIFY2(static_cast<double>(largestAfter) <= 4 * bytesBefore / 30, qPrintable(figures));
        QVERIFY2(bytesAfter <= 1.25 * bytesBefore, qPrintable(figures));
        QVERIFY2(psnrLater >= psnrBefore - 2, qPrintable(figures));
    }

    void badConfigurationsAreErrors() {
        Vp8EncoderConfig config;
        config.width = 8;
        auto small = Vp8Encoder::create(config);
        QVERIFY(!small);
        QCOMPARE(small.error().code, static_cast<int>(VideoErrorCode::BadSize));
        config.width = 640;
        config.bitrateBps = 0;
        QVERIFY(!Vp8Encoder::create(config));
    }

    void decoderRefusesGarbageAndDeltaFirst() {
        auto enc = encoder(320, 180);
        (void)enc.encode(pattern(320, 180, 0), 0, true);
        auto delta = enc.encode(pattern(320, 180, 1), 33, false);
        const auto deltaBytes = copyOf(delta.value()->data);
        auto dec = Vp8Decoder::create();
        VideoFrame out;
        auto first = dec->decode(deltaBytes, out);
        QVERIFY(!first); // no key frame yet: it cannot be shown
        QCOMPARE(first.error().code, static_cast<int>(VideoErrorCode::Decode));
        const std::vector<std::uint8_t> garbage(100, 0x5A);
        QVERIFY(!dec->decode(garbage, out));
        QVERIFY(!dec->decode({}, out));
    }

    // --- Packetizer into assembler -------------------------------------------------------

    void packetizerSplitsEvenlyAndAssemblerRebuilds() {
        auto enc = encoder(1280, 720, 1'500'000);
        auto key = enc.encode(pattern(1280, 720, 0), 0, true);
        const auto frame = copyOf(key.value()->data);
        qInfo("720p key frame: %zu bytes", frame.size());
        QVERIFY(frame.size() > 3 * 1100); // a 720p key frame spans several packets

        Vp8Packetizer packetizer(frame, 0x7FFF, 1100);
        const std::size_t count = packetizer.packetCount();
        QCOMPARE(count, (frame.size() + 1100 - 4 - 1) / (1100 - 4));
        FakeClock clock;
        VideoFrameAssembler assembler(clock);
        std::array<std::uint8_t, 1200> buffer{};
        std::size_t smallest = 10'000;
        std::size_t largest = 0;
        // Send in reverse order: the frame is only complete with the last one in.
        for (std::size_t i = count; i-- > 0;) {
            auto payload = packetizer.writePayload(i, buffer);
            QVERIFY(!payload.empty());
            QVERIFY(payload.size() <= 1100);
            smallest = std::min(smallest, payload.size());
            largest = std::max(largest, payload.size());
            AssembledVideoFrame tmp;
            QVERIFY(!assembler.popFrame(tmp) || i == 0);
            assembler.insert(static_cast<std::uint16_t>(65530 + i), 90000, packetizer.marker(i),
                             payload);
        }
        QVERIFY(largest - smallest <= 1); // equal slices
        AssembledVideoFrame out;
        QVERIFY(assembler.popFrame(out));
        QCOMPARE(out.data, frame);
        QVERIFY(out.keyFrame);
        QCOMPARE(out.width, std::uint16_t{1280});
        QCOMPARE(out.height, std::uint16_t{720});
        QCOMPARE(*out.pictureId, std::uint16_t{0x7FFF});
        QCOMPARE(assembler.counters().packetsReceived, count);
        auto dec = Vp8Decoder::create();
        VideoFrame picture;
        QVERIFY(dec->decode(out.data, picture).value());
        QCOMPARE(readTestPatternStamp(picture)->frameNumber, 0U);

        Vp8Packetizer empty({}, 1, 1100);
        QCOMPARE(empty.packetCount(), std::size_t{0});
        Vp8Packetizer noRoom(frame, 1, 4);
        QCOMPARE(noRoom.packetCount(), std::size_t{0});
    }

    // --- Files ---------------------------------------------------------------------------

    void ivfRoundTrip() {
        QTemporaryDir dir;
        const std::string path = (dir.path() + "/a.ivf").toStdString();
        auto enc = encoder(320, 180);
        std::vector<std::vector<std::uint8_t>> frames;
        {
            auto writer = IvfWriter::create(path, 320, 180);
            QVERIFY(writer);
            for (std::uint32_t n = 0; n < 10; ++n) {
                auto out = enc.encode(pattern(320, 180, n), n * 33, n == 0);
                frames.push_back(copyOf(out.value()->data));
                QVERIFY(writer->writeFrame(frames.back(), n * 33).ok());
            }
            QVERIFY(writer->close().ok());
        }
        auto contents = readIvfFile(path);
        QVERIFY(contents);
        QCOMPARE(QString::fromStdString(contents->fourcc), QString("VP80"));
        QCOMPARE(contents->width, 320);
        QCOMPARE(contents->height, 180);
        QCOMPARE(contents->timeBaseDenominator, 1000U);
        QCOMPARE(contents->timeBaseNumerator, 1U);
        QCOMPARE(contents->headerFrameCount, 10U);
        QCOMPARE(contents->frames.size(), std::size_t{10});
        for (std::size_t i = 0; i < frames.size(); ++i) {
            QCOMPARE(contents->frames[i].data, frames[i]);
            QCOMPARE(contents->frames[i].timestamp, static_cast<std::int64_t>(i * 33));
        }
        QVERIFY(!IvfWriter::create(dir.path().toStdString() + "/no/such/dir/x.ivf", 1, 1));
        QCOMPARE(readIvfFile(dir.path().toStdString() + "/missing.ivf").error().code,
                 static_cast<int>(VideoErrorCode::FileMissing));
        std::ofstream(dir.path().toStdString() + "/bad.ivf") << "not an ivf file at all, no";
        QCOMPARE(readIvfFile(dir.path().toStdString() + "/bad.ivf").error().code,
                 static_cast<int>(VideoErrorCode::FileFormat));
    }

    void ivfKeepsFramesAcrossASizeChange() {
        // What a receiver records when the relay switches layers: 180p frames, then a key
        // frame at 360p and more 360p frames. The header keeps the first size; every frame is
        // in the file as it was given and decodes at its own size, with its millisecond time.
        QTemporaryDir dir;
        const std::string path = (dir.path() + "/switch.ivf").toStdString();
        auto low = encoder(320, 180, 300'000);
        auto high = encoder(640, 360, 600'000);
        std::vector<std::vector<std::uint8_t>> frames;
        {
            auto writer = IvfWriter::create(path, 320, 180);
            QVERIFY(writer);
            for (std::uint32_t n = 0; n < 20; ++n) {
                const bool up = n >= 10;
                auto out = up ? high.encode(pattern(640, 360, n), n * 33, n == 10)
                              : low.encode(pattern(320, 180, n), n * 33, n == 0);
                QVERIFY(out && out.value());
                QCOMPARE(out.value()->keyFrame, n == 0 || n == 10);
                frames.push_back(copyOf(out.value()->data));
                QVERIFY(writer->writeFrame(frames.back(), 1500 + n * 33).ok());
            }
            QVERIFY(writer->close().ok());
        }
        auto contents = readIvfFile(path);
        QVERIFY(contents);
        QCOMPARE(contents->width, 320); // the first size
        QCOMPARE(contents->height, 180);
        QCOMPARE(contents->timeBaseDenominator, 1000U);
        QCOMPARE(contents->timeBaseNumerator, 1U);
        QCOMPARE(contents->headerFrameCount, 20U);
        QCOMPARE(contents->frames.size(), std::size_t{20});
        auto decoder = Vp8Decoder::create();
        QVERIFY(decoder);
        VideoFrame picture;
        for (std::uint32_t n = 0; n < 20; ++n) {
            const IvfFrame& frame = contents->frames[n];
            QCOMPARE(frame.data, frames[n]);
            QCOMPARE(frame.timestamp, static_cast<std::int64_t>(1500 + n * 33));
            auto shown = decoder->decode(frame.data, picture);
            QVERIFY2(shown, shown ? "" : shown.error().message.c_str());
            QVERIFY(shown.value());
            QCOMPARE(picture.width(), n < 10 ? 320 : 640);
            QCOMPARE(picture.height(), n < 10 ? 180 : 360);
            auto stamp = readTestPatternStamp(picture);
            QVERIFY2(stamp, qPrintable(QString("frame %1").arg(n)));
            QCOMPARE(stamp->frameNumber, n);
        }
    }

    void ivfTimeRunsForward() {
        // A wall clock that steps back must not make a player see time reversed, nor two
        // frames that arrive within a millisecond share a time.
        QTemporaryDir dir;
        const std::string path = (dir.path() + "/back.ivf").toStdString();
        {
            auto writer = IvfWriter::create(path, 320, 180);
            QVERIFY(writer);
            const std::uint8_t bytes[] = {1, 2, 3};
            for (const std::int64_t t : {-5, 10, 40, 30, 50, 50})
                QVERIFY(writer->writeFrame(bytes, t).ok());
        }
        auto contents = readIvfFile(path);
        QVERIFY(contents);
        std::vector<std::int64_t> times;
        for (const auto& frame : contents->frames)
            times.push_back(frame.timestamp);
        QCOMPARE(times, (std::vector<std::int64_t>{0, 10, 40, 41, 50, 51}));
    }

    void y4mReadsAndLoops() {
        QTemporaryDir dir;
        const std::string path = (dir.path() + "/a.y4m").toStdString();
        {
            std::ofstream out(path, std::ios::binary);
            out << "YUV4MPEG2 W320 H180 F25:1 Ip A1:1 C420jpeg XYSCSS=420JPEG\n";
            for (std::uint32_t n = 0; n < 3; ++n) {
                const VideoFrame f = pattern(320, 180, n);
                out << "FRAME\n";
                out.write(reinterpret_cast<const char*>(f.data().data()),
                          static_cast<std::streamsize>(f.data().size()));
            }
        }
        auto reader = Y4mReader::open(path);
        QVERIFY2(reader, reader ? "" : reader.error().message.c_str());
        QCOMPARE(reader->width(), 320);
        QCOMPARE(reader->height(), 180);
        QCOMPARE(reader->frameRate(), 25.0);
        VideoFrame f;
        for (std::uint32_t n = 0; n < 7; ++n) { // 3 frames, read 7: it starts over twice
            QVERIFY(reader->readFrame(f).ok());
            QCOMPARE(readTestPatternStamp(f)->frameNumber, n % 3);
        }
    }

    void badY4mFilesAreClearErrors() {
        QTemporaryDir dir;
        auto write = [&](const std::string& name, const std::string& text) {
            const std::string path = dir.path().toStdString() + "/" + name;
            std::ofstream(path, std::ios::binary) << text;
            return path;
        };
        QCOMPARE(Y4mReader::open(dir.path().toStdString() + "/none.y4m").error().code,
                 static_cast<int>(VideoErrorCode::FileMissing));
        QCOMPARE(Y4mReader::open(write("a", "RIFF....WAVE")).error().code,
                 static_cast<int>(VideoErrorCode::FileFormat));
        QCOMPARE(Y4mReader::open(write("b", "YUV4MPEG2 W320 H180 C444\n")).error().code,
                 static_cast<int>(VideoErrorCode::FileFormat));
        QCOMPARE(Y4mReader::open(write("c", "YUV4MPEG2 W320 H180 C420p10\n")).error().code,
                 static_cast<int>(VideoErrorCode::FileFormat));
        QCOMPARE(Y4mReader::open(write("d", "YUV4MPEG2 W99999 H180\n")).error().code,
                 static_cast<int>(VideoErrorCode::BadSize));
        QCOMPARE(Y4mReader::open(write("e", "YUV4MPEG2 Wx H180\n")).error().code,
                 static_cast<int>(VideoErrorCode::FileFormat));
        QCOMPARE(Y4mReader::open(write("f", "YUV4MPEG2 W320 H180 F0:0\n")).error().code,
                 static_cast<int>(VideoErrorCode::FileFormat));
        // A frame cut short, and a file with no frames at all.
        auto cut =
            Y4mReader::open(write("g", "YUV4MPEG2 W320 H180\nFRAME\n" + std::string(100, 'x')));
        QVERIFY(cut);
        VideoFrame f;
        QCOMPARE(cut->readFrame(f).error().code, static_cast<int>(VideoErrorCode::FileFormat));
        auto none = Y4mReader::open(write("h", "YUV4MPEG2 W320 H180\n"));
        QVERIFY(none);
        QCOMPARE(none->readFrame(f).error().code, static_cast<int>(VideoErrorCode::FileFormat));
    }
};

QTEST_APPLESS_MAIN(TestVideoCodec)
#include "TestVideoCodec.moc"
