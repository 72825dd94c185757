#pragma once
// Time sources. Every stage that makes time decisions takes a Clock& so tests can step
// time (tests/support/FakeClock.h) instead of sleeping.

#include <chrono>
#include <cstdint>

namespace diyuma::core {

/// Monotonic time for scheduling plus wall-clock time for stats and recordings.
/// Thread: implementations must be safe to call from any thread.
class Clock {
public:
    using Duration = std::chrono::microseconds;
    using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

    virtual ~Clock() = default;
    /// Monotonic "now" (never goes back).
    [[nodiscard]] virtual TimePoint now() const = 0;
    /// Wall-clock milliseconds since the Unix epoch (for stats and lining up recordings).
    [[nodiscard]] virtual std::int64_t unixMs() const = 0;
};

/// The real clock: std::chrono::steady_clock and system_clock.
class SystemClock final : public Clock {
public:
    [[nodiscard]] TimePoint now() const override {
        return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
    }
    [[nodiscard]] std::int64_t unixMs() const override {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
};

} // namespace diyuma::core
