#include "diyuma/video/VideoSender.h"

#include "diyuma/crypto/Random.h"
#include "diyuma/video/PictureConvert.h"
#include "diyuma/video/Vp8Packetizer.h"
#include "diyuma/wire/RtcpFeedback.h"
#include "diyuma/wire/Rtp.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <utility>

namespace diyuma::core {

namespace {
/// RTP payload budget of one video packet: the datagram limit minus the RTP header.
/// Room for the header extensions: the transport-wide sequence number and (with layers) the
/// frame marking's long form take 4 + 8 bytes (PROTOCOL.md section 9.1).
constexpr std::size_t kExtensionRoomBytes = 12;
constexpr std::size_t kMaxPayloadBytes =
    wire::kMaxDatagramBytes - wire::kRtpHeaderBytes - kExtensionRoomBytes;
/// The pacer may catch up this much after being idle (a burst of a few packets, not a frame).
constexpr auto kPacerBurst = std::chrono::milliseconds(5);
/// Packets encoded longer ago than this are not resent (receivers give up after 1 s), and at
/// most this many resends wait at once: NACKs cannot crowd new frames out of the pacer.
constexpr auto kMaxResendAge = std::chrono::seconds(1);
constexpr std::size_t kMaxQueuedResends = 128;

std::vector<int> nominalsOf(const std::vector<VideoLayerConfig>& layers) {
    std::vector<int> out;
    for (const auto& layer : layers)
        out.push_back(layer.bitrateBps);
    return out;
}
} // namespace

struct VideoSender::Layer {
    Layer(std::size_t layerIndex, VideoLayerConfig layerConfig, Vp8Encoder layerEncoder,
          std::size_t cachePackets)
        : index(layerIndex), config(layerConfig), encoder(std::move(layerEncoder)),
          cache(cachePackets), fresh(cache.capacity()) {}
    std::size_t index;
    VideoLayerConfig config;
    Vp8Encoder encoder;
    RtpPacketCache cache;
    FixedQueue<std::uint16_t> fresh; ///< encoded, not sent yet
    /// The picture scaled to this layer's size (allocated once); empty for the layer that
    /// takes the picture as it is.
    VideoFrame scaled;
    std::uint16_t sequence = 0;
    bool active = false; ///< encoded the latest picture: a layer that starts takes a key frame
    bool keyFrameWanted = true;
    std::optional<Clock::TimePoint> lastKeyFrameAt;
    std::uint32_t reportPackets = 0;
    std::uint32_t reportOctets = 0; ///< payload octets, as RFC 3550 counts them
};

Result<std::unique_ptr<VideoSender>> VideoSender::create(const Clock& clock,
                                                         VideoSenderConfig config) {
    std::vector<VideoLayerConfig> specs = config.layers;
    if (specs.empty())
        specs.push_back(
            {config.ssrc, config.encoder.width, config.encoder.height, config.encoder.bitrateBps});
    if (specs.size() > kMaxSimulcastLayers)
        return Error{static_cast<int>(VideoErrorCode::CodecSetting),
                     fmt::format("video: {} simulcast layers (at most {})", specs.size(),
                                 kMaxSimulcastLayers)};
    for (std::size_t i = 0; i < specs.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (specs[i].ssrc == specs[j].ssrc)
                return Error{static_cast<int>(VideoErrorCode::CodecSetting),
                             "video: two simulcast layers with one SSRC"};
        }
    }
    std::vector<std::unique_ptr<Layer>> layers;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        Vp8EncoderConfig encoderConfig = config.encoder;
        encoderConfig.width = specs[i].width;
        encoderConfig.height = specs[i].height;
        encoderConfig.bitrateBps = specs[i].bitrateBps;
        // Simulcast: key frames only when asked, so the sender alone decides where the
        // shared temporal pattern restarts.
        if (specs.size() > 1)
            encoderConfig.keyFrameInterval = 0;
        auto encoder = Vp8Encoder::create(encoderConfig);
        if (!encoder)
            return encoder.error();
        layers.push_back(
            std::make_unique<Layer>(i, specs[i], std::move(encoder.value()), config.cachePackets));
    }
    config.layers = std::move(specs);
    return std::unique_ptr<VideoSender>(
        new VideoSender(clock, std::move(config), std::move(layers)));
}

