// diyuma-relay: the UDP relay daemon. Only the command line, start-up, signals and shutdown
// live here; the logic is in the diyuma_relay library (RelayCore, UdpServer, StateFile,
// RelayConfigFile, MetricsServer, RelayLogSink, ServiceNotifier). docs/OPERATIONS.md says
// how to run it as a service.

#include "diyuma/relay/Metrics.h"
#include "diyuma/relay/MetricsServer.h"
#include "diyuma/relay/RelayConfigFile.h"
#include "diyuma/relay/RelayCore.h"
#include "diyuma/relay/RelayLogSink.h"
#include "diyuma/relay/RelayStats.h"
#include "diyuma/relay/ServiceNotifier.h"
#include "diyuma/relay/SocketAddress.h"
#include "diyuma/relay/StateFile.h"
#include "diyuma/relay/UdpServer.h"
#include "diyuma/util/Clock.h"

#include <fmt/format.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#ifndef DIYUMA_VERSION
#define DIYUMA_VERSION "unknown"
#endif

namespace {

using namespace diyuma;
using namespace std::chrono_literals;

// The signal handlers' only ways to the server: requestStop() is async-signal-safe, and so
// are stores to lock-free atomics. SIGHUP is only noted; the I/O thread reloads.
std::atomic<relay::UdpServer*> g_server{nullptr};
std::atomic<bool> g_stopRequested{false};
std::atomic<bool> g_reloadRequested{false};
static_assert(std::atomic<relay::UdpServer*>::is_always_lock_free);
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void onStopSignal(int) {
    g_stopRequested.store(true);
    if (auto* server = g_server.load())
        server->requestStop();
}

extern "C" void onReloadSignal(int) {
    g_reloadRequested.store(true);
}

int fail(const std::string& message) {
    std::string line = message;
    std::replace(line.begin(), line.end(), '\n', ' ');
    std::fprintf(stderr, "diyuma-relay: error: %s\n", line.c_str());
    return 1;
}

int usage(const std::string& message) {
    std::fprintf(stderr, "diyuma-relay: error: %s (see --help)\n", message.c_str());
    return 2;
}

/// The command line. Every setting flag is also a config file key; a flag that was given
/// wins over the file (applyTo() runs after the file).
struct Flags {
    std::string config;
    bool checkConfig = false;
    std::vector<std::string> listen;
    std::size_t maxConferences = 0;
    std::size_t maxParticipants = 0;
    double maxPacketsPerSecond = 0;
    double maxBytesPerSecond = 0;
    double helloPerSecond = 0;
    double requestsPerSecond = 0;
    std::string stateFile;
    unsigned emptyTtlS = 0;
    unsigned unusedTtlS = 0;
    unsigned participantTimeoutS = 0;
    std::string logLevel;
    unsigned statsIntervalS = 0;
    std::string metrics;

    CLI::App app{"diyuma-relay: forwards Diyuma Conference media between participants (UDP).\n"
                 "Every option is also a key of the --config file (see man diyuma-relay); an "
                 "option given here wins over the file."};
    std::vector<std::pair<CLI::Option*, std::function<void(relay::RelaySettings&)>>> setters;

    /// Adds a setting flag whose default (shown in --help) is `shown`; returns it for checks.
    template <typename T, typename Shown>
    CLI::Option* add(const char* name, T& variable, const char* help, const Shown& shown,
                     std::function<void(relay::RelaySettings&)> set) {
        auto* option = app.add_option(name, variable, help)->default_str(fmt::format("{}", shown));
        setters.emplace_back(option, std::move(set));
        return option;
    }

