#include "ProcStat.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace diyuma::bench {

namespace {

double ticksToSeconds(unsigned long long ticks) {
    static const long ticksPerSecond = ::sysconf(_SC_CLK_TCK);
    return static_cast<double>(ticks) /
           static_cast<double>(ticksPerSecond > 0 ? ticksPerSecond : 100);
}

} // namespace

std::optional<double> processCpuSecondsOf(pid_t pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(file, line))
        return std::nullopt;
    // The command name (field 2) is in parentheses and may contain spaces: parse after the
    // last ')'. Then field 3 is the state; utime and stime are fields 14 and 15.
    const auto close = line.rfind(')');
    if (close == std::string::npos)
        return std::nullopt;
    std::istringstream fields(line.substr(close + 1));
    std::string skip;
    for (int field = 3; field <= 13; ++field)
        fields >> skip;
    unsigned long long utime = 0;
    unsigned long long stime = 0;
    if (!(fields >> utime >> stime))
        return std::nullopt;
    return ticksToSeconds(utime + stime);
}

std::optional<CoreTimes> coreTimes(int core) {
    std::ifstream file("/proc/stat");
    const std::string wanted = "cpu" + std::to_string(core);
    std::string line;
    while (std::getline(file, line)) {
        std::istringstream fields(line);
        std::string name;
        fields >> name;
        if (name != wanted)
            continue;
        unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0,
                           softirq = 0, steal = 0;
        if (!(fields >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal))
            return std::nullopt;
        CoreTimes times;
        times.busy = ticksToSeconds(user + nice + system + irq + softirq);
        times.softirq = ticksToSeconds(softirq);
        times.steal = ticksToSeconds(steal);
        times.total = ticksToSeconds(user + nice + system + idle + iowait + irq + softirq + steal);
        return times;
    }
    return std::nullopt;
}

} // namespace diyuma::bench