VideoSender::VideoSender(const Clock& clock, VideoSenderConfig config,
                         std::vector<std::unique_ptr<Layer>> layers)
    : m_clock(clock), m_config(std::move(config)), m_layers(std::move(layers)),
      m_allocator(nominalsOf(m_config.layers)), m_resend(kMaxQueuedResends) {
    // Random initial sequence numbers, timestamp and picture ID (RFC 3550 section 5.1).
    const std::uint32_t r = randomU32();
    m_pictureId = static_cast<std::uint16_t>((r >> 16) & wire::kVp8PictureIdMask);
    m_timestampBase = randomU32();
    m_tl0PicIdx = static_cast<std::uint8_t>(randomU32());
    m_stats.layers.resize(m_layers.size());
    for (auto& layer : m_layers) {
        layer->sequence = static_cast<std::uint16_t>(randomU32());
        if (layer->config.width != m_config.encoder.width ||
            layer->config.height != m_config.encoder.height)
            layer->scaled.resize(layer->config.width, layer->config.height);
        VideoLayerSendStats& s = m_stats.layers[layer->index];
        s.ssrc = layer->config.ssrc;
        s.width = layer->config.width;
        s.height = layer->config.height;
    }
}

VideoSender::~VideoSender() = default;

VideoSender::Layer* VideoSender::findLayer(std::uint32_t ssrc) const {
    for (const auto& layer : m_layers) {
        if (layer->config.ssrc == ssrc)
            return layer.get();
    }
    return nullptr;
}

bool VideoSender::layerActive(std::size_t index) const {
    const auto sending = static_cast<std::uint8_t>(layersAvailable() & m_wanted);
    if ((sending >> index & 1U) != 0)
        return true;
    // Every layer someone wants is off (for bandwidth, or our own cap): layer 0 goes instead
    // (it always fits), so that they keep a picture; the relay switches them to it
    // (PROTOCOL.md 6.11).
    return index == 0 && m_wanted != 0 && (sending & ~1U) == 0;
}

std::uint32_t VideoSender::rtpTimestampAt(std::int64_t unixMs) const {
    const std::int64_t elapsedMs = unixMs - m_firstCaptureUnixMs.value_or(unixMs);
    return m_timestampBase + static_cast<std::uint32_t>(elapsedMs * (kVideoRtpClockHz / 1000));
}

void VideoSender::sendFrame(const VideoFrame& picture) {
    const auto now = m_clock.now();
    if (!m_firstCaptureUnixMs)
        m_firstCaptureUnixMs = picture.captureUnixMs;
    // Which layers encode this picture; any key frame among them restarts the temporal
    // pattern for all, so that TID and TL0PICIDX stay the same in every layer (a TL0 delta
    // frame refers only to the previous TL0, so the others may restart anywhere).
    bool anyActive = false;
    bool anyKey = false;
    for (auto& layer : m_layers) {
        const bool active = layerActive(layer->index);
        if (active && !layer->active)
            layer->keyFrameWanted = true; // (re)started: receivers switch to it at a key frame
        layer->active = active;
        anyActive = anyActive || active;
        anyKey = anyKey || (active && layer->keyFrameWanted);
    }
    if (!anyActive) {
        ++m_stats.framesSkipped;
        return;
    }
    if (anyKey)
        m_patternPosition = 0;
    const std::size_t position = m_patternPosition;
    const std::size_t patternLength = temporalPatternLength(m_config.encoder.temporalLayers);
    m_patternPosition = (position + 1) % patternLength;
    if (m_config.encoder.temporalLayers > 1 && position == 0)
        ++m_tl0PicIdx; // position 0 is TL0; the others carry the index of the TL0 they follow
    const std::uint32_t timestamp = rtpTimestampAt(picture.captureUnixMs);
    const auto started = std::chrono::steady_clock::now();
    bool encoded = false;
    for (auto& layer : m_layers) { // lowest first: its packets are queued first
        if (!layer->active)
            continue;
        const VideoFrame* input = &picture;
        if (!layer->scaled.empty()) {
            scaleI420(picture, layer->scaled);
            input = &layer->scaled;
        }
        encoded = encodeLayer(*layer, *input, position, timestamp, now) || encoded;
    }
    m_stats.encodeMsTotal +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    if (!encoded)
        return;
    ++m_stats.framesEncoded;
    m_pictureId = static_cast<std::uint16_t>((m_pictureId + 1) & wire::kVp8PictureIdMask);
}

