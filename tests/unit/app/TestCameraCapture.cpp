// The camera's side of the app without a camera: QVideoFrames as Qt Multimedia delivers them
// (YUYV, NV12, I420, 32-bit RGB, and a layout only QVideoFrame::toImage() reads) become the
// I420 pictures the encoder takes, with the colours and sizes they had; the camera list and the
// "no camera" answer of start().

#include "diyuma/video/PictureConvert.h"

#include "CameraCapture.h"

#include <QtMultimedia/QVideoFrame>
#include <QtMultimedia/QVideoFrameFormat>
#include <QtTest/QtTest>
#include <cstring>

using diyuma::app::CameraCapture;
using namespace diyuma::core;

namespace {

/// A frame of `format` whose every pixel is the colour (y, u, v) or, for RGB, (r, g, b).
QVideoFrame solidFrame(QVideoFrameFormat::PixelFormat format, int w, int h, int a, int b, int c) {
    QVideoFrame frame(QVideoFrameFormat(QSize(w, h), format));
    if (!frame.map(QVideoFrame::WriteOnly))
        qFatal("cannot map a frame for writing");
    using F = QVideoFrameFormat::PixelFormat;
    for (int y = 0; y < h; ++y) {
        uchar* row0 = frame.bits(0) + y * frame.bytesPerLine(0);
        for (int x = 0; x < w; ++x) {
            switch (format) {
            case F::Format_YUYV:
                row0[2 * x] = static_cast<uchar>(a);
                row0[2 * x + 1] = static_cast<uchar>(x % 2 == 0 ? b : c);
                break;
            case F::Format_NV12:
            case F::Format_YUV420P:
            case F::Format_YV12:
                row0[x] = static_cast<uchar>(a);
                break;
            case F::Format_BGRA8888:
                row0[4 * x] = static_cast<uchar>(c);
                row0[4 * x + 1] = static_cast<uchar>(b);
                row0[4 * x + 2] = static_cast<uchar>(a);
                row0[4 * x + 3] = 255;
                break;
            default:
                qFatal("format not handled by the test");
            }
        }
    }
    if (format == F::Format_NV12) {
        for (int y = 0; y < h / 2; ++y) {
            uchar* row = frame.bits(1) + y * frame.bytesPerLine(1);
            for (int x = 0; x < w / 2; ++x) {
                row[2 * x] = static_cast<uchar>(b);
                row[2 * x + 1] = static_cast<uchar>(c);
            }
        }
    }
    if (format == F::Format_YUV420P || format == F::Format_YV12) {
        // YV12 has V before U.
        const int uPlane = format == F::Format_YUV420P ? 1 : 2;
        const int vPlane = 3 - uPlane;
        for (int y = 0; y < h / 2; ++y) {
            std::memset(frame.bits(uPlane) + y * frame.bytesPerLine(uPlane), b, w / 2);
            std::memset(frame.bits(vPlane) + y * frame.bytesPerLine(vPlane), c, w / 2);
        }
    }
    frame.unmap();
    return frame;
}

bool everywhere(std::span<const std::uint8_t> plane, int value, int tolerance) {
    for (auto v : plane)
        if (std::abs(int(v) - value) > tolerance)
            return false;
    return true;
}

} // namespace

class TestCameraCapture : public QObject {
    Q_OBJECT
private slots:
    void yuvLayoutsKeepTheirSamples() {
        using F = QVideoFrameFormat::PixelFormat;
        for (const auto format : {F::Format_YUYV, F::Format_NV12, F::Format_YUV420P}) {
            VideoFrame out;
            const auto status =
                CameraCapture::convert(solidFrame(format, 64, 36, 90, 60, 200), out);
            QVERIFY2(status, status ? "" : status.error().message.c_str());
            QCOMPARE(out.width(), 64);
            QCOMPARE(out.height(), 36);
            QVERIFY(everywhere(out.y(), 90, 0));
            QVERIFY(everywhere(out.u(), 60, 0));
            QVERIFY(everywhere(out.v(), 200, 0));
        }
    }

    void rgbBecomesLimitedRangeYuv() {
        // Pure red: Y 82, U 90, V 240 in BT.601 limited range.
        VideoFrame out;
        QVERIFY(CameraCapture::convert(
            solidFrame(QVideoFrameFormat::Format_BGRA8888, 32, 18, 255, 0, 0), out));
        QVERIFY(everywhere(out.y(), 82, 1));
        QVERIFY(everywhere(out.u(), 90, 1));
        QVERIFY(everywhere(out.v(), 240, 1));
    }

    void otherLayoutsGoThroughQImage() {
        // YV12 is not one of ours: Qt converts it to RGB first, then it becomes I420 again
        // (a colour round trip: a few steps off at most).
        VideoFrame out;
        const auto status = CameraCapture::convert(
            solidFrame(QVideoFrameFormat::Format_YV12, 32, 18, 120, 100, 160), out);
        QVERIFY2(status, status ? "" : status.error().message.c_str());
        QCOMPARE(out.width(), 32);
        QVERIFY(everywhere(out.y(), 120, 4));
        QVERIFY(everywhere(out.u(), 100, 4));
        QVERIFY(everywhere(out.v(), 160, 4));
    }

    void anEmptyFrameIsAnError() {
        VideoFrame out;
        const auto status = CameraCapture::convert(QVideoFrame(), out);
        QVERIFY(!status);
        QVERIFY(!status.error().message.empty());
    }

    void noDeviceIsSaidPlainly() {
        CameraCapture capture;
        QString error;
        QVERIFY(!capture.start(QCameraDevice(), QSize(640, 360), &error));
        QVERIFY2(error.contains("No camera"), qPrintable(error));
        QVERIFY(!capture.running());
    }
};

QTEST_MAIN(TestCameraCapture)
#include "TestCameraCapture.moc"
