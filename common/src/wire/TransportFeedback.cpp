#include "diyuma/wire/TransportFeedback.h"

#include "diyuma/util/ByteWriter.h"

#include <algorithm>
#include <limits>

namespace diyuma::core::wire {

namespace {

constexpr std::size_t kHeaderBytes = 4 + 16; // common header + SSRCs, base, count, ref, fb count
constexpr std::size_t kRunLengthMax = 0x1FFF;

/// The chunk to use at `at`: greedy, a run length where at least 14 equal symbols follow (or
/// all that are left are equal), else a vector (1-bit if the next 14 hold no 2).
struct Chunk {
    std::uint16_t bits = 0;
    std::size_t symbols = 0;
};
Chunk nextChunk(std::span<const std::uint8_t> symbols, std::size_t at) {
    const std::size_t left = symbols.size() - at;
    std::size_t run = 1;
    while (run < left && run < kRunLengthMax && symbols[at + run] == symbols[at])
        ++run;
    if (run >= 14 || run == left)
        return {static_cast<std::uint16_t>(symbols[at] << 13 | run), run};
    const std::size_t oneBitSpan = std::min<std::size_t>(14, left);
    const bool oneBit = std::all_of(symbols.begin() + static_cast<std::ptrdiff_t>(at),
                                    symbols.begin() + static_cast<std::ptrdiff_t>(at + oneBitSpan),
                                    [](std::uint8_t s) { return s <= 1; });
    Chunk c;
    if (oneBit) {
        c.bits = 0x8000;
        for (std::size_t i = 0; i < oneBitSpan; ++i)
            c.bits = static_cast<std::uint16_t>(c.bits | symbols[at + i] << (13 - i));
        c.symbols = oneBitSpan;
    } else {
        c.bits = 0xC000;
        const std::size_t n = std::min<std::size_t>(7, left);
        for (std::size_t i = 0; i < n; ++i)
            c.bits = static_cast<std::uint16_t>(c.bits | symbols[at + i] << (2 * (6 - i)));
        c.symbols = n;
    }
    return c;
}

} // namespace

void TransportFeedbackBuilder::begin(std::uint32_t senderSsrc, std::uint32_t mediaSsrc,
                                     std::uint16_t baseSequence, std::int64_t firstArrivalUs,
                                     std::uint8_t feedbackCount) {
    m_senderSsrc = senderSsrc;
    m_mediaSsrc = mediaSsrc;
    m_base = baseSequence;
    m_feedbackCount = feedbackCount;
    // 24 bits of 64 ms wrap after about 12 days: the sender only uses differences.
    const std::int64_t reference =
        std::max<std::int64_t>(firstArrivalUs, 0) / kTransportFeedbackReferenceUs;
    m_referenceTime = static_cast<std::int32_t>(reference & 0x7FFFFF);
    m_lastTicks = reference * kTransportFeedbackReferenceUs / kTransportFeedbackDeltaUs;
    m_count = 0;
    m_deltaBytes = 0;
    m_received = 0;
}

bool TransportFeedbackBuilder::add(std::uint16_t sequence, std::int64_t arrivalUs) {
    const std::size_t index = static_cast<std::uint16_t>(sequence - m_base);
    if (index < m_count || index >= kMaxPackets)
        return false;
    const std::int64_t ticks = arrivalUs / kTransportFeedbackDeltaUs;
    const std::int64_t delta = ticks - m_lastTicks;
    if (delta < std::numeric_limits<std::int16_t>::min() ||
        delta > std::numeric_limits<std::int16_t>::max())
        return false;
    const std::uint8_t symbol = delta >= 0 && delta <= 255 ? 1 : 2;
    // Worst case chunks: one per 7 symbols; plus the deltas and up to 3 octets of padding.
    const std::size_t symbols = index + 1;
    const std::size_t bound = kHeaderBytes + 2 * ((symbols + 6) / 7) + m_deltaBytes + symbol + 3;
    if (bound > kMaxBytes)
        return false;
    std::fill(m_symbols.begin() + static_cast<std::ptrdiff_t>(m_count),
              m_symbols.begin() + static_cast<std::ptrdiff_t>(index), std::uint8_t{0});
    m_symbols[index] = symbol;
    m_deltas[m_received++] = static_cast<std::int16_t>(delta);
    m_deltaBytes += symbol;
    m_lastTicks = ticks;
    m_count = symbols;
    return true;
}

std::span<std::uint8_t> TransportFeedbackBuilder::write(std::span<std::uint8_t> buffer) const {
    if (m_count == 0)
        return {};
    const std::span<const std::uint8_t> symbols(m_symbols.data(), m_count);
    std::size_t chunkBytes = 0;
    for (std::size_t at = 0; at < m_count;) {
        at += nextChunk(symbols, at).symbols;
        chunkBytes += 2;
    }
    const std::size_t unpadded = kHeaderBytes + chunkBytes + m_deltaBytes;
    const std::size_t padding = (4 - unpadded % 4) % 4;
    const std::size_t total = unpadded + padding;

    ByteWriter w(buffer);
    w.u8(static_cast<std::uint8_t>(0x80 | (padding != 0 ? 0x20 : 0) | kRtcpFmtTransportFeedback));
    w.u8(kRtcpTransportFeedback);
    w.u16(static_cast<std::uint16_t>(total / 4 - 1));
    w.u32(m_senderSsrc);
    w.u32(m_mediaSsrc);
    w.u16(m_base);
    w.u16(static_cast<std::uint16_t>(m_count));
    w.u32(static_cast<std::uint32_t>(m_referenceTime) << 8 | m_feedbackCount);
    for (std::size_t at = 0; at < m_count;) {
        const Chunk c = nextChunk(symbols, at);
        w.u16(c.bits);
        at += c.symbols;
    }
    std::size_t delta = 0;
    for (std::size_t i = 0; i < m_count; ++i) {
        if (m_symbols[i] == 1)
            w.u8(static_cast<std::uint8_t>(m_deltas[delta++]));
        else if (m_symbols[i] == 2)
            w.u16(static_cast<std::uint16_t>(m_deltas[delta++]));
    }
    if (padding != 0) {
        w.zeros(padding - 1);
        w.u8(static_cast<std::uint8_t>(padding));
    }
    return w.written();
}

} // namespace diyuma::core::wire
