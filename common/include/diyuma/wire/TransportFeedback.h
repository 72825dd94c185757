#pragma once
// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01
// section 3.1): RTCP RTPFB (205) FMT 15. A receiver reports, by transport-wide sequence number,
// which packets arrived and when, so the sender can estimate the path's capacity.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |V=2|P|  FMT=15 |    PT=205     |           length              |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                     SSRC of packet sender                     |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                      SSRC of media source                     |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |      base sequence number     |      packet status count      |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                 reference time                | fb pkt. count |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |          packet chunk         |         packet chunk          |
//  :              ...              |  recv delta   |  recv delta   :
//  :  recv delta (1 or 2 octets each, one per received packet) ... | zero padding |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Reference time: 24-bit signed, in units of 64 ms. Packet status symbols: 0 not received,
// 1 received with a 1-octet delta (0..255 x 250 us), 2 received with a 2-octet signed delta,
// 3 reserved (refused here). Chunks: run length (bit 15 = 0: 2-bit symbol, 13-bit run) or
// status vector (bit 15 = 1; bit 14 = 0: fourteen 1-bit symbols (0/1), = 1: seven 2-bit
// symbols). The first delta is from the reference time, each next one from the previous
// arrival. The packet is padded to 32 bits; we set P and put the count in the last octet
// (as libwebrtc does), and read either zero padding or P.
//
// Thread: pure, any thread. Nothing here allocates.

#include "diyuma/util/BigEndian.h"
#include "diyuma/wire/Control.h"
#include "diyuma/wire/RtcpFeedback.h"

#include <array>
#include <cstdint>
#include <span>

namespace diyuma::core::wire {

inline constexpr std::uint8_t kRtcpFmtTransportFeedback = 15; ///< RTPFB FMT 15
/// Arrival times are reported in these units (microseconds).
inline constexpr std::int64_t kTransportFeedbackDeltaUs = 250;
inline constexpr std::int64_t kTransportFeedbackReferenceUs = 64'000;

[[nodiscard]] inline bool isTransportFeedback(const RtcpPacket& p) {
    return p.packetType == kRtcpTransportFeedback && p.count == kRtcpFmtTransportFeedback;
}

struct TransportFeedbackHeader {
    std::uint32_t senderSsrc = 0;
    std::uint32_t mediaSsrc = 0;
    std::uint16_t baseSequence = 0;
    std::uint16_t statusCount = 0;
    std::int32_t referenceTime = 0; ///< 24-bit signed, x 64 ms
    std::uint8_t feedbackCount = 0;
};

/// Reads a transport feedback packet: fills `header` and calls
/// `onPacket(std::uint16_t sequence, bool received, std::int64_t arrivalUs)` for each of the
/// statusCount packets in sequence order (arrivalUs: from the reference time's origin, i.e.
/// referenceTime x 64 ms + the deltas so far; 0 for lost ones). Returns BadField (calling
/// nothing) for a packet that is not one, whose chunks or deltas do not fit, or that uses the
/// reserved symbol.
template <typename F>
[[nodiscard]] ParseError parseTransportFeedback(const RtcpPacket& packet,
                                                TransportFeedbackHeader& header, F&& onPacket);

/// Builds one feedback packet from arrivals reported in sequence order. Fixed capacity (no
/// allocation): add() refuses a packet once kMaxPackets sequence numbers are covered or the
/// packet would pass kMaxBytes, and a delta that cannot be written; the caller then starts
/// the next packet with that sequence number.
class TransportFeedbackBuilder {
public:
    static constexpr std::size_t kMaxPackets = 1024;
    static constexpr std::size_t kMaxBytes = 1000;

