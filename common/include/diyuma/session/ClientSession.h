#pragma once
// The client side of the control protocol (docs/PROTOCOL.md, /work/notes/protocol_flow.md):
//
//   Idle ──start*()──► Handshaking ──Cookie──► AwaitingReply ──Created──► Created
//                       (Hello, resent)        (Create/Join, resent)  └─Joined──► Joined
//                           ▲                      │ Error BadCookie        │ 5 s silence or
//                           └──────────────────────┘                        ▼ Error NotJoined
//                 any other Error or 3 s without an answer ─► Failed   ConnectionLost
//   leave() from any state ─► Left (sends Leave if joined)
//
// Requests are retransmitted every retransmitInterval (same request id, so the relay can
// recognise duplicates); the operation gives up when the relay has said nothing for
// giveUpAfter. Joined: applies roster changes strictly in order and acknowledges
// cumulatively, sends Ping every keepaliveIntervalMs and measures the RTT from the echoed
// timestamp, and declares the connection lost after connectionLostAfter without any datagram
// from the relay (the driver reports RTP/RTCP arrivals through noteDatagramFromRelay()).
//
// Pure logic: no sockets, no threads, no sleeping. Time comes from the Clock, datagrams go
// out through the PacketTransport, events go to the ClientSessionListener.
//
// Thread: not thread-safe; one thread (the engine's media/network thread) calls everything.

#include "diyuma/net/PacketTransport.h"
#include "diyuma/session/ClientSessionListener.h"
#include "diyuma/session/SessionTypes.h"
#include "diyuma/session/VideoSubscription.h"
#include "diyuma/util/Clock.h"
#include "diyuma/util/Log.h"
#include "diyuma/util/Result.h"
#include "diyuma/wire/Control.h"
#include "diyuma/wire/Limits.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>

namespace diyuma::core {

struct SessionTiming {
    std::chrono::milliseconds retransmitInterval{250};
    std::chrono::milliseconds giveUpAfter{3000};
    std::chrono::milliseconds connectionLostAfter{5000};
    int maxBadCookieRetries = 3; ///< re-Hellos after BadCookie before failing
};

enum class SessionState {
    Idle,
    Handshaking,    ///< Hello sent, waiting for the cookie
    AwaitingReply,  ///< Create or Join sent, waiting for Created/Joined
    Created,        ///< create finished (terminal)
    Joined,         ///< in the conference
    Failed,         ///< an operation failed (lastError()); terminal
    ConnectionLost, ///< joined, then lost the relay; terminal (reconnect is a later issue)
    Left,           ///< leave() was called; terminal
};
[[nodiscard]] std::string_view toString(SessionState state);

/// Counters for stats and tests; nothing here is an error by itself.
struct SessionCounters {
    std::uint64_t controlReceived = 0;
    std::uint64_t controlMalformed = 0; ///< failed to parse
    std::uint64_t controlIgnored = 0;   ///< valid but not expected now (stale, wrong id)
    std::uint64_t retransmissions = 0;  ///< Hello/Create/Join sent again
    std::uint64_t badCookies = 0;
    std::uint64_t relayErrorsWhileJoined = 0; ///< Errors other than NotJoined (e.g. to a Ping) ///<
                                              ///< BadCookie answers (each causes a re-Hello)
    std::uint64_t rosterApplied = 0;
    std::uint64_t rosterDuplicates = 0; ///< seq <= last applied (re-acked)
    std::uint64_t rosterOutOfOrder = 0; ///< seq > last applied + 1 (dropped, relay resends)
    std::uint64_t pingsSent = 0;
    std::uint64_t pongsReceived = 0;
    std::uint64_t pongsInvalid = 0; ///< echoed a time in the future
    std::uint64_t sendFailures = 0;
    std::uint64_t subscribesSent = 0;      ///< Subscribe messages (changes and refreshes)
    std::uint64_t layersAvailableSent = 0; ///< LayersAvailable messages (changes, refreshes)
};

class ClientSession {
public:
    /// The transport, listener and clock must outlive the session. `log` may be null.
    ClientSession(const Clock& clock, PacketTransport& transport, ClientSessionListener& listener,
                  SessionTiming timing = {}, LogSink* log = nullptr);

    /// Creates a conference (flags: wire::ConferenceFlags bits). Ends in Created (listener
    /// onCreated) or Failed (onError). Only from Idle.
    [[nodiscard]] Status startCreate(std::uint32_t conferenceFlags);
    /// Joins a conference. Ends in Joined (onJoined) or Failed (onError). Only from Idle.
    /// Returns an error at once for invalid parameters (name, too many streams).
    [[nodiscard]] Status startJoin(JoinParams params);

