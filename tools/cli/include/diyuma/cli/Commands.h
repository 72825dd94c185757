#pragma once
// The two commands of diyuma-cli and the entry point main() calls.
// Thread: the calling thread runs everything (one loop, no other threads).

#include "diyuma/cli/CommandLine.h"
#include "diyuma/net/UdpTransport.h"
#include "diyuma/session/SessionTypes.h"
#include "diyuma/util/Clock.h"

#include <ostream>
#include <string>
#include <vector>

namespace diyuma::cli {

/// Exit code for runtime failures (unknown conference, unreachable relay, broken file...).
inline constexpr int kFailureExitCode = 1;

/// Creates a conference and prints the invite link, then the admin link, to `out`.
int runCreate(const CreateOptions& options, const core::Clock& clock, std::ostream& out,
              std::ostream& err);

/// Joins, sends and records in real time until --duration or a stop signal.
int runJoin(const JoinOptions& options, const core::Clock& clock, std::ostream& err);

/// Parses `args` (after the program name) and runs the command; errors are one line on
/// `err` starting with "diyuma-cli: error: ". Returns the process exit code.
int runCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace diyuma::cli
