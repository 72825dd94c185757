#pragma once
// RTP header extension elements (RFC 8285) with the three extensions the protocol uses, each
// at a fixed ID (there is no SDP to negotiate them; docs/PROTOCOL.md section 9.1):
//
//   ID 1  transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01
//         section 2), 2 octets: a counter per sending hop over every stream it sends;
//   ID 2  frame marking (RFC 9626 section 3), 1 octet (short form) or 3 octets (long form);
//   ID 3  client-to-mixer audio level (RFC 6464 section 3), 1 octet.
//
// One-byte header form (RFC 8285 section 4.2), profile 0xBEDE, padded to 32 bits with zeros:
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |       0xBE    |    0xDE       |           length              |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  ID   | L=1   |  transport-wide sequence number | ID=2 | L=2  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |S|E|I|D|B| TID |      LID      |   TL0PICIDX   |  0 (padding)  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Each element: 4-bit ID (1..14), 4-bit L (length - 1), then L + 1 data octets; ID 0 is a
// padding octet, ID 15 ends the list. The two-byte form (section 4.3, profile 0x100X) is read
// too. Frame marking (RFC 9626): S start of frame, E end of frame, I independent (key frame),
// D discardable (no other frame needs it), B base layer sync, TID temporal layer ID; the long
// form adds LID (spatial layer within the stream, 0 here) and TL0PICIDX.
// Audio level (RFC 6464): V (voice activity) and the level in -dBov (0 loudest .. 127).
//
// Thread: pure, any thread.

#include "diyuma/wire/Control.h"

#include <cstdint>
#include <optional>
#include <span>

namespace diyuma::core::wire {

struct RtpPacketView;

inline constexpr std::uint16_t kOneByteExtensionProfile = 0xBEDE;
inline constexpr std::uint8_t kExtTransportSequence = 1;
inline constexpr std::uint8_t kExtFrameMarking = 2;
inline constexpr std::uint8_t kExtAudioLevel = 3;

struct FrameMarking {
    bool startOfFrame = false;   ///< S
    bool endOfFrame = false;     ///< E
    bool independent = false;    ///< I: a key frame
    bool discardable = false;    ///< D
    bool baseLayerSync = false;  ///< B: decodable from the base layer (VP8's Y)
    std::uint8_t temporalId = 0; ///< TID 0..7
    /// Long form: the layer fields are present (written whenever temporal layers are used).
    bool hasLayers = false;
    std::uint8_t layerId = 0;   ///< LID
    std::uint8_t tl0PicIdx = 0; ///< TL0PICIDX
    bool operator==(const FrameMarking&) const = default;
};

struct AudioLevel {
    bool voice = false;
    std::uint8_t levelDbov = 127; ///< -dBov, 0..127 (127: silence)
    bool operator==(const AudioLevel&) const = default;
};

/// The extensions of one packet. Reading fills what is there; writing writes what is set.
struct RtpExtensions {
    std::optional<std::uint16_t> transportSequence;
    std::optional<FrameMarking> frameMarking;
    std::optional<AudioLevel> audioLevel;
    /// Reading: where the transport-wide sequence number's two octets are, counted from the
    /// start of the datagram (0 when there is none), so a hop can rewrite it in its copy.
    std::size_t transportSequenceOffset = 0;
    bool operator==(const RtpExtensions&) const = default;
};

/// Reads the extensions of `packet` (parsed from `datagram`). Unknown IDs are skipped; an
/// extension of the wrong length is ignored as RFC 8285 section 4 asks. BadField if an element
/// runs past the extension block; None (and nothing read) for a packet without extensions or
/// with a profile that is neither form.
[[nodiscard]] ParseError parseRtpExtensions(const RtpPacketView& packet,
                                            std::span<const std::uint8_t> datagram,
                                            RtpExtensions& out);

/// Bytes the one-byte form of `extensions` takes after the 12-byte RTP header (the 4-octet
/// extension head, the elements and the padding to 32 bits); 0 when nothing is set.
[[nodiscard]] std::size_t rtpExtensionsBytes(const RtpExtensions& extensions);

/// Writes the extension block (head included) into `buffer`; returns the filled part (empty
/// if it does not fit or nothing is set). The transport-wide sequence number comes first, so
/// in a packet without CSRCs it is at offset kTransportSequenceOffset.
[[nodiscard]] std::span<std::uint8_t> writeRtpExtensions(const RtpExtensions& extensions,
                                                         std::span<std::uint8_t> buffer);
inline constexpr std::size_t kTransportSequenceOffset = 12 + 4 + 1;

/// Overwrites the transport-wide sequence number at `offset` (from parseRtpExtensions or
/// kTransportSequenceOffset) in a packet; false if the packet is too short.
bool patchTransportSequence(std::span<std::uint8_t> packet, std::size_t offset,
                            std::uint16_t sequence);

} // namespace diyuma::core::wire
