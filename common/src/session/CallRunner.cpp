#include "diyuma/session/CallRunner.h"

#include "diyuma/net/UdpTransport.h"
#include "diyuma/session/CallEngine.h"
#include "diyuma/session/ClientSession.h"
#include "diyuma/session/RelayErrorMessage.h"
#include "diyuma/wire/Demux.h"
#include "diyuma/wire/Limits.h"
#include "diyuma/wire/Text.h"

#include <fmt/format.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

namespace diyuma::core {

namespace {
using namespace std::chrono_literals;
using TimePoint = Clock::TimePoint;

constexpr auto kAudioTick = 10ms;
/// Behind by more than this (a stalled thread, a suspended laptop): skip ahead instead of
/// running the missed ticks back to back into a real-time device.
constexpr auto kMaxCatchUp = 100ms;
constexpr auto kSnapshotInterval = 100ms;
/// Loss is shown over a sliding window of this many snapshots (3 s).
constexpr std::size_t kLossWindow = 30;
constexpr int kMaxDatagramsPerWake = 64;
constexpr float kSpeakingThresholdDbfs = -45.0F;
constexpr auto kSpeakingHold = 300ms;
/// The first join gives up after the session's own timeout; a rejoin keeps trying this long.
constexpr auto kReconnectGiveUp = 10min;

[[nodiscard]] bool isDefinitive(SessionErrorCode code) {
    switch (code) {
    case SessionErrorCode::RelayDidNotAnswer:
    case SessionErrorCode::CookieRejected:
    case SessionErrorCode::NotJoined:
    case SessionErrorCode::RateLimited:
    case SessionErrorCode::RelayInternal:
        return false; // worth another try while reconnecting
    default:
        return true;
    }
}
} // namespace

std::string_view toString(CallPhase phase) {
    switch (phase) {
    case CallPhase::Creating:
        return "creating";
    case CallPhase::Joining:
        return "joining";
    case CallPhase::InCall:
        return "in-call";
    case CallPhase::Reconnecting:
        return "reconnecting";
    case CallPhase::Ended:
        return "ended";
    }
    return "unknown";
}

class CallRunner::Impl final : private ClientSessionListener {
public:
    Impl(CallRequest request, CallMedia media, CallObserver& observer, LogSink* log)
        : m_request(std::move(request)), m_media(media), m_observer(observer), m_log(log) {
        m_snapshot.phase = m_request.mode == CallRequest::Mode::CreateAndJoin ? CallPhase::Creating
                                                                              : CallPhase::Joining;
        if (m_request.maxSendHeight != std::numeric_limits<int>::max())
            m_maxSendHeight = m_request.maxSendHeight; // applied to every engine made
    }

    void startThread() {
        m_thread = std::thread([this] { run(); });
    }
    void stopAndJoin() {
        m_leaveRequested = true;
        if (m_thread.joinable())
            m_thread.join();
    }

    void requestLeave() { m_leaveRequested = true; }
    void setMuted(bool muted) { m_mutedWanted = muted; }
    void setPrivateView(bool enabled) { m_privateViewWanted = enabled ? 1 : 0; }
    void queueAdmin(std::uint32_t participantId, std::optional<wire::AdminMute> mute) {
        const std::lock_guard lock(m_commandMutex);
        m_adminCommands.push_back({participantId, mute});
    }
    void setSubscription(VideoSubscription subscription) {
        const std::lock_guard lock(m_commandMutex);
        m_subscription = std::move(subscription);
        m_subscriptionChanged = true;
    }
    void setMaxSendHeight(int height) {
        const std::lock_guard lock(m_commandMutex);
        m_maxSendHeight = height;
        m_maxSendHeightChanged = true;
    }
    void setVolume(std::uint32_t participantId, float gain) {
        const std::lock_guard lock(m_commandMutex);
        m_volumes[participantId] = std::clamp(gain, 0.0F, 4.0F);
        m_volumesChanged = true;
    }
    CallSnapshot snapshot() const {
        const std::lock_guard lock(m_snapshotMutex);
        return m_snapshot;
    }

private:
    /// Lost: a joined call lost the relay (a new reconnect episode starts). Retry: one rejoin
    /// attempt failed in a way worth trying again (same episode).
    enum class Outcome { Left, Lost, Retry, Failed };