bool VideoSender::encodeLayer(Layer& layer, const VideoFrame& picture, std::size_t patternPosition,
                              std::uint32_t timestamp, Clock::TimePoint now) {
    VideoLayerSendStats& layerStats = m_stats.layers[layer.index];
    const bool key = layer.keyFrameWanted;
    auto encoded = layer.encoder.encode(picture, picture.captureUnixMs, key, patternPosition);
    if (!encoded || !encoded.value()) {
        ++m_stats.encodeFailures;
        layer.keyFrameWanted = true; // its references are in doubt
        return false;
    }
    const EncodedVideoFrame& frame = *encoded.value();
    ++layerStats.framesEncoded;
    if (frame.keyFrame) {
        ++m_stats.keyFrames;
        ++layerStats.keyFrames;
        layer.keyFrameWanted = false;
        layer.lastKeyFrameAt = now;
    }
    // Temporal layers: TID, Y and TL0PICIDX in the VP8 descriptor (RFC 7741) and in the
    // frame marking extension (RFC 9626), which the relay reads without parsing VP8.
    const bool layered = m_config.encoder.temporalLayers > 1;
    Vp8LayerInfo layers;
    if (layered)
        layers = Vp8LayerInfo{frame.temporalId, frame.layerSync, m_tl0PicIdx};
    Vp8Packetizer packetizer(frame.data, m_pictureId, kMaxPayloadBytes, frame.nonReference, layers);
    std::array<std::uint8_t, kMaxPayloadBytes> payload{};
    for (std::size_t i = 0; i < packetizer.packetCount(); ++i) {
        const auto body = packetizer.writePayload(i, payload);
        wire::RtpHeaderFields header;
        header.marker = packetizer.marker(i);
        header.payloadType = wire::kVp8PayloadType;
        header.sequence = layer.sequence;
        header.timestamp = timestamp;
        header.ssrc = layer.config.ssrc;
        header.extensions.transportSequence = 0; // numbered per transmission on the way out
        wire::FrameMarking marking;
        marking.startOfFrame = i == 0;
        marking.endOfFrame = packetizer.marker(i);
        marking.independent = frame.keyFrame;
        marking.discardable = frame.nonReference;
        marking.baseLayerSync = frame.layerSync;
        marking.temporalId = frame.temporalId;
        marking.hasLayers = layered;
        marking.tl0PicIdx = m_tl0PicIdx;
        header.extensions.frameMarking = marking;
        const auto packet = wire::writeRtp(header, body, m_packet);
        if (packet.empty() || !layer.fresh.push(layer.sequence)) {
            ++m_stats.sendFailures; // cannot happen with the sizes above; counted if it does
            continue;
        }
        layer.cache.put(layer.sequence, packet, now);
        ++layer.sequence;
    }
    return true;
}

bool VideoSender::setBitrate(int bitrateBps) {
    m_budgetBps = bitrateBps;
    m_allocator.update(bitrateBps, wantedAndAllowed(), m_clock.now());
    return applyBitrates();
}

