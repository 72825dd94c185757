#include "diyuma/relay/Metrics.h"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

namespace diyuma::relay {

namespace {

/// Writes one metric family: HELP, TYPE, then samples.
class Page {
public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        fmt::format_to(std::back_inserter(m_text), "# HELP diyuma_relay_{} {}\n", name, help);
        fmt::format_to(std::back_inserter(m_text), "# TYPE diyuma_relay_{} {}\n", name, type);
    }
    void sample(std::string_view name, double value, std::string_view labels = {}) {
        if (labels.empty())
            fmt::format_to(std::back_inserter(m_text), "diyuma_relay_{} {}\n", name, value);
        else
            fmt::format_to(std::back_inserter(m_text), "diyuma_relay_{}{{{}}} {}\n", name, labels,
                           value);
    }
    void sample(std::string_view name, std::uint64_t value, std::string_view labels = {}) {
        if (labels.empty())
            fmt::format_to(std::back_inserter(m_text), "diyuma_relay_{} {}\n", name, value);
        else
            fmt::format_to(std::back_inserter(m_text), "diyuma_relay_{}{{{}}} {}\n", name, labels,
                           value);
    }
    /// A family with a single unlabelled sample.
    void single(std::string_view name, std::string_view type, std::string_view help,
                std::uint64_t value) {
        family(name, type, help);
        sample(name, value);
    }
    std::string take() { return std::move(m_text); }

private:
    std::string m_text;
};

std::string label(std::string_view key, std::string_view value) {
    return fmt::format("{}=\"{}\"", key, value);
}

} // namespace

void MetricsPublisher::publish(const MetricsSnapshot& snapshot) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(m_mutex);
    m_latest = snapshot;
    m_at = now;
}

std::optional<MetricsSnapshot> MetricsPublisher::latest() const {
    std::lock_guard lock(m_mutex);
    return m_latest;
}

std::optional<std::chrono::steady_clock::time_point> MetricsPublisher::lastPublished() const {
    std::lock_guard lock(m_mutex);
    if (!m_latest)
        return std::nullopt;
    return m_at;
}

ProcessStats readProcessStats() {
    ProcessStats stats;
    rusage usage{};
    if (::getrusage(RUSAGE_SELF, &usage) == 0) {
        stats.cpuSeconds =
            static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
            static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    }
    const long page = ::sysconf(_SC_PAGESIZE);
    if (std::ifstream statm("/proc/self/statm"); statm) {
        std::uint64_t sizePages = 0;
        std::uint64_t residentPages = 0;
        if (statm >> sizePages >> residentPages) {
            stats.virtualBytes = sizePages * static_cast<std::uint64_t>(page);
            stats.residentBytes = residentPages * static_cast<std::uint64_t>(page);
        }
    }
    // /proc/self/stat: field 2 is "(comm)" and may hold spaces, so count from its ')'.
    if (std::ifstream statFile("/proc/self/stat"); statFile) {
        std::string line;
        std::getline(statFile, line);
        const auto close = line.rfind(')');
        if (close != std::string::npos) {
            std::istringstream fields(line.substr(close + 2));
            std::vector<std::string> rest;
            for (std::string field; fields >> field;)
                rest.push_back(field);
            // rest[0] is field 3 (state): threads is field 20, starttime field 22.
            if (rest.size() > 19) {
                stats.threads = std::stoull(rest[17]);
                const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
                const double startAfterBootS = std::stod(rest[19]) / ticks;
                if (std::ifstream procStat("/proc/stat"); procStat) {
                    for (std::string key; procStat >> key;) {
                        if (key == "btime") {
                            double bootUnixS = 0;
                            procStat >> bootUnixS;
                            stats.startTimeSeconds = bootUnixS + startAfterBootS;
                            break;
                        }
                    }
                }
            }
        }
    }
    if (DIR* dir = ::opendir("/proc/self/fd"); dir != nullptr) {
        std::uint64_t entries = 0;
        while (const dirent* entry = ::readdir(dir)) {
            if (entry->d_name[0] != '.')
                ++entries;
        }
        ::closedir(dir);
        stats.openFds = entries > 0 ? entries - 1 : 0; // minus the one opendir holds
    }
    return stats;
}

