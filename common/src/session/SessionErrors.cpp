#include "diyuma/session/SessionTypes.h"

#include <fmt/format.h>

namespace diyuma::core {

SessionErrorCode toSessionErrorCode(wire::ErrorCode code) {
    switch (code) {
    case wire::ErrorCode::UnknownConference:
        return SessionErrorCode::UnknownConference;
    case wire::ErrorCode::ConferenceFull:
        return SessionErrorCode::ConferenceFull;
    case wire::ErrorCode::BadProof:
        return SessionErrorCode::BadAdminSecret;
    case wire::ErrorCode::UnsupportedVersion:
        return SessionErrorCode::UnsupportedVersion;
    case wire::ErrorCode::Malformed:
        return SessionErrorCode::RequestRejected;
    case wire::ErrorCode::BadCookie:
        return SessionErrorCode::CookieRejected;
    case wire::ErrorCode::RateLimited:
        return SessionErrorCode::RateLimited;
    case wire::ErrorCode::TooManyConferences:
        return SessionErrorCode::TooManyConferences;
    case wire::ErrorCode::NotJoined:
        return SessionErrorCode::NotJoined;
    case wire::ErrorCode::Internal:
        return SessionErrorCode::RelayInternal;
    case wire::ErrorCode::GoingAway:
        return SessionErrorCode::RelayGoingAway;
    case wire::ErrorCode::NotAdmin:
        return SessionErrorCode::NotAdmin;
    case wire::ErrorCode::Removed:
        return SessionErrorCode::Removed;
    }
    return SessionErrorCode::RelayInternal;
}

std::string describeRelayError(wire::ErrorCode code, std::string_view relayReason) {
    std::string_view text;
    switch (code) {
    case wire::ErrorCode::UnknownConference:
        text = "unknown conference: check the link or ID (the conference may have expired)";
        break;
    case wire::ErrorCode::ConferenceFull:
        text = "the conference is full";
        break;
    case wire::ErrorCode::BadProof:
        text = "bad admin secret: the admin link is wrong or belongs to another conference";
        break;
    case wire::ErrorCode::UnsupportedVersion:
        text = "the relay speaks an unsupported protocol version (update diyuma or the relay)";
        break;
    case wire::ErrorCode::Malformed:
        text = "the relay rejected our request as malformed";
        break;
    case wire::ErrorCode::BadCookie:
        text = "the relay rejected our address cookie";
        break;
    case wire::ErrorCode::RateLimited:
        text = "rate limited by the relay: too many requests, try again in a moment";
        break;
    case wire::ErrorCode::TooManyConferences:
        text = "the relay cannot host more conferences right now";
        break;
    case wire::ErrorCode::NotJoined:
        text = "the relay does not know this participant";
        break;
    case wire::ErrorCode::Internal:
        text = "the relay reported an internal error";
        break;
    case wire::ErrorCode::GoingAway:
        text = "the relay is shutting down (reconnect, or try again in a moment)";
        break;
    case wire::ErrorCode::NotAdmin:
        text = "only the conference's admin may do that";
        break;
    case wire::ErrorCode::Removed:
        text = "the admin removed you from this conference";
        break;
    default:
        text = "the relay reported an unknown error";
        break;
    }
    if (relayReason.empty())
        return std::string(text);
    return fmt::format("{} (relay: {})", text, relayReason);
}

} // namespace diyuma::core
