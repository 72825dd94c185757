#pragma once
// The sequence numbers one receiver sees of one forwarded video stream when the relay drops
// some of its packets (temporal layers above what the receiver's downlink carries): the
// packets it forwards are renumbered so that they are consecutive, and what the receiver
// sees missing is exactly what the network lost. Then the receiver asks (NACK) only for
// real losses, counts no false loss and never waits for a packet that will not come.
//
//   onPacket(in, forward) ─► the out number (forwarded), or nothing (dropped)
//   toInput(out)          ─► the in number a NACK for `out` means: a packet sent to the
//                            receiver (answered from the cache), or one still missing (the
//                            NACK goes on to the sender); nothing for a number that stands
//                            for no packet (a late one that was dropped)
//
// Rules: every dropped packet moves the numbering of the later ones down by one. A gap in
// the input (packets not arrived yet) stays a gap of the same size in the output; a late
// packet that fills it gets the number the gap left for it (if it is forwarded; if it is
// dropped, its number stays a hole the receiver gives up on). Numbers wrap at 2^16. The last
// kHistory decisions are remembered; a packet older than that is dropped.
//
// Simulcast switches (VideoForwarder): the receiver's numbers go on across a change of the
// stream they come from. continueAfter() starts a rewriter on a new stream whose first packet
// gets the number after the newest one the receiver has; the rewriter of the old stream is
// frozen (it still places late packets into the gaps it left and translates NACKs for the
// numbers it gave out, but takes nothing newer).
//
// Pure and allocation-free (a fixed ring). Thread: the relay's I/O thread.

#include <array>
#include <cstdint>
#include <optional>

namespace diyuma::relay {

class SequenceRewriter {
public:
    static constexpr std::size_t kHistory = 1024; // a power of two

    /// One packet of the stream, `forward` false to drop it. Returns its number for this
    /// receiver, or nothing if it is not forwarded (dropped now, a duplicate of a dropped
    /// one, or too old to place).
    [[nodiscard]] std::optional<std::uint16_t> onPacket(std::uint16_t in, bool forward);
    /// The input number that `out` stands for: a forwarded packet, one not here yet, or one
    /// past the newest; nothing if it stands for no packet or is older than the history.
    [[nodiscard]] std::optional<std::uint16_t> toInput(std::uint16_t out) const;
    /// Packets dropped so far (the difference between in and out numbers now).
    [[nodiscard]] std::uint16_t offset() const { return m_offset; }

    /// Starts over on a new stream: input `firstIn` will be numbered `lastOut + 1`, and
    /// nothing older than `firstIn` is placed (the numbers up to `lastOut` belong to what the
    /// receiver had before; toInput() of them gives nothing).
    void continueAfter(std::uint16_t lastOut, std::uint16_t firstIn);
    /// The stream is no longer forwarded: only packets up to the newest seen are placed
    /// (into the gaps they left), nothing past it; toInput() gives nothing past it either.
    void freeze() { m_frozen = true; }
    /// The number of the newest input seen so far (what the next new one follows), if any.
    [[nodiscard]] std::optional<std::uint16_t> newestOut() const;

private:
    struct Entry {
        bool used = false;
        bool forwarded = false;
        std::uint16_t in = 0;
        std::uint16_t out = 0;
        std::uint16_t offsetAfter = 0; ///< in - out for the numbers after this one
    };
    Entry& entry(std::uint16_t in) { return m_entries[in % kHistory]; }
    const Entry& entry(std::uint16_t in) const { return m_entries[in % kHistory]; }

    std::array<Entry, kHistory> m_entries{};
    bool m_started = false;
    bool m_frozen = false;
    /// Set by continueAfter(): the first input of this stream (older ones are not placed) and
    /// the first number it gives (older numbers are not this rewriter's).
    std::optional<std::uint16_t> m_firstIn;
    std::uint16_t m_firstOut = 0;
    std::uint16_t m_highestIn = 0;
    std::uint16_t m_offset = 0; ///< in - out after the highest input seen
};

} // namespace diyuma::relay
