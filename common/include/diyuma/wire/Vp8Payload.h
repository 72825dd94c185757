#pragma once
// VP8 RTP payload descriptor and payload header (RFC 7741 sections 4.2 and 4.3).
//
// Payload descriptor (section 4.2), first octets of every VP8 RTP payload:
//
//        0 1 2 3 4 5 6 7
//       +-+-+-+-+-+-+-+-+
//       |X|R|N|S|R| PID | (REQUIRED)
//       +-+-+-+-+-+-+-+-+
//  X:   |I|L|T|K| RSV   | (OPTIONAL)
//       +-+-+-+-+-+-+-+-+
//  I:   |M| PictureID   | (OPTIONAL, 7 bits, or 15 bits when M = 1)
//       +-+-+-+-+-+-+-+-+
//       |   PictureID   |
//       +-+-+-+-+-+-+-+-+
//  L:   |   TL0PICIDX   | (OPTIONAL)
//       +-+-+-+-+-+-+-+-+
//  T/K: |TID|Y| KEYIDX  | (OPTIONAL)
//       +-+-+-+-+-+-+-+-+
//
// Payload header (section 4.3), the first 3 octets of the VP8 frame, present only in the
// packet with S = 1 and PID = 0 (the start of partition 0):
//
//        0 1 2 3 4 5 6 7
//       +-+-+-+-+-+-+-+-+
//       |Size0|H| VER |P|
//       +-+-+-+-+-+-+-+-+
//       |     Size1     |
//       +-+-+-+-+-+-+-+-+
//       |     Size2     |
//       +-+-+-+-+-+-+-+-+
//
// P = 0 is a key frame (an inverse key frame flag, section 4.3). A key frame's next 7 octets
// are the start code 9d 01 2a and the 14-bit width and height (RFC 6386 section 9.1).
//
// Thread: pure, any thread.

#include "diyuma/wire/Control.h"

#include <cstdint>
#include <optional>
#include <span>

namespace diyuma::core::wire {

/// The parsed descriptor. Optional fields are present when their flag is.
struct Vp8Descriptor {
    bool nonReference = false;              ///< N: the frame can be dropped without hurting others
    bool startOfPartition = false;          ///< S
    std::uint8_t partitionIndex = 0;        ///< PID (0..7)
    std::optional<std::uint16_t> pictureId; ///< 7 or 15 bits
    bool pictureId15 = true;                ///< M: written/read as 15 bits (we always write 15)
    std::optional<std::uint8_t> tl0PicIdx;
    std::optional<std::uint8_t> temporalId; ///< TID (0..3), with `layerSync`
    bool layerSync = false;                 ///< Y
    std::optional<std::uint8_t> keyIndex;   ///< KEYIDX (0..31)

    /// True for the packet that starts a frame (S = 1, PID = 0).
    [[nodiscard]] bool startsFrame() const { return startOfPartition && partitionIndex == 0; }
    bool operator==(const Vp8Descriptor&) const = default;
};

/// Largest descriptor we write or accept: 1 + 1 + 2 + 1 + 1 octets.
inline constexpr std::size_t kMaxVp8DescriptorBytes = 6;
/// Picture IDs are 15 bits on the wire when M = 1.
inline constexpr std::uint16_t kVp8PictureIdMask = 0x7FFF;

/// Parses the descriptor at the start of `payload`; on success `descriptorBytes` is its
/// length and the VP8 data follows it. Truncated if the flags announce octets that are not
/// there or no VP8 data follows. Reserved bits are ignored, as section 4.2 asks of receivers.
[[nodiscard]] ParseError parseVp8Descriptor(std::span<const std::uint8_t> payload,
                                            Vp8Descriptor& out, std::size_t& descriptorBytes);

/// Writes the descriptor into `buffer`; returns the filled part (empty if it does not fit).
/// The picture ID is written with M = 1 (15 bits), masked to 15 bits.
[[nodiscard]] std::span<std::uint8_t> writeVp8Descriptor(const Vp8Descriptor& descriptor,
                                                         std::span<std::uint8_t> buffer);

/// What the payload header of a frame's first packet says.
struct Vp8FrameHeader {
    bool keyFrame = false;
    std::uint16_t width = 0;  ///< key frames only (14 bits; the 2 scaling bits dropped)
    std::uint16_t height = 0; ///< key frames only
};

/// Reads the VP8 payload header at the start of the VP8 data of a frame's first packet (the
/// bytes after the descriptor). Nothing if the data is too short, or a key frame lacks its
/// start code (then it is not VP8 we can trust).
[[nodiscard]] std::optional<Vp8FrameHeader> parseVp8FrameHeader(std::span<const std::uint8_t> vp8);

} // namespace diyuma::core::wire
