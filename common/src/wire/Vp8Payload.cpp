#include "diyuma/wire/Vp8Payload.h"

#include "diyuma/util/ByteReader.h"
#include "diyuma/util/ByteWriter.h"

namespace diyuma::core::wire {

namespace {
constexpr std::uint8_t kX = 0x80;
constexpr std::uint8_t kN = 0x20;
constexpr std::uint8_t kS = 0x10;
constexpr std::uint8_t kPidMask = 0x07;
constexpr std::uint8_t kI = 0x80;
constexpr std::uint8_t kL = 0x40;
constexpr std::uint8_t kT = 0x20;
constexpr std::uint8_t kK = 0x10;
constexpr std::uint8_t kM = 0x80;
constexpr std::uint8_t kY = 0x20;
} // namespace

ParseError parseVp8Descriptor(std::span<const std::uint8_t> payload, Vp8Descriptor& out,
                              std::size_t& descriptorBytes) {
    ByteReader r(payload);
    Vp8Descriptor d;
    const std::uint8_t first = r.u8();
    d.nonReference = (first & kN) != 0;
    d.startOfPartition = (first & kS) != 0;
    d.partitionIndex = first & kPidMask;
    if ((first & kX) != 0) {
        const std::uint8_t ext = r.u8();
        if ((ext & kI) != 0) {
            const std::uint8_t high = r.u8();
            d.pictureId15 = (high & kM) != 0;
            if (d.pictureId15)
                d.pictureId = static_cast<std::uint16_t>(((high & 0x7F) << 8) | r.u8());
            else
                d.pictureId = static_cast<std::uint16_t>(high & 0x7F);
        }
        if ((ext & kL) != 0)
            d.tl0PicIdx = r.u8();
        if ((ext & (kT | kK)) != 0) {
            const std::uint8_t tk = r.u8();
            if ((ext & kT) != 0) {
                d.temporalId = static_cast<std::uint8_t>(tk >> 6);
                d.layerSync = (tk & kY) != 0;
            }
            if ((ext & kK) != 0)
                d.keyIndex = static_cast<std::uint8_t>(tk & 0x1F);
        }
    }
    if (!r.ok() || r.remaining() == 0)
        return ParseError::Truncated; // a descriptor with no VP8 data carries nothing
    descriptorBytes = r.position();
    out = d;
    return ParseError::None;
}

std::span<std::uint8_t> writeVp8Descriptor(const Vp8Descriptor& d, std::span<std::uint8_t> buffer) {
    ByteWriter w(buffer);
    const bool t = d.temporalId.has_value();
    const bool k = d.keyIndex.has_value();
    const bool extended = d.pictureId || d.tl0PicIdx || t || k;
    std::uint8_t first = d.partitionIndex & kPidMask;
    if (extended)
        first |= kX;
    if (d.nonReference)
        first |= kN;
    if (d.startOfPartition)
        first |= kS;
    w.u8(first);
    if (extended) {
        std::uint8_t ext = 0;
        if (d.pictureId)
            ext |= kI;
        if (d.tl0PicIdx)
            ext |= kL;
        if (t)
            ext |= kT;
        if (k)
            ext |= kK;
        w.u8(ext);
        if (d.pictureId)
            w.u16(static_cast<std::uint16_t>(0x8000 | (*d.pictureId & kVp8PictureIdMask)));
        if (d.tl0PicIdx)
            w.u8(*d.tl0PicIdx);
        if (t || k) {
            std::uint8_t tk = 0;
            if (t)
                tk = static_cast<std::uint8_t>(((*d.temporalId & 0x03) << 6) |
                                               (d.layerSync ? kY : 0));
            if (k)
                tk = static_cast<std::uint8_t>(tk | (*d.keyIndex & 0x1F));
            w.u8(tk);
        }
    }
    return w.written();
}

std::optional<Vp8FrameHeader> parseVp8FrameHeader(std::span<const std::uint8_t> vp8) {
    if (vp8.size() < 3)
        return std::nullopt;
    Vp8FrameHeader header;
    header.keyFrame = (vp8[0] & 0x01) == 0;
    if (!header.keyFrame)
        return header;
    // RFC 6386 section 9.1: start code 0x9d 0x01 0x2a, then 16-bit little-endian width and
    // height whose top 2 bits are the scaling mode.
    if (vp8.size() < 10 || vp8[3] != 0x9d || vp8[4] != 0x01 || vp8[5] != 0x2a)
        return std::nullopt;
    header.width = static_cast<std::uint16_t>((vp8[6] | (vp8[7] << 8)) & 0x3FFF);
    header.height = static_cast<std::uint16_t>((vp8[8] | (vp8[9] << 8)) & 0x3FFF);
    return header;
}

} // namespace diyuma::core::wire
