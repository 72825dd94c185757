#include "diyuma/relay/SequenceRewriter.h"

#include <algorithm>

namespace diyuma::relay {

std::optional<std::uint16_t> SequenceRewriter::onPacket(std::uint16_t in, bool forward) {
    if (!m_started) {
        m_started = true;
        m_highestIn = static_cast<std::uint16_t>(in - 1);
    }
    const auto ahead = static_cast<std::int16_t>(in - m_highestIn);
    if (m_firstIn && static_cast<std::int16_t>(in - *m_firstIn) < 0)
        return std::nullopt; // of before the switch to this stream
    if (ahead > 0 && m_frozen)
        return std::nullopt;
    if (ahead > 0) {
        // Newer than anything seen: the numbers skipped in between (not here yet) keep the
        // current offset, so a gap stays a gap.
        for (std::uint16_t s = static_cast<std::uint16_t>(m_highestIn + 1); s != in; ++s)
            entry(s) = Entry{false, false, s, 0, m_offset};
        m_highestIn = in;
        if (!forward) {
            ++m_offset;
            entry(in) = Entry{true, false, in, 0, m_offset};
            return std::nullopt;
        }
        const auto out = static_cast<std::uint16_t>(in - m_offset);
        entry(in) = Entry{true, true, in, out, m_offset};
        return out;
    }
    // Late (or a duplicate): place it by what was decided around it.
    if (static_cast<std::size_t>(-ahead) >= kHistory)
        return std::nullopt; // older than the history
    Entry& e = entry(in);
    if (e.in != in)
        return std::nullopt;
    if (e.used)
        return e.forwarded ? std::optional(e.out) : std::nullopt; // a duplicate: the same answer
    // A gap being filled: the number the gap left for it. A late packet that is dropped
    // leaves its number a hole (renumbering what was already sent is not possible).
    e.used = true;
    if (!forward)
        return std::nullopt;
    e.forwarded = true;
    e.out = static_cast<std::uint16_t>(in - e.offsetAfter);
    return e.out;
}

void SequenceRewriter::continueAfter(std::uint16_t lastOut, std::uint16_t firstIn) {
    m_entries.fill(Entry{});
    m_started = true;
    m_frozen = false;
    m_firstIn = firstIn;
    m_firstOut = static_cast<std::uint16_t>(lastOut + 1);
    m_highestIn = static_cast<std::uint16_t>(firstIn - 1);
    m_offset = static_cast<std::uint16_t>(firstIn - m_firstOut);
}

std::optional<std::uint16_t> SequenceRewriter::newestOut() const {
    if (!m_started)
        return std::nullopt;
    return static_cast<std::uint16_t>(m_highestIn - m_offset);
}

std::optional<std::uint16_t> SequenceRewriter::toInput(std::uint16_t out) const {
    if (!m_started)
        return out; // nothing left out yet: the numbers are the stream's own
    if (m_firstIn && static_cast<std::int16_t>(out - m_firstOut) < 0)
        return std::nullopt; // a number of the stream before the switch
    // Past the newest packet sent: what the numbering would give the next input numbers.
    const auto newestOut = static_cast<std::uint16_t>(m_highestIn - m_offset);
    if (static_cast<std::int16_t>(out - newestOut) > 0)
        return m_frozen ? std::nullopt : std::optional(static_cast<std::uint16_t>(out + m_offset));
    // The input is out + the offset in force then, at most the current one (offsets only
    // grow): try from the newest offset back, as far as the history reaches. A forwarded
    // packet matches by its number; a number still missing (a gap) by the number its gap
    // left for it, so that a NACK for it reaches the sender.
    const std::uint16_t tries = std::min<std::uint16_t>(m_offset, kHistory - 1);
    for (std::uint16_t back = 0; back <= tries; ++back) {
        const auto in = static_cast<std::uint16_t>(out + m_offset - back);
        if (static_cast<std::uint16_t>(m_highestIn - in) >= kHistory ||
            (m_firstIn && static_cast<std::int16_t>(in - *m_firstIn) < 0))
            return std::nullopt;
        const Entry& e = entry(in);
        if (e.in != in)
            continue;
        if (e.used ? (e.forwarded && e.out == out)
                   : static_cast<std::uint16_t>(in - e.offsetAfter) == out)
            return in;
    }
    return std::nullopt;
}

} // namespace diyuma::relay
