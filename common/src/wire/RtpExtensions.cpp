#include "diyuma/wire/RtpExtensions.h"

#include "diyuma/util/BigEndian.h"
#include "diyuma/util/ByteWriter.h"
#include "diyuma/wire/Rtp.h"

namespace diyuma::core::wire {

namespace {

constexpr std::uint16_t kTwoByteProfileMask = 0xFFF0;
constexpr std::uint16_t kTwoByteProfile = 0x1000;

void readElement(std::uint8_t id, std::span<const std::uint8_t> data, std::size_t dataOffset,
                 RtpExtensions& out) {
    switch (id) {
    case kExtTransportSequence:
        if (data.size() == 2) {
            out.transportSequence = be::load16(data.first<2>());
            out.transportSequenceOffset = dataOffset;
        }
        break;
    case kExtFrameMarking:
        if (data.size() == 1 || data.size() == 3) {
            FrameMarking m;
            const std::uint8_t b = data[0];
            m.startOfFrame = (b & 0x80) != 0;
            m.endOfFrame = (b & 0x40) != 0;
            m.independent = (b & 0x20) != 0;
            m.discardable = (b & 0x10) != 0;
            if (data.size() == 3) {
                m.baseLayerSync = (b & 0x08) != 0;
                m.temporalId = b & 0x07;
                m.hasLayers = true;
                m.layerId = data[1];
                m.tl0PicIdx = data[2];
            }
            out.frameMarking = m;
        }
        break;
    case kExtAudioLevel:
        if (data.size() == 1)
            out.audioLevel =
                AudioLevel{(data[0] & 0x80) != 0, static_cast<std::uint8_t>(data[0] & 0x7F)};
        break;
    default:
        break; // not ours: skipped (RFC 8285 section 4)
    }
}

} // namespace

ParseError parseRtpExtensions(const RtpPacketView& packet, std::span<const std::uint8_t> datagram,
                              RtpExtensions& out) {
    out = {};
    const std::span<const std::uint8_t> block = packet.extension;
    if (block.empty())
        return ParseError::None;
    const bool oneByte = packet.extensionProfile == kOneByteExtensionProfile;
    const bool twoByte = (packet.extensionProfile & kTwoByteProfileMask) == kTwoByteProfile;
    if (!oneByte && !twoByte)
        return ParseError::None;
    // The block lies inside the datagram (parseRtp made it a view of it).
    const std::size_t blockOffset = static_cast<std::size_t>(block.data() - datagram.data());
    std::size_t at = 0;
    while (at < block.size()) {
        std::uint8_t id = 0;
        std::size_t length = 0;
        if (oneByte) {
            id = block[at] >> 4;
            if (id == 0) { // padding
                ++at;
                continue;
            }
            if (id == 15) // reserved: stop reading (RFC 8285 section 4.2)
                break;
            length = std::size_t{block[at] & 0x0Fu} + 1;
            ++at;
        } else {
            id = block[at];
            if (id == 0) {
                ++at;
                continue;
            }
            if (block.size() - at < 2)
                return ParseError::BadField;
            length = block[at + 1];
            at += 2;
        }
        if (length > block.size() - at)
            return ParseError::BadField;
        readElement(id, block.subspan(at, length), blockOffset + at, out);
        at += length;
    }
    return ParseError::None;
}

namespace {

std::size_t elementsBytes(const RtpExtensions& e) {
    std::size_t n = 0;
    if (e.transportSequence)
        n += 3;
    if (e.frameMarking)
        n += e.frameMarking->hasLayers ? 4 : 2;
    if (e.audioLevel)
        n += 2;
    return n;
}

} // namespace

std::size_t rtpExtensionsBytes(const RtpExtensions& extensions) {
    const std::size_t n = elementsBytes(extensions);
    return n == 0 ? 0 : 4 + (n + 3) / 4 * 4;
}

std::span<std::uint8_t> writeRtpExtensions(const RtpExtensions& e, std::span<std::uint8_t> buffer) {
    const std::size_t total = rtpExtensionsBytes(e);
    if (total == 0)
        return {};
    ByteWriter w(buffer);
    w.u16(kOneByteExtensionProfile);
    w.u16(static_cast<std::uint16_t>((total - 4) / 4));
    if (e.transportSequence) {
        w.u8(kExtTransportSequence << 4 | 1);
        w.u16(*e.transportSequence);
    }
    if (e.frameMarking) {
        const FrameMarking& m = *e.frameMarking;
        const auto flags =
            static_cast<std::uint8_t>((m.startOfFrame ? 0x80 : 0) | (m.endOfFrame ? 0x40 : 0) |
                                      (m.independent ? 0x20 : 0) | (m.discardable ? 0x10 : 0));
        if (m.hasLayers) {
            w.u8(kExtFrameMarking << 4 | 2);
            w.u8(static_cast<std::uint8_t>(flags | (m.baseLayerSync ? 0x08 : 0) |
                                           (m.temporalId & 0x07)));
            w.u8(m.layerId);
            w.u8(m.tl0PicIdx);
        } else {
            w.u8(kExtFrameMarking << 4 | 0);
            w.u8(flags);
        }
    }
    if (e.audioLevel) {
        w.u8(kExtAudioLevel << 4 | 0);
        w.u8(static_cast<std::uint8_t>((e.audioLevel->voice ? 0x80 : 0) |
                                       (e.audioLevel->levelDbov & 0x7F)));
    }
    w.zeros(total - w.size());
    return w.written();
}

bool patchTransportSequence(std::span<std::uint8_t> packet, std::size_t offset,
                            std::uint16_t sequence) {
    if (offset == 0 || 2 > packet.size() || offset > packet.size() - 2)
        return false;
    be::store16(packet.subspan(offset).first<2>(), sequence);
    return true;
}

} // namespace diyuma::core::wire
