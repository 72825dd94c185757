#include "diyuma/session/TransportCongestionControl.h"

#include "diyuma/wire/Demux.h"
#include "diyuma/wire/Rtp.h"
#include "diyuma/wire/RtpExtensions.h"

#include <algorithm>

namespace diyuma::core {

TransportCongestionControl::TransportCongestionControl(const Clock& clock, PacketTransport& inner,
                                                       cc::BandwidthEstimatorConfig uplink)
    : m_clock(clock), m_inner(inner), m_uplink(clock, uplink) {}

SendStatus TransportCongestionControl::send(std::span<const std::uint8_t> datagram) {
    if (wire::classify(datagram) != wire::PacketKind::Rtp || datagram.size() > m_buffer.size())
        return m_inner.send(datagram);
    wire::RtpPacketView view;
    wire::RtpExtensions extensions;
    if (wire::parseRtp(datagram, view) != wire::ParseError::None ||
        wire::parseRtpExtensions(view, datagram, extensions) != wire::ParseError::None ||
        !extensions.transportSequence)
        return m_inner.send(datagram);
    return sendNumbered(datagram, extensions.transportSequenceOffset, cc::kNoProbe);
}

SendStatus TransportCongestionControl::sendNumbered(std::span<const std::uint8_t> datagram,
                                                    std::size_t offset, int probeCluster) {
    const std::span<std::uint8_t> copy(m_buffer.data(), datagram.size());
    std::copy(datagram.begin(), datagram.end(), copy.begin());
    const std::uint16_t sequence = m_nextSequence++;
    (void)wire::patchTransportSequence(copy, offset, sequence);
    const SendStatus status = m_inner.send(copy);
    // A datagram the socket refused never reaches the relay: the estimator counts it lost,
    // which is what it is.
    m_uplink.onPacketSent(sequence, copy.size() + kUdpIpOverheadBytes, probeCluster);
    ++m_stats.packetsNumbered;
    return status;
}

bool TransportCongestionControl::onFeedback(const wire::RtcpPacket& feedback) {
    if (!m_uplink.onFeedback(feedback)) {
        ++m_stats.feedbackMalformed;
        return false;
    }
    ++m_stats.feedbackReceived;
    return true;
}

Clock::TimePoint TransportCongestionControl::nextProbeAt() const {
    return m_probeLeft > 0 ? m_probeNextAt : Clock::TimePoint::max();
}

void TransportCongestionControl::sendProbes() {
    const Clock::TimePoint now = m_clock.now();
    if (m_probeLeft == 0) {
        m_probe = m_uplink.takeProbeRequest();
        if (!m_probe)
            return;
        m_probeLeft = m_probe->packets;
        m_probeNextAt = now;
    }
    // A probe packet: RTP PT 127, SSRC 0, the transport-wide sequence number, zeros.
    const std::size_t bytes = std::clamp<std::size_t>(
        m_probe->bytes / m_probe->packets, 100, wire::kMaxDatagramBytes - kUdpIpOverheadBytes);
    std::array<std::uint8_t, wire::kMaxDatagramBytes> packet{};
    while (m_probeLeft > 0 && now >= m_probeNextAt) {
        wire::RtpHeaderFields header;
        header.payloadType = wire::kProbePayloadType;
        header.sequence = m_probeRtpSequence++;
        header.extensions.transportSequence = 0;
        const std::size_t headerBytes =
            wire::kRtpHeaderBytes + wire::rtpExtensionsBytes(header.extensions);
        std::array<std::uint8_t, wire::kMaxDatagramBytes> zeros{};
        const auto written = wire::writeRtp(
            header,
            std::span<const std::uint8_t>(zeros).first(bytes - std::min(bytes, headerBytes)),
            packet);
        if (written.empty())
            break;
        (void)sendNumbered(written, wire::kTransportSequenceOffset, m_probe->clusterId);
        ++m_stats.probePacketsSent;
        --m_probeLeft;
        m_probeNextAt += Clock::Duration(static_cast<Clock::Duration::rep>(
            static_cast<double>(bytes + kUdpIpOverheadBytes) * 8e6 / m_probe->bitrateBps));
    }
}

} // namespace diyuma::core
