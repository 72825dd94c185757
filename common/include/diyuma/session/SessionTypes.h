#pragma once
// Plain value types shared by ClientSession, its listener and CallEngine.

#include "diyuma/wire/Control.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace diyuma::core {

/// Why a session operation failed; `message` in SessionError is fit to show a person.
enum class SessionErrorCode {
    RelayDidNotAnswer = 1, ///< no reply within the give-up time
    UnknownConference,
    ConferenceFull,
    BadAdminSecret,     ///< the admin proof did not match (wrong admin link)
    UnsupportedVersion, ///< the relay speaks another protocol version
    RateLimited,
    TooManyConferences,
    RequestRejected,  ///< the relay called our request malformed
    CookieRejected,   ///< the relay kept rejecting our address cookie
    RelayInternal,    ///< the relay reported an internal error
    InvalidArguments, ///< our own request was invalid (e.g. a name that is too long)
    NotJoined,        ///< the relay no longer knows us (restart or timeout)
    RelayGoingAway,   ///< the relay is shutting down (Error GoingAway): reconnect
    NotAdmin,         ///< an admin action from a participant who is not an admin
    Removed,          ///< the admin removed us, or a rejoin soon after that was refused
};

struct SessionError {
    SessionErrorCode code = SessionErrorCode::RelayDidNotAnswer;
    std::string message;
};

/// Maps a relay error code to our error code.
[[nodiscard]] SessionErrorCode toSessionErrorCode(wire::ErrorCode code);
/// A one-line human message for a relay error; `relayReason` (may be empty) is appended.
[[nodiscard]] std::string describeRelayError(wire::ErrorCode code, std::string_view relayReason);

/// What joining a conference needs.
struct JoinParams {
    std::uint64_t conferenceId = 0;               ///< 60-bit ID (id/ConferenceId.h)
    std::optional<wire::AdminSecret> adminSecret; ///< from an admin link: join as admin
    std::string name;                             ///< display name, 1..64 bytes UTF-8
    std::vector<wire::StreamInfo> streams;        ///< announced SSRCs (at most 8)
};

/// Result of a successful create.
struct CreatedConference {
    std::uint64_t conferenceId = 0;
    wire::AdminSecret adminSecret{};
    std::uint32_t flags = 0; ///< wire::ConferenceFlags bits
};

/// Result of a successful join.
struct JoinInfo {
    std::uint64_t conferenceId = 0;
    std::uint32_t participantId = 0;
    wire::Role role = wire::Role::Member;
    std::uint32_t conferenceFlags = 0;
    std::uint16_t keepaliveIntervalMs = 1000;
    std::uint16_t timeoutMs = 10000;
};

/// One participant as the roster describes it (including ourselves: isSelf).
struct RosterEntry {
    std::uint32_t participantId = 0;
    std::string name;
    std::uint8_t flags = 0; ///< wire::ParticipantFlags bits
    std::vector<wire::StreamInfo> streams;
    bool isSelf = false;
};

/// One applied roster change. For Remove, `entry` is the entry as it was before removal
/// (only participantId is set if the participant was never known).
struct RosterChange {
    wire::RosterOp op = wire::RosterOp::Upsert;
    RosterEntry entry;
};

} // namespace diyuma::core