    /// A control datagram from the relay (first byte 0x0D, see wire/Demux.h).
    void handleControl(std::span<const std::uint8_t> datagram);
    /// Any other datagram from the relay (RTP, RTCP): it proves the relay is alive.
    void noteDatagramFromRelay();
    /// Runs timers: retransmission, give-up, keepalive, connection-lost. Call at least every
    /// 50 ms (the engine calls it every 10 ms); nextTimerAt() says when it next matters.
    void tick();
    /// When tick() next has something to do (or a far-future time when nothing is pending).
    [[nodiscard]] Clock::TimePoint nextTimerAt() const;
    /// Leaves: sends Leave once if joined, stops any pending operation. Idempotent.
    void leave();
    /// Our microphone state as everyone should see it (roster flag AudioMuted). Sent to the
    /// relay (SelfState) once joined and resent until our own roster entry shows it; may be
    /// called in any state (it is applied at join).
    /// While the admin has locked our microphone (unmuteLocked()), an unmute is refused and
    /// returns false. When the admin mutes us, muted() becomes true on its own (the relay's
    /// roster entry for us says so) and the listener hears onMutedByAdmin().
    bool setMuted(bool muted);
    [[nodiscard]] bool muted() const { return m_muted; }
    /// The admin muted us and does not let us unmute (roster flag UnmuteLocked).
    [[nodiscard]] bool unmuteLocked() const { return m_unmuteLocked; }
    /// Admins: remove a participant (the relay refuses their rejoin for a while) or mute them
    /// (AdminMute). Sent once joined, resent until the roster shows the relay acted (at most
    /// kAdminRequestAttempts times); a refusal comes through onRequestRefused.
    void removeParticipant(std::uint32_t participantId);
    void muteParticipant(std::uint32_t participantId, wire::AdminMute mode);
    static constexpr int kAdminRequestAttempts = 10;
    /// Admins: switch private view. Sent once joined and resent until the relay announces the
    /// conference with that flag (a roster Conference change); a refusal (not an admin)
    /// comes through onRequestRefused and the wish is dropped.
    void setPrivateView(bool enabled);
    /// The video we want from whom (Subscribe, docs/PROTOCOL.md 4.16): replaces the previous
    /// subscription whole. May be called in any state. Once joined, a Subscribe listing every
    /// other participant goes out at the next tick(), again when the roster changes what it
    /// lists, and every SubscribeScheduler::kRefreshInterval (paced: 4 at once, then 2/s).
    /// Until the first call nothing is sent and the relay sends everything (no limit).
    void setVideoSubscription(VideoSubscription subscription);
    [[nodiscard]] const std::optional<VideoSubscription>& videoSubscription() const {
        return m_subscribe.subscription();
    }
    /// The conference's flags as last announced (Joined, then roster Conference changes).
    [[nodiscard]] std::uint32_t conferenceFlags() const { return m_conferenceFlags; }

    [[nodiscard]] SessionState state() const { return m_state; }
    [[nodiscard]] bool joined() const { return m_state == SessionState::Joined; }
    [[nodiscard]] const std::optional<SessionError>& lastError() const { return m_error; }
    [[nodiscard]] const JoinInfo& joinInfo() const { return m_joinInfo; }
    /// The roster by participant ID, ourselves included (isSelf).
    [[nodiscard]] const std::map<std::uint32_t, RosterEntry>& roster() const { return m_roster; }
    [[nodiscard]] std::uint32_t lastRosterSeq() const { return m_rosterSeq; }
    /// Relay round-trip time: smoothed (RFC 6298 style, 1/8 gain) and the latest sample.
    [[nodiscard]] std::optional<double> smoothedRttMs() const { return m_srttMs; }
    [[nodiscard]] std::optional<double> lastRttMs() const { return m_lastRttMs; }
    [[nodiscard]] const SessionCounters& counters() const { return m_counters; }
    /// The relay's latest ReceiveReport (our downlink estimate, what we get from whom) and
    /// how many arrived; reports are not acknowledged, one comes about every second.
    [[nodiscard]] const std::optional<wire::ReceiveReportMsg>& lastReceiveReport() const {
        return m_receiveReport;
    }
    [[nodiscard]] std::uint64_t receiveReports() const { return m_receiveReports; }
    /// The relay's latest LayersWanted: which of our simulcast layers anyone receives (bit k:
    /// layer k); nothing until the first one (then every layer is wanted).
    [[nodiscard]] std::optional<std::uint8_t> layersWanted() const { return m_layersWanted; }
    /// Which of our simulcast layers we can send now, asked for or not (bit k: layer k;
    /// docs/PROTOCOL.md 4.19): once joined and the relay has sent a LayersWanted, a
    /// LayersAvailable goes out at once when this changes, and every kLayersAvailableRefresh.
    void setLayersAvailable(std::uint8_t layers);
    static constexpr auto kLayersAvailableRefresh = std::chrono::seconds(1);

private:
    enum class Operation { None, Create, Join };

