#include "diyuma/session/ClientSession.h"

#include "diyuma/crypto/Hmac.h"
#include "diyuma/crypto/Random.h"
#include "diyuma/id/ConferenceId.h"
#include "diyuma/wire/Text.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <utility>

namespace diyuma::core {

namespace {
using namespace std::chrono_literals;

/// What the protocol allows in names (wire/Text.h), within the length limit.
bool validDisplayName(std::string_view name) {
    return !name.empty() && name.size() <= wire::kMaxNameBytes && wire::isValidWireText(name);
}
} // namespace

std::string_view toString(SessionState state) {
    switch (state) {
    case SessionState::Idle:
        return "idle";
    case SessionState::Handshaking:
        return "handshaking";
    case SessionState::AwaitingReply:
        return "awaiting-reply";
    case SessionState::Created:
        return "created";
    case SessionState::Joined:
        return "joined";
    case SessionState::Failed:
        return "failed";
    case SessionState::ConnectionLost:
        return "connection-lost";
    case SessionState::Left:
        return "left";
    }
    return "?";
}

ClientSession::ClientSession(const Clock& clock, PacketTransport& transport,
                             ClientSessionListener& listener, SessionTiming timing, LogSink* log)
    : m_clock(clock), m_transport(transport), m_listener(listener), m_timing(timing), m_log(log) {}

Status ClientSession::startCreate(std::uint32_t conferenceFlags) {
    if (m_state != SessionState::Idle)
        return Error{static_cast<int>(SessionErrorCode::InvalidArguments),
                     "the session is already in use"};
    m_operation = Operation::Create;
    m_createFlags = conferenceFlags;
    m_requestId = randomU32();
    m_lastHeardAt = m_clock.now();
    sendHello();
    return Ok{};
}

Status ClientSession::startJoin(JoinParams params) {
    auto invalid = [](std::string message) {
        return Error{static_cast<int>(SessionErrorCode::InvalidArguments), std::move(message)};
    };
    if (m_state != SessionState::Idle)
        return invalid("the session is already in use");
    if (!validDisplayName(params.name))
        return invalid(fmt::format("invalid display name '{}': it must be 1 to {} bytes of UTF-8 "
                                   "without control characters",
                                   params.name, wire::kMaxNameBytes));
    if (params.streams.size() > wire::kMaxSsrcsPerParticipant)
        return invalid("too many media streams");
    if (params.conferenceId > ConferenceId::kMask)
        return invalid("conference ID out of range");
    m_operation = Operation::Join;
    m_join = std::move(params);
    m_requestId = randomU32();
    m_nextMessageId = randomU32();
    m_lastHeardAt = m_clock.now();
    sendHello();
    return Ok{};
}

void ClientSession::sendMessage(std::uint32_t requestId, const wire::ControlBody& body) {
    wire::ControlMessage message{requestId, body};
    auto bytes = wire::encodeControl(message, m_buffer);
    if (bytes.empty()) {
        // Only our own invalid fields can get here; startJoin validated them already.
        log(LogLevel::Error, "could not encode a control message");
        ++m_counters.sendFailures;
        return;
    }
    if (m_transport.send(bytes) != SendStatus::Sent)
        ++m_counters.sendFailures;
}

void ClientSession::sendHello() {
    m_state = SessionState::Handshaking;
    m_cookie.reset();
    m_lastSentAt = m_clock.now();
    sendMessage(m_requestId, wire::HelloMsg{});
}

void ClientSession::sendRequest() {
    m_state = SessionState::AwaitingReply;
    m_lastSentAt = m_clock.now();
    if (m_operation == Operation::Create) {
        sendMessage(m_requestId, wire::CreateMsg{*m_cookie, m_createFlags});
        return;
    }
    wire::JoinMsg join;
    join.cookie = *m_cookie;
    join.conferenceId = m_join.conferenceId;
    if (m_join.adminSecret) {
        // Challenge-response: the fresh, address-bound cookie is the challenge, so neither
        // the secret nor a replayable proof crosses the wire.
        join.hasAdminProof = true;
        join.adminProof =
            adminProof(adminVerifier(*m_join.adminSecret), *m_cookie, m_join.conferenceId);
    }
    join.name = m_join.name;
    for (const auto& stream : m_join.streams)
        join.streams.items[join.streams.count++] = stream;
    sendMessage(m_requestId, join);
}

void ClientSession::sendPing() {
    ++m_counters.pingsSent;
    sendMessage(m_nextMessageId++, wire::PingMsg{nowUs()});
}

bool ClientSession::setMuted(bool muted) {
    if (!muted && m_unmuteLocked)
        return false;
    m_muted = muted;
    if (m_state == SessionState::Joined)
        sendSelfStateIfPending(m_clock.now(), true);
    return true;
}

void ClientSession::removeParticipant(std::uint32_t participantId) {
    m_adminRequests.push_back(
        AdminRequest{wire::RemoveParticipantMsg{participantId}, participantId, true, {}, 0});
    if (m_state == SessionState::Joined)
        sendAdminRequests(m_clock.now());
}

void ClientSession::muteParticipant(std::uint32_t participantId, wire::AdminMute mode) {
    // A newer wish for the same person replaces an older one still being resent.
    std::erase_if(m_adminRequests,
                  [&](const AdminRequest& r) { return !r.removal && r.target == participantId; });
    m_adminRequests.push_back(
        AdminRequest{wire::MuteParticipantMsg{participantId, mode}, participantId, false, {}, 0});
    if (m_state == SessionState::Joined)
        sendAdminRequests(m_clock.now());
}

void ClientSession::sendAdminRequests(Clock::TimePoint now) {
    for (auto& request : m_adminRequests) {
        if (now < request.nextAt)
            continue;
        sendMessage(m_nextMessageId++, request.body);
        ++request.attempts;
        request.nextAt = now + m_timing.retransmitInterval;
    }
    // Unanswered after every attempt (the target left meanwhile, or the relay is gone): give
    // up rather than resend for ever.
    std::erase_if(m_adminRequests,
                  [](const AdminRequest& r) { return r.attempts >= kAdminRequestAttempts; });
}

void ClientSession::adoptOwnFlags(std::uint8_t flags) {
    const auto bit = [flags](wire::ParticipantFlags f) {
        return (flags & static_cast<std::uint8_t>(f)) != 0;
    };
    const bool locked = bit(wire::ParticipantFlags::UnmuteLocked);
    const bool byAdmin =
        bit(wire::ParticipantFlags::MutedByAdmin) && bit(wire::ParticipantFlags::AudioMuted);
    const bool lockChanged = locked != m_unmuteLocked;
    m_unmuteLocked = locked;
    // The admin's mute becomes ours (else we would resend our unmute at once).
    const bool mutedNow = byAdmin && !m_muted;
    if (mutedNow)
        m_muted = true;
    if (mutedNow || lockChanged)
        m_listener.onMutedByAdmin(m_muted, m_unmuteLocked);
}

void ClientSession::setPrivateView(bool enabled) {
    m_privateViewWanted = enabled;
    if (m_state == SessionState::Joined)
        sendPrivateViewIfPending(m_clock.now(), true);
}

void ClientSession::sendPrivateViewIfPending(Clock::TimePoint now, bool force) {
    // Sent even when the flag already shows the wish: an earlier request for the opposite
    // may still be on its way. The relay answers every request with a roster Conference
    // change (to everyone if it changed, else to us), and only that ends the resending.
    if (!m_privateViewWanted || (!force && now < m_nextPrivateViewAt))
        return;
    sendMessage(m_nextMessageId++, wire::SetPrivateViewMsg{*m_privateViewWanted});
    m_nextPrivateViewAt = now + m_timing.retransmitInterval;
}

void ClientSession::setVideoSubscription(VideoSubscription subscription) {
    // Sent from tick(), so that a burst of changes (tile resizes, roster changes arriving
    // together) goes out as one message.
    m_subscribe.set(std::move(subscription));
}

bool ClientSession::selfStatePending() const {
    const auto self = m_roster.find(m_joinInfo.participantId);
    const auto mutedFlag = static_cast<std::uint8_t>(wire::ParticipantFlags::AudioMuted);
    // Before our own entry arrives the relay has us unmuted (the state a join starts in).
    const bool shown = self != m_roster.end() && (self->second.flags & mutedFlag) != 0;
    return shown != m_muted;
}

void ClientSession::setLayersAvailable(std::uint8_t layers) {
    m_layersAvailable = layers;
    if (m_state == SessionState::Joined)
        sendLayersAvailableIfDue(m_clock.now()); // a change goes out now, not at the next tick
}

void ClientSession::sendLayersAvailableIfDue(Clock::TimePoint now) {
    // Before the relay's first LayersWanted every layer is sent: nothing to say yet.
    if (!m_layersAvailable || !m_layersWanted)
        return;
    if (m_layersAvailableReported == m_layersAvailable && now < m_nextLayersAvailableAt)
        return;
    ++m_counters.layersAvailableSent;
    sendMessage(0, wire::LayersAvailableMsg{*m_layersAvailable});
    m_layersAvailableReported = m_layersAvailable;
    m_nextLayersAvailableAt = now + kLayersAvailableRefresh;
}

void ClientSession::sendSelfStateIfPending(Clock::TimePoint now, bool force) {
    if (!selfStatePending() || (!force && now < m_nextSelfStateAt))
        return;
    const auto flags =
        m_muted ? static_cast<std::uint8_t>(wire::ParticipantFlags::AudioMuted) : std::uint8_t{0};
    sendMessage(m_nextMessageId++, wire::SelfStateMsg{flags});
    m_nextSelfStateAt = now + m_timing.retransmitInterval;
}

std::uint64_t ClientSession::nowUs() const {
    return static_cast<std::uint64_t>(m_clock.now().time_since_epoch().count());
}

void ClientSession::noteDatagramFromRelay() {
    m_lastHeardAt = m_clock.now();
}

void ClientSession::handleControl(std::span<const std::uint8_t> datagram) {
    ++m_counters.controlReceived;
    wire::ControlMessage message;
    if (const auto error = wire::parseControl(datagram, message); error != wire::ParseError::None) {
        // Counted always, logged at 1, 2, 4, 8... so a flood cannot flood the log.
        if (std::has_single_bit(++m_counters.controlMalformed))
            log(LogLevel::Debug, fmt::format("malformed control datagram: {} ({} so far)",
                                             wire::toString(error), m_counters.controlMalformed));
        return;
    }
    noteDatagramFromRelay();
    std::visit(
        [&](const auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, wire::CookieMsg>)
                onCookie(message, body);
            else if constexpr (std::is_same_v<T, wire::CreatedMsg>)
                onCreatedMsg(message, body);
            else if constexpr (std::is_same_v<T, wire::JoinedMsg>)
                onJoinedMsg(message, body);
            else if constexpr (std::is_same_v<T, wire::RosterMsg>)
                onRoster(body);
            else if constexpr (std::is_same_v<T, wire::PongMsg>)
                onPong(body);
            else if constexpr (std::is_same_v<T, wire::ErrorMsg>)
                onErrorMsg(message, body);
            else if constexpr (std::is_same_v<T, wire::ReceiveReportMsg>) {
                if (m_state == SessionState::Joined) {
                    m_receiveReport = body;
                    ++m_receiveReports;
                } else {
                    ++m_counters.controlIgnored;
                }
            } else if constexpr (std::is_same_v<T, wire::LayersWantedMsg>) {
                if (m_state == SessionState::Joined)
                    m_layersWanted = body.layers;
                else
                    ++m_counters.controlIgnored;
            } else
                ++m_counters.controlIgnored; // client-to-relay types: not for us
        },
        message.body);
}

