#pragma once
// The data RelayCore keeps per conference and per participant. Internal to RelayCore (it is
// public only so RelayCore.h can hold it by value); tests look at it through
// RelayCore::conferenceInfo().
//
// Thread: owned by RelayCore, touched only on the relay's I/O thread.

#include "diyuma/cc/BandwidthEstimator.h"
#include "diyuma/cc/TransportFeedbackGenerator.h"
#include "diyuma/crypto/Hmac.h"
#include "diyuma/relay/LayerSelector.h"
#include "diyuma/relay/SocketAddress.h"
#include "diyuma/relay/TokenBucket.h"
#include "diyuma/relay/VideoForwarder.h"
#include "diyuma/util/Clock.h"
#include "diyuma/video/RtpPacketCache.h"
#include "diyuma/wire/Control.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace diyuma::relay {

namespace wire = core::wire;

struct Conference;

/// One roster change waiting for its receiver's cumulative RosterAck.
struct RosterChange {
    std::uint32_t seq = 0;
    wire::RosterOp op = wire::RosterOp::Upsert;
    std::uint32_t participantId = 0;
    std::uint8_t flags = 0;
    std::string name; ///< empty for Remove
    wire::StreamList streams;
};

/// What a stream sends per temporal layer, from the bytes of the last 1 to 2 s (two windows:
/// a base layer has only a few frames a second), by the layer its frame marking names (layer
/// 0 without one).
class LayerRateMeter {
public:
    static constexpr auto kWindow = std::chrono::seconds(1);
    void add(std::uint8_t temporalId, std::size_t bytes, core::Clock::TimePoint now) {
        rotate(now);
        const std::size_t t = std::min<std::size_t>(temporalId, 2);
        m_current[t] += bytes;
    }
    [[nodiscard]] LayerRates rates(core::Clock::TimePoint now) {
        rotate(now);
        LayerRates out;
        const double seconds = static_cast<double>((now - m_windowStart + kWindow).count()) / 1e6;
        double sum = 0;
        for (std::size_t t = 0; t < 3; ++t) {
            sum += static_cast<double>(m_previous[t] + m_current[t]) * 8.0;
            out.cumulativeBps[t] = static_cast<int>(sum / std::max(seconds, 0.001));
        }
        return out;
    }

private:
    void rotate(core::Clock::TimePoint now) {
        if (!m_started) {
            m_started = true;
            m_windowStart = now;
        }
        while (now - m_windowStart >= kWindow) {
            m_previous = m_current;
            m_current = {};
            m_windowStart += kWindow;
            if (now - m_windowStart >= kWindow) { // idle for a while: start over
                m_previous = {};
                m_windowStart = now;
            }
        }
    }
    std::array<std::uint64_t, 3> m_current{};
    std::array<std::uint64_t, 3> m_previous{};
    core::Clock::TimePoint m_windowStart{};
    bool m_started = false;
};

/// Whether a participant speaks now, from the rate of its audio packets: Opus with DTX sends
/// 50 a second in speech and one every 400 ms in silence (a muted one sends none). Speaking:
/// at least half the speech rate in the last full 500 ms window, or already in this one.
class SpeechDetector {
public:
    static constexpr auto kWindow = std::chrono::milliseconds(500);
    static constexpr int kSpeechPackets = 12; ///< of 25 in a window
    void onAudioPacket(core::Clock::TimePoint now) {
        rotate(now);
        ++m_current;
    }
    [[nodiscard]] bool speaking(core::Clock::TimePoint now) {
        rotate(now);
        return m_previous >= kSpeechPackets || m_current >= kSpeechPackets;
    }

private:
    void rotate(core::Clock::TimePoint now) {
        if (now - m_windowStart < kWindow)
            return;
        m_previous = now - m_windowStart < 2 * kWindow ? m_current : 0;
        m_current = 0;
        m_windowStart = now;
    }
    int m_current = 0;
    int m_previous = 0;
    core::Clock::TimePoint m_windowStart{};
};

