#pragma once
// The relay's log sink: one line per message on stderr, in a form journald understands, with
// a level that a config reload can change and a rate limit per category.
//
// Format (docs/OPERATIONS.md, "Logs"):
//   Journal: "<6>relay: message" - a syslog priority prefix (sd-daemon(3)) that journald turns
//            into the entry's PRIORITY (debug 7, info 6, warning 4, error 3), so
//            `journalctl -p warning` works. Chosen when stderr is the journal: JOURNAL_STREAM
//            names the device and inode of our stderr, as systemd sets it.
//   Plain:   "info relay: message" - for a terminal or a file.
// Rate limit: at most `burst` lines at once per category, refilled at `linesPerSecond`;
// what is cut is counted, and the next line that passes is preceded by
// "<4>relay: N log lines suppressed (rate limit)". Per-packet problems are already limited
// at the source (RelayCore logs drops at most once per reason per second); this guards
// against everything else that could repeat fast (socket errors, a storm of joins).
//
// Thread: log() and setLevel() from any thread (a mutex serializes lines; the level is a
// relaxed atomic: a reload takes effect for the next line, which is all that matters).

#include "diyuma/util/Clock.h"
#include "diyuma/util/Log.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace diyuma::relay {

class RelayLogSink final : public core::LogSink {
public:
    enum class Format { Plain, Journal };
    /// Where finished lines go (with their trailing newline); stderr by default.
    using Writer = std::function<void(std::string_view line)>;

    RelayLogSink(const core::Clock& clock, core::LogLevel minLevel, Format format,
                 Writer writer = {}, double linesPerSecond = 20.0, double burst = 100.0);

    /// Journal if JOURNAL_STREAM matches stderr's device:inode, else Plain.
    [[nodiscard]] static Format detectFormat();
    /// The syslog priority of a level (debug 7, info 6, warning 4, error 3).
    [[nodiscard]] static int priorityOf(core::LogLevel level);

    void log(core::LogCategory category, core::LogLevel level, std::string_view message) override;
    void setLevel(core::LogLevel level) { m_level.store(level, std::memory_order_relaxed); }
    [[nodiscard]] core::LogLevel level() const { return m_level.load(std::memory_order_relaxed); }
    /// Lines cut by the rate limit so far (all categories).
    [[nodiscard]] std::uint64_t suppressedTotal() const;

private:
    struct Budget {
        double tokens = 0;
        core::Clock::TimePoint last{};
        bool started = false;
        std::uint64_t suppressed = 0; ///< since the last line that passed
    };
    void write(core::LogCategory category, core::LogLevel level, std::string_view message);

    const core::Clock& m_clock;
    std::atomic<core::LogLevel> m_level;
    Format m_format;
    Writer m_writer;
    double m_linesPerSecond;
    double m_burst;
    mutable std::mutex m_mutex;
    std::array<Budget, 8> m_budgets{}; ///< by LogCategory
    std::uint64_t m_suppressedTotal = 0;
};

} // namespace diyuma::relay
