#pragma once
// Everything diyuma-relay can be told (RelaySettings), and its TOML config file (--config).
// Every command-line flag has a key of the same name (dashes become underscores); the file
// is applied over the defaults first and the flags given on the command line over it, so a
// flag always wins. Keys absent from the file keep their defaults. See docs/OPERATIONS.md
// for the reference and packaging/relay/relay.toml for an example:
//
//   listen = ["0.0.0.0:47400", "[::]:47400"]   # at most one IPv4 and one IPv6 address
//   state_file = "/var/lib/diyuma-relay/state.json"
//   log_level = "info"                          # debug, info, warning, error
//   stats_interval = 0                          # seconds; 0 = never
//   metrics = "127.0.0.1:9470"                  # "" = off
//   [limits]
//   max_conferences = 1000
//   max_participants = 50
//   max_packets_per_second = 0                  # media per participant; 0 = unlimited
//   max_bytes_per_second = 0
//   hello_per_second = 2000.0                   # Hellos per source IP (/64)
//   requests_per_second = 5.0                   # Creates and Joins per source IP (/64)
//   [timeouts]
//   empty_ttl = 60                              # seconds
//   unused_ttl = 86400
//   participant_timeout = 10
//
// A file that cannot be read, is not TOML, has an unknown key or a value of the wrong type
// or range gives one error naming the file, the line and the key.
//
// Thread: pure functions and a value type; any thread.

#include "diyuma/relay/RelayConfig.h"
#include "diyuma/relay/SocketAddress.h"
#include "diyuma/util/Log.h"
#include "diyuma/util/Result.h"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace diyuma::relay {

enum class ConfigFileError { Unreadable = 1, Syntax = 2, UnknownKey = 3, BadValue = 4 };

struct RelaySettings {
    /// Sockets to serve on: at most one IPv4 and one IPv6 address (replies leave through
    /// the socket of the peer's family, so two of one family could answer from the wrong
    /// address). "[::]:P" alone is dual-stack and also takes IPv4.
    std::vector<SocketAddress> listen{*SocketAddress::parse("0.0.0.0:47400")};
    RelayConfig core;      ///< limits, time-outs, rates
    std::string stateFile; ///< empty: no state file
    core::LogLevel logLevel = core::LogLevel::Info;
    std::chrono::seconds statsInterval{0}; ///< 0: never
    std::optional<SocketAddress> metrics;  ///< nullopt: no metrics endpoint

    bool operator==(const RelaySettings&) const = default;
};

/// Applies the TOML text `text` over `settings`. `origin` names the source in error messages
/// ("relay.toml"). On error `settings` may be partly changed: use a copy.
[[nodiscard]] core::Status applyConfigText(std::string_view text, std::string_view origin,
                                           RelaySettings& settings);
/// Reads the file at `path` and applies it (errors name the path).
[[nodiscard]] core::Status applyConfigFile(const std::string& path, RelaySettings& settings);

/// Checks what the TOML checks cannot see alone (listen families). The message names
/// `origin` (e.g. "--listen" or the config file).
[[nodiscard]] core::Status validateListen(const std::vector<SocketAddress>& listen);

/// The rate limits behind the config keys and flags: `perSecond` (0 = unlimited) and a burst
/// that follows it (twice the rate; four times for requests; at least one datagram).
enum class RateKind { Hello, Requests, MediaPackets, MediaBytes };
[[nodiscard]] RateLimit makeRateLimit(RateKind kind, double perSecond);

/// "debug", "info", "warning", "error".
[[nodiscard]] std::optional<core::LogLevel> parseLogLevel(std::string_view text);

/// The settings a reload (SIGHUP) can change at run time: limits, rates, time-outs and the
/// log level. Copies those from `next` into `current`, and returns the names of settings
/// that differ but need a restart (listen, metrics, state_file, stats_interval), for a
/// warning.
std::vector<std::string> applyReloadable(const RelaySettings& next, RelaySettings& current);

} // namespace diyuma::relay
