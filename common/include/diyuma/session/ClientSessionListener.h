#pragma once
// Notifications from ClientSession (and forwarded by CallEngine). Plain C++ interface: the
// app turns these into queued Qt signals; diyuma-cli reacts directly.
//
// Thread: called synchronously on the thread that drives the session (inside
// handleControl(), tick(), start*()). A callback may call back into the session (e.g.
// leave()), but must not destroy it.

#include "diyuma/session/SessionTypes.h"

#include <cstdint>
#include <string_view>

namespace diyuma::core {

class ClientSessionListener {
public:
    virtual ~ClientSessionListener() = default;
    /// A create request succeeded (the session is done; it did not join).
    virtual void onCreated(const CreatedConference& /*conference*/) {}
    /// The relay accepted our join; roster updates follow.
    virtual void onJoined(const JoinInfo& /*info*/) {}
    /// A roster change was applied, in order; the session's roster() is already updated.
    virtual void onRosterChanged(const RosterChange& /*change*/) {}
    /// A create or join failed for good (the session is in state Failed).
    virtual void onError(const SessionError& /*error*/) {}
    /// A joined session stopped hearing the relay (or the relay forgot us).
    virtual void onConnectionLost(std::string_view /*reason*/) {}
    /// The conference's flags changed during the call (private view switched by an admin);
    /// the session's conferenceFlags() is already updated.
    virtual void onConferenceFlagsChanged(std::uint32_t /*flags*/) {}
    /// The relay refused something we asked while joined (an admin action from a
    /// non-admin); the call goes on.
    virtual void onRequestRefused(const SessionError& /*error*/) {}
    /// The admin muted us (`locked`: and does not let us unmute), or let us unmute again
    /// (`muted` false with `locked` false means only the lock was lifted).
    virtual void onMutedByAdmin(bool /*muted*/, bool /*locked*/) {}
};

} // namespace diyuma::core