    Flags() {
        const relay::RelaySettings defaults;
        app.set_version_flag("--version", std::string("diyuma-relay ") + DIYUMA_VERSION);
        app.add_option("--config", config,
                       "TOML config file; without it the relay runs on its defaults");
        app.add_flag("--check-config", checkConfig,
                     "Check the config file and options, print the result and exit (0 = good)");
        auto* listenOption = app.add_option(
            "--listen", listen,
            "UDP address to listen on, as ADDR:PORT or [IPv6]:PORT; give it twice for one IPv4 "
            "and one IPv6 address. Port 0 picks a free port. Each bound ADDR:PORT is printed on "
            "its own line on stdout, the first listen address first.");
        listenOption->default_str(defaults.listen.front().toString());
        setters.emplace_back(listenOption, nullptr); // handled in applyTo (it can fail)
        add("--max-conferences", maxConferences, "Most conferences at once",
            defaults.core.maxConferences,
            [this](auto& s) { s.core.maxConferences = maxConferences; })
            ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}));
        add("--max-participants", maxParticipants, "Most participants per conference",
            defaults.core.maxParticipantsPerConference,
            [this](auto& s) { s.core.maxParticipantsPerConference = maxParticipants; })
            ->check(CLI::Range(std::size_t{1}, std::size_t{10'000}));
        add("--max-packets-per-second", maxPacketsPerSecond,
            "Media datagrams per second one participant may send (0 = unlimited)", 0.0,
            [this](auto& s) {
                s.core.mediaPacketRate =
                    relay::makeRateLimit(relay::RateKind::MediaPackets, maxPacketsPerSecond);
            })
            ->check(CLI::Range(0.0, 1e7));
        add("--max-bytes-per-second", maxBytesPerSecond,
            "Media bytes per second one participant may send (0 = unlimited)", 0.0,
            [this](auto& s) {
                s.core.mediaByteRate =
                    relay::makeRateLimit(relay::RateKind::MediaBytes, maxBytesPerSecond);
            })
            ->check(CLI::Range(0.0, 1e10));
        add("--hello-per-second", helloPerSecond,
            "Hellos per second per source IP (IPv6: per /64; 0 = unlimited)",
            defaults.core.helloRate.perSecond,
            [this](auto& s) {
                s.core.helloRate = relay::makeRateLimit(relay::RateKind::Hello, helloPerSecond);
            })
            ->check(CLI::Range(0.0, 1e7));
        add("--requests-per-second", requestsPerSecond,
            "Creates and Joins per second per source IP (IPv6: per /64; 0 = unlimited)",
            defaults.core.requestRate.perSecond,
            [this](auto& s) {
                s.core.requestRate =
                    relay::makeRateLimit(relay::RateKind::Requests, requestsPerSecond);
            })
            ->check(CLI::Range(0.0, 1e6));
        add("--state-file", stateFile,
            "JSON file that keeps conferences across restarts (written atomically; a damaged "
            "file stops the relay with an error)",
            std::string{}, [this](auto& s) { s.stateFile = stateFile; });
        add("--empty-ttl", emptyTtlS,
            "Seconds an emptied conference is kept for its participants to come back",
            defaults.core.emptyTtl.count(),
            [this](auto& s) { s.core.emptyTtl = std::chrono::seconds(emptyTtlS); })
            ->check(CLI::Range(0u, 365u * 86400u));
        add("--unused-ttl", unusedTtlS, "Seconds a conference nobody has joined yet is kept",
            defaults.core.unusedTtl.count(),
            [this](auto& s) { s.core.unusedTtl = std::chrono::seconds(unusedTtlS); })
            ->check(CLI::Range(0u, 365u * 86400u));
        add("--participant-timeout", participantTimeoutS,
            "Seconds of silence after which a participant is removed",
            std::chrono::duration_cast<std::chrono::seconds>(defaults.core.participantTimeout)
                .count(),
            [this](auto& s) {
                s.core.participantTimeout = std::chrono::seconds(participantTimeoutS);
            })
            ->check(CLI::Range(2u, 65u));
        add("--log-level", logLevel, "debug, info, warning or error", std::string("info"),
            [this](auto& s) { s.logLevel = *relay::parseLogLevel(logLevel); })
            ->check(CLI::IsMember({"debug", "info", "warning", "error"}));
        add("--stats-interval", statsIntervalS,
            "Print a JSON stats line to stderr every this many seconds (0 = never)", 0u,
            [this](auto& s) { s.statsInterval = std::chrono::seconds(statsIntervalS); })
            ->check(CLI::Range(0u, 86400u));
        auto* metricsOption = app.add_option(
            "--metrics", metrics,
            "Serve /metrics (Prometheus) and /healthz over HTTP on ADDR:PORT; off by default");
        setters.emplace_back(metricsOption, nullptr); // handled in applyTo (it can fail)
    }

    /// Applies the flags that were given over `settings`; an error names the flag.
    [[nodiscard]] core::Status applyTo(relay::RelaySettings& settings) const {
        for (const auto& [option, set] : setters) {
            if (option->count() > 0 && set)
                set(settings);
        }
        if (!listen.empty()) {
            std::vector<relay::SocketAddress> addresses;
            for (const auto& text : listen) {
                const auto address = relay::SocketAddress::parse(text);
                if (!address)
                    return core::Error{2, fmt::format("--listen '{}' is not ADDR:PORT (e.g. "
                                                      "0.0.0.0:47400 or [::]:47400)",
                                                      text)};
                addresses.push_back(*address);
            }
            if (auto valid = relay::validateListen(addresses); !valid)
                return core::Error{2, "--listen: " + valid.error().message};
            settings.listen = std::move(addresses);
        }
        if (app.count("--metrics") > 0) {
            if (metrics.empty()) {
                settings.metrics.reset();
            } else {
                const auto address = relay::SocketAddress::parse(metrics);
                if (!address)
                    return core::Error{2, fmt::format("--metrics '{}' is not ADDR:PORT (e.g. "
                                                      "127.0.0.1:9470)",
                                                      metrics)};
                settings.metrics = *address;
            }
        }
        return core::Ok{};
    }

    /// Defaults, then the config file, then the flags. Error code 1: the file; 2: a flag.
    [[nodiscard]] core::Result<relay::RelaySettings> settings() const {
        relay::RelaySettings settings;
        if (!config.empty()) {
            if (auto applied = relay::applyConfigFile(config, settings); !applied)
                return core::Error{1, applied.error().message};
        }
        if (auto applied = applyTo(settings); !applied)
            return applied.error();
        return settings;
    }
};

std::string describeLimits(const relay::RelaySettings& s) {
    const auto rate = [](const relay::RateLimit& r) {
        return r.perSecond > 0 ? fmt::format("{}", r.perSecond) : std::string("unlimited");
    };
    return fmt::format(
        "max_conferences={} max_participants={} max_packets_per_second={} "
        "max_bytes_per_second={} hello_per_second={} requests_per_second={} empty_ttl={}s "
        "unused_ttl={}s participant_timeout={}s log_level={}",
        s.core.maxConferences, s.core.maxParticipantsPerConference, rate(s.core.mediaPacketRate),
        rate(s.core.mediaByteRate), rate(s.core.helloRate), rate(s.core.requestRate),
        s.core.emptyTtl.count(), s.core.unusedTtl.count(),
        std::chrono::duration_cast<std::chrono::seconds>(s.core.participantTimeout).count(),
        core::toString(s.logLevel));
}

std::string joinAddresses(const std::vector<relay::SocketAddress>& addresses) {
    std::string text;
    for (const auto& address : addresses)
        text += (text.empty() ? "" : " ") + address.toString();
    return text;
}

void installSignalHandlers() {
    struct sigaction stop {};
    stop.sa_handler = onStopSignal;
    sigemptyset(&stop.sa_mask);
    sigaction(SIGTERM, &stop, nullptr);
    sigaction(SIGINT, &stop, nullptr);
    struct sigaction reload {};
    reload.sa_handler = onReloadSignal;
    sigemptyset(&reload.sa_mask);
    sigaction(SIGHUP, &reload, nullptr);
    signal(SIGPIPE, SIG_IGN);
}

} // namespace

