#include "diyuma/id/InviteLink.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace diyuma::core {

namespace {
constexpr std::string_view kScheme = "diyuma://";

std::string_view trim(std::string_view s) {
    auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!s.empty() && space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && space(s.back()))
        s.remove_suffix(1);
    return s;
}

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

Error inviteError(InviteError code, std::string message) {
    return Error{static_cast<int>(code), std::move(message)};
}

bool validHostName(std::string_view host) {
    return !host.empty() && host.size() <= 253 && std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    });
}

bool validIpv6(std::string_view host) {
    return !host.empty() && host.size() <= 45 &&
           std::all_of(host.begin(), host.end(), [](char c) {
               return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
           }) &&
           host.find(':') != std::string_view::npos;
}
} // namespace

std::string RelayAddress::toString() const {
    if (host.find(':') != std::string::npos)
        return fmt::format("[{}]:{}", host, port);
    return fmt::format("{}:{}", host, port);
}

Result<RelayAddress> parseRelayAddress(std::string_view text) {
    text = trim(text);
    auto bad = [&](std::string_view why) {
        return inviteError(InviteError::BadAddress,
                           fmt::format("invalid relay address '{}': {}", text, why));
    };
    if (text.empty())
        return bad("it is empty");
    RelayAddress address;
    std::string_view host;
    std::string_view port;
    if (text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos)
            return bad("missing ']'");
        host = text.substr(1, close - 1);
        auto rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':')
                return bad("expected ':' after ']'");
            port = rest.substr(1);
            if (port.empty())
                return bad("missing port after ':'");
        }
        if (!validIpv6(host))
            return bad("not an IPv6 address");
    } else {
        auto colon = text.find(':');
        if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos)
            return bad("put an IPv6 address in brackets, e.g. [::1]:47400");
        host = text.substr(0, colon);
        if (colon != std::string_view::npos) {
            port = text.substr(colon + 1);
            if (port.empty())
                return bad("missing port after ':'");
        }
        if (!validHostName(host))
            return bad("not a host name or address");
    }
    address.host = std::string(host);
    if (!port.empty()) {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
            return bad("the port must be a number from 1 to 65535");
        address.port = static_cast<std::uint16_t>(value);
    }
    return address;
}

std::string Invite::link() const {
    return fmt::format("{}{}/{}", kScheme, relay.toString(), id.toString());
}

std::string Invite::adminLink() const {
    if (!adminSecret)
        return link();
    return fmt::format("{}?admin={}", link(), base32Encode(*adminSecret));
}

Result<Invite> parseInvite(std::string_view text, const RelayAddress& defaultRelay) {
    text = trim(text);
    if (text.empty())
        return inviteError(InviteError::Empty, "no conference ID or invite link given");
    Invite invite;
    if (!startsWithNoCase(text, kScheme)) {
        if (text.find("://") != std::string_view::npos)
            return inviteError(InviteError::BadScheme,
                               "not a Diyuma link: it must start with diyuma://");
        auto id = ConferenceId::parse(text);
        if (!id)
            return inviteError(InviteError::BadId,
                               fmt::format("'{}' is not a conference ID (12 letters and digits, "
                                           "like 7HKQ-2M9X-4DRA)",
                                           text));
        invite.relay = defaultRelay;
        invite.id = *id;
        return invite;
    }
    auto rest = text.substr(kScheme.size());
    // The fragment (#KEY) is reserved for the end-to-end encryption key.
    rest = rest.substr(0, rest.find('#'));
    std::string_view query;
    if (auto q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    auto slash = rest.find('/');
    if (slash == std::string_view::npos)
        return inviteError(InviteError::BadId, "the link has no conference ID after the address");
    auto relay = parseRelayAddress(rest.substr(0, slash));
    if (!relay)
        return inviteError(InviteError::BadAddress, relay.error().message);
    auto idText = rest.substr(slash + 1);
    if (!idText.empty() && idText.back() == '/')
        idText.remove_suffix(1);
    auto id = ConferenceId::parse(idText);
    if (!id)
        return inviteError(InviteError::BadId,
                           fmt::format("the link's conference ID '{}' is not valid", idText));
    invite.relay = *relay;
    invite.id = *id;
    while (!query.empty()) {
        auto amp = query.find('&');
        auto param = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        constexpr std::string_view kAdmin = "admin=";
        if (param.starts_with(kAdmin)) {
            wire::AdminSecret secret{};
            if (!base32Decode(param.substr(kAdmin.size()), secret))
                return inviteError(InviteError::BadAdminSecret,
                                   "the link's admin secret is damaged (check it was copied "
                                   "completely)");
            invite.adminSecret = secret;
        }
        // Unknown parameters are ignored so later versions can add some.
    }
    return invite;
}

} // namespace diyuma::core
