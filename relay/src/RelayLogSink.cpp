#include "diyuma/relay/RelayLogSink.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace diyuma::relay {

RelayLogSink::RelayLogSink(const core::Clock& clock, core::LogLevel minLevel, Format format,
                           Writer writer, double linesPerSecond, double burst)
    : m_clock(clock), m_level(minLevel), m_format(format), m_writer(std::move(writer)),
      m_linesPerSecond(linesPerSecond), m_burst(std::max(1.0, burst)) {
    if (!m_writer) {
        m_writer = [](std::string_view line) {
            std::fwrite(line.data(), 1, line.size(), stderr);
            std::fflush(stderr);
        };
    }
}

RelayLogSink::Format RelayLogSink::detectFormat() {
    // systemd sets JOURNAL_STREAM=<dev>:<ino> of the stream it connected; if our stderr is
    // still that stream (not redirected by a wrapper), the journal reads the prefixes.
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stream == nullptr)
        return Format::Plain;
    struct stat info {};
    if (::fstat(STDERR_FILENO, &info) != 0)
        return Format::Plain;
    const auto expected = fmt::format("{}:{}", static_cast<unsigned long long>(info.st_dev),
                                      static_cast<unsigned long long>(info.st_ino));
    return expected == stream ? Format::Journal : Format::Plain;
}

int RelayLogSink::priorityOf(core::LogLevel level) {
    switch (level) {
    case core::LogLevel::Debug:
        return 7;
    case core::LogLevel::Info:
        return 6;
    case core::LogLevel::Warning:
        return 4;
    case core::LogLevel::Error:
        return 3;
    }
    return 6;
}

void RelayLogSink::log(core::LogCategory category, core::LogLevel level, std::string_view message) {
    if (level < m_level.load(std::memory_order_relaxed))
        return;
    const auto now = m_clock.now();
    std::lock_guard lock(m_mutex);
    auto& budget = m_budgets[static_cast<std::size_t>(category) % m_budgets.size()];
    if (!budget.started) {
        budget.started = true;
        budget.tokens = m_burst;
    } else {
        const double elapsedS = std::chrono::duration<double>(now - budget.last).count();
        budget.tokens =
            std::min(m_burst, budget.tokens + std::max(0.0, elapsedS) * m_linesPerSecond);
    }
    budget.last = std::max(budget.last, now);
    if (budget.tokens < 1.0) {
        ++budget.suppressed;
        ++m_suppressedTotal;
        return;
    }
    budget.tokens -= 1.0;
    if (budget.suppressed > 0) {
        write(category, core::LogLevel::Warning,
              fmt::format("{} log lines suppressed (rate limit)", budget.suppressed));
        budget.suppressed = 0;
    }
    write(category, level, message);
}

void RelayLogSink::write(core::LogCategory category, core::LogLevel level,
                         std::string_view message) {
    // One line per message: a newline inside would start a journal entry without a prefix.
    std::string text(message);
    std::replace(text.begin(), text.end(), '\n', ' ');
    const auto line =
        m_format == Format::Journal
            ? fmt::format("<{}>{}: {}\n", priorityOf(level), core::toString(category), text)
            : fmt::format("{} {}: {}\n", core::toString(level), core::toString(category), text);
    m_writer(line);
}

std::uint64_t RelayLogSink::suppressedTotal() const {
    std::lock_guard lock(m_mutex);
    return m_suppressedTotal;
}

} // namespace diyuma::relay