/// One announced video stream of a participant, with what the relay keeps for it.
struct VideoStream {
    std::uint32_t ssrc = 0;
    std::uint8_t layer = 0;   ///< simulcast layer as announced (0 lowest)
    std::uint16_t height = 0; ///< as announced
    /// The last packets, to answer receivers' NACKs without loading the sender's uplink.
    std::unique_ptr<core::RtpPacketCache> cache;
    /// When a PLI for this stream last went to the sender (PLIs within kPliCoalesce of it
    /// are answered by the same key frame and not passed on).
    std::optional<core::Clock::TimePoint> lastPliAt;
    /// The highest sequence number forwarded so far (valid once `anyForwarded`).
    std::uint16_t highestSequence = 0;
    bool anyForwarded = false;
    /// At the last private-view switch: the highest sequence number forwarded under the old
    /// rule. Packets up to it (NACK answers, the sender's resends, late arrivals) are never
    /// given to anyone the switch let in (RelayCore::kSwitchMarkHorizon after the switch).
    std::optional<std::uint16_t> switchMark;
    core::Clock::TimePoint switchedAt{};
    LayerRateMeter rates;
    /// Whether the sender sends it (RelayCore::kSilentLayerAfter): when its last packet came,
    /// since when LayersWanted asks for it, and until when it counts as off at the sender
    /// (wanted, yet silent while a lower stream is not: its uplink cannot carry it).
    std::optional<core::Clock::TimePoint> lastPacketAt;
    std::optional<core::Clock::TimePoint> wantedSince;
    core::Clock::TimePoint offUntil{};
    /// The sender's own word (LayersAvailable): its uplink or its user's cap does not allow
    /// this stream now. Off until it says otherwise.
    bool unavailableAtSender = false;
    [[nodiscard]] bool available(core::Clock::TimePoint now) const {
        return now >= offUntil && !unavailableAtSender;
    }
    /// A new packet of it came less than `window` before `now`.
    [[nodiscard]] bool sentWithin(core::Clock::TimePoint now, core::Clock::Duration window) const {
        return lastPacketAt && now - *lastPacketAt < window;
    }
    /// True if `sequence` was forwarded under the rule before the last switch.
    [[nodiscard]] bool beforeSwitch(std::uint16_t sequence, core::Clock::TimePoint now,
                                    core::Clock::Duration horizon) const {
        return switchMark && now - switchedAt < horizon &&
               static_cast<std::int16_t>(sequence - *switchMark) <= 0;
    }
};

/// One receiver's view of one sender's video: which simulcast stream and temporal layers it
/// gets (by its share of its downlink and its subscription), all sent as one stream with the
/// SSRC of the sender's lowest layer.
struct ReceivedVideo {
    ReceivedVideo(std::uint32_t sender, std::uint32_t ssrc, std::size_t streams)
        : senderId(sender), visibleSsrc(ssrc), forwarder(streams) {}
    std::uint32_t senderId = 0;
    std::uint32_t visibleSsrc = 0;
    VideoForwarder forwarder;
};

struct Participant {
    std::uint32_t id = 0;
    SocketAddress address;
    Conference* conference = nullptr; ///< the conference that owns this participant
    wire::Role role = wire::Role::Member;
    std::string name;
    wire::StreamList streams;
    /// The video entries of `streams`, lowest simulcast layer first.
    std::vector<VideoStream> videoStreams;
    /// The last LayersWanted sent to this participant, and when the next is due.
    std::optional<std::uint8_t> layersWantedSent;
    core::Clock::TimePoint nextLayersWantedAt{};
    std::uint8_t selfFlags = 0; ///< set by the participant (SelfState): AudioMuted
    /// Set by the admin (MuteParticipant): MutedByAdmin, UnmuteLocked.
    std::uint8_t adminFlags = 0;
    core::Clock::TimePoint lastHeard{};
    SpeechDetector speech;       ///< from its audio packets (weighs its video for receivers)
    TokenBucket mediaPackets;    ///< RelayConfig::mediaPacketRate
    TokenBucket mediaBytes;      ///< RelayConfig::mediaByteRate
    TokenBucket selfStates;      ///< kSelfStateRate: each change is announced to everyone
    TokenBucket retransmissions; ///< RelayCore::kRetransmissionRate: cache answers to them
    /// Arrivals of this participant's RTP by transport-wide sequence number, reported back
    /// to it (its uplink estimate). Made at join: nothing is allocated per packet.
    std::unique_ptr<core::cc::TransportFeedbackGenerator> uplinkFeedback;
    /// This participant as a receiver: what the relay sends it carries the relay's own
    /// transport-wide sequence numbers, and its feedback feeds this estimate of its downlink.
    std::unique_ptr<core::cc::BandwidthEstimator> downlink;
    std::uint16_t nextDownlinkSequence = 1;
    std::uint16_t nextProbeSequence = 0;
    core::Clock::TimePoint nextReceiveReportAt{};
    /// Its Subscribe: the largest picture height wanted per sender listed, and from everyone
    /// else (replaced by each one).
    std::vector<wire::SubscriptionEntry> subscriptions;
    std::uint16_t defaultMaxHeight = 0xFFFF;
    TokenBucket subscribes;      ///< RelayCore::kSubscribeRate
    TokenBucket layersAvailable; ///< RelayCore::kLayersAvailableRate
    /// As a receiver: every other participant's video streams (kept in step with joins and
    /// leaves, so forwarding allocates nothing).
    std::vector<std::unique_ptr<ReceivedVideo>> receivedVideo;
    [[nodiscard]] ReceivedVideo* receivedVideoFrom(std::uint32_t senderId) const {
        for (const auto& r : receivedVideo)
            if (r->senderId == senderId)
                return r.get();
        return nullptr;
    }
    /// The height limit this receiver set for `senderId` (kNoHeightLimit if none).
    static constexpr std::uint16_t kNoHeightLimit = 0xFFFF;
    [[nodiscard]] std::uint16_t maxHeightFrom(std::uint32_t senderId) const {
        for (const auto& s : subscriptions)
            if (s.participantId == senderId)
                return s.maxHeight;
        return defaultMaxHeight;
    }

