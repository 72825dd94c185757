#include "diyuma/video/VideoSender.h"

#include "diyuma/crypto/Random.h"
#include "diyuma/video/Vp8Packetizer.h"
#include "diyuma/wire/RtcpFeedback.h"
#include "diyuma/wire/Rtp.h"

#include <chrono>
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
} // namespace

bool VideoSender::SequenceQueue::push(std::uint16_t sequence) {
    if (m_count == m_items.size())
        return false;
    m_items[(m_head + m_count) % m_items.size()] = sequence;
    ++m_count;
    return true;
}

void VideoSender::SequenceQueue::pop() {
    m_head = (m_head + 1) % m_items.size();
    --m_count;
}

Result<std::unique_ptr<VideoSender>> VideoSender::create(const Clock& clock,
                                                         VideoSenderConfig config) {
    auto encoder = Vp8Encoder::create(config.encoder);
    if (!encoder)
        return encoder.error();
    return std::unique_ptr<VideoSender>(
        new VideoSender(clock, std::move(config), std::move(encoder.value())));
}

VideoSender::VideoSender(const Clock& clock, VideoSenderConfig config, Vp8Encoder encoder)
    : m_clock(clock), m_config(std::move(config)), m_encoder(std::move(encoder)),
      m_cache(m_config.cachePackets), m_fresh(m_cache.capacity()), m_resend(kMaxQueuedResends) {
    // Random initial sequence number, timestamp and picture ID (RFC 3550 section 5.1).
    const std::uint32_t r = randomU32();
    m_sequence = static_cast<std::uint16_t>(r);
    m_pictureId = static_cast<std::uint16_t>((r >> 16) & wire::kVp8PictureIdMask);
    m_timestampBase = randomU32();
    m_tl0PicIdx = static_cast<std::uint8_t>(randomU32());
}

std::uint32_t VideoSender::rtpTimestampAt(std::int64_t unixMs) const {
    const std::int64_t elapsedMs = unixMs - m_firstCaptureUnixMs.value_or(unixMs);
    return m_timestampBase + static_cast<std::uint32_t>(elapsedMs * (kVideoRtpClockHz / 1000));
}

void VideoSender::sendFrame(const VideoFrame& picture) {
    const auto now = m_clock.now();
    if (!m_firstCaptureUnixMs)
        m_firstCaptureUnixMs = picture.captureUnixMs;
    const bool key = m_keyFrameWanted;
    const auto started = std::chrono::steady_clock::now();
    auto encoded = m_encoder.encode(picture, picture.captureUnixMs, key);
    m_stats.encodeMsTotal +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    if (!encoded || !encoded.value()) {
        ++m_stats.encodeFailures;
        return;
    }
    const EncodedVideoFrame& frame = *encoded.value();
    ++m_stats.framesEncoded;
    if (frame.keyFrame) {
        ++m_stats.keyFrames;
        m_keyFrameWanted = false;
        m_lastKeyFrameAt = now;
    }
    const std::uint32_t timestamp = rtpTimestampAt(picture.captureUnixMs);
    // Temporal layers: TID, Y and TL0PICIDX in the VP8 descriptor (RFC 7741) and in the
    // frame marking extension (RFC 9626), which the relay reads without parsing VP8.
    const bool layered = m_config.encoder.temporalLayers > 1;
    if (layered && frame.temporalId == 0)
        ++m_tl0PicIdx;
    Vp8LayerInfo layers;
    if (layered)
        layers = Vp8LayerInfo{frame.temporalId, frame.layerSync, m_tl0PicIdx};
    Vp8Packetizer packetizer(frame.data, m_pictureId, kMaxPayloadBytes, frame.nonReference, layers);
    m_pictureId = static_cast<std::uint16_t>((m_pictureId + 1) & wire::kVp8PictureIdMask);
    std::array<std::uint8_t, kMaxPayloadBytes> payload{};
    for (std::size_t i = 0; i < packetizer.packetCount(); ++i) {
        const auto body = packetizer.writePayload(i, payload);
        wire::RtpHeaderFields header;
        header.marker = packetizer.marker(i);
        header.payloadType = wire::kVp8PayloadType;
        header.sequence = m_sequence;
        header.timestamp = timestamp;
        header.ssrc = m_config.ssrc;
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
        if (packet.empty() || !m_fresh.push(m_sequence)) {
            ++m_stats.sendFailures; // cannot happen with the sizes above; counted if it does
            continue;
        }
        m_cache.put(m_sequence, packet, now);
        ++m_sequence;
    }
}

