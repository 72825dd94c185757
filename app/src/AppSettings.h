#pragma once
// Everything the app remembers between runs (QSettings, organisation "Diyuma", application
// "Diyuma Conference"). Tests point QSettings at a temporary folder
// (QStandardPaths::setTestModeEnabled or XDG_CONFIG_HOME) so they never touch a person's file.
//
// Thread: GUI thread only.

#include <QtCore/QObject>
#include <QtCore/QSize>
#include <QtCore/QString>

namespace diyuma::app {

class AppSettings : public QObject {
    Q_OBJECT
public:
    explicit AppSettings(QObject* parent = nullptr);

    /// The default relay when none was chosen: a relay on this machine.
    static QString defaultRelay() { return QStringLiteral("127.0.0.1:47400"); }

    QString displayName() const; ///< empty until the person set one
    void setDisplayName(const QString& name);
    QString relay() const; ///< HOST:PORT, defaultRelay() when unset
    void setRelay(const QString& relay);
    bool privateViewByDefault() const;
    void setPrivateViewByDefault(bool on);

    QString inputDevice() const; ///< empty: the system default
    void setInputDevice(const QString& name);
    QString outputDevice() const; ///< empty: the system default
    void setOutputDevice(const QString& name);
    /// The picture we send: "" (the system's default camera), "camera:ID" (that camera, by
    /// QCameraDevice::id), "pattern" (the moving test pattern) or "none" (no video at all).
    QString videoSource() const;
    void setVideoSource(const QString& source);
    /// The videoSource() value naming camera `id`, and the camera ID in a source ("" if the
    /// source names no particular camera).
    static QString cameraSource(const QString& id);
    static QString cameraIdOf(const QString& source);
    /// The size we send at: 640x360 (default) or 1280x720; anything else reads as the default.
    QSize videoSize() const;
    void setVideoSize(QSize size);
    /// Data saver (default off): we send at most 640x360 (our 1280x720 layer is not sent
    /// while it is on, also in a running call) and receive at most 360 lines from everyone.
    bool dataSaver() const;
    void setDataSaver(bool on);
    /// The camera is on when a call starts (default on).
    bool cameraOnAtStart() const;
    void setCameraOnAtStart(bool on);

    bool echoCancellation() const; ///< default on (also noise suppression and gain control)
    void setEchoCancellation(bool on);

    bool pushToTalk() const; ///< default off: the mute toggle rules
    void setPushToTalk(bool on);
    bool joinLeaveSounds() const; ///< default on
    void setJoinLeaveSounds(bool on);
    /// "" (follow the system locale), "en" or "ru"; takes effect at the next start.
    QString language() const;
    void setLanguage(const QString& code);

signals:
    /// Some setting changed (the call screen re-reads push-to-talk and sounds).
    void changed();
};

} // namespace diyuma::app
