#pragma once
// Splits one encoded VP8 frame into RTP payloads (RFC 7741 section 5): each payload is a
// payload descriptor (X = 1, I = 1 with a 15-bit picture ID; S = 1 and PID = 0 on the first
// packet, N for non-reference frames; TL0PICIDX and TID when temporal layers are used) and
// a slice of the frame. Slices are of equal size (within one byte), so no packet is a tiny
// tail. The RTP marker bit goes on the last packet (section 4.1).
//
// Thread: a value; one thread at a time. No allocation.

#include "diyuma/wire/Vp8Payload.h"

#include <cstdint>
#include <optional>
#include <span>

namespace diyuma::core {

/// Layer information carried in the descriptor (issue 5 fills it; a single layer leaves it).
struct Vp8LayerInfo {
    std::optional<std::uint8_t> temporalId;
    bool layerSync = false;
    std::optional<std::uint8_t> tl0PicIdx;
};

class Vp8Packetizer {
public:
    /// `frame` must stay valid while packets are written. `maxPayloadBytes` is the RTP payload
    /// budget of one packet (descriptor included); at least kMaxVp8DescriptorBytes + 1.
    Vp8Packetizer(std::span<const std::uint8_t> frame, std::uint16_t pictureId,
                  std::size_t maxPayloadBytes, bool nonReference = false, Vp8LayerInfo layers = {});

    /// How many packets the frame takes (0 for an empty frame or an impossible budget).
    [[nodiscard]] std::size_t packetCount() const { return m_count; }
    /// Writes payload `index` (< packetCount()) into `buffer`; returns the filled part, or
    /// empty if it does not fit (the buffer must hold maxPayloadBytes).
    [[nodiscard]] std::span<std::uint8_t> writePayload(std::size_t index,
                                                       std::span<std::uint8_t> buffer) const;
    /// The marker bit for payload `index`: set on the last one.
    [[nodiscard]] bool marker(std::size_t index) const { return index + 1 == m_count; }

private:
    std::span<const std::uint8_t> m_frame;
    wire::Vp8Descriptor m_descriptor;
    std::size_t m_count = 0;
    std::size_t m_sliceBytes = 0; ///< the first m_longSlices slices are one byte longer
    std::size_t m_longSlices = 0;
};

} // namespace diyuma::core
