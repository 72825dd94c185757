#pragma once
// diyuma-netsim's command line (CLI11), parsed and validated into a ProxyConfig:
//
//   diyuma-netsim --target HOST:PORT [--listen HOST:PORT] [--seed N] [--direction both|up|down]
//                 [--loss PCT] [--burst-loss ENTER_PCT,LEAVE_PCT]
//                 [--delay MS] [--jitter MS] [--reorder PCT] [--reorder-delay MS]
//                 [--rate KBIT] [--queue MS] [--duplicate PCT]
//                 [--max-clients N] [--idle-timeout S]
//
// Percentages are per datagram, 0..100; times are milliseconds (fractions allowed). Everything
// is checked here, so a bad argument fails at once with one line and exit code 2.
// Thread: any (pure, apart from name resolution for HOST).

#include "diyuma/netsim/Proxy.h"

#include <string>
#include <variant>
#include <vector>

namespace diyuma::netsim {

/// Which directions the impairments apply to (the other passes untouched).
enum class Directions { Both, Up, Down };

/// Help output or an argument error: print and exit with exitCode.
struct EarlyExit {
    int exitCode = 0;
    std::string out; ///< for stdout (help)
    std::string err; ///< for stderr: one line "diyuma-netsim: error: ..." (with '\n')
};

using ParsedCommandLine = std::variant<ProxyConfig, EarlyExit>;

/// Exit code for bad arguments.
inline constexpr int kUsageExitCode = 2;
/// Exit code for failures at run time (cannot bind, event loop failure).
inline constexpr int kFailureExitCode = 1;

/// Parses the arguments after the program name.
[[nodiscard]] ParsedCommandLine parseCommandLine(const std::vector<std::string>& args);

/// "loss 5%, delay 40±10 ms, rate 500 kbit/s (queue 200 ms)" or "none", for the start line.
[[nodiscard]] std::string describe(const ImpairmentConfig& config);

} // namespace diyuma::netsim
