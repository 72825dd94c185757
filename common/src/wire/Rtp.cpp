#include "diyuma/wire/Rtp.h"

#include "diyuma/util/ByteReader.h"
#include "diyuma/util/ByteWriter.h"

#include <algorithm>
#include <array>

namespace diyuma::core::wire {

namespace {

constexpr std::uint8_t kRtpVersion = 2;

// RFC 5761 section 4: with RTP and RTCP on one port, RTP payload types 64..95 are not used,
// because with the marker bit set they would look like RTCP packet types 192..223.
bool isRtcpRangePayloadType(std::uint8_t pt) {
    return pt >= 64 && pt <= 95;
}

// Padding (RFC 3550 section 5.1, P bit): the last octet holds the number of padding octets
// including itself, so it is at least 1 and at most the bytes that follow the header.
ParseError checkPadding(std::span<const std::uint8_t> afterHeader, std::size_t& paddingBytes) {
    if (afterHeader.empty())
        return ParseError::Truncated; // the count octet itself is missing
    paddingBytes = afterHeader.back();
    if (paddingBytes == 0 || paddingBytes > afterHeader.size())
        return ParseError::BadField;
    return ParseError::None;
}

// Per-type minimum body sizes (body = after the 4-byte common header, without padding).
// SR: sender SSRC + 20-byte sender info + 24 per report block (RFC 3550 6.4.1); RR: sender
// SSRC + 24 per block (6.4.2); BYE: one SSRC per count (6.6); APP: SSRC + name (6.7);
// RTPFB/PSFB: sender SSRC + media SSRC (RFC 4585 6.1). SDES chunks are walked (6.5).
bool sdesChunksFit(std::span<const std::uint8_t> body, std::uint8_t chunks) {
    ByteReader r(body);
    for (std::uint8_t c = 0; c < chunks; ++c) {
        (void)r.u32(); // SSRC/CSRC
        for (;;) {
            const std::uint8_t itemType = r.u8();
            if (!r.ok())
                return false;
            if (itemType == 0) {
                // END: null octets up to the next 32-bit boundary (at least the one read).
                const std::size_t misalignment = r.position() % 4;
                if (misalignment != 0)
                    r.skip(4 - misalignment);
                break;
            }
            const std::uint8_t length = r.u8();
            r.skip(length);
            if (!r.ok())
                return false;
        }
    }
    return r.ok();
}

bool rtcpBodyFits(std::uint8_t packetType, std::uint8_t count, std::span<const std::uint8_t> body) {
    const std::size_t n = body.size();
    switch (packetType) {
    case 200:
        return n >= 4 + 20 + 24 * std::size_t{count};
    case 201:
        return n >= 4 + 24 * std::size_t{count};
    case 202:
        return sdesChunksFit(body, count);
    case 203:
        return n >= 4 * std::size_t{count};
    case 204:
        return n >= 8;
    case 205:
    case 206:
        return n >= 8;
    default:
        return true; // other types in 192..223 are forwarded without looking inside
    }
}

} // namespace

// RTP fixed header, RFC 3550 section 5.1; header extension, section 5.3.1:
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
//  |            contributing source (CSRC) identifiers (CC x 32)   |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  defined by profile (X=1)     |   length (32-bit words)       |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                     header extension (length x 32)            |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  payload ...                  | padding (P=1) ... | pad count |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
ParseError parseRtp(std::span<const std::uint8_t> bytes, RtpPacketView& out) {
    if (bytes.size() > kMaxDatagramBytes)
        return ParseError::TooLarge;
    ByteReader r(bytes);
    const std::uint8_t b0 = r.u8();
    const std::uint8_t b1 = r.u8();
    out.sequence = r.u16();
    out.timestamp = r.u32();
    out.ssrc = r.u32();
    if (!r.ok())
        return ParseError::Truncated;
    if ((b0 >> 6) != kRtpVersion)
        return ParseError::UnsupportedVersion;
    const bool hasPadding = (b0 & 0x20) != 0;
    const bool hasExtension = (b0 & 0x10) != 0;
    out.csrcCount = b0 & 0x0F;
    out.marker = (b1 & 0x80) != 0;
    out.payloadType = b1 & 0x7F;
    if (isRtcpRangePayloadType(out.payloadType))
        return ParseError::BadField;

    r.skip(4 * std::size_t{out.csrcCount});
    out.extensionProfile = 0;
    out.extension = {};
    if (hasExtension) {
        out.extensionProfile = r.u16();
        const std::uint16_t words = r.u16();
        out.extension = r.bytes(4 * std::size_t{words});
    }
    if (!r.ok())
        return ParseError::Truncated;

    std::span<const std::uint8_t> rest = r.rest();
    if (hasPadding) {
        std::size_t paddingBytes = 0;
        if (auto e = checkPadding(rest, paddingBytes); e != ParseError::None)
            return e;
        rest = rest.first(rest.size() - paddingBytes);
    }
    out.payload = rest;
    return ParseError::None;
}

std::span<std::uint8_t> writeRtp(const RtpHeaderFields& header,
                                 std::span<const std::uint8_t> payload,
                                 std::span<std::uint8_t> buffer) {
    // Refuse what parseRtp would refuse, so a bad PT is caught at the sender.
    if (header.payloadType > 0x7F || isRtcpRangePayloadType(header.payloadType))
        return {};
    ByteWriter w(buffer.first(std::min(buffer.size(), kMaxDatagramBytes)));
    const std::size_t extensionBytes = rtpExtensionsBytes(header.extensions);
    w.u8(static_cast<std::uint8_t>(kRtpVersion << 6 |
                                   (extensionBytes != 0 ? 0x10 : 0))); // P=0, CC=0
    w.u8(static_cast<std::uint8_t>((header.marker ? 0x80 : 0x00) | header.payloadType));
    w.u16(header.sequence);
    w.u32(header.timestamp);
    w.u32(header.ssrc);
    if (extensionBytes != 0) {
        std::span<std::uint8_t> block = w.reserve(extensionBytes);
        if (block.empty() || writeRtpExtensions(header.extensions, block).size() != extensionBytes)
            return {};
    }
    w.bytes(payload);
    return w.written();
}

std::span<std::uint8_t> writeProbePacket(std::uint16_t sequence, std::size_t sizeBytes,
                                         std::span<std::uint8_t> buffer) {
    RtpHeaderFields header;
    header.payloadType = kProbePayloadType;
    header.sequence = sequence;
    header.extensions.transportSequence = 0;
    const std::size_t total = std::clamp(sizeBytes, kMinProbeBytes, kMaxProbeBytes);
    const std::size_t headerBytes = kRtpHeaderBytes + rtpExtensionsBytes(header.extensions);
    static constexpr std::array<std::uint8_t, kMaxDatagramBytes> kZeros{};
    return writeRtp(header, std::span(kZeros).first(total - headerBytes), buffer);
}

// RTCP common header, RFC 3550 section 6.4.1 (the same for every packet type):
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |V=2|P| RC/FMT  |   PT 192..223 |   length (32-bit words - 1)   |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                  SSRC of sender (most types)                  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// A compound packet (section 6.1) is such packets back to back; their lengths must add up
// to the datagram exactly. Only the last one may be padded. We do not insist on SR/RR first
// (RFC 5506 reduced-size RTCP, e.g. a lone NACK or PLI, is allowed).
ParseError parseRtcpCompound(std::span<const std::uint8_t> bytes, RtcpHeaderView& first) {
    if (bytes.size() > kMaxDatagramBytes)
        return ParseError::TooLarge;
    if (bytes.empty())
        return ParseError::Truncated;
    ByteReader r(bytes);
    bool isFirst = true;
    while (r.remaining() > 0) {
        const std::uint8_t b0 = r.u8();
        const std::uint8_t packetType = r.u8();
        const std::uint16_t lengthWords = r.u16();
        if (!r.ok())
            return ParseError::Truncated;
        if ((b0 >> 6) != kRtpVersion)
            return ParseError::UnsupportedVersion;
        if (packetType < 192 || packetType > 223)
            return ParseError::BadField;
        std::span<const std::uint8_t> body = r.bytes(4 * std::size_t{lengthWords});
        if (!r.ok())
            return ParseError::Truncated;
        const std::uint8_t count = b0 & 0x1F;
        if ((b0 & 0x20) != 0) {
            if (r.remaining() != 0)
                return ParseError::BadField; // padding only in the last packet (6.4.1)
            std::size_t paddingBytes = 0;
            if (auto e = checkPadding(body, paddingBytes); e != ParseError::None)
                return e == ParseError::Truncated ? ParseError::BadField : e;
            body = body.first(body.size() - paddingBytes);
        }
        if (!rtcpBodyFits(packetType, count, body))
            return ParseError::BadField;
        if (isFirst) {
            first.count = count;
            first.packetType = packetType;
            first.lengthWords = lengthWords;
            first.senderSsrc = body.size() >= 4 ? be::load32(body.first<4>()) : 0;
            isFirst = false;
        }
    }
    return ParseError::None;
}

} // namespace diyuma::core::wire