void ClientSession::onCookie(const wire::ControlMessage& message, const wire::CookieMsg& cookie) {
    if (m_state != SessionState::Handshaking || message.requestId != m_requestId) {
        ++m_counters.controlIgnored;
        return;
    }
    m_cookie = cookie.cookie;
    sendRequest();
}

void ClientSession::onCreatedMsg(const wire::ControlMessage& message,
                                 const wire::CreatedMsg& created) {
    if (m_state != SessionState::AwaitingReply || m_operation != Operation::Create ||
        message.requestId != m_requestId) {
        ++m_counters.controlIgnored;
        return;
    }
    m_state = SessionState::Created;
    m_listener.onCreated(
        CreatedConference{created.conferenceId, created.adminSecret, created.flags});
}

void ClientSession::onJoinedMsg(const wire::ControlMessage& message,
                                const wire::JoinedMsg& joined) {
    if (m_state != SessionState::AwaitingReply || m_operation != Operation::Join ||
        message.requestId != m_requestId) {
        ++m_counters.controlIgnored; // includes answers to our retransmitted Join
        return;
    }
    m_state = SessionState::Joined;
    m_joinInfo = JoinInfo{m_join.conferenceId, joined.participantId,       joined.role,
                          joined.flags,        joined.keepaliveIntervalMs, joined.timeoutMs};
    if (m_joinInfo.keepaliveIntervalMs == 0)
        m_joinInfo.keepaliveIntervalMs = 1000;
    // First Ping at once: an RTT is known within a round trip of joining.
    sendPing();
    m_nextPingAt = m_clock.now() + std::chrono::milliseconds(m_joinInfo.keepaliveIntervalMs);
    m_nextSelfStateAt = m_clock.now(); // a mute chosen before joining goes out at once
    m_nextPrivateViewAt = m_clock.now();
    m_subscribe.joined(m_clock.now());
    m_conferenceFlags = joined.flags;
    log(LogLevel::Info,
        fmt::format("joined {} as participant {}", ConferenceId(m_join.conferenceId).toString(),
                    joined.participantId));
    m_listener.onJoined(m_joinInfo);
}

