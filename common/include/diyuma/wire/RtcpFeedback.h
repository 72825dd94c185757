#pragma once
// The RTCP packets the video path uses: sender report (RFC 3550 section 6.4.1, for lip sync),
// generic NACK (RFC 4585 section 6.2.1) and picture loss indication (RFC 4585 section 6.3.1),
// plus a reader that walks the packets of a compound datagram.
//
// Feedback message (RFC 4585 section 6.1), NACK is RTPFB (205) FMT 1, PLI is PSFB (206) FMT 1:
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |V=2|P|   FMT   |       PT      |          length               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                  SSRC of packet sender                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                  SSRC of media source                         |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  :   NACK: one or more { PID (16) | BLP (16) }; PLI: nothing     :
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// PID is a lost sequence number; bit i of BLP (LSB = bit 0) says PID + i + 1 is lost too.
//
// Sender report (PT 200), RC = 0 here (no report blocks):
//  | SSRC | NTP timestamp (64, seconds since 1900 . fraction) | RTP timestamp | packet count |
//  | octet count |
//
// Thread: pure, any thread.

#include "diyuma/util/BigEndian.h"
#include "diyuma/wire/Control.h"

#include <cstdint>
#include <span>

namespace diyuma::core::wire {

inline constexpr std::uint8_t kRtcpSenderReport = 200;
inline constexpr std::uint8_t kRtcpReceiverReport = 201;
inline constexpr std::uint8_t kRtcpTransportFeedback = 205; ///< RTPFB
inline constexpr std::uint8_t kRtcpPayloadFeedback = 206;   ///< PSFB
inline constexpr std::uint8_t kRtcpFmtNack = 1;             ///< RTPFB FMT 1
inline constexpr std::uint8_t kRtcpFmtPli = 1;              ///< PSFB FMT 1
/// Sequence numbers one NACK entry can name (PID and the 16 bits of BLP).
inline constexpr std::size_t kNackSpan = 17;

/// One packet of a compound RTCP datagram; `body` is what follows the 4-byte common header,
/// padding removed (it points into the datagram).
struct RtcpPacket {
    std::uint8_t count = 0; ///< RC/SC/FMT
    std::uint8_t packetType = 0;
    std::span<const std::uint8_t> body;
    std::span<const std::uint8_t> raw; ///< the whole packet, header and padding included
};

/// Walks the packets of a compound datagram, stopping at the first one that does not parse.
/// Validate the whole datagram with parseRtcpCompound() first to tell "ended" from "broken".
class RtcpReader {
public:
    explicit RtcpReader(std::span<const std::uint8_t> datagram) : m_rest(datagram) {}
    /// The next packet into `out`; false at the end or on a malformed packet.
    [[nodiscard]] bool next(RtcpPacket& out);

private:
    std::span<const std::uint8_t> m_rest;
};

/// The two SSRCs of a feedback message (RTPFB/PSFB). False if the body is too short.
struct FeedbackSsrcs {
    std::uint32_t sender = 0;
    std::uint32_t media = 0;
};
[[nodiscard]] bool parseFeedbackSsrcs(const RtcpPacket& packet, FeedbackSsrcs& out);

[[nodiscard]] inline bool isNack(const RtcpPacket& p) {
    return p.packetType == kRtcpTransportFeedback && p.count == kRtcpFmtNack;
}
[[nodiscard]] inline bool isPli(const RtcpPacket& p) {
    return p.packetType == kRtcpPayloadFeedback && p.count == kRtcpFmtPli;
}

/// Calls `onLost(sequence)` for every sequence number a NACK names, in the order of its
/// entries. Returns false (and calls nothing) if the packet is not a well-formed NACK.
template <typename F>
[[nodiscard]] bool forEachNackedSequence(const RtcpPacket& packet, F&& onLost);

/// Writes one NACK for `lost` (sequence numbers in ascending order, wrap-aware: each is
/// "after" the one before it). Entries are packed greedily: an entry covers its PID and the
/// 16 that follow. At most `maxEntries` entries are written; the rest is left out (returns
/// how many of `lost` were covered in `covered`). Empty result if `lost` is empty or the
/// buffer is too small for one entry.
[[nodiscard]] std::span<std::uint8_t> writeNack(std::uint32_t senderSsrc, std::uint32_t mediaSsrc,
                                                std::span<const std::uint16_t> lost,
                                                std::span<std::uint8_t> buffer,
                                                std::size_t& covered, std::size_t maxEntries = 64);

/// Writes a PLI for the media source; empty if the buffer is too small (12 bytes needed).
[[nodiscard]] std::span<std::uint8_t> writePli(std::uint32_t senderSsrc, std::uint32_t mediaSsrc,
                                               std::span<std::uint8_t> buffer);

/// A sender report's sender info (no report blocks are written or kept).
struct SenderReport {
    std::uint32_t ssrc = 0;
    std::uint64_t ntpTimestamp = 0; ///< 32.32 fixed point, seconds since 1900-01-01
    std::uint32_t rtpTimestamp = 0; ///< the same instant on the RTP clock
    std::uint32_t packetCount = 0;
    std::uint32_t octetCount = 0;
};
[[nodiscard]] std::span<std::uint8_t> writeSenderReport(const SenderReport& report,
                                                        std::span<std::uint8_t> buffer);
/// False if the packet is not a sender report or is too short.
[[nodiscard]] bool parseSenderReport(const RtcpPacket& packet, SenderReport& out);

/// Unix milliseconds to an NTP timestamp and back (RFC 3550 section 4; 2208988800 s apart).
[[nodiscard]] std::uint64_t ntpFromUnixMs(std::int64_t unixMs);
[[nodiscard]] std::int64_t unixMsFromNtp(std::uint64_t ntp);

template <typename F>
bool forEachNackedSequence(const RtcpPacket& packet, F&& onLost) {
    if (!isNack(packet) || packet.body.size() < 12 || (packet.body.size() - 8) % 4 != 0)
        return false;
    for (std::size_t at = 8; at < packet.body.size(); at += 4) {
        const auto entry = packet.body.subspan(at, 4);
        const std::uint16_t pid = be::load16(entry.first<2>());
        const std::uint16_t blp = be::load16(entry.last<2>());
        onLost(pid);
        for (unsigned bit = 0; bit < 16; ++bit) {
            if ((blp >> bit) & 1U)
                onLost(static_cast<std::uint16_t>(pid + bit + 1));
        }
    }
    return true;
}

} // namespace diyuma::core::wire
