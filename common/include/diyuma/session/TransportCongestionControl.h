#pragma once
// The client's end of transport-wide congestion control, between the call engine and the
// socket (docs/PROTOCOL.md sections 9.1, 9.2 and 10):
//
// - Uplink: every RTP packet that reserved a transport-wide sequence number (audio, video,
//   retransmissions) gets the next number on its way out, and the estimator learns its size
//   and send time. The relay's transport feedback comes back through onFeedback(); the
//   estimate (uplinkEstimate()) is what our encoders may send. Probe clusters the estimator
//   asks for leave as probe packets (PT 127, SSRC 0, zeros) from sendProbes().
// - Downlink: the relay numbers what it forwards to us with its own transport-wide sequence
//   numbers; onDownlinkPacket() records each arrival and sendFeedback() sends the transport
//   feedback (every 50 ms) from which the relay estimates our downlink.
//
// Nothing is allocated per packet.
// Thread: the thread that drives the call engine.

#include "diyuma/cc/BandwidthEstimator.h"
#include "diyuma/cc/TransportFeedbackGenerator.h"
#include "diyuma/net/PacketTransport.h"
#include "diyuma/util/Clock.h"
#include "diyuma/wire/Limits.h"
#include "diyuma/wire/RtcpFeedback.h"

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace diyuma::core {

struct TransportCcStats {
    std::uint64_t packetsNumbered = 0;
    std::uint64_t probePacketsSent = 0;
    std::uint64_t feedbackReceived = 0;
    std::uint64_t feedbackMalformed = 0;
    std::uint64_t downlinkPackets = 0; ///< arrivals numbered by the relay
    std::uint64_t feedbackSent = 0;    ///< about the downlink, to the relay
};

class TransportCongestionControl final : public PacketTransport {
public:
    TransportCongestionControl(const Clock& clock, PacketTransport& inner,
                               cc::BandwidthEstimatorConfig uplink);

    /// PacketTransport: numbers RTP packets that carry the transport-wide sequence number
    /// extension (see wire::kTransportSequenceOffset), passes everything else as it is.
    SendStatus send(std::span<const std::uint8_t> datagram) override;

    /// Transport feedback from the relay about our uplink. False if malformed.
    bool onFeedback(const wire::RtcpPacket& feedback);
    /// An RTP packet from the relay with its transport-wide sequence number, arrived now.
    void onDownlinkPacket(std::uint16_t transportSequence);
    /// Sends the downlink feedback that is due (call every ~10 ms).
    void sendFeedback();
    /// The SSRC our feedback names as its sender (our audio SSRC).
    void setFeedbackSsrc(std::uint32_t ssrc) { m_downlink = cc::TransportFeedbackGenerator(ssrc); }
    /// Sends the probe packets that are due (call often: every loop iteration).
    void sendProbes();
    /// When sendProbes() has something to send next (TimePoint::max() when idle).
    [[nodiscard]] Clock::TimePoint nextProbeAt() const;

    [[nodiscard]] cc::BandwidthEstimate uplinkEstimate() const { return m_uplink.estimate(); }
    [[nodiscard]] int uplinkTargetBps() const { return m_uplink.targetBitrateBps(); }
    void setUplinkMaxBitrate(int bitrateBps) { m_uplink.setMaxBitrate(bitrateBps); }
    [[nodiscard]] const TransportCcStats& stats() const { return m_stats; }

private:
    SendStatus sendNumbered(std::span<const std::uint8_t> datagram, std::size_t offset,
                            int probeCluster);

    const Clock& m_clock;
    PacketTransport& m_inner;
    cc::BandwidthEstimator m_uplink;
    cc::TransportFeedbackGenerator m_downlink{0};
    std::uint16_t m_nextSequence = 1;
    std::uint16_t m_probeRtpSequence = 0;
    std::optional<cc::ProbeRequest> m_probe;
    std::size_t m_probeLeft = 0;
    Clock::TimePoint m_probeNextAt{};
    std::array<std::uint8_t, wire::kMaxDatagramBytes> m_buffer{};
    TransportCcStats m_stats;
};

} // namespace diyuma::core
