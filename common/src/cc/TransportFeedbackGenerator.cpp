#include "diyuma/cc/TransportFeedbackGenerator.h"

namespace diyuma::core::cc {

TransportFeedbackGenerator::TransportFeedbackGenerator(std::uint32_t senderSsrc,
                                                       Clock::Duration interval)
    : m_senderSsrc(senderSsrc), m_interval(interval) {}

void TransportFeedbackGenerator::onPacket(std::uint16_t sequence, Clock::TimePoint arrival) {
    ++m_packets;
    if (!m_origin)
        m_origin = arrival;
    if (!m_started) {
        m_started = true;
        m_nextToReport = sequence;
        m_highest = sequence;
        m_lastFeedbackAt = arrival;
    }
    if (static_cast<std::int16_t>(sequence - m_nextToReport) < 0) {
        ++m_late; // reported (as lost) already
        return;
    }
    if (static_cast<std::int16_t>(sequence - m_highest) > 0)
        m_highest = sequence;
    // A jump of more than the ring (a sender that restarted its counter, or a long outage):
    // what is older than the ring can hold is given up.
    if (static_cast<std::uint16_t>(m_highest - m_nextToReport) >= kSlots)
        m_nextToReport = static_cast<std::uint16_t>(m_highest - (kSlots - 1));
    Slot& slot = m_slots[sequence % kSlots];
    slot = Slot{true, sequence, (arrival - *m_origin).count()};
    m_pending = true;
}

Clock::TimePoint TransportFeedbackGenerator::nextFeedbackAt() const {
    return m_pending ? m_lastFeedbackAt + m_interval : Clock::TimePoint::max();
}

std::span<std::uint8_t> TransportFeedbackGenerator::take(Clock::TimePoint now,
                                                         std::span<std::uint8_t> buffer) {
    if (!m_pending || now < m_lastFeedbackAt + m_interval)
        return {};
    const auto isHere = [&](std::uint16_t s) {
        const Slot& slot = m_slots[s % kSlots];
        return slot.used && slot.sequence == s;
    };
    // Skip to the first number that arrived (earlier ones stay unreported until later ones
    // show them lost: the first reported number must be one that arrived, for its time).
    std::uint16_t s = m_nextToReport;
    while (!isHere(s) && s != m_highest)
        ++s;
    if (!isHere(s)) {
        m_pending = false;
        return {};
    }
    // More unreported numbers before it than one packet holds: those are given up.
    if (static_cast<std::uint16_t>(s - m_nextToReport) >=
        wire::TransportFeedbackBuilder::kMaxPackets)
        m_nextToReport = s;
    m_builder.begin(m_senderSsrc, 0, m_nextToReport, m_slots[s % kSlots].arrivalUs,
                    m_feedbackCount);
    std::uint16_t next = m_nextToReport;
    for (;; ++s) {
        if (isHere(s)) {
            if (!m_builder.add(s, m_slots[s % kSlots].arrivalUs))
                break; // full: the rest goes in the next packet, at once
            m_slots[s % kSlots].used = false;
            next = static_cast<std::uint16_t>(s + 1);
        }
        if (s == m_highest)
            break;
    }
    const auto out = m_builder.write(buffer);
    if (out.empty())
        return {};
    m_nextToReport = next;
    m_pending = static_cast<std::int16_t>(m_highest - m_nextToReport) >= 0;
    if (!m_pending)
        m_lastFeedbackAt = now;
    ++m_feedbackCount;
    ++m_feedbacks;
    return out;
}

} // namespace diyuma::core::cc
