#pragma once
// What /metrics shows, and how the numbers get there without slowing the relay.
//
// The relay's I/O thread owns RelayStats and UdpServerStats and never shares them. About once
// a second (and at start and stop) it copies them into a MetricsSnapshot and publishes it;
// the HTTP thread formats the latest published snapshot. The forwarding path is untouched:
// no atomics, no locks, no allocation per packet. The publish lock is held for one struct
// copy once a second.
//
// formatPrometheus() writes the Prometheus text exposition format 0.0.4: every metric named
// diyuma_relay_*, counters end in _total, units in the name (_bytes, _seconds), reasons and
// kinds as labels. The list is in docs/OPERATIONS.md ("Metrics").
//
// Thread: MetricsPublisher::publish on the I/O thread, latest() on any thread;
// formatPrometheus and readProcessStats are pure / read /proc (any thread).

#include "diyuma/relay/RelayStats.h"

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace diyuma::relay {

struct MetricsSnapshot {
    RelayStats core;
    UdpServerStats io;
    std::uint64_t configReloads = 0;        ///< SIGHUPs applied
    std::uint64_t configReloadFailures = 0; ///< SIGHUPs whose config file was bad (kept the old)
    std::uint64_t logLinesSuppressed = 0;
    std::int64_t takenUnixMs = 0; ///< when the I/O thread made this copy (wall clock)
};

struct ProcessStats {
    double cpuSeconds = 0; ///< user + system
    std::uint64_t residentBytes = 0;
    std::uint64_t virtualBytes = 0;
    std::uint64_t openFds = 0;
    double startTimeSeconds = 0; ///< Unix time the process started
    std::uint64_t threads = 0;
};

/// Reads this process's figures from /proc/self (and getrusage); missing values stay 0.
[[nodiscard]] ProcessStats readProcessStats();

/// The whole /metrics page. `version` goes into diyuma_relay_build_info.
[[nodiscard]] std::string formatPrometheus(const MetricsSnapshot& snapshot,
                                           const ProcessStats& process, std::string_view version);

/// The latest snapshot, handed from the I/O thread to the HTTP thread.
class MetricsPublisher {
public:
    void publish(const MetricsSnapshot& snapshot);
    /// nullopt before the first publish.
    [[nodiscard]] std::optional<MetricsSnapshot> latest() const;
    /// Steady-clock time of the last publish (for /healthz: a stuck I/O loop stops
    /// publishing); nullopt before the first.
    [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> lastPublished() const;

private:
    mutable std::mutex m_mutex;
    std::optional<MetricsSnapshot> m_latest;
    std::chrono::steady_clock::time_point m_at{};
};

} // namespace diyuma::relay
