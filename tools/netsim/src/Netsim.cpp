#include "diyuma/netsim/Netsim.h"

#include "diyuma/netsim/CommandLine.h"
#include "diyuma/netsim/Proxy.h"

#include <signal.h>

#include <atomic>
#include <exception>
#include <variant>

namespace diyuma::netsim {

namespace {
// The signal handler's only ways to the proxy: requestStop() is async-signal-safe, and so
// are loads and stores of lock-free atomics.
std::atomic<Proxy*> g_proxy{nullptr};
std::atomic<bool> g_stopRequested{false};
static_assert(std::atomic<Proxy*>::is_always_lock_free);
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void onStopSignal(int) {
    g_stopRequested.store(true);
    if (Proxy* proxy = g_proxy.load())
        proxy->requestStop();
}

/// Points the signal handler at `proxy` while it lives.
class StopTarget {
public:
    explicit StopTarget(Proxy& proxy) {
        g_proxy.store(&proxy);
        if (g_stopRequested.load())
            proxy.requestStop(); // the signal came before the proxy existed
    }
    ~StopTarget() { g_proxy.store(nullptr); }
    StopTarget(const StopTarget&) = delete;
    StopTarget& operator=(const StopTarget&) = delete;
};

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    auto parsed = parseCommandLine(args);
    if (auto* early = std::get_if<EarlyExit>(&parsed)) {
        out << early->out << std::flush;
        err << early->err << std::flush;
        return early->exitCode;
    }
    const ProxyConfig& config = std::get<ProxyConfig>(parsed);
    core::SystemClock clock;
    auto opened = Proxy::open(config, clock);
    if (!opened) {
        err << "diyuma-netsim: error: " << opened.error().message << '\n' << std::flush;
        return kFailureExitCode;
    }
    Proxy& proxy = **opened;
    const StopTarget stopTarget(proxy);
    // Only now, with the handler pointed at the proxy: whoever reads this line may send
    // SIGTERM at once.
    out << proxy.localAddress().toString() << '\n' << std::flush;
    err << "diyuma-netsim: " << proxy.localAddress().toString() << " -> "
        << config.target.toString() << ", seed " << config.seed << "; up: " << describe(config.up)
        << "; down: " << describe(config.down) << '\n'
        << std::flush;
    const auto ran = proxy.run();
    err << statsToJson(proxy.stats()) << '\n' << std::flush;
    if (!ran) {
        err << "diyuma-netsim: error: " << ran.error().message << '\n' << std::flush;
        return kFailureExitCode;
    }
    return 0;
}
} // namespace

void installStopSignalHandlers() {
    struct sigaction action {};
    action.sa_handler = onStopSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

int runNetsim(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    // The edge of the program: whatever escapes below becomes one line and an exit code.
    try {
        return run(args, out, err);
    } catch (const std::exception& e) {
        err << "diyuma-netsim: error: " << e.what() << '\n' << std::flush;
    } catch (...) {
        err << "diyuma-netsim: error: unexpected failure\n" << std::flush;
    }
    return kFailureExitCode;
}

} // namespace diyuma::netsim