    void sendHello();
    void sendRequest();
    void sendMessage(std::uint32_t requestId, const wire::ControlBody& body);
    void sendPing();
    void sendSelfStateIfPending(Clock::TimePoint now, bool force);
    [[nodiscard]] bool selfStatePending() const;
    void sendPrivateViewIfPending(Clock::TimePoint now, bool force);
    void sendAdminRequests(Clock::TimePoint now);
    void sendLayersAvailableIfDue(Clock::TimePoint now);
    void adoptOwnFlags(std::uint8_t flags);
    void fail(SessionErrorCode code, std::string message);
    void loseConnection(std::string_view reason);
    void onCookie(const wire::ControlMessage& message, const wire::CookieMsg& cookie);
    void onCreatedMsg(const wire::ControlMessage& message, const wire::CreatedMsg& created);
    void onJoinedMsg(const wire::ControlMessage& message, const wire::JoinedMsg& joined);
    void onRoster(const wire::RosterMsg& roster);
    void onPong(const wire::PongMsg& pong);
    void onErrorMsg(const wire::ControlMessage& message, const wire::ErrorMsg& error);
    void log(LogLevel level, std::string_view text);
    [[nodiscard]] std::uint64_t nowUs() const;

    const Clock& m_clock;
    PacketTransport& m_transport;
    ClientSessionListener& m_listener;
    SessionTiming m_timing;
    LogSink* m_log;

    SessionState m_state = SessionState::Idle;
    Operation m_operation = Operation::None;
    std::uint32_t m_requestId = 0;     ///< of the current Create/Join operation (Hello too)
    std::uint32_t m_nextMessageId = 0; ///< request ids of Ping, RosterAck, Leave
    std::optional<wire::Cookie> m_cookie;
    std::uint32_t m_createFlags = 0;
    JoinParams m_join;
    int m_badCookieRetries = 0;
    Clock::TimePoint m_lastSentAt{};
    Clock::TimePoint m_lastHeardAt{}; ///< last datagram from the relay (or operation start)
    Clock::TimePoint m_nextPingAt{};
    std::optional<SessionError> m_error;
    bool m_muted = false;
    Clock::TimePoint m_nextSelfStateAt{};
    bool m_unmuteLocked = false;
    /// An admin request waiting for the roster to show its effect (an Upsert of the target
    /// for a mute, their Remove for a removal).
    struct AdminRequest {
        wire::ControlBody body;
        std::uint32_t target = 0;
        bool removal = false;
        Clock::TimePoint nextAt{};
        int attempts = 0;
    };
    std::vector<AdminRequest> m_adminRequests;
    std::optional<bool> m_privateViewWanted; ///< until the relay's announcement shows it
    Clock::TimePoint m_nextPrivateViewAt{};
    std::uint32_t m_conferenceFlags = 0;
    SubscribeScheduler m_subscribe;

    JoinInfo m_joinInfo;
    std::map<std::uint32_t, RosterEntry> m_roster;
    std::uint32_t m_rosterSeq = 0;
    std::optional<double> m_srttMs;
    std::optional<wire::ReceiveReportMsg> m_receiveReport;
    std::uint64_t m_receiveReports = 0;
    std::optional<std::uint8_t> m_layersWanted;
    std::optional<std::uint8_t> m_layersAvailable;         ///< the latest setLayersAvailable()
    std::optional<std::uint8_t> m_layersAvailableReported; ///< the last one sent
    Clock::TimePoint m_nextLayersAvailableAt{};
    std::optional<double> m_lastRttMs;
    SessionCounters m_counters;
    std::array<std::uint8_t, wire::kMaxDatagramBytes> m_buffer{};
};

} // namespace diyuma::core