    void run();
    [[nodiscard]] bool create();
    [[nodiscard]] Outcome runCall(bool rejoining, TimePoint giveUpAt);
    void receive(UdpTransport& transport, TimePoint deadline, bool controlOnly,
                 ClientSession* session);
    void applyCommands();
    void publish(CallPhase phase);
    void leaveThroughPreviousTransport();
    void setPhase(CallPhase phase);

    // ClientSessionListener, for the engine of the current attempt.
    void onJoined(const JoinInfo& info) override { m_joinedNow = info; }
    void onRosterChanged(const RosterChange& change) override {
        m_rosterDirty = true;
        if (m_everJoined)
            m_observer.onRosterChanged(change);
        else
            m_pendingRoster.push_back(change);
    }
    void onError(const SessionError& error) override { m_error = error; }
    void onConnectionLost(std::string_view reason) override { m_lost = std::string(reason); }
    void onCreated(const CreatedConference& conference) override { m_created = conference; }
    void onMutedByAdmin(bool muted, bool locked) override {
        // The admin's mute is now ours too: a later unmute click is a change again.
        m_mutedApplied = muted;
        m_mutedWanted = muted;
        m_rosterDirty = true;
        m_observer.onMutedByAdmin(muted, locked);
    }

    const CallRequest m_request;
    const CallMedia m_media;
    CallObserver& m_observer;
    LogSink* const m_log;
    SystemClock m_clock;
    std::thread m_thread;

    std::atomic<bool> m_leaveRequested{false};
    std::atomic<bool> m_mutedWanted{false};
    /// -1: nothing asked; 0 / 1: switch private view off / on (taken by the media thread).
    std::atomic<int> m_privateViewWanted{-1};
    std::mutex m_commandMutex;
    std::map<std::uint32_t, float> m_volumes; ///< guarded by m_commandMutex
    bool m_volumesChanged = false;            ///< guarded by m_commandMutex
    /// Remove (no mode) or mute requests, guarded by m_commandMutex.
    std::vector<std::pair<std::uint32_t, std::optional<wire::AdminMute>>> m_adminCommands;
    std::optional<VideoSubscription> m_subscription; ///< guarded by m_commandMutex
    bool m_subscriptionChanged = false;              ///< guarded by m_commandMutex
    std::optional<int> m_maxSendHeight;              ///< guarded by m_commandMutex
    bool m_maxSendHeightChanged = false;             ///< guarded by m_commandMutex

    mutable std::mutex m_snapshotMutex;
    CallSnapshot m_snapshot; ///< guarded by m_snapshotMutex