void ClientSession::onRoster(const wire::RosterMsg& roster) {
    if (m_state != SessionState::Joined) {
        // Before Joined we do not know our own ID; the relay resends unacked changes.
        ++m_counters.controlIgnored;
        return;
    }
    std::optional<RosterChange> change;
    bool conferenceChanged = false;
    if (roster.seq == m_rosterSeq + 1 && roster.op == wire::RosterOp::Conference) {
        ++m_rosterSeq;
        ++m_counters.rosterApplied;
        conferenceChanged = m_conferenceFlags != roster.flags;
        m_conferenceFlags = roster.flags;
        if (m_privateViewWanted &&
            ((m_conferenceFlags & static_cast<std::uint32_t>(wire::ConferenceFlags::PrivateView)) !=
             0) == *m_privateViewWanted)
            m_privateViewWanted.reset();
    } else if (roster.seq == m_rosterSeq + 1) {
        ++m_rosterSeq;
        ++m_counters.rosterApplied;
        RosterChange applied;
        applied.op = roster.op;
        if (roster.op == wire::RosterOp::Upsert) {
            RosterEntry entry;
            entry.participantId = roster.participantId;
            entry.name = std::string(roster.name);
            entry.flags = roster.flags;
            auto streams = roster.streams.view();
            entry.streams.assign(streams.begin(), streams.end());
            entry.isSelf = roster.participantId == m_joinInfo.participantId;
            if (entry.isSelf)
                adoptOwnFlags(entry.flags);
            m_roster[entry.participantId] = entry;
            applied.entry = std::move(entry);
        } else {
            auto it = m_roster.find(roster.participantId);
            if (it != m_roster.end()) {
                applied.entry = std::move(it->second);
                m_roster.erase(it);
            } else {
                applied.entry.participantId = roster.participantId;
            }
        }
        // The relay acted on what we asked about this participant: stop resending it.
        std::erase_if(m_adminRequests, [&](const AdminRequest& r) {
            return r.target == applied.entry.participantId &&
                   (!r.removal || applied.op == wire::RosterOp::Remove);
        });
        if (!applied.entry.isSelf)
            m_subscribe.rosterChanged(); // someone new to list, or one fewer
        change = std::move(applied);
    } else if (roster.seq <= m_rosterSeq) {
        ++m_counters.rosterDuplicates;
    } else {
        ++m_counters.rosterOutOfOrder;
    }
    // Cumulative ack for every Roster, duplicates included, so the relay stops resending.
    sendMessage(m_nextMessageId++, wire::RosterAckMsg{m_rosterSeq});
    if (change)
        m_listener.onRosterChanged(*change);
    if (conferenceChanged)
        m_listener.onConferenceFlagsChanged(m_conferenceFlags);
}

