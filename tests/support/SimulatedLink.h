#pragma once
// A one-way bottleneck for congestion-control tests: a FIFO queue drained at `capacityBps`
// (drop-tail at `queueBytes`), then a fixed propagation delay. Time is whatever the caller
// passes (a FakeClock's), so a minute of a call runs in milliseconds.

#include "diyuma/util/Clock.h"

#include <algorithm>
#include <cstdint>
#include <deque>

namespace diyuma::test {

class SimulatedLink {
public:
    using TimePoint = core::Clock::TimePoint;
    using Duration = core::Clock::Duration;

    SimulatedLink(int capacityBps, Duration propagation, std::size_t queueBytes)
        : m_capacityBps(capacityBps), m_propagation(propagation), m_queueBytes(queueBytes) {}

    void setCapacity(int capacityBps) { m_capacityBps = capacityBps; }
    [[nodiscard]] int capacity() const { return m_capacityBps; }

    /// Offers a packet at `now`; false if the queue is full (the packet is lost).
    bool send(std::uint16_t id, std::size_t bytes, TimePoint now) {
        std::size_t queued = 0;
        for (const InFlight& p : m_inFlight)
            if (p.departure > now)
                queued += p.bytes;
        if (queued + bytes > m_queueBytes) {
            ++m_dropped;
            return false;
        }
        const auto serialization = Duration(static_cast<Duration::rep>(
            static_cast<double>(bytes) * 8.0 * 1e6 / static_cast<double>(m_capacityBps)));
        m_lastDeparture = std::max(m_lastDeparture, now) + serialization;
        m_inFlight.push_back({id, bytes, m_lastDeparture, m_lastDeparture + m_propagation});
        return true;
    }

    /// Calls onArrival(id, bytes, arrivalTime) for every packet that has arrived by `now`.
    template <typename F>
    void deliver(TimePoint now, F&& onArrival) {
        while (!m_inFlight.empty() && m_inFlight.front().arrival <= now) {
            const InFlight p = m_inFlight.front();
            m_inFlight.pop_front();
            onArrival(p.id, p.bytes, p.arrival);
        }
    }

    /// How long a packet offered now would wait in the queue.
    [[nodiscard]] Duration queueDelay(TimePoint now) const {
        return m_lastDeparture > now ? m_lastDeparture - now : Duration{0};
    }
    [[nodiscard]] std::uint64_t dropped() const { return m_dropped; }

private:
    struct InFlight {
        std::uint16_t id = 0;
        std::size_t bytes = 0;
        TimePoint departure{};
        TimePoint arrival{};
    };
    int m_capacityBps;
    Duration m_propagation;
    std::size_t m_queueBytes;
    TimePoint m_lastDeparture{};
    std::deque<InFlight> m_inFlight;
    std::uint64_t m_dropped = 0;
};

} // namespace diyuma::test
