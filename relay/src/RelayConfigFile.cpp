#include "diyuma/relay/RelayConfigFile.h"

#include "diyuma/wire/Limits.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

namespace diyuma::relay {

namespace {

core::Error makeError(ConfigFileError code, std::string message) {
    return core::Error{static_cast<int>(code), std::move(message)};
}

/// What a key handler reports: nothing, or why the value is wrong ("expected ...").
using Problem = std::optional<std::string>;
using Handler = std::function<Problem(const toml::node&, RelaySettings&)>;

std::string describe(const toml::node& node) {
    std::ostringstream out;
    if (node.is_string())
        out << '"' << node.as_string()->get() << '"';
    else if (node.is_table())
        out << "a table";
    else if (node.is_array())
        out << "an array";
    else
        node.visit([&](const auto& value) { out << value; });
    return out.str();
}

/// An integer in [lo, hi] (TOML integers only: 1.5 is not a count).
Problem readInteger(const toml::node& node, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
    const auto* value = node.as_integer();
    if (value == nullptr || value->get() < lo || value->get() > hi)
        return fmt::format("expected an integer from {} to {}, got {}", lo, hi, describe(node));
    out = value->get();
    return std::nullopt;
}

/// A number (integer or float) in [lo, hi].
Problem readNumber(const toml::node& node, double lo, double hi, double& out) {
    double value = 0;
    if (const auto* i = node.as_integer())
        value = static_cast<double>(i->get());
    else if (const auto* f = node.as_floating_point())
        value = f->get();
    else
        return fmt::format("expected a number from {} to {}, got {}", lo, hi, describe(node));
    if (!std::isfinite(value) || value < lo || value > hi)
        return fmt::format("expected a number from {} to {}, got {}", lo, hi, describe(node));
    out = value;
    return std::nullopt;
}

Problem readAddress(const toml::node& node, SocketAddress& out) {
    const auto* text = node.as_string();
    const auto parsed = text ? SocketAddress::parse(text->get()) : std::nullopt;
    if (!parsed)
        return fmt::format("expected \"ADDR:PORT\" (e.g. \"0.0.0.0:47400\" or \"[::]:47400\"), "
                           "got {}",
                           describe(node));
    out = *parsed;
    return std::nullopt;
}

Handler count(std::size_t RelayConfig::*field, std::int64_t lo, std::int64_t hi) {
    return [=](const toml::node& node, RelaySettings& s) -> Problem {
        std::int64_t value = 0;
        if (auto problem = readInteger(node, lo, hi, value))
            return problem;
        s.core.*field = static_cast<std::size_t>(value);
        return std::nullopt;
    };
}

Handler seconds(std::chrono::seconds RelayConfig::*field, std::int64_t lo, std::int64_t hi) {
    return [=](const toml::node& node, RelaySettings& s) -> Problem {
        std::int64_t value = 0;
        if (auto problem = readInteger(node, lo, hi, value))
            return problem;
        s.core.*field = std::chrono::seconds(value);
        return std::nullopt;
    };
}

/// A rate per second (0 = unlimited); the burst follows it (makeRateLimit).
Handler rate(RateLimit RelayConfig::*field, RateKind kind, double hi) {
    return [=](const toml::node& node, RelaySettings& s) -> Problem {
        double value = 0;
        if (auto problem = readNumber(node, 0, hi, value))
            return problem;
        s.core.*field = makeRateLimit(kind, value);
        return std::nullopt;
    };
}

const std::vector<std::pair<std::string_view, Handler>>& handlers() {
    static const std::vector<std::pair<std::string_view, Handler>> table = {
        {"listen",
         [](const toml::node& node, RelaySettings& s) -> Problem {
             std::vector<SocketAddress> listen;
             if (node.is_string()) {
                 listen.emplace_back();
                 if (auto problem = readAddress(node, listen.back()))
                     return problem;
             } else if (const auto* array = node.as_array(); array && !array->empty()) {
                 for (const auto& element : *array) {
                     listen.emplace_back();
                     if (auto problem = readAddress(element, listen.back()))
                         return problem;
                 }
             } else {
                 return fmt::format("expected \"ADDR:PORT\" or a non-empty array of them, got {}",
                                    describe(node));
             }
             if (auto valid = validateListen(listen); !valid)
                 return valid.error().message;
             s.listen = std::move(listen);
             return std::nullopt;
         }},
        {"state_file",
         [](const toml::node& node, RelaySettings& s) -> Problem {
             const auto* text = node.as_string();
             if (text == nullptr)
                 return fmt::format("expected a file path (a string), got {}", describe(node));
             s.stateFile = text->get();
             return std::nullopt;
         }},
        {"log_level",
         [](const toml::node& node, RelaySettings& s) -> Problem {
             const auto* text = node.as_string();
             const auto level = text ? parseLogLevel(text->get()) : std::nullopt;
             if (!level)
                 return fmt::format(
                     "expected \"debug\", \"info\", \"warning\" or \"error\", got {}",
                     describe(node));
             s.logLevel = *level;
             return std::nullopt;
         }},
        {"stats_interval",
         [](const toml::node& node, RelaySettings& s) -> Problem {
             std::int64_t value = 0;
             if (auto problem = readInteger(node, 0, 86400, value))
                 return problem;
             s.statsInterval = std::chrono::seconds(value);
             return std::nullopt;
         }},
        {"metrics",
         [](const toml::node& node, RelaySettings& s) -> Problem {
             if (const auto* text = node.as_string(); text && text->get().empty()) {
                 s.metrics.reset();
                 return std::nullopt;
             }
             SocketAddress address;
             if (auto problem = readAddress(node, address))
                 return fmt::format("{} (\"\" turns metrics off)", *problem);
             s.metrics = address;
             return std::nullopt;
         }},
        {"limits.max_conferences", count(&RelayConfig::maxConferences, 1, 10'000'000)},
        {"limits.max_participants", count(&RelayConfig::maxParticipantsPerConference, 1, 10'000)},
        {"limits.max_packets_per_second",
         rate(&RelayConfig::mediaPacketRate, RateKind::MediaPackets, 1e7)},
        {"limits.max_bytes_per_second",
         rate(&RelayConfig::mediaByteRate, RateKind::MediaBytes, 1e10)},
        {"limits.hello_per_second", rate(&RelayConfig::helloRate, RateKind::Hello, 1e7)},
        {"limits.requests_per_second", rate(&RelayConfig::requestRate, RateKind::Requests, 1e6)},
        {"timeouts.empty_ttl", seconds(&RelayConfig::emptyTtl, 0, 365LL * 86400)},
        {"timeouts.unused_ttl", seconds(&RelayConfig::unusedTtl, 0, 365LL * 86400)},
        {"timeouts.participant_timeout",
         [](const toml::node& node, RelaySettings& s) -> Problem {
             // Sent to clients in Joined as u16 milliseconds; below 2 s a lost Ping or two
             // would drop people.
             std::int64_t value = 0;
             if (auto problem = readInteger(node, 2, 65, value))
                 return problem;
             s.core.participantTimeout = std::chrono::seconds(value);
             return std::nullopt;
         }},
    };
    return table;
}

const Handler* findHandler(std::string_view key) {
    for (const auto& [name, handler] : handlers()) {
        if (name == key)
            return &handler;
    }
    return nullptr;
}

bool isSection(std::string_view key) {
    return key == "limits" || key == "timeouts";
}

} // namespace

RateLimit makeRateLimit(RateKind kind, double perSecond) {
    if (perSecond <= 0)
        return RateLimit{0, 0};
    switch (kind) {
    case RateKind::Hello:
    case RateKind::MediaPackets:
        return RateLimit{perSecond, std::max(2 * perSecond, 1.0)};
    case RateKind::Requests:
        return RateLimit{perSecond, std::max(4 * perSecond, 1.0)};
    case RateKind::MediaBytes:
        // A burst below one datagram would refuse the largest datagram forever.
        return RateLimit{
            perSecond, std::max(2 * perSecond, static_cast<double>(core::wire::kMaxDatagramBytes))};
    }
    return RateLimit{perSecond, perSecond};
}

std::optional<core::LogLevel> parseLogLevel(std::string_view text) {
    if (text == "debug")
        return core::LogLevel::Debug;
    if (text == "info")
        return core::LogLevel::Info;
    if (text == "warning")
        return core::LogLevel::Warning;
    if (text == "error")
        return core::LogLevel::Error;
    return std::nullopt;
}

core::Status validateListen(const std::vector<SocketAddress>& listen) {
    if (listen.empty())
        return makeError(ConfigFileError::BadValue, "no listen address");
    const auto v4 = std::count_if(listen.begin(), listen.end(), [](const SocketAddress& a) {
        return a.family() == SocketAddress::Family::V4;
    });
    const auto v6 = static_cast<std::ptrdiff_t>(listen.size()) - v4;
    if (v4 > 1 || v6 > 1)
        return makeError(ConfigFileError::BadValue,
                         "at most one IPv4 and one IPv6 listen address (replies leave through "
                         "the socket of the peer's address family)");
    return core::Ok{};
}

core::Status applyConfigText(std::string_view text, std::string_view origin,
                             RelaySettings& settings) {
    toml::table root;
    try {
        root = toml::parse(text, origin);
    } catch (const toml::parse_error& error) {
        return makeError(ConfigFileError::Syntax,
                         fmt::format("{}:{}:{}: not valid TOML: {}", origin,
                                     error.source().begin.line, error.source().begin.column,
                                     error.description()));
    }
    const auto fail = [&](ConfigFileError code, const toml::source_region& where,
                          std::string_view key, std::string_view problem) {
        return makeError(code,
                         fmt::format("{}:{}: {}: {}", origin, where.begin.line, key, problem));
    };
    for (const auto& [key, node] : root) {
        const std::string name(key.str());
        if (isSection(name)) {
            const auto* section = node.as_table();
            if (section == nullptr)
                return fail(ConfigFileError::BadValue, key.source(), name,
                            fmt::format("expected a table ([{}]), got {}", name, describe(node)));
            for (const auto& [subKey, subNode] : *section) {
                const std::string full = name + "." + std::string(subKey.str());
                const Handler* handler = findHandler(full);
                if (handler == nullptr)
                    return fail(ConfigFileError::UnknownKey, subKey.source(), full,
                                "unknown key (see docs/OPERATIONS.md or man diyuma-relay)");
                if (auto problem = (*handler)(subNode, settings))
                    return fail(ConfigFileError::BadValue, subKey.source(), full, *problem);
            }
            continue;
        }
        const Handler* handler = findHandler(name);
        if (handler == nullptr)
            return fail(ConfigFileError::UnknownKey, key.source(), name,
                        "unknown key (see docs/OPERATIONS.md or man diyuma-relay)");
        if (auto problem = (*handler)(node, settings))
            return fail(ConfigFileError::BadValue, key.source(), name, *problem);
    }
    return core::Ok{};
}

core::Status applyConfigFile(const std::string& path, RelaySettings& settings) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int error = errno;
        return makeError(ConfigFileError::Unreadable,
                         fmt::format("cannot read config file {}: {}", path, std::strerror(error)));
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        return makeError(ConfigFileError::Unreadable,
                         fmt::format("cannot read config file {}", path));
    return applyConfigText(text.str(), path, settings);
}

std::vector<std::string> applyReloadable(const RelaySettings& next, RelaySettings& current) {
    std::vector<std::string> needRestart;
    if (next.listen != current.listen)
        needRestart.emplace_back("listen");
    if (next.metrics != current.metrics)
        needRestart.emplace_back("metrics");
    if (next.stateFile != current.stateFile)
        needRestart.emplace_back("state_file");
    if (next.statsInterval != current.statsInterval)
        needRestart.emplace_back("stats_interval");
    current.logLevel = next.logLevel;
    auto& to = current.core;
    const auto& from = next.core;
    to.maxConferences = from.maxConferences;
    to.maxParticipantsPerConference = from.maxParticipantsPerConference;
    to.emptyTtl = from.emptyTtl;
    to.unusedTtl = from.unusedTtl;
    to.participantTimeout = from.participantTimeout;
    to.helloRate = from.helloRate;
    to.requestRate = from.requestRate;
    to.mediaPacketRate = from.mediaPacketRate;
    to.mediaByteRate = from.mediaByteRate;
    return needRestart;
}

} // namespace diyuma::relay
