// Camera pictures into I420 (every layout, strides, odd sizes, bad input) and I420 into RGB for
// the screen (colours, scaling, mirroring, a destination too small).

#include "diyuma/video/PictureConvert.h"
#include "diyuma/video/TestPattern.h"

#include <QtTest/QtTest>
#include <array>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace diyuma::core;

namespace {

struct Rgb {
    int r, g, b;
};

constexpr std::array<Rgb, 6> kColours{
    {{0, 0, 0}, {255, 255, 255}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {200, 120, 40}}};

/// A w x h 32-bit picture in `layout` filled with one colour, rows `stride` bytes apart.
std::vector<std::uint8_t> rgbPicture(PixelLayout layout, int w, int h, std::size_t stride, Rgb c) {
    std::vector<std::uint8_t> bytes(stride * static_cast<std::size_t>(h), 0xee);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            auto* px = bytes.data() + static_cast<std::size_t>(y) * stride +
                       4 * static_cast<std::size_t>(x);
            const auto r = static_cast<std::uint8_t>(c.r);
            const auto g = static_cast<std::uint8_t>(c.g);
            const auto b = static_cast<std::uint8_t>(c.b);
            if (layout == PixelLayout::Bgrx) {
                px[0] = b, px[1] = g, px[2] = r, px[3] = 0xff;
            } else if (layout == PixelLayout::Rgbx) {
                px[0] = r, px[1] = g, px[2] = b, px[3] = 0xff;
            } else {
                px[0] = 0xff, px[1] = r, px[2] = g, px[3] = b;
            }
        }
    return bytes;
}

Rgb pixelAt(const std::vector<std::uint8_t>& rgb32, std::size_t stride, int x, int y) {
    std::uint32_t word = 0;
    std::memcpy(
        &word,
        rgb32.data() + static_cast<std::size_t>(y) * stride + 4 * static_cast<std::size_t>(x), 4);
    return {static_cast<int>((word >> 16) & 0xff), static_cast<int>((word >> 8) & 0xff),
            static_cast<int>(word & 0xff)};
}

bool near(Rgb a, Rgb b, int tolerance) {
    return std::abs(a.r - b.r) <= tolerance && std::abs(a.g - b.g) <= tolerance &&
           std::abs(a.b - b.b) <= tolerance;
}

} // namespace

class TestPictureConvert : public QObject {
    Q_OBJECT
private slots:
    void rgbLayoutsRoundTripThroughI420() {
        // Limited-range 8-bit YUV keeps each colour within a few steps of what went in.
        for (const auto layout : {PixelLayout::Bgrx, PixelLayout::Rgbx, PixelLayout::Xrgb}) {
            for (const Rgb c : kColours) {
                const int w = 7; // odd on purpose
                const int h = 5;
                const std::size_t stride = 4 * 7 + 12;
                const auto bytes = rgbPicture(layout, w, h, stride, c);
                const std::array planes{PlaneView{bytes, stride}};
                VideoFrame yuv;
                QVERIFY(toI420(layout, planes, w, h, yuv));
                QCOMPARE(yuv.width(), w);
                QCOMPARE(yuv.height(), h);
                std::vector<std::uint8_t> back(4 * 7 * 5);
                QVERIFY(i420ToRgb32(yuv, back, w, h, 4 * 7, false));
                for (int y = 0; y < h; ++y)
                    for (int x = 0; x < w; ++x) {
                        const Rgb got = pixelAt(back, 4 * 7, x, y);
                        if (!near(got, c, 3))
                            QFAIL(qPrintable(QStringLiteral("layout %1 colour %2,%3,%4 came back "
                                                            "%5,%6,%7 at %8,%9")
                                                 .arg(static_cast<int>(layout))
                                                 .arg(c.r)
                                                 .arg(c.g)
                                                 .arg(c.b)
                                                 .arg(got.r)
                                                 .arg(got.g)
                                                 .arg(got.b)
                                                 .arg(x)
                                                 .arg(y)));
                    }
            }
        }
    }

