#pragma once
// Invite links: diyuma://HOST:PORT/ID, with an admin link adding ?admin=SECRET (Crockford
// base32). HOST may be a name, an IPv4 address or a bracketed IPv6 address. A later issue
// adds #KEY (the E2EE key) in the fragment; parsing already ignores a fragment.
// Thread: any.

#include "diyuma/id/ConferenceId.h"
#include "diyuma/util/Result.h"
#include "diyuma/wire/Control.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace diyuma::core {

inline constexpr std::uint16_t kDefaultRelayPort = 47400;

/// A relay address as typed: host (without brackets) and port.
struct RelayAddress {
    std::string host = "127.0.0.1";
    std::uint16_t port = kDefaultRelayPort;
    /// "host:port", with brackets around an IPv6 host.
    [[nodiscard]] std::string toString() const;
    bool operator==(const RelayAddress&) const = default;
};

/// Parses "HOST:PORT", "HOST" (default port), "[V6]:PORT" or "[V6]".
[[nodiscard]] Result<RelayAddress> parseRelayAddress(std::string_view text);

struct Invite {
    RelayAddress relay;
    ConferenceId id;
    std::optional<wire::AdminSecret> adminSecret;

    /// diyuma://HOST:PORT/XXXX-XXXX-XXXX
    [[nodiscard]] std::string link() const;
    /// link() plus ?admin=SECRET when adminSecret is set.
    [[nodiscard]] std::string adminLink() const;
};

enum class InviteError { Empty = 1, BadScheme, BadAddress, BadId, BadAdminSecret };

/// Accepts a bare ID (then `defaultRelay` is used), a link, or either with surrounding
/// whitespace. Errors carry an InviteError code and a message fit to show a person.
[[nodiscard]] Result<Invite> parseInvite(std::string_view text, const RelayAddress& defaultRelay);

} // namespace diyuma::core