void VideoSender::setLayersWanted(std::uint8_t layers) {
    if (layers == m_wanted)
        return;
    m_wanted = layers;
    if (m_budgetBps > 0) { // the budget goes to the layers now wanted
        m_allocator.update(m_budgetBps, wantedAndAllowed(), m_clock.now());
        (void)applyBitrates();
    }
}

void VideoSender::setMaxSendHeight(int height) {
    std::uint8_t allowed = 1; // layer 0 always
    for (const auto& layer : m_layers)
        if (layer->config.height <= height)
            allowed |= static_cast<std::uint8_t>(1U << layer->index);
    if (allowed == m_allowed)
        return;
    m_allowed = allowed;
    if (m_budgetBps > 0) {
        m_allocator.update(m_budgetBps, wantedAndAllowed(), m_clock.now());
        (void)applyBitrates();
    }
}

std::uint8_t VideoSender::layersAvailable() const {
    std::uint8_t layers = 1; // layer 0 always
    for (std::size_t k = 1; k < m_layers.size(); ++k)
        if ((m_allowed >> k & 1U) != 0 && m_allocator.on(k))
            layers |= static_cast<std::uint8_t>(1U << k);
    return layers;
}

bool VideoSender::applyBitrates() {
    bool ok = true;
    for (auto& layer : m_layers) {
        const int target = m_allocator.bitrateBps(layer->index);
        if (target <= 0)
            continue; // off or not wanted: it keeps its rate for when it starts again
        const int current = layer->encoder.config().bitrateBps;
        if (std::abs(target - current) * 20 <= current)
            continue; // changes under 5 % are not worth it
        ok = layer->encoder.setBitrate(target) && ok;
    }
    return ok;
}

int VideoSender::bitrateBps() const {
    int sum = 0;
    for (const auto& layer : m_layers) {
        if (layerActive(layer->index))
            sum += layer->encoder.config().bitrateBps;
    }
    return sum;
}

const VideoSendStats& VideoSender::stats() const {
    for (const auto& layer : m_layers) {
        VideoLayerSendStats& s = m_stats.layers[layer->index];
        s.active = layerActive(layer->index);
        s.bitrateBps = s.active ? layer->encoder.config().bitrateBps : 0;
    }
    return m_stats;
}

bool VideoSender::onPli(std::uint32_t mediaSsrc) {
    Layer* layer = findLayer(mediaSsrc);
    if (layer == nullptr)
        return false;
    ++m_stats.plisReceived;
    ++m_stats.layers[layer->index].plisReceived;
    if (layer->keyFrameWanted)
        return true;
    // One key frame answers every PLI sent before it could arrive.
    if (layer->lastKeyFrameAt &&
        m_clock.now() - *layer->lastKeyFrameAt < m_config.minKeyFrameInterval)
        return true;
    layer->keyFrameWanted = true;
    return true;
}

bool VideoSender::onNack(std::uint32_t mediaSsrc, std::uint16_t sequence) {
    Layer* layer = findLayer(mediaSsrc);
    if (layer == nullptr)
        return false;
    ++m_stats.nacksReceived;
    const auto sent = layer->cache.sentAt(sequence);
    if (!sent || *sent == Clock::TimePoint::min()) {
        ++m_stats.nacksNotInCache; // gone, or not even sent once yet (it is on its way)
        return true;
    }
    const auto now = m_clock.now();
    if (now - *sent < m_config.minResendInterval)
        return true; // just (re)sent: this NACK crossed it
    if (now - layer->cache.storedAt(sequence).value_or(*sent) > kMaxResendAge) {
        ++m_stats.nacksNotInCache; // too old to help: the receiver has given up on it
        return true;
    }
    layer->cache.markSent(sequence, now); // no second resend for a duplicate NACK
    (void)m_resend.push(Resend{static_cast<std::uint8_t>(layer->index), sequence});
    return true;
}