    void whiteAndBlackAreTheLimitedRangeEnds() {
        const auto white = rgbPicture(PixelLayout::Bgrx, 2, 2, 8, {255, 255, 255});
        const auto black = rgbPicture(PixelLayout::Bgrx, 2, 2, 8, {0, 0, 0});
        VideoFrame yuv;
        QVERIFY(toI420(PixelLayout::Bgrx, std::array{PlaneView{white, 8}}, 2, 2, yuv));
        QCOMPARE(int(yuv.y()[0]), 235);
        QCOMPARE(int(yuv.u()[0]), 128);
        QCOMPARE(int(yuv.v()[0]), 128);
        QVERIFY(toI420(PixelLayout::Bgrx, std::array{PlaneView{black, 8}}, 2, 2, yuv));
        QCOMPARE(int(yuv.y()[0]), 16);
    }

    void packedYuvIsSplitAndChromaAveragedOverTwoRows() {
        // 4x2 YUYV: row 0 Y=10,11,12,13 U=100,104 V=200,204; row 1 Y=20..23 U=110,114 V=210,214.
        const std::vector<std::uint8_t> yuyv{10, 100, 11, 200, 12, 104, 13, 204, 0, 0,
                                             20, 110, 21, 210, 22, 114, 23, 214, 0, 0};
        VideoFrame out;
        QVERIFY(toI420(PixelLayout::Yuyv, std::array{PlaneView{yuyv, 10}}, 4, 2, out));
        const std::vector<std::uint8_t> y(out.y().begin(), out.y().end());
        QCOMPARE(y, (std::vector<std::uint8_t>{10, 11, 12, 13, 20, 21, 22, 23}));
        QCOMPARE(int(out.u()[0]), 105);
        QCOMPARE(int(out.u()[1]), 109);
        QCOMPARE(int(out.v()[0]), 205);
        QCOMPARE(int(out.v()[1]), 209);

        // The same picture as UYVY.
        const std::vector<std::uint8_t> uyvy{100, 10, 200, 11, 104, 12, 204, 13,
                                             110, 20, 210, 21, 114, 22, 214, 23};
        VideoFrame out2;
        QVERIFY(toI420(PixelLayout::Uyvy, std::array{PlaneView{uyvy, 8}}, 4, 2, out2));
        QVERIFY(std::equal(out.data().begin(), out.data().end(), out2.data().begin()));
    }

    void planarLayoutsHonourStrides() {
        // A 5x3 picture (odd both ways) with padded rows: I420 and the same in NV12.
        const int w = 5;
        const int h = 3;
        std::vector<std::uint8_t> luma(8 * 3, 0xee);
        std::vector<std::uint8_t> cb(4 * 2, 0xee);
        std::vector<std::uint8_t> cr(4 * 2, 0xee);
        std::vector<std::uint8_t> uv(8 * 2, 0xee);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                luma[static_cast<std::size_t>(y * 8 + x)] = static_cast<std::uint8_t>(y * 10 + x);
        for (int y = 0; y < 2; ++y)
            for (int x = 0; x < 3; ++x) {
                const auto u = static_cast<std::uint8_t>(100 + y * 10 + x);
                const auto v = static_cast<std::uint8_t>(200 + y * 10 + x);
                cb[static_cast<std::size_t>(y * 4 + x)] = u;
                cr[static_cast<std::size_t>(y * 4 + x)] = v;
                uv[static_cast<std::size_t>(y * 8 + 2 * x)] = u;
                uv[static_cast<std::size_t>(y * 8 + 2 * x + 1)] = v;
            }
        VideoFrame a;
        VideoFrame b;
        QVERIFY(toI420(PixelLayout::I420,
                       std::array{PlaneView{luma, 8}, PlaneView{cb, 4}, PlaneView{cr, 4}}, w, h,
                       a));
        QVERIFY(
            toI420(PixelLayout::Nv12, std::array{PlaneView{luma, 8}, PlaneView{uv, 8}}, w, h, b));
        QCOMPARE(int(a.y()[7]), 12); // row 1, column 2
        QCOMPARE(int(a.u()[4]), 111);
        QCOMPARE(int(a.v()[2]), 202);
        QCOMPARE(a.sizeBytes(), std::size_t(5 * 3 + 2 * 3 * 2));
        QVERIFY(std::equal(a.data().begin(), a.data().end(), b.data().begin()));
    }

