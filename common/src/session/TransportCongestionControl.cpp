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
    m_uplink.onPacketSent(sequence, copy.size() + wire::kUdpIpOverheadBytes, probeCluster);
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

void TransportCongestionControl::onDownlinkPacket(std::uint16_t transportSequence) {
    m_downlink.onPacket(transportSequence, m_clock.now());
    ++m_stats.downlinkPackets;
}

void TransportCongestionControl::sendFeedback() {
    const Clock::TimePoint now = m_clock.now();
    std::array<std::uint8_t, wire::kMaxDatagramBytes> buffer{};
    for (auto fb = m_downlink.take(now, buffer); !fb.empty(); fb = m_downlink.take(now, buffer)) {
        (void)m_inner.send(fb);
        ++m_stats.feedbackSent;
    }
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
    const std::size_t bytes = std::clamp<std::size_t>(m_probe->bytes / m_probe->packets,
                                                      wire::kMinProbeBytes, wire::kMaxProbeBytes);
    std::array<std::uint8_t, wire::kMaxDatagramBytes> packet{};
    while (m_probeLeft > 0 && now >= m_probeNextAt) {
        const auto written = wire::writeProbePacket(m_probeRtpSequence++, bytes, packet);
        if (written.empty())
            break;
        (void)sendNumbered(written, wire::kTransportSequenceOffset, m_probe->clusterId);
        ++m_stats.probePacketsSent;
        --m_probeLeft;
        m_probeNextAt += Clock::Duration(static_cast<Clock::Duration::rep>(
            static_cast<double>(bytes + wire::kUdpIpOverheadBytes) * 8e6 / m_probe->bitrateBps));
    }
}

} // namespace diyuma::core
