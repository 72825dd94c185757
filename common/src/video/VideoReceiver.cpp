#include "diyuma/video/VideoReceiver.h"

#include "diyuma/wire/RtcpFeedback.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace diyuma::core {

namespace {
constexpr double kMinFreezeMs = 200.0;
constexpr double kFreezeIntervals = 3.0;
} // namespace

Result<std::unique_ptr<VideoReceiver>>
VideoReceiver::create(const Clock& clock, std::uint32_t remoteSsrc, std::uint32_t localSsrc) {
    auto decoder = Vp8Decoder::create();
    if (!decoder)
        return decoder.error();
    return std::unique_ptr<VideoReceiver>(
        new VideoReceiver(clock, remoteSsrc, localSsrc, std::move(decoder.value())));
}

VideoReceiver::VideoReceiver(const Clock& clock, std::uint32_t remoteSsrc, std::uint32_t localSsrc,
                             Vp8Decoder decoder)
    : m_clock(clock), m_remoteSsrc(remoteSsrc), m_localSsrc(localSsrc), m_assembler(clock),
      m_decoder(std::move(decoder)) {
    m_nacks.reserve(256);
    m_frame.data.reserve(64 * 1024);
    m_stats.sizes.reserve(VideoReceiveStats::kMaxSizeChanges);
}

void VideoReceiver::onRtp(const wire::RtpPacketView& packet, std::size_t packetBytes) {
    const auto now = m_clock.now();
    if (!m_firstPacketAt) {
        m_firstPacketAt = now;
        m_stats.firstPacketUnixMs = m_clock.unixMs();
    }
    m_lastPacketAt = now;
    m_stats.bytesReceived += packet.payload.size();
    m_stats.rtpBytesReceived += packetBytes;
    m_assembler.insert(packet.sequence, packet.timestamp, packet.marker, packet.payload);
}

void VideoReceiver::noteShown(Clock::TimePoint at) {
    if (m_lastShownAt) {
        const double gapMs = std::chrono::duration<double, std::milli>(at - *m_lastShownAt).count();
        if (gapMs >= kMinFreezeMs && gapMs > kFreezeIntervals * m_frameIntervalMs) {
            ++m_stats.freezes;
            m_stats.longestFreezeMs = std::max(m_stats.longestFreezeMs, gapMs);
        } else {
            // Follow the stream's frame rate, but let no freeze into it.
            m_frameIntervalMs = 0.9 * m_frameIntervalMs + 0.1 * gapMs;
        }
    }
    m_lastShownAt = at;
}

void VideoReceiver::show(VideoFrameSink* sink, std::uint32_t participantId, std::string_view name,
                         const VideoFrame& picture, std::span<const std::uint8_t> encoded,
                         bool keyFrame, std::uint32_t rtpTimestamp, Clock::Duration hold) {
    noteShown(m_clock.now());
    m_stats.syncHoldMs = std::chrono::duration<double, std::milli>(hold).count();
    if (sink != nullptr)
        sink->onVideoFrame(ReceivedVideoFrame{participantId, name, &picture, encoded, keyFrame,
                                              rtpTimestamp, m_clock.unixMs()});
}

void VideoReceiver::showHead(VideoFrameSink* sink, std::uint32_t participantId,
                             std::string_view name) {
    Held& held = m_held[m_heldHead];
    show(sink, participantId, name, held.picture, held.encoded, held.keyFrame, held.rtpTimestamp,
         held.hold);
    m_heldHead = (m_heldHead + 1) % kMaxHeld;
    --m_heldCount;
}

