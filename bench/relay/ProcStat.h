#pragma once
// CPU accounting read from /proc, for the relay benchmark: the CPU time of another process
// (utime + stime of /proc/<pid>/stat) and the busy time of one core (/proc/stat "cpuN").
// Both come in clock ticks (sysconf(_SC_CLK_TCK), usually 100 per second) and are converted
// to seconds here.
//
// Thread: pure reads of /proc; any thread.

#include <sys/types.h>

#include <optional>

namespace diyuma::bench {

/// utime + stime of process `pid` (all its threads), in seconds; nullopt if unreadable.
[[nodiscard]] std::optional<double> processCpuSecondsOf(pid_t pid);

struct CoreTimes {
    double busy = 0;    ///< user + nice + system + irq + softirq, seconds
    double softirq = 0; ///< softirq alone (loopback packet delivery lands here), seconds
    double steal = 0;   ///< time the hypervisor gave to someone else, seconds
    double total = 0;   ///< everything including idle and iowait, seconds
};
/// The cumulative times of core `core` since boot; nullopt if unreadable.
[[nodiscard]] std::optional<CoreTimes> coreTimes(int core);

} // namespace diyuma::bench
