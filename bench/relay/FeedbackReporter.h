#pragma once
// A simulated receiver's transport-wide congestion-control feedback (PROTOCOL.md section 10)
// in the relay benchmark's tiers mode: it records the transport-wide sequence number and
// arrival time of every RTP packet the relay numbered for it (forwarded media and probes)
// and, when flushed (every 50 ms by the load generator), reports them in RTPFB FMT 15
// packets built with wire::TransportFeedbackBuilder (sender SSRC = the receiver's audio
// SSRC, media SSRC 0, as clients send it). Numbers skipped between reported ones go out as
// not received; numbers older than the newest reported (late or duplicated) are left out.
//
// Thread: one thread calls everything. Allocation-free after construction (arrivals beyond
// the capacity between two flushes are dropped and counted).

#include "diyuma/wire/TransportFeedback.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace diyuma::bench {

class FeedbackReporter {
public:
    static constexpr std::size_t kCapacity = 8192;

    explicit FeedbackReporter(std::uint32_t senderSsrc) : m_senderSsrc(senderSsrc) {
        m_arrivals.reserve(kCapacity);
    }

    /// A packet numbered `sequence` by the relay arrived at `arrivalUs` (any origin, >= 0).
    void onArrival(std::uint16_t sequence, std::int64_t arrivalUs) {
        if (m_arrivals.size() == kCapacity) {
            ++m_overflow;
            return;
        }
        m_arrivals.push_back({sequence, arrivalUs});
    }

    /// Builds feedback for everything recorded since the last flush, with `builder` (shared:
    /// it is 3 KB), into `buffer`; calls send(std::span<const std::uint8_t>) per packet.
    template <typename F>
    void flush(core::wire::TransportFeedbackBuilder& builder, std::span<std::uint8_t> buffer,
               F&& send);

    [[nodiscard]] std::uint64_t packetsSent() const { return m_packetsSent; }
    [[nodiscard]] std::uint64_t overflow() const { return m_overflow; }

private:
    struct Arrival {
        std::uint16_t sequence;
        std::int64_t arrivalUs;
    };
    std::uint32_t m_senderSsrc;
    std::vector<Arrival> m_arrivals;
    std::optional<std::uint16_t> m_next; ///< the first number not reported yet
    std::uint8_t m_feedbackCount = 0;
    std::uint64_t m_packetsSent = 0;
    std::uint64_t m_overflow = 0;
};

template <typename F>
void FeedbackReporter::flush(core::wire::TransportFeedbackBuilder& builder,
                             std::span<std::uint8_t> buffer, F&& send) {
    bool open = false;
    const auto emit = [&] {
        const auto bytes = builder.write(buffer);
        if (!bytes.empty()) {
            send(std::span<const std::uint8_t>(bytes));
            ++m_packetsSent;
        }
    };
    for (const Arrival& a : m_arrivals) {
        if (m_next && static_cast<std::int16_t>(a.sequence - *m_next) < 0)
            continue; // already reported (as received or lost)
        if (!open) {
            // Start at the first unreported number, so a gap before this arrival is reported
            // lost; a gap wider than one packet can cover starts afresh.
            std::uint16_t base = m_next.value_or(a.sequence);
            if (static_cast<std::uint16_t>(a.sequence - base) >=
                core::wire::TransportFeedbackBuilder::kMaxPackets / 2)
                base = a.sequence;
            builder.begin(m_senderSsrc, 0, base, a.arrivalUs, m_feedbackCount++);
            open = true;
        }
        if (!builder.add(a.sequence, a.arrivalUs)) { // full: the next packet starts here
            emit();
            builder.begin(m_senderSsrc, 0, a.sequence, a.arrivalUs, m_feedbackCount++);
            (void)builder.add(a.sequence, a.arrivalUs);
        }
        m_next = static_cast<std::uint16_t>(a.sequence + 1);
    }
    if (open)
        emit();
    m_arrivals.clear();
}

} // namespace diyuma::bench
