#include "CallController.h"

#include "diyuma/devices/AudioDevices.h"
#include "diyuma/devices/AudioProcessing.h"

#include "CameraCapture.h"
#include "Chimes.h"
#include "DeviceSwitch.h"
#include "VideoHub.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QLoggingCategory>
#include <QtCore/QMetaObject>
#include <QtCore/QPointer>
#include <atomic>
#include <chrono>
#include <limits>
#include <optional>

Q_LOGGING_CATEGORY(lcCall, "diyuma.call")
Q_LOGGING_CATEGORY(lcCore, "diyuma.core")

namespace diyuma::app {

namespace {

using namespace std::chrono_literals;

constexpr auto kSnapshotInterval = 100ms;
/// Pause before the first attempt to bring a failed device back, and between attempts.
constexpr auto kDeviceRetryInterval = 1000ms;
/// reopen() attempts on the failed device itself (it falls back to the default device when
/// the chosen one is gone) before re-enumerating PortAudio and opening both afresh.
constexpr int kDeviceReopenAttempts = 2;
/// How long to keep a temporary playback device open for the test melody.
constexpr auto kTestSoundHold = 2000ms;
/// A nominal output + input latency for the echo canceller's start; WebRtc estimates the
/// real delay itself (delay-agnostic mode).
constexpr int kNominalDeviceDelayMs = 60;
constexpr int kVideoFrameRate = 30;

/// What we send at a size (the bitrate diyuma-cli uses too).
core::Vp8EncoderConfig videoConfigFor(QSize size) {
    core::Vp8EncoderConfig config;
    config.width = size.width();
    config.height = size.height();
    config.frameRate = kVideoFrameRate;
    config.bitrateBps = core::defaultVideoBitrateBps(size.width(), size.height());
    return config;
}

/// Core log lines to QLoggingCategory (thread-safe: Qt's logging is).
class QtLogSink final : public core::LogSink {
public:
    void log(core::LogCategory category, core::LogLevel level, std::string_view message) override {
        const QString line = QStringLiteral("%1: %2").arg(
            QString::fromUtf8(core::toString(category).data(),
                              static_cast<qsizetype>(core::toString(category).size())),
            QString::fromUtf8(message.data(), static_cast<qsizetype>(message.size())));
        switch (level) {
        case core::LogLevel::Debug:
            qCDebug(lcCore).noquote() << line;
            break;
        case core::LogLevel::Info:
            qCInfo(lcCore).noquote() << line;
            break;
        case core::LogLevel::Warning:
            qCWarning(lcCore).noquote() << line;
            break;
        case core::LogLevel::Error:
            qCCritical(lcCore).noquote() << line;
            break;
        }
    }
};

QString fromStd(const std::string& s) {
    return QString::fromStdString(s);
}

/// Whether the microphone is processed (echo cancellation, noise suppression, gain control).
/// Null when it is turned off in the settings or the library refused (logged; the call goes on
/// with the raw microphone).
std::unique_ptr<core::AudioProcessor> makeMicrophoneProcessor(bool enabled) {
    if (!enabled)
        return nullptr;
    devices::AudioProcessingOptions options;
    options.deviceDelayMs = kNominalDeviceDelayMs;
    auto processor = devices::makeAudioProcessor(devices::kDefaultAudioProcessingBackend, options);
    if (!processor) {
        qCWarning(lcCall) << "microphone processing unavailable:"
                          << fromStd(processor.error().message);
        return nullptr;
    }
    return std::move(processor.value());
}

} // namespace

/// One audio device of the call (microphone or speaker) and its recovery state.
template <typename Device, typename Switch>
struct DeviceSlot {
    enum class State { Off, Running, Failed, GaveUp };
    std::unique_ptr<Device> device;
    Switch output; ///< what the runner holds; points at `device` or at nothing
    State state = State::Off;
    int attempts = 0;
    std::optional<QElapsedTimer> nextAttemptTimer;
    QString problem; ///< what is wrong with this device now, for the call screen; empty: fine