    // Reliable roster delivery to this participant.
    std::uint32_t nextRosterSeq = 1; ///< seq of the next change queued for it
    std::deque<RosterChange> unackedRoster;
    core::Clock::TimePoint nextRosterResendAt{};

    /// Gives `change` the next seq, queues it until acked and returns the queued copy. The
    /// resend timer starts when the queue was empty (later changes do not postpone it).
    RosterChange& enqueueRoster(RosterChange change, core::Clock::TimePoint now,
                                std::chrono::milliseconds resendInterval);
    /// Cumulative ack: drops every queued change with seq <= ackedSeq.
    void ackRoster(std::uint32_t ackedSeq);
    /// The roster entry describing this participant (an Upsert; seq is set when queued).
    [[nodiscard]] RosterChange rosterUpsert() const;

    [[nodiscard]] bool isAdmin() const { return role == wire::Role::Admin; }
    /// The announced stream with this SSRC, if any.
    [[nodiscard]] const wire::StreamInfo* findStream(std::uint32_t ssrc) const;
    [[nodiscard]] VideoStream* findVideo(std::uint32_t ssrc);

    /// wire::ParticipantFlags bits for this participant's roster entry.
    [[nodiscard]] std::uint8_t rosterFlags() const {
        const auto admin = role == wire::Role::Admin
                               ? static_cast<std::uint8_t>(wire::ParticipantFlags::Admin)
                               : std::uint8_t{0};
        return static_cast<std::uint8_t>(admin | selfFlags | adminFlags);
    }
    /// The admin muted this participant and does not let them unmute.
    [[nodiscard]] bool unmuteLocked() const {
        return (adminFlags & static_cast<std::uint8_t>(wire::ParticipantFlags::UnmuteLocked)) != 0;
    }
};

struct Conference {
    std::uint64_t id = 0;
    core::Sha256Digest verifier{};
    std::uint32_t flags = 0;
    std::int64_t createdUnixMs = 0;
    std::int64_t lastActiveUnixMs = 0;
    bool everJoined = false;
    /// Unused conferences: removed at this monotonic time (creation + unused TTL).
    core::Clock::TimePoint unusedExpiresAt{};
    /// Used conferences: when the last participant left (valid while participants is empty).
    core::Clock::TimePoint emptySince{};
    std::uint32_t nextParticipantId = 1;

    std::vector<std::unique_ptr<Participant>> participants; ///< in join order
    /// Where removed participants were: Joins from these IP addresses (any port) are refused
    /// until `until`, unless they prove they are admins. Not kept in the state file.
    struct RejoinBan {
        SocketAddress host; ///< the port is not compared
        core::Clock::TimePoint until{};
    };
    std::vector<RejoinBan> bans;
    /// Whether a Join from `from` is refused now (drops expired bans on the way).
    [[nodiscard]] bool banned(const SocketAddress& from, core::Clock::TimePoint now);
    /// The participant with this ID, if any.
    [[nodiscard]] Participant* find(std::uint32_t participantId) const;
    /// The forwarding list: participants' addresses in the same order, rebuilt on every join
    /// and leave so forwarding walks one flat array.
    std::vector<SocketAddress> destinations;

    [[nodiscard]] bool privateView() const {
        return (flags & static_cast<std::uint32_t>(wire::ConferenceFlags::PrivateView)) != 0;
    }
    /// Private view: a non-admin's video reaches admins only; an admin's reaches everyone.
    [[nodiscard]] bool mayReceiveVideo(const Participant& from, const Participant& to) const {
        return !privateView() || from.isAdmin() || to.isAdmin();
    }
    /// The participant that announced `ssrc`, if any.
    [[nodiscard]] Participant* ownerOf(std::uint32_t ssrc) const;

    /// Appends a participant (and its address to the forwarding list); returns it.
    Participant& add(std::unique_ptr<Participant> participant);
    /// Removes and destroys `participant` and rebuilds the forwarding list.
    void remove(const Participant& participant);
};

} // namespace diyuma::relay
