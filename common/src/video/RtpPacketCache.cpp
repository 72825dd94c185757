#include "diyuma/video/RtpPacketCache.h"

#include <algorithm>
#include <bit>

namespace diyuma::core {

RtpPacketCache::RtpPacketCache(std::size_t capacity)
    : m_slots(std::bit_ceil(std::clamp<std::size_t>(capacity, 16, 1U << 15))) {}

void RtpPacketCache::put(std::uint16_t sequence, std::span<const std::uint8_t> packet,
                         Clock::TimePoint storedAt) {
    Slot& slot = m_slots[sequence & (m_slots.size() - 1)];
    const std::size_t size = std::min(packet.size(), slot.bytes.size());
    std::copy_n(packet.begin(), size, slot.bytes.begin());
    slot.size = static_cast<std::uint16_t>(size);
    slot.sequence = sequence;
    slot.sentAt = Clock::TimePoint::min();
    slot.storedAt = storedAt;
    slot.used = true;
}

const RtpPacketCache::Slot* RtpPacketCache::lookup(std::uint16_t sequence) const {
    const Slot& slot = m_slots[sequence & (m_slots.size() - 1)];
    return slot.used && slot.sequence == sequence ? &slot : nullptr;
}

std::optional<std::span<const std::uint8_t>> RtpPacketCache::find(std::uint16_t sequence) const {
    const Slot* slot = lookup(sequence);
    if (slot == nullptr)
        return std::nullopt;
    return std::span<const std::uint8_t>(slot->bytes.data(), slot->size);
}

std::optional<Clock::TimePoint> RtpPacketCache::sentAt(std::uint16_t sequence) const {
    const Slot* slot = lookup(sequence);
    if (slot == nullptr)
        return std::nullopt;
    return slot->sentAt;
}

std::optional<Clock::TimePoint> RtpPacketCache::storedAt(std::uint16_t sequence) const {
    const Slot* slot = lookup(sequence);
    if (slot == nullptr)
        return std::nullopt;
    return slot->storedAt;
}

void RtpPacketCache::markSent(std::uint16_t sequence, Clock::TimePoint at) {
    if (const Slot* slot = lookup(sequence))
        const_cast<Slot*>(slot)->sentAt = at;
}

} // namespace diyuma::core