void ClientSession::onPong(const wire::PongMsg& pong) {
    if (m_state != SessionState::Joined) {
        ++m_counters.controlIgnored;
        return;
    }
    const std::uint64_t now = nowUs();
    if (pong.timestampUs > now) {
        ++m_counters.pongsInvalid;
        return;
    }
    ++m_counters.pongsReceived;
    const double rttMs = static_cast<double>(now - pong.timestampUs) / 1000.0;
    m_lastRttMs = rttMs;
    m_srttMs = m_srttMs ? *m_srttMs + (rttMs - *m_srttMs) / 8.0 : rttMs;
}

void ClientSession::onErrorMsg(const wire::ControlMessage& message, const wire::ErrorMsg& error) {
    if (m_state == SessionState::Joined) {
        if (error.code == wire::ErrorCode::NotJoined) {
            loseConnection("the relay no longer knows this participant (it restarted or timed "
                           "us out)");
            return;
        }
        if (error.code == wire::ErrorCode::GoingAway) {
            loseConnection("the relay is shutting down");
            return;
        }
        if (error.code == wire::ErrorCode::Removed) {
            fail(SessionErrorCode::Removed, describeRelayError(error.code, error.reason));
            return;
        }
        if (error.code == wire::ErrorCode::NotAdmin) {
            m_privateViewWanted.reset(); // asking again would be refused again
            m_adminRequests.clear();
            m_listener.onRequestRefused(SessionError{SessionErrorCode::NotAdmin,
                                                     describeRelayError(error.code, error.reason)});
            return;
        }
        if (std::has_single_bit(++m_counters.relayErrorsWhileJoined))
            log(LogLevel::Warning, fmt::format("relay error while joined: {}: {} ({} so far)",
                                               wire::toString(error.code), error.reason,
                                               m_counters.relayErrorsWhileJoined));
        return;
    }
    const bool pending =
        m_state == SessionState::Handshaking || m_state == SessionState::AwaitingReply;
    if (!pending || message.requestId != m_requestId) {
        ++m_counters.controlIgnored;
        return;
    }
    if (error.code == wire::ErrorCode::BadCookie) {
        if (m_state != SessionState::AwaitingReply) {
            // An answer to a retransmission sent with the old cookie, after we already asked
            // for a new one: counting it would fail a join that is about to work.
            ++m_counters.controlIgnored;
            return;
        }
        ++m_counters.badCookies;
        if (++m_badCookieRetries > m_timing.maxBadCookieRetries) {
            fail(SessionErrorCode::CookieRejected,
                 "the relay keeps rejecting our address cookie (is the address changing?)");
            return;
        }
        sendHello(); // a relay restart invalidates cookies: ask for a fresh one
        return;
    }
    fail(toSessionErrorCode(error.code), describeRelayError(error.code, error.reason));
}

