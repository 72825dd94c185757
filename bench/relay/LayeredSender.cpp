#include "LayeredSender.h"

#include <algorithm>

namespace diyuma::bench {

namespace {

constexpr std::int64_t kAudioPeriodUs = 20'000;
constexpr std::int64_t kFramesPerSecond = 30;
constexpr std::uint32_t kVideoTicksPerFrame = 90'000 / kFramesPerSecond;
constexpr std::uint32_t kAudioTicksPerPacket = 960; // 20 ms at 48 kHz
/// A PLI within this many frames of a stream's last key frame is answered by that one (the
/// client folds PLIs within 100 ms of its last key frame into it).
constexpr std::uint32_t kPliFoldFrames = 3;

struct TemporalFrame {
    std::uint8_t temporalId;
    bool layerSync;
    bool discardable;
};
// TL0 TL2 TL1 TL2, as Vp8Codec's three-layer pattern: TL2 after TL0 and TL1 refer to TL0 only
// (sync), TL2 frames are referred to by nothing.
constexpr std::array<TemporalFrame, 4> kPattern{{
    {0, false, false},
    {2, true, true},
    {1, true, false},
    {2, false, true},
}};

} // namespace

LayeredSender::LayeredSender(const LayeredSenderConfig& config,
                             const std::array<std::uint32_t, kStreamsPerParticipant>& ssrcs,
                             std::uint32_t seed)
    : m_config(config), m_audioSsrc(ssrcs[0]) {
    m_config.videoLayers = std::clamp<std::size_t>(m_config.videoLayers, 1, kMaxVideoLayers);
    m_audioSequence = static_cast<std::uint16_t>(seed * 7919u);
    m_plainSequence = m_audioSequence;
    m_audioTimestamp = seed * 104729u;
    m_videoTimestamp = seed * 130363u;
    m_transportSequence = static_cast<std::uint16_t>(seed * 31337u);
    for (std::size_t layer = 0; layer < kMaxVideoLayers; ++layer) {
        Video& video = m_video[layer];
        video.ssrc = ssrcs[1 + layer];
        video.sequence = static_cast<std::uint16_t>(seed * 4099u + layer * 20000u);
        video.tl0PicIdx = static_cast<std::uint8_t>(seed + layer);
    }
    // Audio and video start out of step, as they do in a real client.
    m_videoOffsetUs = static_cast<std::int64_t>(seed % 20) * 1000;
    m_nextVideoUs = m_videoOffsetUs;
    m_payload.fill(0xA5);
}

bool LayeredSender::onPli(std::uint32_t ssrc) {
    for (std::size_t layer = 0; layer < m_config.videoLayers; ++layer) {
        Video& video = m_video[layer];
        if (video.ssrc != ssrc)
            continue;
        if (video.framesSinceKey >= kPliFoldFrames && !video.keyWanted) {
            video.keyWanted = true;
            ++m_plisHonoured;
        }
        return true;
    }
    return false;
}

void LayeredSender::startFrame(Video& video) {
    const bool key = video.keyWanted || video.framesSinceKey >= m_config.keyFrameInterval;
    if (key) {
        video.patternIndex = 0;
        video.framesSinceKey = 0;
        video.keyWanted = false;
        ++m_keyFrames;
    }
    const TemporalFrame& frame = kPattern[video.patternIndex];
    video.patternIndex = (video.patternIndex + 1) % kPattern.size();
    ++video.framesSinceKey;
    video.keyFrame = key;
    video.temporalId = frame.temporalId;
    video.layerSync = key ? false : frame.layerSync;
    video.discardable = key ? false : frame.discardable;
    if (video.temporalId == 0)
        ++video.tl0PicIdx;
}

LayeredSender::Packet LayeredSender::next(std::span<std::uint8_t> buffer) {
    const bool layered = m_config.packets == Packets::Layered;
    core::wire::RtpHeaderFields header;
    std::size_t stream = 0;
    std::size_t sizeBytes = m_config.audioBytes;

    if (m_layer >= m_config.videoLayers && m_nextAudioUs <= m_nextVideoUs) {
        header.payloadType = core::wire::kOpusPayloadType;
        header.sequence = m_audioSequence++;
        header.timestamp = m_audioTimestamp;
        header.ssrc = m_audioSsrc;
        m_audioTimestamp += kAudioTicksPerPacket;
        m_nextAudioUs += kAudioPeriodUs;
    } else {
        if (m_layer >= m_config.videoLayers) { // a new frame of every layer
            for (std::size_t layer = 0; layer < m_config.videoLayers; ++layer)
                startFrame(m_video[layer]);
            m_videoTimestamp += kVideoTicksPerFrame;
            ++m_frames;
            m_nextVideoUs = m_videoOffsetUs + m_frames * 1'000'000 / kFramesPerSecond;
            m_layer = 0;
            m_packetInFrame = 0;
        }
        Video& video = m_video[m_layer];
        const std::size_t count = kPacketsPerFrame[m_layer];
        stream = 1 + m_layer;
        sizeBytes = kVideoBytes[video.temporalId];
        header.payloadType = core::wire::kVp8PayloadType;
        header.sequence = video.sequence++;
        header.timestamp = m_videoTimestamp;
        header.ssrc = video.ssrc;
        header.marker = m_packetInFrame + 1 == count;
        core::wire::FrameMarking marking;
        marking.startOfFrame = m_packetInFrame == 0;
        marking.endOfFrame = header.marker;
        marking.independent = video.keyFrame;
        marking.discardable = video.discardable;
        marking.baseLayerSync = video.layerSync;
        marking.temporalId = video.temporalId;
        marking.hasLayers = true;
        marking.tl0PicIdx = video.tl0PicIdx;
        header.extensions.frameMarking = marking;
        if (++m_packetInFrame == count) {
            ++m_layer;
            m_packetInFrame = 0;
        }
    }
    if (layered) {
        header.extensions.transportSequence = m_transportSequence++;
    } else { // the old path: audio-like RTP, one SSRC, no extensions
        header.extensions = {};
        header.payloadType = core::wire::kOpusPayloadType;
        header.sequence = m_plainSequence++;
        header.ssrc = m_audioSsrc;
        header.marker = false;
    }
    const std::size_t headerBytes =
        core::wire::kRtpHeaderBytes + core::wire::rtpExtensionsBytes(header.extensions);
    const std::size_t payloadBytes = sizeBytes > headerBytes ? sizeBytes - headerBytes : 1;
    m_payload[0] = static_cast<std::uint8_t>(stream);
    const auto bytes = core::wire::writeRtp(
        header, std::span<const std::uint8_t>(m_payload).first(payloadBytes), buffer);
    return Packet{bytes, stream};
}

} // namespace diyuma::bench
