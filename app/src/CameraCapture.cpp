#include "CameraCapture.h"

#include "diyuma/video/PictureConvert.h"

#include <QtCore/QDateTime>
#include <QtCore/QThread>
#include <QtGui/QImage>
#include <QtMultimedia/QCamera>
#include <QtMultimedia/QMediaCaptureSession>
#include <QtMultimedia/QMediaDevices>
#include <QtMultimedia/QVideoFrame>
#include <QtMultimedia/QVideoSink>
#include <array>
#include <atomic>
#include <cmath>
#include <optional>

namespace diyuma::app {

namespace {

std::optional<core::PixelLayout> layoutOf(QVideoFrameFormat::PixelFormat format) {
    using F = QVideoFrameFormat::PixelFormat;
    switch (format) {
    case F::Format_YUV420P:
        return core::PixelLayout::I420;
    case F::Format_NV12:
        return core::PixelLayout::Nv12;
    case F::Format_YUYV:
        return core::PixelLayout::Yuyv;
    case F::Format_UYVY:
        return core::PixelLayout::Uyvy;
    case F::Format_BGRA8888:
    case F::Format_BGRX8888:
        return core::PixelLayout::Bgrx;
    case F::Format_RGBA8888:
    case F::Format_RGBX8888:
        return core::PixelLayout::Rgbx;
    case F::Format_ARGB8888:
    case F::Format_XRGB8888:
        return core::PixelLayout::Xrgb;
    default:
        return std::nullopt;
    }
}

/// How well a camera format suits: close to the size we send, smooth, no JPEG to decode.
double formatCost(const QCameraFormat& format, QSize wanted) {
    const QSize size = format.resolution();
    double cost = std::abs(std::log2(std::max(1.0, double(size.width()) * size.height()) /
                                     (double(wanted.width()) * wanted.height())));
    if (size.width() < wanted.width() || size.height() < wanted.height())
        cost += 0.5; // upscaling looks worse than downscaling
    if (format.maxFrameRate() < 24.0F)
        cost += 2.0;
    if (!layoutOf(format.pixelFormat()))
        cost += 0.25; // converted through QImage (JPEG decoded first)
    return cost;
}

} // namespace

class CameraCapture::Private {
public:
    std::unique_ptr<QCamera> camera;
    std::unique_ptr<QMediaCaptureSession> session;
    std::unique_ptr<QVideoSink> sink;
    QMediaDevices devices;
    QThread worker;
    QObject* converter = nullptr; ///< lives on `worker`
    PictureSlot pictures;
    /// A picture is on its way to the converter: later ones are dropped until it is done.
    /// acq_rel: the converter's release of the flag orders its slot write before the next
    /// frame's conversion (the slot itself locks; this only keeps one in flight).
    std::shared_ptr<std::atomic<bool>> busy = std::make_shared<std::atomic<bool>>(false);
    QString name;
    QByteArray id;
};

CameraCapture::CameraCapture(QObject* parent) : QObject(parent), d(std::make_unique<Private>()) {
    d->converter = new QObject;
    d->converter->moveToThread(&d->worker);
    connect(&d->worker, &QThread::finished, d->converter, &QObject::deleteLater);
    d->worker.setObjectName(QStringLiteral("camera-convert"));
    d->worker.start();
    connect(&d->devices, &QMediaDevices::videoInputsChanged, this, [this] {
        if (!running())
            return;
        for (const auto& device : QMediaDevices::videoInputs())
            if (device.id() == d->id)
                return;
        const QString name = d->name;
        stop();
        emit problem(tr("The camera \"%1\" was disconnected. The call goes on without your "
                        "video.")
                         .arg(name));
    });
}

CameraCapture::~CameraCapture() {
    stop();
    d->worker.quit();
    d->worker.wait();
}

QList<QCameraDevice> CameraCapture::cameras() {
    return QMediaDevices::videoInputs();
}

QCameraDevice CameraCapture::find(const QString& id) {
    const auto all = cameras();
    for (const auto& device : all)
        if (!id.isEmpty() && QString::fromUtf8(device.id()) == id)
            return device;
    return QMediaDevices::defaultVideoInput();
}

bool CameraCapture::start(const QCameraDevice& device, QSize size, QString* error) {
    stop();
    if (device.isNull()) {
        if (error)
            *error = tr("No camera was found. The call goes on without your video; the test "
                        "pattern can be chosen in Settings.");
        return false;
    }
    d->camera = std::make_unique<QCamera>(device);
    const auto formats = device.videoFormats();
    if (!formats.isEmpty()) {
        QCameraFormat best = formats.first();
        for (const auto& format : formats)
            if (formatCost(format, size) < formatCost(best, size))
                best = format;
        d->camera->setCameraFormat(best);
    }
    d->session = std::make_unique<QMediaCaptureSession>();
    d->sink = std::make_unique<QVideoSink>();
    d->session->setCamera(d->camera.get());
    d->session->setVideoSink(d->sink.get());
    // The sink may signal on a backend thread: only hand the frame over from there.
    auto busy = d->busy;
    PictureSlot* slot = &d->pictures;
    QObject* converter = d->converter;
    connect(
        d->sink.get(), &QVideoSink::videoFrameChanged, converter,
        [busy, slot, converter](const QVideoFrame& frame) {
            if (!frame.isValid() || busy->exchange(true, std::memory_order_acq_rel))
                return;
            const qint64 capturedAt = QDateTime::currentMSecsSinceEpoch();
            QMetaObject::invokeMethod(
                converter,
                [busy, slot, frame, capturedAt] {
                    thread_local core::VideoFrame picture;
                    if (convert(frame, picture)) {
                        picture.captureUnixMs = capturedAt;
                        slot->store(picture);
                    }
                    busy->store(false, std::memory_order_release);
                },
                Qt::QueuedConnection);
        },
        Qt::DirectConnection);
    connect(d->camera.get(), &QCamera::errorOccurred, this,
            [this](QCamera::Error code, const QString& text) {
                if (code == QCamera::NoError)
                    return;
                emit problem(tr("The camera stopped: %1. The call goes on without your video.")
                                 .arg(text.isEmpty() ? tr("unknown error") : text));
            });
    d->name = device.description();
    d->id = device.id();
    d->camera->start();
    return true;
}

void CameraCapture::stop() {
    if (d->camera) {
        d->camera->stop();
        d->session->setVideoSink(nullptr);
        d->session->setCamera(nullptr);
    }
    d->sink.reset();
    d->session.reset();
    d->camera.reset();
    d->name.clear();
    d->id.clear();
    d->pictures.clear();
}

bool CameraCapture::running() const {
    return d->camera != nullptr;
}

QString CameraCapture::cameraName() const {
    return d->name;
}

const PictureSlot& CameraCapture::pictures() const {
    return d->pictures;
}

core::Status CameraCapture::convert(const QVideoFrame& source, core::VideoFrame& out) {
    QVideoFrame frame = source; // shallow: map() needs a non-const frame
    const auto layout = layoutOf(frame.pixelFormat());
    if (layout && frame.map(QVideoFrame::ReadOnly)) {
        std::array<core::PlaneView, 3> planes{};
        const int count = std::min(frame.planeCount(), 3);
        for (int i = 0; i < count; ++i)
            planes[static_cast<std::size_t>(i)] =
                core::PlaneView{std::span<const std::uint8_t>(
                                    frame.bits(i), static_cast<std::size_t>(frame.mappedBytes(i))),
                                static_cast<std::size_t>(frame.bytesPerLine(i))};
        auto converted =
            core::toI420(*layout, std::span(planes).first(static_cast<std::size_t>(count)),
                         frame.width(), frame.height(), out);
        frame.unmap();
        return converted;
    }
    // JPEG and the rarer layouts: Qt decodes or converts to RGB first.
    const QImage image = frame.toImage().convertToFormat(QImage::Format_RGB32);
    if (image.isNull())
        return core::Error{static_cast<int>(core::VideoErrorCode::FileFormat),
                           "the camera gave a picture in a format that cannot be read"};
    const std::array planes{
        core::PlaneView{std::span<const std::uint8_t>(
                            image.constBits(), static_cast<std::size_t>(image.sizeInBytes())),
                        static_cast<std::size_t>(image.bytesPerLine())}};
    // Format_RGB32 is the word 0xffRRGGBB: bytes B, G, R, X on a little-endian machine.
    return core::toI420(QSysInfo::ByteOrder == QSysInfo::LittleEndian ? core::PixelLayout::Bgrx
                                                                      : core::PixelLayout::Xrgb,
                        planes, image.width(), image.height(), out);
}

} // namespace diyuma::app