void ClientSession::tick() {
    const auto now = m_clock.now();
    switch (m_state) {
    case SessionState::Handshaking:
    case SessionState::AwaitingReply:
        if (now - m_lastHeardAt >= m_timing.giveUpAfter) {
            fail(SessionErrorCode::RelayDidNotAnswer, "relay did not answer");
            return;
        }
        if (now - m_lastSentAt >= m_timing.retransmitInterval) {
            ++m_counters.retransmissions;
            if (m_state == SessionState::Handshaking)
                sendHello();
            else
                sendRequest();
        }
        break;
    case SessionState::Joined:
        if (now - m_lastHeardAt >= m_timing.connectionLostAfter) {
            loseConnection(
                fmt::format("connection lost: nothing from the relay for {} s",
                            std::chrono::duration<double>(m_timing.connectionLostAfter).count()));
            return;
        }
        sendSelfStateIfPending(now, false);
        sendPrivateViewIfPending(now, false);
        sendAdminRequests(now);
        if (auto subscribe = m_subscribe.due(now, m_roster)) {
            ++m_counters.subscribesSent;
            sendMessage(m_nextMessageId++, *subscribe);
        }
        sendLayersAvailableIfDue(now);
        if (now >= m_nextPingAt) {
            sendPing();
            // Scheduled on absolute times so pings do not drift with tick granularity.
            const auto interval = std::chrono::milliseconds(m_joinInfo.keepaliveIntervalMs);
            m_nextPingAt += interval;
            if (m_nextPingAt <= now)
                m_nextPingAt = now + interval;
        }
        break;
    default:
        break;
    }
}