    void badPicturesAreRefusedWithAReason() {
        const std::vector<std::uint8_t> bytes(64, 0);
        VideoFrame out;
        // Too few planes.
        auto r = toI420(PixelLayout::I420, std::array{PlaneView{bytes, 4}}, 4, 4, out);
        QVERIFY(!r);
        QCOMPARE(r.error().code, static_cast<int>(VideoErrorCode::BadSize));
        QVERIFY(r.error().message.find("planes") != std::string::npos);
        // A stride shorter than a row.
        QVERIFY(!toI420(PixelLayout::Bgrx, std::array{PlaneView{bytes, 8}}, 4, 4, out));
        // Not enough bytes for the rows (the last row needs only its own bytes: 4x4 BGRX with
        // stride 16 needs exactly 64).
        QVERIFY(toI420(PixelLayout::Bgrx, std::array{PlaneView{bytes, 16}}, 4, 4, out));
        QVERIFY(!toI420(PixelLayout::Bgrx, std::array{PlaneView{bytes, 16}}, 4, 5, out));
        QVERIFY(!toI420(PixelLayout::Yuyv, std::array{PlaneView{std::span(bytes).first(10), 8}}, 4,
                        2, out));
        // Sizes out of range.
        QVERIFY(!toI420(PixelLayout::Bgrx, std::array{PlaneView{bytes, 16}}, 0, 4, out));
        QVERIFY(!toI420(PixelLayout::Bgrx, std::array{PlaneView{bytes, 16}}, 4, 1, out));
        QVERIFY(!toI420(PixelLayout::Bgrx, std::array{PlaneView{bytes, 16}}, kMaxVideoWidth + 2, 4,
                        out));
        QCOMPARE(planeCount(PixelLayout::I420), 3);
        QCOMPARE(planeCount(PixelLayout::Nv12), 2);
        QCOMPARE(planeCount(PixelLayout::Uyvy), 1);
    }

    void scaledAndMirroredForTheScreen() {
        VideoFrame picture(640, 360);
        renderTestPattern(picture, PatternStamp{42, 1'764'806'400'000});
        std::vector<std::uint8_t> full(4 * 640 * 360);
        QVERIFY(i420ToRgb32(picture, full, 640, 360, 4 * 640, false));
        std::vector<std::uint8_t> mirrored(full.size());
        QVERIFY(i420ToRgb32(picture, mirrored, 640, 360, 4 * 640, true));
        for (int y = 0; y < 360; y += 37)
            for (int x = 0; x < 640; x += 29) {
                const Rgb a = pixelAt(full, 4 * 640, x, y);
                const Rgb b = pixelAt(mirrored, 4 * 640, 639 - x, y);
                QVERIFY(a.r == b.r && a.g == b.g && a.b == b.b);
            }
        // Half size: each pixel is one of the source's (nearest neighbour, centre sampling).
        std::vector<std::uint8_t> half(4 * 320 * 180);
        QVERIFY(i420ToRgb32(picture, half, 320, 180, 4 * 320, false));
        for (int y = 0; y < 180; y += 17)
            for (int x = 0; x < 320; x += 13) {
                const Rgb a = pixelAt(half, 4 * 320, x, y);
                const Rgb b = pixelAt(full, 4 * 640, 2 * x + 1, 2 * y + 1);
                QVERIFY(a.r == b.r && a.g == b.g && a.b == b.b);
            }
        // The picture is not one flat colour (so the comparisons above mean something).
        const Rgb corner = pixelAt(full, 4 * 640, 0, 359);
        bool varied = false;
        for (int x = 0; x < 640 && !varied; x += 7)
            varied = !near(pixelAt(full, 4 * 640, x, 200), corner, 10);
        QVERIFY(varied);
    }

