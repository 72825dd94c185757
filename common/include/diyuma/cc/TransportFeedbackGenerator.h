#pragma once
// The receive side of transport-wide congestion control: remembers when each transport-wide
// sequence number arrived and, every `interval`, writes a transport feedback packet
// (wire/TransportFeedback.h) that reports everything since the last one. A packet that
// arrives after a feedback already reported it as lost is counted as late and not reported
// again (the sender then took it as lost; on the paths we serve reordering is rare).
//
// Arrival times are reported from the generator's first packet, so the 24-bit reference time
// (64 ms units) wraps only after about six days.
//
// Pure: times come in as arguments. Nothing is allocated after construction.
// Thread: one thread at a time.

#include "diyuma/util/Clock.h"
#include "diyuma/wire/TransportFeedback.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

namespace diyuma::core::cc {

class TransportFeedbackGenerator {
public:
    static constexpr auto kDefaultInterval = std::chrono::milliseconds(50);

    /// `senderSsrc` is written as the feedback's packet sender (the media SSRC is 0: the
    /// feedback is about the whole hop, not one stream).
    explicit TransportFeedbackGenerator(std::uint32_t senderSsrc,
                                        Clock::Duration interval = kDefaultInterval);

    void onPacket(std::uint16_t transportSequence, Clock::TimePoint arrival);
    /// When the next feedback is due (TimePoint::max() when nothing waits to be reported).
    [[nodiscard]] Clock::TimePoint nextFeedbackAt() const;
    /// Writes the next feedback packet into `buffer` if one is due at `now`; empty if not.
    /// Call again while it returns something (one packet reports at most 1024 numbers).
    [[nodiscard]] std::span<std::uint8_t> take(Clock::TimePoint now,
                                               std::span<std::uint8_t> buffer);

    [[nodiscard]] std::uint64_t packets() const { return m_packets; }
    [[nodiscard]] std::uint64_t late() const { return m_late; }
    [[nodiscard]] std::uint64_t feedbacks() const { return m_feedbacks; }

private:
    static constexpr std::size_t kSlots = 2048; // a power of two
    struct Slot {
        bool used = false;
        std::uint16_t sequence = 0;
        std::int64_t arrivalUs = 0;
    };

    std::uint32_t m_senderSsrc;
    Clock::Duration m_interval;
    std::array<Slot, kSlots> m_slots{};
    std::optional<Clock::TimePoint> m_origin;
    bool m_started = false;
    bool m_pending = false; ///< something arrived that no feedback reported yet
    std::uint16_t m_nextToReport = 0;
    std::uint16_t m_highest = 0;
    Clock::TimePoint m_lastFeedbackAt{};
    std::uint8_t m_feedbackCount = 0;
    wire::TransportFeedbackBuilder m_builder;
    std::uint64_t m_packets = 0;
    std::uint64_t m_late = 0;
    std::uint64_t m_feedbacks = 0;
};

} // namespace diyuma::core::cc
