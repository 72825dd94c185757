#include "diyuma/cli/Commands.h"

#include <exception>
#include <variant>

namespace diyuma::cli {

int runCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    // The edge of the program: whatever escapes below becomes one line and an exit code.
    try {
        auto parsed = parseCommandLine(args);
        if (auto* early = std::get_if<EarlyExit>(&parsed)) {
            out << early->out << std::flush;
            err << early->err << std::flush;
            return early->exitCode;
        }
        core::SystemClock clock;
        if (auto* create = std::get_if<CreateOptions>(&parsed))
            return runCreate(*create, clock, out, err);
        return runJoin(std::get<JoinOptions>(parsed), clock, err);
    } catch (const std::exception& e) {
        err << "diyuma-cli: error: " << e.what() << '\n' << std::flush;
    } catch (...) {
        err << "diyuma-cli: error: unexpected failure\n" << std::flush;
    }
    return kFailureExitCode;
}

} // namespace diyuma::cli
