#pragma once
// diyuma-netsim's entry point: parse the command line, open the proxy, print its address,
// forward until SIGINT/SIGTERM, print the stats.
// Thread: the calling thread runs everything (one loop, no other threads).

#include <ostream>
#include <string>
#include <vector>

namespace diyuma::netsim {

/// Installs the SIGINT/SIGTERM handlers (once, from main, before runNetsim): they stop the
/// running proxy, or, before it exists, make it stop as soon as it does.
void installStopSignalHandlers();

/// Parses `args` (after the program name) and runs the proxy. The bound HOST:PORT is the
/// first line on `out` (flushed); errors are one line on `err` starting with
/// "diyuma-netsim: error: ". After a stop signal the stats are one JSON line on `err`.
/// Returns the process exit code: 0 after a stop signal, 2 for bad arguments, 1 otherwise.
int runNetsim(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace diyuma::netsim
