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
                   "UDP payload bytes per RTP packet (12-byte header included); with "
                   "--video-layers: per audio packet")
        ->capture_default_str();
    app.add_option("--video-layers", config.videoLayers,
                   "0: plain audio-like RTP (default). 1..3: tiers mode: each participant "
                   "announces audio and this many simulcast video streams (180/360/720 lines) "
                   "and sends audio and video frames of 1, 2, 5 packets per layer with "
                   "transport-wide sequence numbers and frame marking; against the relay the "
                   "receivers send transport-wide feedback and senders answer PLIs with key "
                   "frames (docs/PERFORMANCE.md 1.1)")
        ->capture_default_str()
        ->check(CLI::Range(0, 3));
    bool plainRtp = false;
    app.add_flag("--plain-rtp", plainRtp,
                 "With --video-layers: send the same datagrams (sizes, order) as plain audio-like "
                 "RTP on one announced audio SSRC, without extensions or feedback");
    double warmupS = 0.0;
    app.add_option("--warmup", warmupS,
                   "Seconds of the same load before the measured window (not counted)")
        ->capture_default_str();
    double feedbackMs = 50.0;
    app.add_option("--feedback-ms", feedbackMs,
                   "Tiers mode: milliseconds between a receiver's transport-wide feedback")
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
    app.add_option("--mark-pid", config.markPid,
                   "Send this process SIGUSR2 at the start and the end of the load window "
                   "(bench_alloc_counter.so prints its allocation count then)");
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
    config.packets = plainRtp ? Packets::Plain : Packets::Layered;
    config.warmup = std::chrono::duration<double>(warmupS);
    config.feedbackInterval = std::chrono::duration<double>(feedbackMs / 1000.0);

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
    if (config.videoLayers > 0) {
        std::printf("video_layers: %zu\n", config.videoLayers);
        std::printf("packets: %s\n", plainRtp ? "plain" : "layered");
        std::printf("warmup_s: %.3f\n", warmupS);
        std::printf("warmup_sent_packets: %llu\n", static_cast<unsigned long long>(r.warmupSent));
        std::printf("real_time_rate_pps: %.0f\n", kRealTimePacketsPerSecond *
                                                      static_cast<double>(config.conferences) *
                                                      static_cast<double>(config.members));
    }
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
    if (config.videoLayers > 0) {
        static constexpr const char* kStreamNames[] = {"audio", "video_l0", "video_l1", "video_l2"};
        for (std::size_t s = 0; s <= config.videoLayers; ++s) {
            std::printf("sent_%s: %llu\n", kStreamNames[s], u(r.sentByStream[s]));
            std::printf("delivered_%s: %llu\n", kStreamNames[s], u(r.deliveredByStream[s]));
        }
        std::printf("delivered_per_sent: %.3f\n",
                    r.sent > 0 ? static_cast<double>(r.delivered) / static_cast<double>(r.sent)
                               : 0.0);
        std::printf("probes_received: %llu\n", u(r.probesReceived));
        std::printf("rtcp_received: %llu\n", u(r.rtcpReceived));
        std::printf("plis_received: %llu\n", u(r.plisReceived));
        std::printf("key_frames_sent: %llu\n", u(r.keyFrames));
        std::printf("feedback_sent: %llu\n", u(r.feedbackSent));
        std::printf("feedback_overflow: %llu\n", u(r.feedbackOverflow));
        std::printf("layers_wanted_received: %llu\n", u(r.layersWantedReceived));
        if (r.receiversWithReport > 0) {
            const auto& d = r.downlinkBps;
            std::printf("report_receivers: %llu\n", u(r.receiversWithReport));
            std::printf("report_downlink_kbps_min_median_max: %u %u %u\n", d.front() / 1000,
                        d[d.size() / 2] / 1000, d.back() / 1000);
            std::printf("report_layers:");
            for (std::size_t s = 0; s < r.forwardingLayers.size(); ++s)
                for (std::size_t t = 0; t < 4; ++t)
                    if (r.forwardingLayers[s][t] > 0)
                        std::printf(" S%zuT%s=%llu", s, t < 3 ? std::to_string(t).c_str() : "-",
                                    u(r.forwardingLayers[s][t]));
            std::printf(" paused=%llu waiting=%llu other=%llu\n", u(r.reportsPaused),
                        u(r.reportsWaiting), u(r.reportsOther));
        }
        if (r.targetCpuSeconds >= 0)
            std::printf("target_cpu_us_per_sent: %.3f\n",
                        r.sent > 0 ? r.targetCpuSeconds * 1e6 / static_cast<double>(r.sent) : 0.0);
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