    // Media thread only.
    std::uint64_t m_conferenceId = 0;
    std::optional<wire::AdminSecret> m_adminSecret;
    std::unique_ptr<CallEngine> m_engine;
    std::optional<CreatedConference> m_created;
    std::optional<JoinInfo> m_joinedNow;
    std::optional<SessionError> m_error;
    std::optional<std::string> m_lost;
    bool m_everJoined = false;
    bool m_rosterDirty = false;
    std::vector<RosterChange> m_pendingRoster;
    bool m_mutedApplied = false;
    std::map<std::uint32_t, float> m_volumesApplied;
    std::map<std::uint32_t, TimePoint> m_speakingUntil;
    std::deque<std::pair<std::uint64_t, std::uint64_t>> m_lossWindow; ///< (received, lost)
    /// The socket of a connection that was lost: once we are back, a Leave through it
    /// removes our old self from the relay at once if it still has us (a network blip).
    std::optional<UdpTransport> m_previousTransport;
    /// The relay's numeric address once a join worked: rejoins use it, so an outage never
    /// waits on name resolution.
    std::optional<RelayAddress> m_resolvedRelay;
    std::array<std::uint8_t, 2048> m_buffer{};
};

void CallRunner::Impl::run() {
    // A name for top, perf and the benchmarks (at most 15 characters).
    pthread_setname_np(pthread_self(), "diyuma-media");
    m_conferenceId = m_request.conferenceId;
    m_adminSecret = m_request.adminSecret;
    if (m_request.mode == CallRequest::Mode::CreateAndJoin && !create()) {
        setPhase(CallPhase::Ended);
        m_observer.onEnded();
        return;
    }
    setPhase(CallPhase::Joining);
    bool rejoining = false;
    TimePoint giveUpAt = TimePoint::max();
    for (;;) {
        const Outcome outcome = runCall(rejoining, giveUpAt);
        if ((outcome != Outcome::Lost && outcome != Outcome::Retry) || !m_request.reconnect ||
            m_leaveRequested)
            break;
        if (outcome == Outcome::Lost) { // every loss gets its own time to come back
            rejoining = true;
            giveUpAt = m_clock.now() + kReconnectGiveUp;
        }
        // Wait a little before the next attempt (leave() still answers within ~50 ms).
        const TimePoint retryAt = m_clock.now() + kRejoinInterval;
        while (!m_leaveRequested && m_clock.now() < retryAt)
            std::this_thread::sleep_for(20ms);
        if (m_leaveRequested || m_clock.now() >= giveUpAt) {
            if (!m_leaveRequested)
                m_observer.onFailed(SessionError{SessionErrorCode::RelayDidNotAnswer,
                                                 "gave up reconnecting: the relay stayed away"});
            break;
        }
    }
    m_engine.reset();
    leaveThroughPreviousTransport(); // left while reconnecting: drop our old self too
    setPhase(CallPhase::Ended);
    m_observer.onEnded();
}

void CallRunner::Impl::leaveThroughPreviousTransport() {
    if (!m_previousTransport)
        return;
    std::array<std::uint8_t, 64> leave{};
    (void)m_previousTransport->send(
        wire::encodeControl(wire::ControlMessage{0, wire::LeaveMsg{}}, leave));
}

bool CallRunner::Impl::create() {
    auto transport = UdpTransport::open(m_request.relay);
    if (!transport) {
        m_observer.onFailed(
            SessionError{SessionErrorCode::RelayDidNotAnswer, transport.error().message});
        return false;
    }
    ClientSession session(m_clock, *transport, *this, {}, m_log);
    const std::uint32_t flags =
        m_request.privateView ? static_cast<std::uint32_t>(wire::ConferenceFlags::PrivateView) : 0;
    if (auto started = session.startCreate(flags); !started) {
        m_observer.onFailed(
            SessionError{SessionErrorCode::InvalidArguments, started.error().message});
        return false;
    }
    while (!m_created && !m_error) {
        if (m_leaveRequested)
            return false;
        session.tick();
        if (m_created || m_error)
            break;
        receive(*transport, std::min(session.nextTimerAt(), m_clock.now() + 50ms), true, &session);
    }
    if (m_error) {
        m_observer.onFailed(
            SessionError{m_error->code, relayErrorMessage(*m_error, m_request.relay, *transport)});
        return false;
    }
    m_conferenceId = m_created->conferenceId;
    m_adminSecret = m_created->adminSecret;
    Invite invite{m_request.relay, ConferenceId(m_conferenceId), m_adminSecret};
    {
        const std::lock_guard lock(m_snapshotMutex);
        m_snapshot.invite = invite;
    }
    m_observer.onCreated(invite);
    return true;
}

CallRunner::Impl::Outcome CallRunner::Impl::runCall(bool rejoining, TimePoint giveUpAt) {
    m_error.reset();
    m_lost.reset();
    m_joinedNow.reset();
    m_engine.reset();
    // A relay that still has our old address (a network blip) drops it now, not at its
    // participant timeout: a full conference then has room for us again.
    if (rejoining)
        leaveThroughPreviousTransport();
    auto transport =
        UdpTransport::open(rejoining && m_resolvedRelay ? *m_resolvedRelay : m_request.relay);
    if (!transport) {
        if (rejoining) // no route during a network outage: try again
            return Outcome::Retry;
        m_observer.onFailed(
            SessionError{SessionErrorCode::RelayDidNotAnswer, transport.error().message});
        return Outcome::Failed;
    }
    CallEngineConfig config;
    config.name = m_request.name;
    config.audioBitrateBps = m_request.audioBitrateBps;
    if (m_media.videoSource)
        config.sendVideo = m_request.sendVideo;
    auto engine = CallEngine::create(m_clock, *transport, m_media.capture, m_media.playback, this,
                                     config, m_log);
    if (!engine) {
        m_observer.onFailed(
            SessionError{SessionErrorCode::InvalidArguments, engine.error().message});
        return Outcome::Failed;
    }
    m_engine = std::move(engine.value());
    // The engine refers to `transport`: it must go first, whichever way we return.
    struct EngineReset {
        std::unique_ptr<CallEngine>& engine;
        ~EngineReset() { engine.reset(); }
    } engineReset{m_engine};
    m_engine->setAudioProcessor(m_media.processor);
    m_engine->setVideoSource(m_media.videoSource);
    m_engine->setVideoSink(m_media.videoSink);
    m_mutedApplied = m_mutedWanted;
    m_engine->setMuted(m_mutedApplied);
    m_volumesApplied.clear();
    {
        const std::lock_guard lock(m_commandMutex);
        m_subscriptionChanged = m_subscription.has_value(); // a new engine knows none
        m_maxSendHeightChanged = m_maxSendHeight.has_value();
    }
    applyCommands();
    if (auto started = m_engine->join(m_conferenceId, m_adminSecret); !started) {
        m_observer.onFailed(
            SessionError{SessionErrorCode::InvalidArguments, started.error().message});
        return Outcome::Failed;
    }

    std::optional<TimePoint> joinedAt;
    TimePoint nextTick{};
    TimePoint nextSnapshot{};
    for (;;) {
        if (m_leaveRequested) {
            m_engine->leave();
            return Outcome::Left;
        }
        if (m_error) {
            // While rejoining, a full conference may be full of our own ghost (dropped by
            // the Leave above or at the relay's timeout): try again.
            const bool retryable =
                !isDefinitive(m_error->code) || m_error->code == SessionErrorCode::ConferenceFull;
            if (rejoining && retryable && m_clock.now() < giveUpAt)
                return Outcome::Retry;
            SessionError error = *m_error;
            error.message = relayErrorMessage(error, m_request.relay, *transport);
            if (rejoining && error.code == SessionErrorCode::UnknownConference)
                error.message = "the conference no longer exists on the relay";
            m_observer.onFailed(error);
            return Outcome::Failed;
        }
        if (m_lost) {
            m_previousTransport.emplace(std::move(transport.value()));
            setPhase(CallPhase::Reconnecting);
            m_observer.onReconnecting(*m_lost);
            return Outcome::Lost;
        }
        if (m_joinedNow) {
            joinedAt = m_clock.now();
            nextTick = *joinedAt;
            nextSnapshot = *joinedAt;
            const bool rejoined = m_everJoined;
            m_everJoined = true;
            {
                const std::lock_guard lock(m_snapshotMutex);
                m_snapshot.invite =
                    Invite{m_request.relay, ConferenceId(m_conferenceId), m_adminSecret};
                m_snapshot.participantId = m_joinedNow->participantId;
                m_snapshot.admin = m_joinedNow->role == wire::Role::Admin;
                m_snapshot.privateView =
                    (m_joinedNow->conferenceFlags &
                     static_cast<std::uint32_t>(wire::ConferenceFlags::PrivateView)) != 0;
            }
            publish(CallPhase::InCall);
            leaveThroughPreviousTransport();
            m_previousTransport.reset();
            if (auto numeric = parseRelayAddress(transport->peerAddress()))
                m_resolvedRelay = numeric.value();
            m_lossWindow.clear(); // the new engine counts from zero
            const JoinInfo info = *m_joinedNow;
            m_joinedNow.reset();
            m_observer.onJoined(info, rejoined);
            for (const auto& change : m_pendingRoster)
                m_observer.onRosterChanged(change);
            m_pendingRoster.clear();
        }
        applyCommands();

        TimePoint now = m_clock.now();
        if (joinedAt) {
            if (now - nextTick > kMaxCatchUp)
                nextTick = now; // skip what was missed; the jitter buffers cope
            while (now >= nextTick) {
                m_engine->processAudioBlock();
                nextTick += kAudioTick;
            }
            m_engine->processVideo();
            if (now >= nextSnapshot || m_rosterDirty) {
                publish(CallPhase::InCall);
                m_rosterDirty = false;
                nextSnapshot = now + kSnapshotInterval;
            }
        }
        m_engine->tick();
        TimePoint deadline = std::min(m_engine->session().nextTimerAt(), now + 50ms);
        if (joinedAt)
            deadline = std::min({deadline, nextTick, m_engine->nextVideoAt()});
        receive(*transport, deadline, false, nullptr);
    }
}

void CallRunner::Impl::receive(UdpTransport& transport, TimePoint deadline, bool controlOnly,
                               ClientSession* session) {
    auto wait = std::chrono::duration_cast<std::chrono::microseconds>(deadline - m_clock.now());
    wait = std::clamp<std::chrono::microseconds>(wait, 0us, 50ms);
    for (int i = 0; i < kMaxDatagramsPerWake; ++i) {
        auto r = transport.receive(m_buffer, i == 0 ? wait : 0us);
        if (r.status == ReceiveStatus::Datagram) {
            const auto datagram = std::span<const std::uint8_t>(m_buffer).first(r.sizeBytes);
            if (controlOnly) {
                if (wire::classify(datagram) == wire::PacketKind::Control)
                    session->handleControl(datagram);
            } else {
                m_engine->onDatagram(datagram);
            }
        } else if (r.status != ReceiveStatus::Truncated) {
            return;
        }
    }
}

void CallRunner::Impl::applyCommands() {
    if (const bool muted = m_mutedWanted; muted != m_mutedApplied) {
        if (m_engine->setMuted(muted)) {
            m_mutedApplied = muted;
        } else { // the admin does not let us unmute: we stay muted
            m_mutedApplied = true;
            m_mutedWanted = true;
        }
        m_rosterDirty = true;
    }
    // Only once joined: the session sends it then and resends until the relay announces it.
    if (m_everJoined)
        if (const int privateView = m_privateViewWanted.exchange(-1); privateView >= 0)
            m_engine->setPrivateView(privateView == 1);
    const std::lock_guard lock(m_commandMutex);
    if (m_everJoined) {
        for (const auto& [id, mute] : m_adminCommands) {
            if (mute)
                m_engine->muteParticipant(id, *mute);
            else
                m_engine->removeParticipant(id);
        }
        m_adminCommands.clear();
    }
    if (m_subscriptionChanged && m_subscription) {
        m_engine->setVideoSubscription(*m_subscription);
        m_subscriptionChanged = false;
    }
    if (m_maxSendHeightChanged && m_maxSendHeight) {
        m_engine->setMaxSendHeight(*m_maxSendHeight);
        m_maxSendHeightChanged = false;
    }
    if (!m_volumesChanged && !m_volumesApplied.empty())
        return;
    for (const auto& [id, gain] : m_volumes) {
        auto it = m_volumesApplied.find(id);
        if (it == m_volumesApplied.end() || it->second != gain) {
            m_engine->setParticipantGain(id, gain);
            m_volumesApplied[id] = gain;
        }
    }
    m_volumesChanged = false;
}

void CallRunner::Impl::publish(CallPhase phase) {
    const TimePoint now = m_clock.now();
    CallStats stats = m_engine->stats();
    const ClientSession& session = m_engine->session();

    std::uint64_t received = 0;
    std::uint64_t lost = 0;
    for (const auto& remote : stats.remotes) {
        received += remote.packetsReceived;
        lost += remote.packetsLost;
    }
    m_lossWindow.emplace_back(received, lost);
    while (m_lossWindow.size() > kLossWindow)
        m_lossWindow.pop_front();
    const auto [receivedBefore, lostBefore] = m_lossWindow.front();
    const double windowLost = static_cast<double>(lost - std::min(lost, lostBefore));
    const double windowAll =
        windowLost + static_cast<double>(received - std::min(received, receivedBefore));

    const bool muted = m_engine->muted();
    auto speaking = [&](std::uint32_t id, float levelDbfs) {
        if (levelDbfs > kSpeakingThresholdDbfs)
            m_speakingUntil[id] = now + kSpeakingHold;
        auto it = m_speakingUntil.find(id);
        return it != m_speakingUntil.end() && now < it->second;
    };

    std::vector<CallParticipant> participants;
    participants.reserve(session.roster().size());
    for (const auto& [id, entry] : session.roster()) {
        CallParticipant p;
        p.participantId = id;
        p.name = entry.name;
        p.isSelf = entry.isSelf;
        p.admin = (entry.flags & static_cast<std::uint8_t>(wire::ParticipantFlags::Admin)) != 0;
        p.muted =
            (entry.flags & static_cast<std::uint8_t>(wire::ParticipantFlags::AudioMuted)) != 0;
        for (const auto& stream : entry.streams)
            if (stream.kind == wire::MediaKind::Video)
                p.videoLayerHeights.push_back(stream.height);
        std::sort(p.videoLayerHeights.begin(), p.videoLayerHeights.end());
        if (entry.isSelf) {
            p.muted = muted; // what we chose, even before the relay has confirmed it
            p.levelDbfs = stats.captureLevelDbfs;
            p.speaking = !muted && speaking(id, p.levelDbfs);
        } else {
            for (const auto& remote : stats.remotes)
                if (remote.participantId == id && remote.present)
                    p.levelDbfs = remote.levelDbfs;
            p.speaking = speaking(id, p.levelDbfs);
        }
        participants.push_back(std::move(p));
    }
    std::erase_if(m_speakingUntil,
                  [&](const auto& item) { return !session.roster().contains(item.first); });
    {
        const std::lock_guard commandLock(m_commandMutex);
        for (auto& p : participants)
            if (auto it = m_volumes.find(p.participantId); it != m_volumes.end())
                p.volume = it->second;
    }

    const std::lock_guard lock(m_snapshotMutex);
    m_snapshot.phase = phase;
    m_snapshot.privateView = (session.conferenceFlags() &
                              static_cast<std::uint32_t>(wire::ConferenceFlags::PrivateView)) != 0;
    m_snapshot.muted = muted;
    m_snapshot.unmuteLocked = session.unmuteLocked();
    m_snapshot.rttMs = stats.relayRttMs;
    m_snapshot.lossPercent = windowAll > 0 ? 100.0 * windowLost / windowAll : 0.0;
    m_snapshot.participants = std::move(participants);
    m_snapshot.stats = std::move(stats);
}

void CallRunner::Impl::setPhase(CallPhase phase) {
    const std::lock_guard lock(m_snapshotMutex);
    m_snapshot.phase = phase;
}

// ---------------------------------------------------------------------------------------------

Result<std::unique_ptr<CallRunner>> CallRunner::start(CallRequest request, CallMedia media,
                                                      CallObserver& observer, LogSink* log) {
    if (request.name.empty() || request.name.size() > wire::kMaxNameBytes ||
        !wire::isValidWireText(request.name))
        return Error{
            static_cast<int>(SessionErrorCode::InvalidArguments),
            fmt::format("a display name must be 1 to {} bytes of UTF-8 text", wire::kMaxNameBytes)};
    if (request.mode == CallRequest::Mode::Join &&
        (request.conferenceId == 0 || request.conferenceId > ConferenceId::kMask))
        return Error{static_cast<int>(SessionErrorCode::InvalidArguments),
                     "that is not a valid conference ID"};
    if (request.sendVideo && media.videoSource) {
        const auto& video = *request.sendVideo;
        if (video.width < 16 || video.height < 16 || video.width > kMaxVideoWidth ||
            video.height > kMaxVideoHeight || video.frameRate < 1 || video.frameRate > 60 ||
            video.bitrateBps < 50'000)
            return Error{static_cast<int>(SessionErrorCode::InvalidArguments),
                         fmt::format("cannot send video of {}x{} at {} fps and {} bit/s",
                                     video.width, video.height, video.frameRate, video.bitrateBps)};
    }
    auto impl = std::make_unique<Impl>(std::move(request), media, observer, log);
    impl->startThread();
    return std::unique_ptr<CallRunner>(new CallRunner(std::move(impl)));
}

CallRunner::CallRunner(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

CallRunner::~CallRunner() {
    m_impl->stopAndJoin();
}

void CallRunner::leave() {
    m_impl->requestLeave();
}

void CallRunner::setMuted(bool muted) {
    m_impl->setMuted(muted);
}

void CallRunner::setParticipantVolume(std::uint32_t participantId, float gain) {
    m_impl->setVolume(participantId, gain);
}

void CallRunner::setPrivateView(bool enabled) {
    m_impl->setPrivateView(enabled);
}

void CallRunner::removeParticipant(std::uint32_t participantId) {
    m_impl->queueAdmin(participantId, std::nullopt);
}

void CallRunner::muteParticipant(std::uint32_t participantId, wire::AdminMute mode) {
    m_impl->queueAdmin(participantId, mode);
}

void CallRunner::setVideoSubscription(VideoSubscription subscription) {
    m_impl->setSubscription(std::move(subscription));
}

void CallRunner::setMaxSendHeight(int height) {
    m_impl->setMaxSendHeight(height);
}

CallSnapshot CallRunner::snapshot() const {
    return m_impl->snapshot();
}

} // namespace diyuma::core
