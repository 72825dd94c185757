#pragma once
// The bridge between the widgets and a call: owns the CallRunner (core, media thread), the
// audio devices (devices/), the microphone processing, the camera and the pictures, and turns the
// runner's observer callbacks into queued Qt signals on the GUI thread. Widgets never see core
// threads.
//
// Life of a call: start() ─► joined() ... rosterChanged() ... ─► ended()
//                 start() ─► failed(message) ─► ended()
//                 while in the call: reconnecting(reason) ─► joined(rejoined = true)
// A device that fails mid-call gives deviceProblem(message); the call goes on (the
// controller retries, then falls back to the default device, then to no device), and
// deviceRecovered(message) when it works again. deviceProblem's message holds every current
// device problem (microphone and speaker, one per line), so the latest never hides another.
//
// Join and leave chimes (AppSettings::joinLeaveSounds) are played here, never for ourselves
// and never for the people already in the conference when we join.
//
// Thread: GUI thread only.

#include "diyuma/session/CallRunner.h"

#include "AppSettings.h"
#include "TileSubscription.h"

#include <QtCore/QObject>
#include <QtCore/QString>
#include <QtCore/QTimer>
#include <memory>

namespace diyuma::devices {
class AudioSystem;
}

namespace diyuma::app {

class VideoHub;

class CallController : public QObject {
    Q_OBJECT
public:
    /// `settings` gives the devices and processing options; it must outlive the controller.
    explicit CallController(AppSettings& settings, QObject* parent = nullptr);
    ~CallController() override;

    /// Starts a call (create-and-join or join, see core::CallRequest). Returns false with a
    /// message in `error` for what can be seen at once (bad name, a call already running).
    /// Audio devices that cannot be opened do not stop the call: deviceProblem() says so.
    bool start(core::CallRequest request, QString* error);
    /// Whether start() opens the audio devices (default true). Tests and headless runs turn
    /// it off to run calls without devices deliberately (no deviceProblem then). Takes effect
    /// at the next start().
    void setUseAudioDevices(bool use);
    bool useAudioDevices() const;
    /// Leaves; ended() follows within a second. Safe to call when no call runs.
    void leave();
    bool inCall() const;

    /// Microphone off (the relay shows it to everyone). Kept across calls; mutedChanged()
    /// tells when it changes.
    void setMuted(bool muted);
    bool muted() const;
    /// The admin muted us and does not let us unmute yet (setMuted(false) is refused).
    bool unmuteLocked() const;
    void setParticipantVolume(quint32 participantId, float gain);

    /// Video. What we send comes from the settings at start() (the camera, the test pattern
    /// or nothing); with no camera the call is audio-only and videoNotice() says why.
    /// setCameraOn() turns the camera (or pattern) on and off during the call; it is
    /// remembered for the next call (AppSettings::cameraOnAtStart).
    void setCameraOn(bool on);
    /// Whether we send pictures now.
    bool cameraOn() const;
    /// Whether this call has a picture source at all (false: audio-only).
    bool sendsVideo() const;
    QString videoNotice() const;
    /// The pictures of the call: every remote participant's and our own (self-view).
    VideoHub& video();
    /// The largest size our video is sent at now (invalid without video): the Quality
    /// setting read at start(), at most 640x360 while data saver is on.
    QSize sendSize() const;
    /// The remote tiles as the screen shows them now (CallPage, ~10 times a second): the
    /// relay is asked for the picture height each needs (TileSubscription: rounded up to
    /// 180/360/720, the smallest for hidden tiles, at most 360 with data saver, which applies
    /// at once), and told only when that changes.
    void setTileViews(std::vector<TileView> tiles);
    /// What we asked the relay for last in this call (unset outside a call).
    std::optional<core::VideoSubscription> videoSubscription() const;
    /// Admins: private view on or off; snapshot().privateView follows within a second.
    void setPrivateView(bool on);
    /// Admins: mute a participant (`mode`), or remove them (they cannot rejoin for a while).
    void muteParticipant(quint32 participantId, core::wire::AdminMute mode);
    void removeParticipant(quint32 participantId);

    /// The latest snapshot (refreshed ~10 times a second while in a call).
    const core::CallSnapshot& snapshot() const;
    /// The invite link (no admin secret) once known, else empty.
    QString inviteLink() const;
    /// The admin link once known and we are admin, else empty.
    QString adminInviteLink() const;

    /// The shared PortAudio state, also used by the settings dialog (re-enumerates).
    devices::AudioSystem* audioSystem();
    /// Plays a short sound on the chosen output device (test sound; chimes use it too).
    void playTestSound();

signals:
    void created(const QString& inviteLink);
    void joined(bool rejoined);
    void rosterChanged();
    /// New snapshot (levels, RTT, loss, stats): ~10 Hz while in a call.
    void snapshotUpdated();
    void reconnecting(const QString& reason);
    void failed(const QString& message);
    void deviceProblem(const QString& message);
    /// A device that failed works again (reopened or fell back to the default device).
    void deviceRecovered(const QString& message);
    void mutedChanged(bool muted);
    /// The camera went on or off (setCameraOn, or a new call).
    void cameraChanged(bool on);
    /// The admin muted us (`locked`: and does not let us unmute yet), or lifted the lock.
    void mutedByAdmin(bool muted, bool locked);
    void ended();

private:
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace diyuma::app
