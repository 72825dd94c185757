#pragma once
// The last N RTP packets of one stream, by sequence number: what a sender (and the relay)
// keeps to answer NACKs (RFC 4585 section 6.2.1) by sending the packet again as it was.
//
// A ring of N fixed slots (N a power of two) allocated at construction; put() and find()
// allocate nothing. A slot remembers the full 16-bit sequence number it holds, so a lookup
// of a number that was overwritten (more than N packets ago) finds nothing rather than a
// wrong packet.
//
// Thread: one thread at a time.

#include "diyuma/util/Clock.h"
#include "diyuma/wire/Limits.h"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace diyuma::core {

class RtpPacketCache {
public:
    /// `capacity` is rounded up to a power of two (at least 16).
    explicit RtpPacketCache(std::size_t capacity = 512);

    /// Stores a copy of `packet` (at most kMaxDatagramBytes) under `sequence` at `storedAt`;
    /// it counts as not sent yet until markSent().
    void put(std::uint16_t sequence, std::span<const std::uint8_t> packet,
             Clock::TimePoint storedAt);
    /// The packet stored under `sequence`, if still there (valid until the next put()).
    [[nodiscard]] std::optional<std::span<const std::uint8_t>> find(std::uint16_t sequence) const;
    /// When it was last (re)sent (TimePoint::min() if never); lets a sender skip a NACK for a
    /// packet it resent within an RTT. Nothing if not in the cache.
    [[nodiscard]] std::optional<Clock::TimePoint> sentAt(std::uint16_t sequence) const;
    /// When it was stored. Nothing if not in the cache.
    [[nodiscard]] std::optional<Clock::TimePoint> storedAt(std::uint16_t sequence) const;
    void markSent(std::uint16_t sequence, Clock::TimePoint at);
    [[nodiscard]] std::size_t capacity() const { return m_slots.size(); }

private:
    struct Slot {
        bool used = false;
        std::uint16_t sequence = 0;
        std::uint16_t size = 0;
        Clock::TimePoint sentAt{};
        Clock::TimePoint storedAt{};
        std::array<std::uint8_t, wire::kMaxDatagramBytes> bytes{};
    };
    [[nodiscard]] const Slot* lookup(std::uint16_t sequence) const;

    std::vector<Slot> m_slots;
};

} // namespace diyuma::core
