#include "diyuma/video/Vp8Packetizer.h"

#include "diyuma/util/ByteWriter.h"

#include <array>

namespace diyuma::core {

Vp8Packetizer::Vp8Packetizer(std::span<const std::uint8_t> frame, std::uint16_t pictureId,
                             std::size_t maxPayloadBytes, bool nonReference, Vp8LayerInfo layers)
    : m_frame(frame) {
    m_descriptor.pictureId = static_cast<std::uint16_t>(pictureId & wire::kVp8PictureIdMask);
    m_descriptor.nonReference = nonReference;
    m_descriptor.temporalId = layers.temporalId;
    m_descriptor.layerSync = layers.layerSync;
    m_descriptor.tl0PicIdx = layers.tl0PicIdx;
    m_descriptor.startOfPartition = true;
    std::array<std::uint8_t, wire::kMaxVp8DescriptorBytes> probe{};
    const std::size_t descriptorBytes = wire::writeVp8Descriptor(m_descriptor, probe).size();
    if (frame.empty() || descriptorBytes == 0 || maxPayloadBytes <= descriptorBytes)
        return;
    const std::size_t room = maxPayloadBytes - descriptorBytes;
    m_count = (frame.size() + room - 1) / room;
    m_sliceBytes = frame.size() / m_count;
    m_longSlices = frame.size() % m_count;
}

std::span<std::uint8_t> Vp8Packetizer::writePayload(std::size_t index,
                                                    std::span<std::uint8_t> buffer) const {
    if (index >= m_count)
        return {};
    // Slice i starts after i slices, of which min(i, long) are one byte longer.
    const std::size_t offset = index * m_sliceBytes + std::min(index, m_longSlices);
    const std::size_t length = m_sliceBytes + (index < m_longSlices ? 1 : 0);
    wire::Vp8Descriptor descriptor = m_descriptor;
    descriptor.startOfPartition = index == 0; // one partition: only the frame's start has S
    const auto head = wire::writeVp8Descriptor(descriptor, buffer);
    if (head.empty())
        return {};
    ByteWriter body(buffer.subspan(head.size()));
    body.bytes(m_frame.subspan(offset, length));
    if (!body.ok())
        return {};
    return buffer.first(head.size() + body.size());
}

} // namespace diyuma::core
