#pragma once
// Logging through an injected sink with categories. The core never writes to stdout or
// stderr itself: the relay forwards to stderr, the app to QLoggingCategory, tests capture.

#include <string_view>

namespace diyuma::core {

enum class LogCategory { Net, Wire, Jitter, Cc, Audio, Video, Session, Relay };
enum class LogLevel { Debug, Info, Warning, Error };

/// Receives log lines. Thread: may be called from any thread; implementations serialize.
class LogSink {
public:
    virtual ~LogSink() = default;
    virtual void log(LogCategory category, LogLevel level, std::string_view message) = 0;
};

/// A sink that drops everything (the default when none is injected).
class NullLogSink final : public LogSink {
public:
    void log(LogCategory, LogLevel, std::string_view) override {}
};

/// Writes "level category: message" lines to stderr, serialized by a mutex; lines below
/// minLevel are dropped.
class StderrLogSink final : public LogSink {
public:
    explicit StderrLogSink(LogLevel minLevel = LogLevel::Info) : m_minLevel(minLevel) {}
    void log(LogCategory category, LogLevel level, std::string_view message) override;

private:
    LogLevel m_minLevel;
};

[[nodiscard]] std::string_view toString(LogCategory category);
[[nodiscard]] std::string_view toString(LogLevel level);

} // namespace diyuma::core
