#pragma once
// A whole call on its own media thread: opens the UDP socket, optionally creates the
// conference first, joins, drives CallEngine (tick + processAudioBlock every 10 ms on the
// steady clock), and rejoins on its own when the relay goes quiet (restart, network blip).
// The desktop app uses it; it knows nothing of Qt.
//
//   start() ─► [Creating ─► onCreated] ─► Joining ─► onJoined ─► InCall
//   InCall ──no packets / relay forgot us──► onReconnecting ─► Joining (retried every
//            kRejoinInterval) ─► onJoined(rejoined=true) ─► InCall
//   any definitive failure (unknown conference, full, bad admin link, relay never answered
//   the first time) ─► onFailed ─► Ended;   leave() ─► Ended (onEnded)
//
// Thread: start(), leave(), setMuted(), setParticipantVolume(), setPrivateView(), the admin
// actions, snapshot() and the destructor are safe from any one controlling thread (the GUI thread).
// Every CallObserver callback runs on the media thread: the app forwards them as queued signals.
// The devices (CallMedia) are called only from the media thread, which also encodes and decodes the
// video. setVideoSubscription() is safe from the controlling thread too.

#include "diyuma/id/InviteLink.h"
#include "diyuma/session/AudioDevice.h"
#include "diyuma/session/CallStats.h"
#include "diyuma/session/SessionTypes.h"
#include "diyuma/session/VideoDevice.h"
#include "diyuma/session/VideoSubscription.h"
#include "diyuma/util/Log.h"
#include "diyuma/util/Result.h"
#include "diyuma/video/Vp8Codec.h"

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace diyuma::core {

struct CallRequest {
    enum class Mode { Join, CreateAndJoin };
    Mode mode = Mode::Join;
    RelayAddress relay;
    std::string name;                             ///< display name, 1..64 bytes UTF-8
    std::uint64_t conferenceId = 0;               ///< Join only
    std::optional<wire::AdminSecret> adminSecret; ///< Join only: join as admin
    bool privateView = false;                     ///< CreateAndJoin only
    int audioBitrateBps = 32000;
    /// Send video with this encoder configuration, from CallMedia::videoSource (which says
    /// when there is no picture: camera off). Without it no video stream is announced.
    std::optional<Vp8EncoderConfig> sendVideo;
    /// Layers of our video taller than this are announced but not sent until
    /// CallRunner::setMaxSendHeight lifts it (the app's data saver at the start of a call).
    int maxSendHeight = std::numeric_limits<int>::max();
    bool reconnect = true; ///< rejoin on its own after the connection is lost
};

enum class CallPhase { Creating, Joining, InCall, Reconnecting, Ended };
[[nodiscard]] std::string_view toString(CallPhase phase);

/// One participant as the call sees it right now (ourselves included, isSelf).
struct CallParticipant {
    std::uint32_t participantId = 0;
    std::string name;
    bool isSelf = false;
    bool admin = false;
    bool muted = false;        ///< their microphone is off (roster flag)
    float levelDbfs = -100.0F; ///< speech level of the last ~100 ms (ourselves: the mic)
    bool speaking = false;     ///< level above the speaking threshold, with a short hold
    float volume = 1.0F;       ///< our playout gain for them (setParticipantVolume)
    /// The picture heights of the video layers they announced, lowest first (simulcast:
    /// up to three; empty: they send no video).
    std::vector<std::uint16_t> videoLayerHeights;
};

/// A consistent picture of the call, for a GUI timer (cheap: a copy under a mutex).
struct CallSnapshot {
    CallPhase phase = CallPhase::Joining;
    std::optional<Invite> invite; ///< known once joined (adminSecret set when we are admin)
    std::uint32_t participantId = 0;
    bool admin = false;
    bool privateView = false; ///< as the relay last announced it
    bool muted = false;
    bool unmuteLocked = false; ///< the admin muted us and does not let us unmute
    std::optional<double> rttMs;
    double lossPercent = 0; ///< audio packets lost over the last few seconds, all remotes
    std::vector<CallParticipant> participants; ///< by participant ID, ourselves included
    CallStats stats;
};

/// The devices of a call; any may be null. The runner calls them only from its media thread.
struct CallMedia {
    AudioCaptureSource* capture = nullptr;
    AudioPlaybackSink* playback = nullptr;
    AudioProcessor* processor = nullptr;
    VideoSource* videoSource = nullptr; ///< used when CallRequest::sendVideo is set
    VideoFrameSink* videoSink = nullptr;
};

/// Notifications from the media thread (see the thread note above).
class CallObserver {
public:
    virtual ~CallObserver() = default;
    /// CreateAndJoin: the conference exists; `invite.adminSecret` is set. Joining follows.
    virtual void onCreated(const Invite& /*invite*/) {}
    /// Joined (first time) or joined again after a reconnect (`rejoined`).
    virtual void onJoined(const JoinInfo& /*info*/, bool /*rejoined*/) {}
    /// Someone joined, left or changed (muted); the snapshot has the new roster.
    virtual void onRosterChanged(const RosterChange& /*change*/) {}
    /// The relay went quiet or forgot us; the runner is trying to rejoin.
    virtual void onReconnecting(std::string_view /*reason*/) {}
    /// The call could not be created or joined (message fit to show a person). Ended follows.
    virtual void onFailed(const SessionError& /*error*/) {}
    /// The admin muted us (`locked`: and does not let us unmute yet), or lifted the lock
    /// (`muted` may then still be true: unmuting is ours to do).
    virtual void onMutedByAdmin(bool /*muted*/, bool /*locked*/) {}
    /// The media thread has stopped (after leave(), onFailed, or giving up on reconnecting).
    virtual void onEnded() {}
};

class CallRunner {
public:
    static constexpr std::chrono::milliseconds kRejoinInterval{1000};

    /// Validates the request (name, relay, video configuration) and starts the media thread.
    /// The devices given in `media`, the observer and the log must outlive the runner.
    [[nodiscard]] static Result<std::unique_ptr<CallRunner>>
    start(CallRequest request, CallMedia media, CallObserver& observer, LogSink* log = nullptr);

    /// Leaves (if still in the call) and joins the media thread.
    ~CallRunner();
    CallRunner(const CallRunner&) = delete;
    CallRunner& operator=(const CallRunner&) = delete;

    /// Asks the media thread to send Leave and stop; returns at once. onEnded follows.
    void leave();
    /// Microphone off: nothing is sent and the relay shows us as muted to everyone.
    void setMuted(bool muted);
    /// Playout gain for one remote participant (0 = silent, 1 = as received, up to 4).
    void setParticipantVolume(std::uint32_t participantId, float gain);
    /// Admins: private view on or off (the snapshot's privateView follows once the relay has
    /// announced it; from a non-admin the relay refuses and nothing changes).
    void setPrivateView(bool enabled);
    /// Admins: remove a participant (the relay keeps them out for a while) or mute them.
    void removeParticipant(std::uint32_t participantId);
    void muteParticipant(std::uint32_t participantId, wire::AdminMute mode);
    /// The largest picture height wanted from each sender (VideoSubscription: a default and
    /// per-participant overrides, e.g. each tile's height); replaces the previous one whole,
    /// kept across reconnects. Until the first call the relay sends everything.
    void setVideoSubscription(VideoSubscription subscription);
    /// Our video at most `height` lines tall (CallEngine::setMaxSendHeight), from now on and
    /// across reconnects; safe from the controlling thread.
    void setMaxSendHeight(int height);
    [[nodiscard]] CallSnapshot snapshot() const;

private:
    class Impl;
    explicit CallRunner(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace diyuma::core
