#pragma once
// The camera, through Qt Multimedia: QCamera into a QVideoSink whose pictures are converted to
// I420 on a worker thread (never on the GUI thread) into a PictureSlot, which the call's
// LocalVideoSource reads. While a picture is being converted, newer ones are dropped, so a
// slow machine sends fewer frames instead of piling them up.
//
// No camera is a normal state: start() says so and the call goes on without video. A camera
// that fails or is unplugged mid-call gives problem(message); the call goes on.
//
// Thread: GUI thread only (the worker is internal).

#include "diyuma/util/Result.h"

#include "VideoHub.h"

#include <QtCore/QObject>
#include <QtCore/QString>
#include <QtMultimedia/QCameraDevice>
#include <memory>

class QVideoFrame;

namespace diyuma::app {

class CameraCapture : public QObject {
    Q_OBJECT
public:
    explicit CameraCapture(QObject* parent = nullptr);
    ~CameraCapture() override;

    /// The cameras the system has now (re-read on every call).
    static QList<QCameraDevice> cameras();
    /// The camera `id` names (QCameraDevice::id as text), else the system's default camera;
    /// a null device when there is none at all.
    static QCameraDevice find(const QString& id);

    /// Starts `device`, asking for a format near `size`. False with a message to show when
    /// it cannot (no camera).
    bool start(const QCameraDevice& device, QSize size, QString* error);
    void stop();
    bool running() const;
    /// The camera's name while running, else empty.
    QString cameraName() const;
    /// The latest picture, in the camera's own size, captureUnixMs set.
    const PictureSlot& pictures() const;

    /// One camera picture into I420 (the layouts Qt cameras give; any other through
    /// QVideoFrame::toImage()). Public for tests.
    static core::Status convert(const QVideoFrame& frame, core::VideoFrame& out);

signals:
    /// The camera failed or went away; pictures stop (the call goes on).
    void problem(const QString& message);

private:
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace diyuma::app
