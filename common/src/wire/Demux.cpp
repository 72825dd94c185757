#include "diyuma/wire/Demux.h"

#include "diyuma/wire/Control.h"

namespace diyuma::core::wire {

// RFC 7983 section 7 assigns first-byte ranges on a shared port: 0..3 STUN, 16..19 ZRTP,
// 20..63 DTLS, 64..79 TURN channels, 128..191 RTP/RTCP; 4..15 is unassigned and our control
// magic 0x0D sits there, so a future STUN/DTLS/TURN on the same port cannot be confused
// with it. Within 128..191, RFC 5761 section 4 tells RTCP (packet types 192..223, so the
// second byte without the marker bit is 64..95) from RTP.
PacketKind classify(std::span<const std::uint8_t> datagram) {
    if (datagram.empty())
        return PacketKind::Unknown;
    const std::uint8_t b0 = datagram[0];
    if (b0 == kControlMagic)
        return PacketKind::Control;
    if (b0 < 128 || b0 > 191)
        return PacketKind::Unknown;
    if (datagram.size() >= 2) {
        const std::uint8_t pt = datagram[1] & 0x7F;
        if (pt >= 64 && pt <= 95)
            return PacketKind::Rtcp;
    }
    return PacketKind::Rtp;
}

} // namespace diyuma::core::wire