    void attach(std::unique_ptr<Device> d) {
        device = std::move(d);
        output.attach(device.get());
        state = device ? State::Running : State::Off;
        attempts = 0;
        nextAttemptTimer.reset();
    }
    /// Waits until the media thread is out of the device, then closes it.
    void close() {
        output.detach();
        device.reset();
    }
};

class CallController::Private final : public core::CallObserver {
public:
    Private(CallController* owner, AppSettings& appSettings) : q(owner), settings(appSettings) {}
    ~Private() override { endCall(); }

    CallController* q;
    AppSettings& settings;
    QtLogSink logSink;
    bool useAudioDevices = true;
    bool muted = false;
    bool unmuteLocked = false; ///< the admin keeps us muted (their last word, this call)

    std::unique_ptr<devices::AudioSystem> audioSystem;
    bool audioSystemTried = false;
    QString audioSystemError;

    // Declared before the runner: the runner holds pointers into these and is destroyed first.
    VideoHub video;
    CameraCapture* camera = nullptr; ///< child of the controller
    std::unique_ptr<LocalVideoSource> localVideo;
    QSize videoSize;
    bool useCamera = false; ///< this call's pictures come from the camera
    QString cameraId;       ///< the camera of this call ("" default)
    bool cameraOn = true;   ///< what the person wants (the camera may still be missing)
    QString videoNotice;    ///< why we send no video (no camera), for the call screen
    QString cameraProblem;
    DeviceSlot<devices::CaptureDevice, CaptureSwitch> mic;
    DeviceSlot<devices::PlaybackDevice, PlaybackSwitch> speaker;
    std::unique_ptr<core::AudioProcessor> processor;
    std::unique_ptr<devices::PlaybackDevice> testPlayback; ///< outside a call only
    QTimer testPlaybackCloser;

    core::CallRequest request;
    std::unique_ptr<core::CallRunner> runner;
    /// Counts calls; callbacks queued by an earlier call's runner are dropped.
    std::atomic<quint64> generation{0}; ///< read by post() on the media thread
    bool leaving = false;
    core::CallSnapshot snapshot;
    QTimer timer;
    TileSubscription tiers;
    JoinLeaveTracker chimes;
    QElapsedTimer clock;

    devices::AudioSystem* system();
    void openDevices();
    /// Chooses the picture source from the settings (pattern, camera, none) for a new call.
    void openVideo();
    /// Starts or stops the camera as cameraOn says (the pattern needs nothing).
    void applyCamera();
    void pollDevices();
    template <typename Slot>
    void pollDevice(Slot& slot, const QString& what);
    void reenumerate();
    /// Notes `message` as the current problem of `slot` and emits deviceProblem() with every
    /// current problem: the microphone's and the speaker's fail together when a sound server
    /// goes, and the call screen shows one message, which must not hide the other.
    template <typename Slot>
    void reportProblem(Slot& slot, const QString& message);
    /// `slot` works again: deviceRecovered(message), then what is still wrong, if anything.
    template <typename Slot>
    void reportRecovered(Slot& slot, const QString& message);
    QString currentProblems() const;
    void playSound(const std::vector<std::int16_t>& sound);
    void refreshSnapshot();
    /// Sends `subscription` to the runner, if there is one.
    void subscribe(const std::optional<core::VideoSubscription>& subscription);
    std::uint16_t receiveCap() const {
        return settings.dataSaver() ? TileSubscription::kDataSaverCap : TileSubscription::kFullCap;
    }
    /// The tallest picture we send (CallRunner::setMaxSendHeight).
    int sendCap() const {
        return settings.dataSaver() ? TileSubscription::kDataSaverCap
                                    : std::numeric_limits<int>::max();
    }
    void endCall();
    QString messageFor(const core::SessionError& error) const;
    std::chrono::milliseconds now() const { return std::chrono::milliseconds(clock.elapsed()); }

