#include "diyuma/util/Log.h"

#include <cstdio>
#include <mutex>

namespace diyuma::core {

std::string_view toString(LogCategory category) {
    switch (category) {
    case LogCategory::Net: return "net";
    case LogCategory::Wire: return "wire";
    case LogCategory::Jitter: return "jitter";
    case LogCategory::Cc: return "cc";
    case LogCategory::Audio: return "audio";
    case LogCategory::Video: return "video";
    case LogCategory::Session: return "session";
    case LogCategory::Relay: return "relay";
    }
    return "?";
}

std::string_view toString(LogLevel level) {
    switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
    }
    return "?";
}

void StderrLogSink::log(LogCategory category, LogLevel level, std::string_view message) {
    if (level < m_minLevel)
        return;
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    std::fprintf(stderr, "%.*s %.*s: %.*s\n", static_cast<int>(toString(level).size()),
                 toString(level).data(), static_cast<int>(toString(category).size()),
                 toString(category).data(), static_cast<int>(message.size()), message.data());
}

} // namespace diyuma::core