    void scaledToTheEncoderSizeKeepingTheStamp() {
        // The stamp's cells grow with the width, so a pattern scaled to half still reads.
        VideoFrame big(1280, 720);
        renderTestPattern(big, PatternStamp{77, 1'764'806'400'123});
        VideoFrame small(640, 360);
        scaleI420(big, small);
        QCOMPARE(small.captureUnixMs, big.captureUnixMs);
        const auto stamp = readTestPatternStamp(small);
        QVERIFY(stamp.has_value());
        QCOMPARE(stamp->frameNumber, 77U);
        QCOMPARE(stamp->captureUnixMs, std::int64_t{1'764'806'400'123});
        // Nearest neighbour sampled at pixel centres: a halving takes every odd pixel.
        for (int y = 0; y < 360; y += 7)
            for (int x = 0; x < 640; x += 11)
                QCOMPARE(small.y()[static_cast<std::size_t>(y * 640 + x)],
                         big.y()[static_cast<std::size_t>((2 * y + 1) * 1280 + 2 * x + 1)]);
        for (int y = 0; y < 180; y += 5)
            for (int x = 0; x < 320; x += 9)
                QCOMPARE(small.u()[static_cast<std::size_t>(y * 320 + x)],
                         big.u()[static_cast<std::size_t>((2 * y + 1) * 640 + 2 * x + 1)]);
        VideoFrame drawn(640, 360);
        renderTestPattern(drawn, PatternStamp{77, 1'764'806'400'123});

        // Same size: an exact copy.
        VideoFrame same(640, 360);
        scaleI420(drawn, same);
        QCOMPARE(psnrY(same, drawn), 99.0);
    }

    void aFourByThreeCameraIsCroppedNotSquashed() {
        // 8x6 luma: column x holds 10*x, except rows 0 and 5 (the bands a 16:9 crop drops).
        VideoFrame cam(8, 6);
        for (int y = 0; y < 6; ++y)
            for (int x = 0; x < 8; ++x)
                cam.y()[static_cast<std::size_t>(y * 8 + x)] =
                    static_cast<std::uint8_t>(y == 0 || y == 5 ? 255 : 10 * x);
        std::fill(cam.u().begin(), cam.u().end(), 128);
        std::fill(cam.v().begin(), cam.v().end(), 128);
        VideoFrame wide(8, 4); // 2:1, so 8x4 of the 8x6 is kept: rows 1..4
        scaleI420(cam, wide);
        for (int y = 0; y < 4; ++y)
            for (int x = 0; x < 8; ++x)
                QCOMPARE(int(wide.y()[static_cast<std::size_t>(y * 8 + x)]), 10 * x);
    }

    void refusesADestinationTooSmall() {
        VideoFrame picture(64, 36);
        renderTestPattern(picture, PatternStamp{1, 1});
        std::vector<std::uint8_t> dst(4 * 32 * 18);
        QVERIFY(!i420ToRgb32(picture, dst, 32, 19, 4 * 32, false));
        QVERIFY(!i420ToRgb32(picture, dst, 32, 18, 4 * 31, false));
        QVERIFY(!i420ToRgb32(VideoFrame{}, dst, 32, 18, 4 * 32, false));
        QVERIFY(!i420ToRgb32(picture, dst, 0, 18, 4 * 32, false));
        QVERIFY(i420ToRgb32(picture, dst, 32, 18, 4 * 32, false));
    }
};

QTEST_APPLESS_MAIN(TestPictureConvert)
#include "TestPictureConvert.moc"