    /// Runs `fn` on the GUI thread later, unless the controller is gone or another call
    /// started meanwhile. `fn` must own copies of whatever it uses.
    template <typename Fn>
    void post(Fn fn) {
        const quint64 gen = generation;
        // The controller is the context object: if it is destroyed while this is queued,
        // Qt drops the call (and the runner, whose thread posts, is joined before that).
        QMetaObject::invokeMethod(
            q,
            [self = QPointer<CallController>(q), gen, fn = std::move(fn)]() mutable {
                if (self && self->d && self->d->generation == gen)
                    fn(*self->d);
            },
            Qt::QueuedConnection);
    }

    // core::CallObserver (media thread): copy, post, return.
    void onCreated(const core::Invite& invite) override {
        post([invite](Private& d) { emit d.q->created(fromStd(invite.link())); });
    }
    void onJoined(const core::JoinInfo& /*info*/, bool rejoined) override {
        post([rejoined](Private& d) {
            d.refreshSnapshot();
            std::vector<std::uint32_t> present;
            for (const auto& p : d.snapshot.participants)
                present.push_back(p.participantId);
            d.chimes.reset(d.now(), present);
            emit d.q->joined(rejoined);
        });
    }
    void onRosterChanged(const core::RosterChange& change) override {
        post([change](Private& d) {
            d.refreshSnapshot();
            const auto sound = d.chimes.onChange(change, d.now());
            if (sound != JoinLeaveTracker::Sound::None && d.settings.joinLeaveSounds())
                d.playSound(sound == JoinLeaveTracker::Sound::Join ? joinChime() : leaveChime());
            emit d.q->rosterChanged();
        });
    }
    void onReconnecting(std::string_view reason) override {
        post([reason = std::string(reason)](Private& d) {
            d.refreshSnapshot();
            emit d.q->reconnecting(fromStd(reason));
        });
    }
    void onMutedByAdmin(bool isMuted, bool locked) override {
        post([isMuted, locked](Private& d) {
            d.refreshSnapshot();
            d.unmuteLocked = locked;
            if (d.muted != isMuted) {
                d.muted = isMuted;
                emit d.q->mutedChanged(isMuted);
            }
            emit d.q->mutedByAdmin(isMuted, locked);
        });
    }
    void onFailed(const core::SessionError& error) override {
        post([error](Private& d) { emit d.q->failed(d.messageFor(error)); });
    }
    void onEnded() override {
        post([](Private& d) {
            d.endCall();
            emit d.q->ended();
        });
    }
};

devices::AudioSystem* CallController::Private::system() {
    if (audioSystem || audioSystemTried)
        return audioSystem.get();
    audioSystemTried = true;
    auto created = devices::AudioSystem::create();
    if (!created) {
        audioSystemError = fromStd(created.error().message);
        qCWarning(lcCall) << "audio system unavailable:" << audioSystemError;
        return nullptr;
    }
    audioSystem = std::move(created.value());
    return audioSystem.get();
}

void CallController::Private::openDevices() {
    auto* sys = system();
    if (!sys) {
        emit q->deviceProblem(
            tr("The sound system could not be started (%1). The call goes on without "
               "microphone and speaker.")
                .arg(audioSystemError));
        return;
    }
    auto capture = devices::CaptureDevice::open(*sys, settings.inputDevice().toStdString());
    if (capture) {
        mic.attach(std::move(capture.value()));
    } else {
        mic.state = decltype(mic)::State::GaveUp;
        reportProblem(mic, tr("The microphone could not be opened (%1). The call goes on, "
                              "but the others cannot hear you.")
                               .arg(fromStd(capture.error().message)));
    }
    auto playback = devices::PlaybackDevice::open(*sys, settings.outputDevice().toStdString());
    if (playback) {
        speaker.attach(std::move(playback.value()));
    } else {
        speaker.state = decltype(speaker)::State::GaveUp;
        reportProblem(speaker, tr("The speaker could not be opened (%1). The call goes on, "
                                  "but you cannot hear the others.")
                                   .arg(fromStd(playback.error().message)));
    }
}

template <typename Slot>
void CallController::Private::pollDevice(Slot& slot, const QString& what) {
    using State = typename Slot::State;
    if (slot.state == State::Running && slot.device &&
        slot.device->status() == devices::DeviceStatus::Failed) {
        slot.state = State::Failed;
        slot.attempts = 0;
        slot.nextAttemptTimer.emplace();
        slot.nextAttemptTimer->start();
        reportProblem(slot, tr("The %1 stopped working (%2). Trying to reconnect…")
                                .arg(what, fromStd(slot.device->lastError())));
        return;
    }
    if (slot.state != State::Failed || !slot.nextAttemptTimer ||
        slot.nextAttemptTimer->elapsed() < kDeviceRetryInterval.count())
        return;

    ++slot.attempts;
    slot.nextAttemptTimer->restart();
    if (slot.attempts <= kDeviceReopenAttempts && slot.device && audioSystem) {
        // The media thread stays out of the device while it is reopened (silence meanwhile).
        slot.output.detach();
        auto status = slot.device->reopen(*audioSystem);
        slot.output.attach(slot.device.get());
        if (status && slot.device->status() == devices::DeviceStatus::Running) {
            slot.state = State::Running;
            reportRecovered(
                slot,
                tr("The %1 works again (%2).").arg(what, fromStd(slot.device->usedDeviceName())));
        } else {
            qCInfo(lcCall) << what << "reopen attempt" << slot.attempts << "failed:"
                           << (status ? fromStd(slot.device->lastError())
                                      : fromStd(status.error().message));
        }
        return;
    }
    // Reopening in place did not help: PortAudio only sees new devices after a restart.
    reenumerate();
}

void CallController::Private::reenumerate() {
    const bool micWasFailing = mic.state == decltype(mic)::State::Failed;
    const bool speakerWasFailing = speaker.state == decltype(speaker)::State::Failed;
    mic.close();
    speaker.close();
    if (!audioSystem || !audioSystem->reinitialize()) {
        mic.state = decltype(mic)::State::GaveUp;
        speaker.state = decltype(speaker)::State::GaveUp;
        const QString message = tr("The sound system stopped working. The call goes on without "
                                   "microphone and speaker.");
        speaker.problem = message; // one message for both (shown once)
        reportProblem(mic, message);
        return;
    }
    auto reopenOne = [&](auto& slot, auto opened, bool wasFailing, const QString& what,
                         const QString& goneMessage) {
        if (opened) {
            slot.attach(std::move(opened.value()));
            if (wasFailing || !slot.problem.isEmpty())
                reportRecovered(slot, tr("The %1 works again (%2).")
                                          .arg(what, fromStd(slot.device->usedDeviceName())));
        } else {
            slot.state = std::remove_reference_t<decltype(slot)>::State::GaveUp;
            reportProblem(slot, goneMessage);
        }
    };
    reopenOne(mic, devices::CaptureDevice::open(*audioSystem, settings.inputDevice().toStdString()),
              micWasFailing, tr("microphone"),
              tr("No microphone is available. The call goes on, but the others cannot hear "
                 "you."));
    reopenOne(speaker,
              devices::PlaybackDevice::open(*audioSystem, settings.outputDevice().toStdString()),
              speakerWasFailing, tr("speaker"),
              tr("No speaker is available. The call goes on, but you cannot hear the others."));
}

template <typename Slot>
void CallController::Private::reportProblem(Slot& slot, const QString& message) {
    slot.problem = message;
    emit q->deviceProblem(currentProblems());
}

template <typename Slot>
void CallController::Private::reportRecovered(Slot& slot, const QString& message) {
    slot.problem.clear();
    emit q->deviceRecovered(message);
    if (const QString rest = currentProblems(); !rest.isEmpty())
        emit q->deviceProblem(rest); // the other device is still in trouble: keep it shown
}

QString CallController::Private::currentProblems() const {
    QStringList all;
    for (const QString* problem : {&mic.problem, &speaker.problem, &cameraProblem})
        if (!problem->isEmpty() && !all.contains(*problem))
            all << *problem;
    return all.join(QLatin1Char('\n'));
}

void CallController::Private::pollDevices() {
    pollDevice(mic, tr("microphone"));
    pollDevice(speaker, tr("speaker"));
}

void CallController::Private::playSound(const std::vector<std::int16_t>& sound) {
    if (speaker.device && speaker.state == decltype(speaker)::State::Running) {
        speaker.device->playSound(sound);
        return;
    }
    if (runner)
        return; // in a call without a working speaker: nothing to play on
    if (!useAudioDevices)
        return;
    auto* sys = system();
    if (!sys) {
        emit q->deviceProblem(
            tr("The sound system could not be started (%1).").arg(audioSystemError));
        return;
    }
    if (!testPlayback) {
        auto opened = devices::PlaybackDevice::open(*sys, settings.outputDevice().toStdString());
        if (!opened) {
            emit q->deviceProblem(
                tr("The speaker could not be opened (%1).").arg(fromStd(opened.error().message)));
            return;
        }
        testPlayback = std::move(opened.value());
    }
    testPlayback->playSound(sound);
    testPlaybackCloser.start(kTestSoundHold);
}

void CallController::Private::refreshSnapshot() {
    if (runner)
        snapshot = runner->snapshot();
}

void CallController::Private::subscribe(
    const std::optional<core::VideoSubscription>& subscription) {
    if (subscription && runner)
        runner->setVideoSubscription(*subscription);
}

void CallController::Private::endCall() {
    timer.stop();
    tiers.reset();
    if (runner) {
        runner.reset(); // leaves if needed and joins the media thread
        snapshot.phase = core::CallPhase::Ended;
    }
    processor.reset();
    localVideo.reset();
    camera->stop();
    cameraProblem.clear();
    video.clear(); // the runner, the only other user of the hub, is gone
    mic.close();
    speaker.close();
    mic.state = decltype(mic)::State::Off;
    speaker.state = decltype(speaker)::State::Off;
    mic.problem.clear();
    speaker.problem.clear();
    unmuteLocked = false;
    leaving = false;
}

QString CallController::Private::messageFor(const core::SessionError& error) const {
    using Code = core::SessionErrorCode;
    const QString relay = fromStd(request.relay.toString());
    const QString id = fromStd(core::ConferenceId(request.conferenceId).toString());
    switch (error.code) {
    case Code::RelayDidNotAnswer:
        return tr("The relay at %1 does not answer. Check the address and that the relay is "
                  "running.")
            .arg(relay);
    case Code::UnknownConference:
        return tr("There is no conference %1 on the relay %2. Check the ID or the invite link; "
                  "the conference may have ended.")
            .arg(id, relay);
    case Code::ConferenceFull:
        return tr("The conference %1 is full. Try again later.").arg(id);
    case Code::BadAdminSecret:
        return tr("This admin link does not belong to the conference %1. Ask for a new link or "
                  "join with the invite link.")
            .arg(id);
    case Code::UnsupportedVersion:
        return tr("The relay at %1 speaks another protocol version. Update Diyuma Conference or "
                  "the relay.")
            .arg(relay);
    case Code::RateLimited:
        return tr("The relay at %1 is busy. Try again in a moment.").arg(relay);
    case Code::Removed:
        return tr("The admin removed you from the conference %1. You can come back later.").arg(id);
    case Code::TooManyConferences:
        return tr("The relay at %1 cannot host another conference right now.").arg(relay);
    default:
        return fromStd(error.message);
    }
}

void CallController::Private::openVideo() {
    localVideo.reset();
    camera->stop();
    videoNotice.clear();
    cameraProblem.clear();
    useCamera = false;
    // The Quality setting, data saver or not: the layers are announced in the Join, so that
    // data saver turned off during the call can bring the 720p layer (sendCap() stops it).
    videoSize = settings.videoSize();
    const QString source = settings.videoSource();
    cameraOn = settings.cameraOnAtStart();
    if (source == QLatin1String("none")) {
        videoNotice = tr("Video is turned off in Settings.");
        return;
    }
    if (source == QLatin1String("pattern")) {
        localVideo =
            std::make_unique<LocalVideoSource>(LocalVideoSource::Kind::Pattern, videoSize.width(),
                                               videoSize.height(), nullptr, video.self());
    } else {
        cameraId = AppSettings::cameraIdOf(source);
        if (CameraCapture::find(cameraId).isNull()) {
            videoNotice = tr("No camera was found: the others hear you but do not see you. The "
                             "test pattern can be chosen in Settings.");
            return;
        }
        useCamera = true;
        localVideo = std::make_unique<LocalVideoSource>(LocalVideoSource::Kind::Camera,
                                                        videoSize.width(), videoSize.height(),
                                                        &camera->pictures(), video.self());
    }
    applyCamera();
}

void CallController::Private::applyCamera() {
    if (!localVideo)
        return;
    localVideo->setEnabled(cameraOn);
    if (!useCamera)
        return;
    if (!cameraOn) {
        camera->stop(); // the camera's light goes off too
        return;
    }
    if (camera->running())
        return;
    QString error;
    if (!camera->start(CameraCapture::find(cameraId), videoSize, &error)) {
        cameraProblem = error;
        emit q->deviceProblem(currentProblems());
    } else if (!cameraProblem.isEmpty()) {
        cameraProblem.clear();
        emit q->deviceRecovered(tr("The camera works again (%1).").arg(camera->cameraName()));
    }
}

CallController::CallController(AppSettings& settings, QObject* parent)
    : QObject(parent), d(std::make_unique<Private>(this, settings)) {
    d->camera = new CameraCapture(this);
    connect(d->camera, &CameraCapture::problem, this, [this](const QString& message) {
        if (!d->runner)
            return;
        d->cameraProblem = message;
        emit deviceProblem(d->currentProblems());
    });
    d->clock.start();
    d->timer.setInterval(kSnapshotInterval);
    connect(&d->timer, &QTimer::timeout, this, [this] {
        d->refreshSnapshot();
        d->pollDevices();
        emit snapshotUpdated();
    });
    // Data saver switched during a call: the receive cap and the send cap apply at once.
    connect(&settings, &AppSettings::changed, this, [this] {
        if (d->tiers.cap() == d->receiveCap())
            return;
        d->tiers.setCap(d->receiveCap());
        if (!d->runner)
            return;
        d->subscribe(d->tiers.recompute());
        d->runner->setMaxSendHeight(d->sendCap());
    });
    d->testPlaybackCloser.setSingleShot(true);
    connect(&d->testPlaybackCloser, &QTimer::timeout, this, [this] { d->testPlayback.reset(); });
}

CallController::~CallController() = default;

bool CallController::start(core::CallRequest request, QString* error) {
    auto fail = [error](const QString& message) {
        if (error)
            *error = message;
        return false;
    };
    if (d->runner && !d->leaving)
        return fail(tr("A call is already running. Leave it first."));
    if (d->runner) {
        // Still leaving the previous call: finish that now, so the new one starts clean.
        ++d->generation;
        d->endCall();
        emit ended();
    }

    ++d->generation;
    d->request = request;
    d->snapshot = {};
    d->testPlaybackCloser.stop();
    d->testPlayback.reset(); // one output stream at a time
    d->muted = d->settings.pushToTalk();

    core::AudioCaptureSource* capture = nullptr;
    core::AudioPlaybackSink* playback = nullptr;
    if (d->useAudioDevices) {
        d->openDevices();
        // The switches, not the devices: a device can then be replaced mid-call.
        capture = &d->mic.output;
        playback = &d->speaker.output;
        d->processor = makeMicrophoneProcessor(d->settings.echoCancellation());
    }

    d->openVideo();
    if (d->localVideo)
        request.sendVideo = videoConfigFor(d->videoSize);
    request.maxSendHeight = d->sendCap();
    core::CallMedia media{capture, playback, d->processor.get(), d->localVideo.get(), &d->video};
    auto started = core::CallRunner::start(std::move(request), media, *d, &d->logSink);
    if (!started) {
        d->endCall();
        return fail(fromStd(started.error().message));
    }
    d->runner = std::move(started.value());
    d->runner->setMuted(d->muted);
    // Until the page reports its tiles: everyone at most the cap.
    d->tiers.reset();
    d->tiers.setCap(d->receiveCap());
    d->subscribe(d->tiers.update({}));
    d->refreshSnapshot();
    d->timer.start();
    emit mutedChanged(d->muted);
    emit cameraChanged(cameraOn());
    return true;
}

void CallController::setUseAudioDevices(bool use) {
    d->useAudioDevices = use;
}

bool CallController::useAudioDevices() const {
    return d->useAudioDevices;
}

void CallController::leave() {
    if (!d->runner || d->leaving)
        return;
    d->leaving = true;
    d->runner->leave();
}

bool CallController::inCall() const {
    return d->runner != nullptr;
}

void CallController::setMuted(bool muted) {
    if (d->muted == muted)
        return;
    if (!muted && d->unmuteLocked) {
        emit mutedChanged(true); // refused: the admin does not let us unmute yet
        return;
    }
    d->muted = muted;
    if (d->runner)
        d->runner->setMuted(muted);
    emit mutedChanged(muted);
}

bool CallController::muted() const {
    return d->muted;
}

bool CallController::unmuteLocked() const {
    return d->unmuteLocked;
}

void CallController::setParticipantVolume(quint32 participantId, float gain) {
    if (d->runner)
        d->runner->setParticipantVolume(participantId, gain);
}

void CallController::setCameraOn(bool on) {
    if (d->cameraOn == on)
        return;
    d->cameraOn = on;
    d->settings.setCameraOnAtStart(on);
    if (d->runner)
        d->applyCamera();
    emit cameraChanged(on);
}

bool CallController::cameraOn() const {
    return d->cameraOn && d->localVideo != nullptr;
}

bool CallController::sendsVideo() const {
    return d->localVideo != nullptr;
}

QString CallController::videoNotice() const {
    return d->videoNotice;
}

VideoHub& CallController::video() {
    return d->video;
}

QSize CallController::sendSize() const {
    if (!d->localVideo)
        return {};
    const int cap = d->sendCap();
    if (d->videoSize.height() <= cap)
        return d->videoSize;
    return {d->videoSize.width() * cap / d->videoSize.height(), cap}; // the layer below it
}

void CallController::setTileViews(std::vector<TileView> tiles) {
    if (!d->runner)
        return;
    d->subscribe(d->tiers.update(tiles));
}

std::optional<core::VideoSubscription> CallController::videoSubscription() const {
    if (!d->runner)
        return std::nullopt;
    return d->tiers.current();
}

void CallController::setPrivateView(bool on) {
    if (d->runner && d->snapshot.admin)
        d->runner->setPrivateView(on);
}

void CallController::muteParticipant(quint32 participantId, core::wire::AdminMute mode) {
    if (d->runner && d->snapshot.admin)
        d->runner->muteParticipant(participantId, mode);
}

void CallController::removeParticipant(quint32 participantId) {
    if (d->runner && d->snapshot.admin)
        d->runner->removeParticipant(participantId);
}

const core::CallSnapshot& CallController::snapshot() const {
    return d->snapshot;
}

QString CallController::inviteLink() const {
    if (!d->snapshot.invite)
        return {};
    return fromStd(d->snapshot.invite->link());
}

QString CallController::adminInviteLink() const {
    if (!d->snapshot.invite || !d->snapshot.invite->adminSecret || !d->snapshot.admin)
        return {};
    return fromStd(d->snapshot.invite->adminLink());
}

devices::AudioSystem* CallController::audioSystem() {
    return d->system();
}

void CallController::playTestSound() {
    d->playSound(testMelody());
}

} // namespace diyuma::app