std::string formatPrometheus(const MetricsSnapshot& snapshot, const ProcessStats& process,
                             std::string_view version) {
    const RelayStats& s = snapshot.core;
    const UdpServerStats& io = snapshot.io;
    Page page;

    page.family("build_info", "gauge", "Always 1; the relay's version as a label.");
    page.sample("build_info", std::uint64_t{1}, label("version", version));

    page.family("received_packets_total", "counter",
                "Datagrams received, by kind (control, rtp, rtcp, other).");
    const std::uint64_t other =
        s.datagramsReceived -
        std::min(s.datagramsReceived, s.controlReceived + s.rtpReceived + s.rtcpReceived);
    page.sample("received_packets_total", s.controlReceived, label("kind", "control"));
    page.sample("received_packets_total", s.rtpReceived, label("kind", "rtp"));
    page.sample("received_packets_total", s.rtcpReceived, label("kind", "rtcp"));
    page.sample("received_packets_total", other, label("kind", "other"));
    page.single("received_bytes_total", "counter", "Bytes of all datagrams received.",
                s.bytesReceived);

    page.single("forwarded_packets_total", "counter",
                "Media datagrams sent to receivers (one per receiver of each forwarded datagram).",
                s.forwardedPackets);
    page.single("forwarded_bytes_total", "counter", "Bytes of media datagrams sent to receivers.",
                s.forwardedBytes);
    page.family("forwarded_source_packets_total", "counter",
                "Media datagrams accepted from participants for forwarding, by kind.");
    page.sample("forwarded_source_packets_total", s.rtpForwarded, label("kind", "rtp"));
    page.sample("forwarded_source_packets_total", s.rtcpForwarded, label("kind", "rtcp"));

    page.family("transport_feedback_packets_total", "counter",
                "Transport-wide congestion-control feedback, by direction (sent: to senders "
                "about their uplink; received: from receivers, never forwarded).");
    page.sample("transport_feedback_packets_total", s.transportFeedbackSent,
                label("direction", "sent"));
    page.sample("transport_feedback_packets_total", s.transportFeedbackReceived,
                label("direction", "received"));
    page.single("probe_packets_total", "counter",
                "Probe packets (RTP PT 127) received from senders (counted, never forwarded).",
                s.probesReceived);

    page.family("dropped_packets_total", "counter",
                "Datagrams dropped or requests refused, by reason.");
    for (std::size_t i = 0; i < kDropReasonCount; ++i)
        page.sample("dropped_packets_total", s.dropped[i],
                    label("reason", toString(static_cast<DropReason>(i))));
    page.family("malformed_control_total", "counter",
                "Control datagrams that did not parse, by parse error.");
    for (std::size_t i = 1; i < wire::kParseErrorCount; ++i)
        page.sample("malformed_control_total", s.malformedControl[i],
                    label("error", wire::toString(static_cast<wire::ParseError>(i))));

    page.family("sent_control_packets_total", "counter", "Control messages sent, by type.");
    page.sample("sent_control_packets_total", s.cookiesSent, label("type", "cookie"));
    page.sample("sent_control_packets_total", s.createdSent, label("type", "created"));
    page.sample("sent_control_packets_total", s.joinedSent, label("type", "joined"));
    page.sample("sent_control_packets_total", s.rosterSent, label("type", "roster"));
    page.sample("sent_control_packets_total", s.rosterResent, label("type", "roster_resend"));
    page.sample("sent_control_packets_total", s.pongsSent, label("type", "pong"));
    page.sample("sent_control_packets_total", s.errorsSent, label("type", "error"));
    page.single("sent_control_bytes_total", "counter", "Bytes of control messages sent.",
                s.controlBytesSent);
    page.family("sent_errors_total", "counter", "Error messages sent, by error code.");
    for (std::size_t code = 1; code < kErrorCodeSlots; ++code) {
        const auto name = wire::toString(static_cast<wire::ErrorCode>(code));
        if (name != "unknown")
            page.sample("sent_errors_total", s.errorsSentByCode[code], label("code", name));
    }

    page.single("conferences", "gauge", "Conferences that exist now.", s.conferences);
    page.single("participants", "gauge", "Participants joined now (all conferences).",
                s.participants);
    page.single("conferences_created_total", "counter", "Conferences created.",
                s.conferencesCreated);
    page.family("conferences_removed_total", "counter",
                "Conferences removed, by why (empty: emptied and not rejoined in time; unused: "
                "never joined).");
    page.sample("conferences_removed_total", s.conferencesExpiredEmpty, label("why", "empty"));
    page.sample("conferences_removed_total", s.conferencesExpiredUnused, label("why", "unused"));
    page.single("participants_joined_total", "counter", "Participants that joined.",
                s.participantsJoined);
    page.family("participants_removed_total", "counter", "Participants removed, by why.");
    page.sample("participants_removed_total", s.participantsLeft, label("why", "left"));
    page.sample("participants_removed_total", s.participantsTimedOut, label("why", "timeout"));
    page.sample("participants_removed_total", s.participantsRosterOverflow,
                label("why", "roster_overflow"));
    page.sample("participants_removed_total", s.participantsMoved, label("why", "moved"));
    page.family("state_saves_total", "counter", "State file writes, by result.");
    page.sample("state_saves_total", s.stateSaves, label("result", "ok"));
    page.sample("state_saves_total", s.stateSaveFailures, label("result", "failed"));

    page.family("socket_send_dropped_total", "counter",
                "Datagrams the socket did not take, by reason (buffer_full, error).");
    page.sample("socket_send_dropped_total", io.sendWouldBlock, label("reason", "buffer_full"));
    page.sample("socket_send_dropped_total", io.sendErrors, label("reason", "error"));
    page.single("socket_truncated_receives_total", "counter",
                "Datagrams larger than the receive buffer.", io.truncatedReceives);
    page.single("socket_receive_calls_total", "counter", "recvmmsg calls that returned datagrams.",
                io.recvCalls);
    page.single("socket_send_calls_total", "counter", "sendmmsg calls.", io.sendCalls);

    page.family("config_reloads_total", "counter",
                "Config reloads (SIGHUP), by result (failed: the file was bad, the old settings "
                "stay).");
    page.sample("config_reloads_total", snapshot.configReloads, label("result", "ok"));
    page.sample("config_reloads_total", snapshot.configReloadFailures, label("result", "failed"));
    page.single("log_lines_suppressed_total", "counter", "Log lines cut by the log rate limit.",
                snapshot.logLinesSuppressed);
    page.family("stats_timestamp_seconds", "gauge",
                "When the relay thread last published these figures (Unix time).");
    page.sample("stats_timestamp_seconds", static_cast<double>(snapshot.takenUnixMs) / 1000.0);

    page.family("process_cpu_seconds_total", "counter", "User and system CPU time used.");
    page.sample("process_cpu_seconds_total", process.cpuSeconds);
    page.single("process_resident_memory_bytes", "gauge", "Resident memory size.",
                process.residentBytes);
    page.single("process_virtual_memory_bytes", "gauge", "Virtual memory size.",
                process.virtualBytes);
    page.single("process_open_fds", "gauge", "Open file descriptors.", process.openFds);
    page.single("process_threads", "gauge", "Threads.", process.threads);
    page.family("process_start_time_seconds", "gauge", "Start time of the process (Unix time).");
    page.sample("process_start_time_seconds", process.startTimeSeconds);
    return page.take();
}

} // namespace diyuma::relay