void VideoSender::onPli() {
    ++m_stats.plisReceived;
    if (m_keyFrameWanted)
        return;
    // One key frame answers every PLI sent before it could arrive.
    if (m_lastKeyFrameAt && m_clock.now() - *m_lastKeyFrameAt < m_config.minKeyFrameInterval)
        return;
    m_keyFrameWanted = true;
}

void VideoSender::onNack(std::uint16_t sequence) {
    ++m_stats.nacksReceived;
    const auto sent = m_cache.sentAt(sequence);
    if (!sent || *sent == Clock::TimePoint::min()) {
        ++m_stats.nacksNotInCache; // gone, or not even sent once yet (it is on its way)
        return;
    }
    if (m_clock.now() - *sent < m_config.minResendInterval)
        return; // just (re)sent: this NACK crossed it
    if (m_clock.now() - m_cache.storedAt(sequence).value_or(*sent) > kMaxResendAge) {
        ++m_stats.nacksNotInCache; // too old to help: the receiver has given up on it
        return;
    }
    m_cache.markSent(sequence, m_clock.now()); // no second resend for a duplicate NACK
    (void)m_resend.push(sequence);
}

Clock::TimePoint VideoSender::nextSendAt() const {
    if (m_fresh.empty() && m_resend.empty())
        return m_nextReportAt.value_or(Clock::TimePoint::max());
    return m_pacerFreeAt;
}

void VideoSender::transmit(PacketTransport& transport, std::uint16_t sequence,
                           bool retransmission) {
    const auto packet = m_cache.find(sequence);
    if (!packet)
        return;
    const auto now = m_clock.now();
    m_cache.markSent(sequence, now);
    if (transport.send(*packet) != SendStatus::Sent) {
        ++m_stats.sendFailures;
    } else if (retransmission) {
        ++m_stats.retransmissions;
    } else {
        ++m_stats.packetsSent;
        m_stats.bytesSent += packet->size();
        ++m_reportPackets;
        m_reportOctets += static_cast<std::uint32_t>(packet->size() - wire::kRtpHeaderBytes);
    }
    // The packet occupies the link for size / pacing rate.
    const double rateBps = m_config.pacingFactor * m_encoder.config().bitrateBps;
    const auto cost = std::chrono::duration_cast<Clock::Duration>(
        std::chrono::duration<double>(static_cast<double>(packet->size()) * 8.0 / rateBps));
    m_pacerFreeAt = std::max(m_pacerFreeAt, now - kPacerBurst) + cost;
}

void VideoSender::flush(PacketTransport& transport) {
    auto now = m_clock.now();
    while (now >= m_pacerFreeAt && (!m_resend.empty() || !m_fresh.empty())) {
        SequenceQueue& queue = m_resend.empty() ? m_fresh : m_resend;
        const std::uint16_t sequence = queue.front();
        queue.pop();
        transmit(transport, sequence, &queue == &m_resend);
    }
    if (!m_firstCaptureUnixMs)
        return;
    if (!m_nextReportAt)
        m_nextReportAt = now;
    if (now >= *m_nextReportAt) {
        const std::int64_t unixMs = m_clock.unixMs();
        wire::SenderReport report{m_config.ssrc, wire::ntpFromUnixMs(unixMs),
                                  rtpTimestampAt(unixMs), m_reportPackets, m_reportOctets};
        const auto bytes = wire::writeSenderReport(report, m_packet);
        if (!bytes.empty() && transport.send(bytes) == SendStatus::Sent)
            ++m_stats.senderReports;
        *m_nextReportAt = now + m_config.senderReportInterval;
    }
}

} // namespace diyuma::core
