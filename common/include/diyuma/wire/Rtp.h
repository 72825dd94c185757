#pragma once
// RTP fixed header (RFC 3550 section 5.1) with CSRCs and one header extension block
// (RFC 3550 section 5.3.1; RFC 8285 one-byte/two-byte elements are read by later code from
// `extension`). Padding (P bit) is removed from the payload.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |V=2|P|X|  CC   |M|     PT      |       sequence number         |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                           timestamp                           |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |           synchronization source (SSRC) identifier            |
//  +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//  |            contributing source (CSRC) identifiers             |
//  |                             ....                              |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Thread: pure, any thread.

#include "diyuma/wire/Control.h"
#include "diyuma/wire/RtpExtensions.h"

#include <cstdint>
#include <span>

namespace diyuma::core::wire {

inline constexpr std::uint8_t kOpusPayloadType = 111; ///< RFC 7587, dynamic PT
inline constexpr std::uint8_t kVp8PayloadType = 96;   ///< RFC 7741, dynamic PT
/// Padding-only probe packets (PROTOCOL.md section 9.2): SSRC 0, no media, never forwarded.
inline constexpr std::uint8_t kProbePayloadType = 127;
inline constexpr std::size_t kRtpHeaderBytes = 12;

/// A parsed RTP packet; spans point into the parsed datagram.
struct RtpPacketView {
    bool marker = false;
    std::uint8_t payloadType = 0;
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t ssrc = 0;
    std::uint8_t csrcCount = 0;
    std::uint16_t extensionProfile = 0;      ///< 0 when there is no extension
    std::span<const std::uint8_t> extension; ///< extension data (without its 4-byte head)
    std::span<const std::uint8_t> payload;   ///< without padding
};

/// Parses an RTP packet. Rejects version != 2 (UnsupportedVersion), lengths that do not add
/// up (Truncated), padding larger than the payload (BadField), an RTCP payload type (BadField)
/// and datagrams over kMaxDatagramBytes (TooLarge).
[[nodiscard]] ParseError parseRtp(std::span<const std::uint8_t> bytes, RtpPacketView& out);

/// Fields the writer needs (no CSRCs; the extensions set are written in one-byte form, the
/// transport-wide sequence number first: see RtpExtensions.h).
struct RtpHeaderFields {
    bool marker = false;
    std::uint8_t payloadType = kOpusPayloadType;
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t ssrc = 0;
    RtpExtensions extensions;
};

/// Writes header + payload into buffer; returns the filled part or empty if it does not fit.
[[nodiscard]] std::span<std::uint8_t> writeRtp(const RtpHeaderFields& header,
                                               std::span<const std::uint8_t> payload,
                                               std::span<std::uint8_t> buffer);

/// Smallest and largest probe packet (PROTOCOL.md section 9.2).
inline constexpr std::size_t kMinProbeBytes = 100;
inline constexpr std::size_t kMaxProbeBytes = kMaxDatagramBytes - kUdpIpOverheadBytes;
/// Writes a probe packet of `sizeBytes` (clamped to kMinProbeBytes..kMaxProbeBytes): RTP PT
/// 127, SSRC 0, the given RTP sequence number, the transport-wide sequence number reserved at
/// kTransportSequenceOffset (the sender numbers it as it leaves), then zeros.
[[nodiscard]] std::span<std::uint8_t>
writeProbePacket(std::uint16_t sequence, std::size_t sizeBytes, std::span<std::uint8_t> buffer);

/// The common RTCP header (RFC 3550 section 6.4). parseRtcpCompound checks that a compound
/// packet is a sequence of well-formed RTCP packets whose lengths add up exactly.
struct RtcpHeaderView {
    std::uint8_t count = 0;      ///< RC/SC/FMT (5 bits)
    std::uint8_t packetType = 0; ///< 192..223
    std::uint16_t lengthWords = 0;
    std::uint32_t senderSsrc = 0;
};
[[nodiscard]] ParseError parseRtcpCompound(std::span<const std::uint8_t> bytes,
                                           RtcpHeaderView& first);

} // namespace diyuma::core::wire