void VideoReceiver::poll(PacketTransport& transport, VideoFrameSink* sink,
                         std::uint32_t participantId, std::string_view name, const LipSync* sync) {
    while (m_assembler.popFrame(m_frame)) {
        if (m_frame.keyFrame &&
            (m_frame.width > kMaxVideoWidth || m_frame.height > kMaxVideoHeight)) {
            // A size we never send: decoding it would cost hundreds of MB.
            ++m_stats.decodeFailures;
            m_assembler.requestKeyFrame();
            continue;
        }
        const auto started = std::chrono::steady_clock::now();
        auto shown = m_decoder.decode(m_frame.data, m_picture);
        m_stats.decodeMsTotal +=
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                .count();
        if (!shown) {
            ++m_stats.decodeFailures;
            m_assembler.requestKeyFrame();
            continue;
        }
        if (!shown.value())
            continue;
        ++m_stats.framesDecoded;
        if (m_picture.width() != m_stats.width || m_picture.height() != m_stats.height) {
            if (m_stats.width != 0) // not the first picture
                ++m_stats.layerSwitches;
            if (m_stats.sizes.size() < VideoReceiveStats::kMaxSizeChanges)
                m_stats.sizes.push_back({m_clock.unixMs(), m_picture.width(), m_picture.height()});
            m_stats.width = m_picture.width();
            m_stats.height = m_picture.height();
        }
        const auto now = m_clock.now();
        const Clock::Duration hold =
            sync != nullptr ? sync->holdFor(m_frame.rtpTimestamp, now) : Clock::Duration::zero();
        if (hold == Clock::Duration::zero() && m_heldCount == 0) {
            show(sink, participantId, name, m_picture, m_frame.data, m_frame.keyFrame,
                 m_frame.rtpTimestamp, hold);
            continue;
        }
        if (m_heldCount == kMaxHeld)
            showHead(sink, participantId, name); // no room: the oldest goes early
        Held& held = m_held[(m_heldHead + m_heldCount) % kMaxHeld];
        if (held.picture.width() != m_picture.width() ||
            held.picture.height() != m_picture.height())
            held.picture.resize(m_picture.width(), m_picture.height());
        std::copy(m_picture.data().begin(), m_picture.data().end(), held.picture.data().begin());
        held.encoded.assign(m_frame.data.begin(), m_frame.data.end());
        held.keyFrame = m_frame.keyFrame;
        held.rtpTimestamp = m_frame.rtpTimestamp;
        held.showAt = now + hold;
        held.hold = hold;
        ++m_heldCount;
    }
    // In order: a picture never overtakes an earlier one (the hold changes slowly).
    while (m_heldCount > 0 && m_held[m_heldHead].showAt <= m_clock.now())
        showHead(sink, participantId, name);
    m_nacks.clear();
    m_assembler.collectNacks(m_nacks);
    std::span<const std::uint16_t> pending(m_nacks);
    while (!pending.empty()) {
        std::size_t covered = 0;
        const auto nack = wire::writeNack(m_localSsrc, m_remoteSsrc, pending, m_rtcp, covered);
        if (nack.empty() || covered == 0)
            break;
        (void)transport.send(nack);
        pending = pending.subspan(covered);
    }
    if (m_assembler.takeKeyFrameRequest()) {
        const auto pli = wire::writePli(m_localSsrc, m_remoteSsrc, m_rtcp);
        (void)transport.send(pli);
    }
}

void accumulate(VideoReceiveStats& into, const VideoReceiveStats& from) {
    auto& a = into.assembly;
    const auto& b = from.assembly;
    a.packetsReceived += b.packetsReceived;
    a.packetsDuplicate += b.packetsDuplicate;
    a.packetsLate += b.packetsLate;
    a.packetsMalformed += b.packetsMalformed;
    a.packetsRecovered += b.packetsRecovered;
    a.nacksSent += b.nacksSent;
    a.framesAssembled += b.framesAssembled;
    a.keyFrames += b.keyFrames;
    a.framesDropped += b.framesDropped;
    a.keyFrameRequests += b.keyFrameRequests;
    a.gapsGivenUp += b.gapsGivenUp;
    a.bufferResets += b.bufferResets;
    into.framesDecoded += from.framesDecoded;
    into.decodeFailures += from.decodeFailures;
    into.bytesReceived += from.bytesReceived;
    into.rtpBytesReceived += from.rtpBytesReceived;
    if (from.firstPacketUnixMs &&
        (!into.firstPacketUnixMs || *from.firstPacketUnixMs < *into.firstPacketUnixMs))
        into.firstPacketUnixMs = from.firstPacketUnixMs;
    into.receiveSpanMs += from.receiveSpanMs;
    into.layerSwitches += from.layerSwitches;
    for (const auto& size : from.sizes) {
        if (into.sizes.size() >= VideoReceiveStats::kMaxSizeChanges)
            break;
        into.sizes.push_back(size);
    }
    into.freezes += from.freezes;
    into.longestFreezeMs = std::max(into.longestFreezeMs, from.longestFreezeMs);
    into.decodeMsTotal += from.decodeMsTotal;
    into.syncHoldMs = from.syncHoldMs;
    if (from.width > 0) { // the latest stream that showed a picture
        into.width = from.width;
        into.height = from.height;
    }
}

VideoReceiveStats VideoReceiver::stats() const {
    VideoReceiveStats out = m_stats;
    out.assembly = m_assembler.counters();
    if (m_firstPacketAt)
        out.receiveSpanMs =
            std::chrono::duration<double, std::milli>(m_lastPacketAt - *m_firstPacketAt).count();
    return out;
}

} // namespace diyuma::core