Clock::TimePoint VideoSender::nextSendAt() const {
    bool queued = !m_resend.empty();
    for (const auto& layer : m_layers)
        queued = queued || !layer->fresh.empty();
    if (!queued)
        return m_nextReportAt.value_or(Clock::TimePoint::max());
    return m_pacerFreeAt;
}

double VideoSender::pacingRateBps() const {
    const int sum = bitrateBps();
    // Nothing active (packets of a layer just stopped still leave): layer 0's pace.
    return m_config.pacingFactor * (sum > 0 ? sum : m_layers.front()->encoder.config().bitrateBps);
}

void VideoSender::transmit(PacketTransport& transport, Layer& layer, std::uint16_t sequence,
                           bool retransmission) {
    const auto packet = layer.cache.find(sequence);
    if (!packet)
        return;
    const auto now = m_clock.now();
    layer.cache.markSent(sequence, now);
    VideoLayerSendStats& layerStats = m_stats.layers[layer.index];
    if (transport.send(*packet) != SendStatus::Sent) {
        ++m_stats.sendFailures;
    } else if (retransmission) {
        ++m_stats.retransmissions;
        ++layerStats.retransmissions;
    } else {
        ++m_stats.packetsSent;
        m_stats.bytesSent += packet->size();
        ++layerStats.packetsSent;
        layerStats.bytesSent += packet->size();
        ++layer.reportPackets;
        layer.reportOctets += static_cast<std::uint32_t>(packet->size() - wire::kRtpHeaderBytes);
    }
    // The packet occupies the link for size / pacing rate.
    const auto cost = std::chrono::duration_cast<Clock::Duration>(
        std::chrono::duration<double>(static_cast<double>(packet->size()) * 8.0 / pacingRateBps()));
    m_pacerFreeAt = std::max(m_pacerFreeAt, now - kPacerBurst) + cost;
}

void VideoSender::flush(PacketTransport& transport) {
    const auto now = m_clock.now();
    while (now >= m_pacerFreeAt) {
        if (!m_resend.empty()) { // resends first: a receiver is waiting for them
            const Resend resend = m_resend.front();
            m_resend.pop();
            transmit(transport, *m_layers[resend.layer], resend.sequence, true);
            continue;
        }
        // Then fresh packets, the lowest layer first: a large key frame of the top layer
        // does not hold back the small layers.
        Layer* next = nullptr;
        for (auto& layer : m_layers) {
            if (!layer->fresh.empty()) {
                next = layer.get();
                break;
            }
        }
        if (next == nullptr)
            break;
        const std::uint16_t sequence = next->fresh.front();
        next->fresh.pop();
        transmit(transport, *next, sequence, false);
    }
    sendReports(transport);
}

void VideoSender::sendReports(PacketTransport& transport) {
    if (!m_firstCaptureUnixMs)
        return;
    const auto now = m_clock.now();
    if (!m_nextReportAt)
        m_nextReportAt = now;
    if (now < *m_nextReportAt)
        return;
    *m_nextReportAt = now + m_config.senderReportInterval;
    // One instant for all layers: they share the timestamps, so the mapping is the same.
    const std::int64_t unixMs = m_clock.unixMs();
    const std::uint32_t rtp = rtpTimestampAt(unixMs);
    for (auto& layer : m_layers) {
        VideoLayerSendStats& layerStats = m_stats.layers[layer->index];
        if (!layerActive(layer->index) || layerStats.framesEncoded == 0)
            continue; // nobody gets it, or nothing of it to map yet
        wire::SenderReport report{layer->config.ssrc, wire::ntpFromUnixMs(unixMs), rtp,
                                  layer->reportPackets, layer->reportOctets};
        const auto bytes = wire::writeSenderReport(report, m_packet);
        if (!bytes.empty() && transport.send(bytes) == SendStatus::Sent) {
            ++m_stats.senderReports;
            ++layerStats.senderReports;
        }
    }
}

} // namespace diyuma::core