    /// Starts a packet whose first reported sequence number is `baseSequence`; arrivals are
    /// microseconds on the receiver's clock (any origin, non-negative).
    void begin(std::uint32_t senderSsrc, std::uint32_t mediaSsrc, std::uint16_t baseSequence,
               std::int64_t firstArrivalUs, std::uint8_t feedbackCount);
    /// Reports `sequence` (after every one added before it; the ones between are reported as
    /// not received) as arrived at `arrivalUs`. False if it does not fit (see above).
    [[nodiscard]] bool add(std::uint16_t sequence, std::int64_t arrivalUs);
    /// Packets covered so far (received and lost).
    [[nodiscard]] std::size_t statusCount() const { return m_count; }
    /// Writes the packet; empty if nothing was added or `buffer` is too small.
    [[nodiscard]] std::span<std::uint8_t> write(std::span<std::uint8_t> buffer) const;

private:
    std::uint32_t m_senderSsrc = 0;
    std::uint32_t m_mediaSsrc = 0;
    std::uint16_t m_base = 0;
    std::int32_t m_referenceTime = 0;
    std::uint8_t m_feedbackCount = 0;
    std::int64_t m_lastTicks = 0; ///< the last arrival, in 250 us units
    std::size_t m_count = 0;      ///< symbols
    std::size_t m_deltaBytes = 0;
    std::array<std::uint8_t, kMaxPackets> m_symbols{};
    std::array<std::int16_t, kMaxPackets> m_deltas{}; ///< per received packet, in order
    std::size_t m_received = 0;
};

// ---- implementation of the template ----

namespace detail {
/// Walks the chunks of a feedback packet; calls onSymbol(symbol) statusCount times. Returns
/// the number of chunk bytes consumed, or 0 if they do not fit or a symbol is reserved.
template <typename G>
std::size_t walkChunks(std::span<const std::uint8_t> chunks, std::size_t statusCount,
                       G&& onSymbol) {
    std::size_t at = 0;
    std::size_t seen = 0;
    while (seen < statusCount) {
        if (chunks.size() - at < 2)
            return 0;
        const std::uint16_t chunk = be::load16(chunks.subspan(at).first<2>());
        at += 2;
        if ((chunk & 0x8000) == 0) { // run length
            const auto symbol = static_cast<std::uint8_t>((chunk >> 13) & 0x3);
            const std::size_t run = chunk & 0x1FFF;
            if (symbol == 3 || run == 0)
                return 0;
            for (std::size_t i = 0; i < run && seen < statusCount; ++i, ++seen)
                onSymbol(symbol);
        } else if ((chunk & 0x4000) == 0) { // 14 one-bit symbols
            for (int i = 13; i >= 0 && seen < statusCount; --i, ++seen)
                onSymbol(static_cast<std::uint8_t>((chunk >> i) & 0x1));
        } else { // 7 two-bit symbols
            for (int i = 6; i >= 0 && seen < statusCount; --i, ++seen) {
                const auto symbol = static_cast<std::uint8_t>((chunk >> (2 * i)) & 0x3);
                if (symbol == 3)
                    return 0;
                onSymbol(symbol);
            }
        }
    }
    return at;
}
} // namespace detail

template <typename F>
ParseError parseTransportFeedback(const RtcpPacket& packet, TransportFeedbackHeader& header,
                                  F&& onPacket) {
    const std::span<const std::uint8_t> body = packet.body;
    if (!isTransportFeedback(packet) || body.size() < 16)
        return ParseError::BadField;
    header.senderSsrc = be::load32(body.first<4>());
    header.mediaSsrc = be::load32(body.subspan(4).first<4>());
    header.baseSequence = be::load16(body.subspan(8).first<2>());
    header.statusCount = be::load16(body.subspan(10).first<2>());
    const std::uint32_t refAndCount = be::load32(body.subspan(12).first<4>());
    header.referenceTime = static_cast<std::int32_t>(refAndCount) >> 8; // sign-extends 24 bits
    header.feedbackCount = static_cast<std::uint8_t>(refAndCount & 0xFF);
    if (header.statusCount == 0)
        return ParseError::BadField;

    // Pass 1: the chunks' length and the deltas' total size must fit the body.
    const std::span<const std::uint8_t> chunks = body.subspan(16);
    std::size_t deltaBytes = 0;
    const std::size_t chunkBytes =
        detail::walkChunks(chunks, header.statusCount, [&](std::uint8_t s) { deltaBytes += s; });
    if (chunkBytes == 0 || deltaBytes > chunks.size() - chunkBytes)
        return ParseError::BadField;

    // Pass 2: report each packet with its arrival time.
    const std::span<const std::uint8_t> deltas = chunks.subspan(chunkBytes, deltaBytes);
    std::size_t at = 0;
    std::int64_t arrivalUs = std::int64_t{header.referenceTime} * kTransportFeedbackReferenceUs;
    auto sequence = header.baseSequence;
    (void)detail::walkChunks(chunks, header.statusCount, [&](std::uint8_t s) {
        if (s == 0) {
            onPacket(sequence, false, std::int64_t{0});
        } else {
            const std::int64_t delta = s == 1 ? std::int64_t{deltas[at]}
                                              : std::int64_t{static_cast<std::int16_t>(
                                                    be::load16(deltas.subspan(at).first<2>()))};
            at += s;
            arrivalUs += delta * kTransportFeedbackDeltaUs;
            onPacket(sequence, true, arrivalUs);
        }
        ++sequence;
    });
    return ParseError::None;
}

} // namespace diyuma::core::wire
