// bench_relay_load: drives diyuma-relay (real protocol) or bench_bare_forwarder (registration)
// with conferences x members participants sending RTP, and prints what it sent and what came
// back as "key: value" lines (bench/relay/run.sh reads them; see docs/PERFORMANCE.md).

#include "LoadGenerator.h"
#include "Udp4.h"

#include <arpa/inet.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <string>

int main(int argc, char** argv) {
    using namespace diyuma::bench;
    std::string targetText;
    std::string modeText = "relay";
    std::string firstLocalText = "127.1.0.1";
    double durationS = 5.0;
    double drainS = 0.3;
    LoadConfig config;

    CLI::App app{"bench_relay_load: relay forwarding load generator (docs/PERFORMANCE.md)."};
    app.add_option("--target", targetText, "A.B.C.D:PORT of the relay or bare forwarder")
        ->required();
    app.add_option("--mode", modeText, "relay (Diyuma protocol) or bare (bench_bare_forwarder)")
        ->capture_default_str()
        ->check(CLI::IsMember({"relay", "bare"}));
    app.add_option("--conferences", config.conferences, "Conferences")->capture_default_str();
    app.add_option("--members", config.members, "Participants per conference")
        ->capture_default_str();
    app.add_option("--packet-bytes", config.packetBytes,
                   "UDP payload bytes per RTP packet (12-byte header included)")
        ->capture_default_str();
    app.add_option("--rate", config.ratePps,
                   "Packets sent per second, all participants together; 0 = as fast as possible")
        ->capture_default_str();
    app.add_option("--duration", durationS, "Seconds of load")->capture_default_str();
    app.add_option("--drain", drainS, "Seconds to keep receiving after the load")
        ->capture_default_str();
    app.add_option("--first-local-ip", firstLocalText,
                   "Participant p binds to this IPv4 address + p (one source IP each)")
        ->capture_default_str();
    app.add_option("--burst", config.burst, "Most packets sent between two receive drains")
        ->capture_default_str();
    std::string pollText = "busy";
    app.add_option("--poll", pollText,
                   "busy: poll without sleeping during the load (default; no wake-ups for the "
                   "target to pay); sleep: wait in epoll until the next packet is due")
        ->capture_default_str()
        ->check(CLI::IsMember({"busy", "sleep"}));
    app.add_option("--watch-pid", config.watchPid,
                   "Report this process's CPU time (utime+stime) over the load window");
    app.add_option("--watch-core", config.watchCore,
                   "Report this core's busy time (/proc/stat) over the load window");
    CLI11_PARSE(app, argc, argv);

    const auto target = parseIpv4Endpoint(targetText);
    in_addr firstLocal{};
    if (!target || inet_pton(AF_INET, firstLocalText.c_str(), &firstLocal) != 1) {
        std::fprintf(stderr, "bench_relay_load: error: --target must be A.B.C.D:PORT and "
                             "--first-local-ip A.B.C.D\n");
        return 2;
    }
    config.target = *target;
    config.mode = modeText == "bare" ? LoadTarget::Bare : LoadTarget::Relay;
    config.duration = std::chrono::duration<double>(durationS);
    config.drain = std::chrono::duration<double>(drainS);
    config.firstLocalIp = ntohl(firstLocal.s_addr);
    config.busyPoll = pollText == "busy";

    LoadGenerator generator(config);
    std::string error;
    if (!generator.setup(error)) {
        std::fprintf(stderr, "bench_relay_load: error: %s\n", error.c_str());
        return 1;
    }
    const LoadResult r = generator.run();
    generator.leave();

    const double window = r.windowSeconds > 0 ? r.windowSeconds : 1.0;
    const auto copies = static_cast<double>(config.members - 1);
    const double expected = static_cast<double>(r.sent) * copies;
    const auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
    std::printf("mode: %s\n", modeText.c_str());
    std::printf("target: %s\n", toString(config.target).c_str());
    std::printf("conferences: %zu\n", config.conferences);
    std::printf("members: %zu\n", config.members);
    std::printf("packet_bytes: %zu\n", config.packetBytes);
    std::printf("offered_rate_pps: %.0f\n", config.ratePps);
    std::printf("poll: %s\n", pollText.c_str());
    std::printf("setup_s: %.3f\n", r.setupSeconds);
    std::printf("window_s: %.3f\n", r.windowSeconds);
    std::printf("sent_packets: %llu\n", u(r.sent));
    std::printf("send_failures: %llu\n", u(r.sendFailures));
    std::printf("sent_pps: %.0f\n", static_cast<double>(r.sent) / window);
    std::printf("expected_deliveries: %.0f\n", expected);
    std::printf("delivered_packets: %llu\n", u(r.delivered));
    std::printf("delivered_late: %llu\n", u(r.deliveredLate));
    std::printf("delivered_pps: %.0f\n", static_cast<double>(r.delivered) / window);
    std::printf("delivery_ratio: %.4f\n",
                expected > 0 ? static_cast<double>(r.delivered + r.deliveredLate) / expected : 0.0);
    std::printf("self_deliveries: %llu\n", u(r.selfDeliveries));
    std::printf("misrouted: %llu\n", u(r.misrouted));
    std::printf("control_received: %llu\n", u(r.controlReceived));
    std::printf("loadgen_cpu_util: %.3f\n", r.cpuSeconds / window);
    if (r.targetCpuSeconds >= 0) {
        std::printf("target_cpu_s: %.2f\n", r.targetCpuSeconds);
        std::printf("target_cpu_util: %.3f\n", r.targetCpuSeconds / window);
        std::printf("target_cpu_us_per_delivered: %.3f\n",
                    r.delivered > 0 ? r.targetCpuSeconds * 1e6 / static_cast<double>(r.delivered)
                                    : 0.0);
    }
    if (r.coreBusySeconds >= 0) {
        std::printf("core_busy_util: %.3f\n", r.coreBusySeconds / window);
        std::printf("core_softirq_util: %.3f\n", r.coreSoftirqSeconds / window);
        std::printf("core_steal_util: %.3f\n", r.coreStealSeconds / window);
        std::printf("core_us_per_delivered: %.3f\n",
                    r.delivered > 0 ? r.coreBusySeconds * 1e6 / static_cast<double>(r.delivered)
                                    : 0.0);
    }
    return 0;
}
