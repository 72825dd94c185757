// diyuma-relay: the UDP relay daemon. Only the command line and start-up live here; the
// logic is in the diyuma_relay library (RelayCore, UdpServer, StateFile).

#include "diyuma/relay/RelayConfig.h"
#include "diyuma/relay/RelayCore.h"
#include "diyuma/relay/RelayStats.h"
#include "diyuma/relay/SocketAddress.h"
#include "diyuma/relay/StateFile.h"
#include "diyuma/relay/UdpServer.h"
#include "diyuma/util/Clock.h"
#include "diyuma/util/Log.h"

#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#ifndef DIYUMA_VERSION
#define DIYUMA_VERSION "unknown"
#endif

namespace {

using namespace diyuma;

// The signal handler's only way to the server; requestStop() is async-signal-safe, and so
// is loading a lock-free atomic pointer.
std::atomic<relay::UdpServer*> g_server{nullptr};
static_assert(std::atomic<relay::UdpServer*>::is_always_lock_free);

extern "C" void onStopSignal(int) {
    if (auto* server = g_server.load())
        server->requestStop();
}

int fail(const std::string& message) {
    std::string line = message;
    std::replace(line.begin(), line.end(), '\n', ' ');
    std::fprintf(stderr, "diyuma-relay: error: %s\n", line.c_str());
    return 1;
}

std::optional<core::LogLevel> parseLogLevel(const std::string& text) {
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

} // namespace

int main(int argc, char** argv) {
    std::string listenText = "0.0.0.0:47400";
    std::size_t maxConferences = 1000;
    std::size_t maxParticipants = 50;
    std::string stateFilePath;
    unsigned emptyTtlS = 60;
    unsigned unusedTtlS = 86400;
    std::string logLevelText = "info";
    unsigned statsIntervalS = 0;

    CLI::App app{"diyuma-relay: forwards Diyuma Conference media between participants (UDP)."};
    app.set_version_flag("--version", std::string("diyuma-relay ") + DIYUMA_VERSION);
    app.add_option("--listen", listenText,
                   "UDP address to listen on, as ADDR:PORT or [IPv6]:PORT; port 0 picks a free "
                   "port. The bound ADDR:PORT is printed as the first line on stdout.")
        ->capture_default_str();
    app.add_option("--max-conferences", maxConferences, "Most conferences at once")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}));
    app.add_option("--max-participants", maxParticipants, "Most participants per conference")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{10'000}));
    app.add_option("--state-file", stateFilePath,
                   "JSON file that keeps conferences across restarts (written atomically; a "
                   "damaged file stops the relay with an error)");
    app.add_option("--empty-ttl", emptyTtlS,
                   "Seconds an emptied conference is kept for its participants to come back")
        ->capture_default_str();
    app.add_option("--unused-ttl", unusedTtlS, "Seconds a conference nobody has joined yet is kept")
        ->capture_default_str();
    app.add_option("--log-level", logLevelText, "debug, info, warning or error")
        ->capture_default_str()
        ->check(CLI::IsMember({"debug", "info", "warning", "error"}));
    app.add_option("--stats-interval", statsIntervalS,
                   "Print a JSON stats line to stderr every this many seconds (0 = never)")
        ->capture_default_str();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0)
            return app.exit(e); // --help or --version
        std::string what = e.what();
        std::fprintf(stderr, "diyuma-relay: error: %s (see --help)\n",
                     what.empty() ? e.get_name().c_str() : what.c_str());
        return 2;
    }

    const auto listen = relay::SocketAddress::parse(listenText);
    if (!listen) {
        std::fprintf(stderr,
                     "diyuma-relay: error: --listen '%s' is not ADDR:PORT (e.g. 0.0.0.0:47400 "
                     "or [::]:47400) (see --help)\n",
                     listenText.c_str());
        return 2;
    }
    const auto logLevel = parseLogLevel(logLevelText).value_or(core::LogLevel::Info);

    core::SystemClock clock;
    core::StderrLogSink logSink(logLevel);

    relay::RelayConfig config;
    config.maxConferences = maxConferences;
    config.maxParticipantsPerConference = maxParticipants;
    config.emptyTtl = std::chrono::seconds(emptyTtlS);
    config.unusedTtl = std::chrono::seconds(unusedTtlS);

    std::unique_ptr<relay::StateFile> stateFile;
    std::vector<relay::ConferenceRecord> restored;
    if (!stateFilePath.empty()) {
        auto loaded = relay::StateFile::load(stateFilePath);
        if (!loaded)
            return fail(loaded.error().message);
        restored = std::move(*loaded);
        stateFile = std::make_unique<relay::StateFile>(stateFilePath, &logSink);
    }

    relay::RelayCore core(config, clock, &logSink, stateFile.get());
    core.restore(restored, clock.now());
    if (stateFile) {
        // Write once now, so an unwritable location is found at start, not at the first create.
        if (auto written = stateFile->write(core.conferenceRecords()); !written)
            return fail(written.error().message);
    }

    relay::UdpServer server(core, clock, &logSink);
    if (auto opened = server.open(*listen); !opened)
        return fail(opened.error().message);

    g_server.store(&server);
    struct sigaction action {};
    action.sa_handler = onStopSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    signal(SIGPIPE, SIG_IGN);

    // Only now, with the handlers in place: whoever reads this line may send SIGTERM at once.
    std::printf("%s\n", server.localAddress().toString().c_str());
    std::fflush(stdout);

    if (statsIntervalS > 0) {
        server.setPeriodic(std::chrono::seconds(statsIntervalS), [&] {
            std::fprintf(stderr, "%s\n", relay::statsToJson(core.stats(), &server.stats()).c_str());
        });
    }
    logSink.log(core::LogCategory::Relay, core::LogLevel::Info,
                "serving on " + server.localAddress().toString());

    const auto ran = server.run();
    g_server.store(nullptr);
    if (stateFile)
        core.saveState(); // keeps lastActiveUnixMs current
    logSink.log(core::LogCategory::Relay, core::LogLevel::Info, "stopped; final stats follow");
    std::fprintf(stderr, "%s\n", relay::statsToJson(core.stats(), &server.stats()).c_str());
    if (!ran)
        return fail(ran.error().message);
    return 0;
}