int main(int argc, char** argv) {
    Flags flags;
    try {
        flags.app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0)
            return flags.app.exit(e); // --help or --version
        std::string what = e.what();
        return usage(what.empty() ? e.get_name() : what);
    }
    // Early, so a SIGHUP or SIGTERM during start-up neither kills nor is lost.
    installSignalHandlers();

    auto loaded = flags.settings();
    if (!loaded)
        return loaded.error().code == 2 ? usage(loaded.error().message)
                                        : fail(loaded.error().message);
    relay::RelaySettings settings = std::move(*loaded);
    if (flags.checkConfig) {
        std::printf("%s: good (listen %s; %s%s)\n",
                    flags.config.empty() ? "defaults" : flags.config.c_str(),
                    joinAddresses(settings.listen).c_str(), describeLimits(settings).c_str(),
                    settings.metrics ? ("; metrics " + settings.metrics->toString()).c_str() : "");
        return 0;
    }

    core::SystemClock clock;
    relay::RelayLogSink logSink(clock, settings.logLevel, relay::RelayLogSink::detectFormat());
    const auto info = [&](const std::string& text) {
        logSink.log(core::LogCategory::Relay, core::LogLevel::Info, text);
    };

    std::unique_ptr<relay::StateFile> stateFile;
    std::vector<relay::ConferenceRecord> restored;
    if (!settings.stateFile.empty()) {
        auto state = relay::StateFile::load(settings.stateFile);
        if (!state)
            return fail(state.error().message);
        restored = std::move(*state);
        stateFile = std::make_unique<relay::StateFile>(settings.stateFile, &logSink);
    }

    relay::RelayCore core(settings.core, clock, &logSink, stateFile.get());
    core.restore(restored, clock.now());
    if (stateFile) {
        // Write once now, so an unwritable location is found at start, not at the first create.
        if (auto written = stateFile->write(core.conferenceRecords()); !written)
            return fail(written.error().message);
    }

    relay::UdpServer server(core, clock, &logSink);
    if (auto opened = server.open(settings.listen); !opened)
        return fail(opened.error().message);

    relay::MetricsPublisher publisher;
    std::uint64_t reloads = 0;
    std::uint64_t reloadFailures = 0;
    const auto publish = [&] {
        relay::MetricsSnapshot snapshot;
        snapshot.core = core.stats();
        snapshot.io = server.stats();
        snapshot.configReloads = reloads;
        snapshot.configReloadFailures = reloadFailures;
        snapshot.logLinesSuppressed = logSink.suppressedTotal();
        snapshot.takenUnixMs = clock.unixMs();
        publisher.publish(snapshot);
    };
    publish();
    std::unique_ptr<relay::MetricsServer> metrics;
    if (settings.metrics) {
        metrics = std::make_unique<relay::MetricsServer>(publisher, DIYUMA_VERSION);
        if (auto started = metrics->start(*settings.metrics); !started)
            return fail(started.error().message);
    }
    // Only now, with nothing left that returns early: the handler must never see a server
    // that is already gone.
    g_server.store(&server);
    if (g_stopRequested.load())
        server.requestStop(); // a SIGTERM came before the server existed

    // Only now, with the handlers in place: whoever reads this line may send SIGTERM at once.
    for (const auto& address : server.localAddresses())
        std::printf("%s\n", address.toString().c_str());
    std::fflush(stdout);

    const std::string listening = joinAddresses(server.localAddresses());
    const auto serving = [&] {
        return fmt::format("serving on {}; {} conferences, {} participants", listening,
                           core.conferenceCount(), core.participantCount());
    };
    const auto reload = [&] {
        relay::ServiceNotifier::reloading();
        auto next = flags.settings();
        if (!next) {
            ++reloadFailures;
            logSink.log(core::LogCategory::Relay, core::LogLevel::Error,
                        "reload failed, keeping the running settings: " + next.error().message);
            relay::ServiceNotifier::ready(serving() + " (last reload failed)");
            publish();
            return;
        }
        const auto needRestart = relay::applyReloadable(*next, settings);
        core.reconfigure(settings.core);
        logSink.setLevel(settings.logLevel);
        ++reloads;
        info("configuration reloaded: " + describeLimits(settings));
        if (!needRestart.empty()) {
            std::string names;
            for (const auto& name : needRestart)
                names += (names.empty() ? "" : ", ") + name;
            logSink.log(core::LogCategory::Relay, core::LogLevel::Warning,
                        "changed but only applied at a restart: " + names);
        }
        relay::ServiceNotifier::ready(serving());
        publish(); // the reload counter shows at once, not at the next second
    };

    // Housekeeping on the I/O thread: reloads, the metrics snapshot, the stats line.
    auto nextSnapshot = clock.now();
    auto nextStats = clock.now() + settings.statsInterval;
    auto nextStatus = clock.now() + 10s;
    server.setPeriodic(100ms, [&] {
        if (g_reloadRequested.exchange(false))
            reload();
        const auto now = clock.now();
        if (now >= nextSnapshot) {
            publish();
            nextSnapshot = now + 1s;
        }
        if (settings.statsInterval.count() > 0 && now >= nextStats) {
            std::fprintf(stderr, "%s\n", relay::statsToJson(core.stats(), &server.stats()).c_str());
            nextStats = now + settings.statsInterval;
        }
        if (now >= nextStatus) {
            relay::ServiceNotifier::status(serving());
            nextStatus = now + 10s;
        }
    });

    info("diyuma-relay " DIYUMA_VERSION " " + serving() + "; " + describeLimits(settings) +
         (settings.metrics ? "; metrics on " + metrics->localAddress().toString() : ""));
    if (metrics)
        metrics->setServing(true);
    relay::ServiceNotifier::ready(serving());

    const auto ran = g_stopRequested.load() ? core::Status(core::Ok{}) : server.run();
    g_server.store(nullptr);
    relay::ServiceNotifier::stopping("telling participants the relay is going away");
    if (metrics)
        metrics->setServing(false);
    std::size_t told = 0;
    server.drain([&](relay::PacketSink& out) { told = core.sendGoingAway(out); });
    info(fmt::format("stopping: told {} participants the relay is going away", told));
    if (stateFile)
        core.saveState(); // keeps lastActiveUnixMs current
    publish();
    if (metrics)
        metrics->stop();
    info("stopped; final stats follow");
    std::fprintf(stderr, "%s\n", relay::statsToJson(core.stats(), &server.stats()).c_str());
    if (!ran)
        return fail(ran.error().message);
    return 0;
}