Clock::TimePoint ClientSession::nextTimerAt() const {
    switch (m_state) {
    case SessionState::Handshaking:
    case SessionState::AwaitingReply:
        return std::min(m_lastSentAt + m_timing.retransmitInterval,
                        m_lastHeardAt + m_timing.giveUpAfter);
    case SessionState::Joined: {
        const auto next = std::min(m_nextPingAt, m_lastHeardAt + m_timing.connectionLostAfter);
        auto at = selfStatePending() ? std::min(next, m_nextSelfStateAt) : next;
        if (m_privateViewWanted)
            at = std::min(at, m_nextPrivateViewAt);
        for (const auto& request : m_adminRequests)
            at = std::min(at, request.nextAt);
        return std::min(at, m_subscribe.nextAt());
    }
    default:
        return Clock::TimePoint::max();
    }
}

void ClientSession::leave() {
    // Also while a Join is unanswered: the relay may have let us in already (its Joined still
    // on the way), and a Leave from an address it does not know is ignored.
    const bool joinInFlight =
        m_operation == Operation::Join && m_state == SessionState::AwaitingReply;
    if (m_state == SessionState::Joined || joinInFlight)
        sendMessage(m_nextMessageId++, wire::LeaveMsg{});
    if (m_state == SessionState::Idle || m_state == SessionState::Handshaking ||
        m_state == SessionState::AwaitingReply || m_state == SessionState::Joined)
        m_state = SessionState::Left;
}

void ClientSession::fail(SessionErrorCode code, std::string message) {
    m_state = SessionState::Failed;
    m_error = SessionError{code, std::move(message)};
    log(LogLevel::Warning, m_error->message);
    const SessionError copy = *m_error; // the listener may inspect the session
    m_listener.onError(copy);
}

void ClientSession::loseConnection(std::string_view reason) {
    m_state = SessionState::ConnectionLost;
    m_error = SessionError{SessionErrorCode::NotJoined, std::string(reason)};
    log(LogLevel::Warning, reason);
    const std::string copy(reason);
    m_listener.onConnectionLost(copy);
}

void ClientSession::log(LogLevel level, std::string_view text) {
    if (m_log != nullptr)
        m_log->log(LogCategory::Session, level, text);
}

} // namespace diyuma::core
