#pragma once
// A clock that tests step by hand.

#include "diyuma/util/Clock.h"

#include <atomic>
#include <chrono>

namespace diyuma::test {

class FakeClock final : public core::Clock {
public:
    [[nodiscard]] TimePoint now() const override { return TimePoint(Duration(m_nowUs.load())); }
    [[nodiscard]] std::int64_t unixMs() const override {
        return kUnixEpochOffsetMs + m_nowUs.load() / 1000;
    }
    void advance(Duration d) { m_nowUs += d.count(); }

    static constexpr std::int64_t kUnixEpochOffsetMs = 1'700'000'000'000;

private:
    std::atomic<std::int64_t> m_nowUs{1'000'000};
};

} // namespace diyuma::test
