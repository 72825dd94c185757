#pragma once
// The relay's logic without sockets (docs/PROTOCOL.md, "Flow"): address validation with
// stateless cookies, create/join/leave, roles, reliable roster delivery, keepalive,
// time-outs, conference lifetime, rate limits, and forwarding of RTP/RTCP to every other
// participant of the sender's conference. Every dropped datagram is counted by reason.
//
// Datagrams come in through onDatagram(); everything the core wants sent goes out through a
// PacketSink. Forwarding hands the sink the received bytes themselves (no copy) and
// allocates nothing per packet. Time comes in as `now` (monotonic) plus the injected Clock
// for wall-clock stamps, so tests step time with a fake clock.
//
// Anti-amplification: to a source that has neither a valid cookie in this datagram nor a
// joined session, the core never sends more bytes than that datagram had.
//
// Thread: not thread-safe. One thread (the relay's I/O thread) calls everything, including
// stats(); copy the stats there if another thread wants them.

#include "diyuma/relay/Conference.h"
#include "diyuma/relay/ConferenceStore.h"
#include "diyuma/relay/CookieMinter.h"
#include "diyuma/relay/PacketSink.h"
#include "diyuma/relay/RateLimiter.h"
#include "diyuma/relay/RelayConfig.h"
#include "diyuma/relay/RelayStats.h"
#include "diyuma/relay/SocketAddress.h"
#include "diyuma/util/Clock.h"
#include "diyuma/util/Log.h"
#include "diyuma/wire/Control.h"
#include "diyuma/wire/Limits.h"
#include "diyuma/wire/RtcpFeedback.h"
#include "diyuma/wire/RtpExtensions.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace diyuma::relay {

namespace wire = core::wire;

/// A read-only view of one participant (tests, tools).
struct ParticipantInfo {
    std::uint32_t id = 0;
    SocketAddress address;
    wire::Role role = wire::Role::Member;
    std::string name;
    std::size_t unackedRoster = 0;
};

/// A read-only view of one conference (tests, tools).
struct ConferenceInfo {
    std::uint64_t id = 0;
    std::uint32_t flags = 0;
    bool everJoined = false;
    std::vector<ParticipantInfo> participants; ///< in join order
};

class RelayCore {
public:
    /// How long Joins from where a removed participant was are refused (admins excepted).
    static constexpr auto kRejoinBan = std::chrono::minutes(10);
    using TimePoint = core::Clock::TimePoint;

    /// `clock` gives wall-clock stamps for the state file (monotonic time comes as `now`).
    /// `log` and `store` may be null (no logging; no state file). All must outlive the core.
    RelayCore(RelayConfig config, const core::Clock& clock, core::LogSink* log = nullptr,
              ConferenceStore* store = nullptr);
    ~RelayCore();
    RelayCore(const RelayCore&) = delete;
    RelayCore& operator=(const RelayCore&) = delete;

    /// Start-up: takes the conferences of a loaded state file (before any datagram).
    /// Used conferences get a fresh empty TTL from now, so their clients can rejoin; unused
    /// ones keep their wall-clock deadline (creation + unused TTL). Does not save.
    void restore(std::span<const ConferenceRecord> records, TimePoint now);

    /// One received datagram from `from`. `bytes` must stay valid until the sink has sent
    /// what was forwarded (see PacketSink::forward).
    void onDatagram(const SocketAddress& from, std::span<const std::uint8_t> bytes, TimePoint now,
                    PacketSink& out);

    /// Periodic work (call every ~50 ms): roster resends (every rosterResendInterval),
    /// participant time-outs, conference expiry, pruning of rate limiters and caches.
    void onTimer(TimePoint now, PacketSink& out);

    /// Saves the conference records through the store now (e.g. at shutdown, to keep
    /// lastActiveUnixMs current). Returns false if there is no store or saving failed.
    bool saveState();

    [[nodiscard]] const RelayStats& stats() const { return m_stats; }
    [[nodiscard]] const RelayConfig& config() const { return m_config; }
    [[nodiscard]] std::vector<ConferenceRecord> conferenceRecords() const;
    [[nodiscard]] std::size_t conferenceCount() const { return m_conferences.size(); }
    [[nodiscard]] std::size_t participantCount() const { return m_byAddress.size(); }
    [[nodiscard]] std::optional<ConferenceInfo> conferenceInfo(std::uint64_t id) const;

    /// The cookie minter, so tests can build valid and expired cookies for an address.
    [[nodiscard]] const CookieMinter& cookieMinter() const { return m_cookies; }

    /// Config reload (SIGHUP): takes the limits, rates and time-outs of `config`
    /// (maxConferences, maxParticipantsPerConference, emptyTtl, unusedTtl, participantTimeout,
    /// helloRate, requestRate, mediaPacketRate, mediaByteRate); the rest stays. Nobody is
    /// removed for a lower limit: it applies to the next Create or Join.
    void reconfigure(const RelayConfig& config);

    /// Shutdown: sends Error(GoingAway) to every joined participant (request id 0, request
    /// type Ping) and returns how many were told. Call once, then stop serving.
    std::size_t sendGoingAway(PacketSink& out);

private:
    struct CreateKey {
        SocketAddress address;
        std::uint32_t requestId = 0;
        bool operator==(const CreateKey&) const = default;
    };
    struct CreateKeyHash {
        std::size_t operator()(const CreateKey& key) const noexcept {
            return SocketAddressHash{}(key.address) ^
                   (std::size_t{key.requestId} * 0x9E3779B97F4A7C15ULL);
        }
    };
    struct CreateReplay {
        std::uint64_t conferenceId = 0;
        wire::AdminSecret adminSecret{};
        std::uint32_t flags = 0;
        TimePoint at{};
    };

    /// To every other participant. RTP that carries a transport-wide sequence number (at
    /// `transportSequenceOffset`, 0: none) goes out numbered per receiver (sendRtp).
    void forwardMedia(const Participant& sender, std::span<const std::uint8_t> bytes,
                      PacketSink& out, std::size_t transportSequenceOffset = 0);
    /// Video RTP: cached for NACKs, sent to those private view and their subscription allow.
    void forwardVideo(Participant& sender, VideoStream& stream, std::uint16_t sequence,
                      std::span<const std::uint8_t> bytes, const wire::RtpExtensions& extensions,
                      TimePoint now, PacketSink& out);
    /// Every tick: each sender's stream and temporal layers for this receiver
    /// (VideoForwarder), from its downlink estimate less the audio it receives, shared by the
    /// senders it gets video from; key frame requests for the streams it waits for.
    void selectLayers(Participant& receiver, TimePoint now, PacketSink& out);
    /// Every tick: tells each video sender which of its layers anyone receives (LayersWanted),
    /// when that changed and every kReceiveReportInterval.
    void sendLayersWanted(Participant& sender, TimePoint now, PacketSink& out);
    /// While a receiver waits for a stream's key frame (a switch, a start), the relay asks
    /// again this often: a 720p key frame takes a few hundred milliseconds to arrive.
    static constexpr auto kKeyFrameRetry = std::chrono::milliseconds(500);
    /// A stream with no new packet for this long sends nothing now: it counts at its nominal
    /// rate (VideoForwarder.h), not at what its meter still holds (a base temporal layer
    /// alone has a frame every 133 ms).
    static constexpr auto kNotSendingAfter = std::chrono::milliseconds(500);
    /// A stream LayersWanted has asked for this long that sends nothing for as long, while a
    /// lower stream of the sender does, is off at the sender (its uplink cannot carry it):
    /// its receivers go to one that is sent, and it is not chosen for kSilentLayerRetry.
    static constexpr auto kSilentLayerAfter = std::chrono::seconds(1);
    static constexpr auto kSilentLayerRetry = std::chrono::seconds(10);
    /// The sender's own word (LayersAvailable): a stream it cannot send is off at the sender
    /// (VideoStream::unavailableAtSender) until it says it can again; its lowest stream
    /// always counts as available.
    void onLayersAvailable(Participant& sender, const wire::LayersAvailableMsg& report,
                           TimePoint now);
    /// A client sends LayersAvailable when it changes and every second; its layers switch
    /// on and off with a hold of seconds, so more is abuse.
    static constexpr RateLimit kLayersAvailableRate{4.0, 16.0};
    /// Reserved per audio stream a receiver gets (Opus at up to 64 kbit/s with headers is
    /// about 80; typical speech at 32 kbit/s about 45).
    static constexpr int kAudioReserveBps = 48'000;
    /// How a receiver knows a forwarded RTP packet: its sequence number (renumbered around
    /// what it does not get) and SSRC (a simulcast sender's streams all arrive as its lowest
    /// layer's); the packet's own where unset.
    struct Rewrite {
        std::optional<std::uint16_t> sequence;
        std::optional<std::uint32_t> ssrc;
    };
    /// One RTP packet to one receiver: as it is without a transport-wide sequence number or
    /// rewrite, else a copy with the receiver's next downlink number (told to its estimator).
    void sendRtp(Participant& receiver, std::span<const std::uint8_t> bytes,
                 std::size_t transportSequenceOffset, PacketSink& out, Rewrite rewrite = {});
    /// Always a copy: rewritten as `rewrite` says, with the receiver's next downlink number
    /// if the packet has the field (offset not 0).
    void sendNumbered(Participant& receiver, std::span<const std::uint8_t> bytes,
                      std::size_t transportSequenceOffset, PacketSink& out, Rewrite rewrite = {});
    /// The probe cluster a receiver's downlink estimator asked for, sent at once.
    void sendProbe(Participant& receiver, const core::cc::ProbeRequest& probe, PacketSink& out);
    /// What `receiver` gets from each other participant, and its downlink estimate.
    void sendReceiveReport(const Participant& receiver, PacketSink& out);
    void onSubscribe(Participant& sender, const wire::SubscribeMsg& request, TimePoint now);
    /// A client changes its subscription when its tiles change size: a window being resized
    /// sends a few a second.
    static constexpr RateLimit kSubscribeRate{4.0, 16.0};
    static constexpr auto kReceiveReportInterval = std::chrono::seconds(1);
    /// RTCP, packet by packet: NACK and PLI go to the stream's sender (NACKs answered from
    /// the cache where possible, PLIs coalesced), a sender report of a video stream follows
    /// its stream's policy, everything else goes to everyone.
    void routeRtcp(Participant& sender, std::span<const std::uint8_t> bytes, TimePoint now,
                   PacketSink& out);
    /// `answers` counts the cache answers of the whole datagram (at most kMaxNackAnswers).
    void routeFeedback(Participant& from, std::span<const std::uint8_t> packetBytes,
                       const wire::RtcpPacket& packet, TimePoint now, std::size_t& answers,
                       PacketSink& out);
    /// A PLI of the relay's own (sender SSRC 0) to `sender` for `stream`.
    void requestKeyFrame(const Participant& sender, VideoStream& stream, TimePoint now,
                         PacketSink& out);
    /// PLIs for one stream within this time of the last one forwarded wait for its key frame.
    static constexpr auto kPliCoalesce = std::chrono::milliseconds(200);
    static constexpr std::size_t kRelayCachePackets = 512;
    /// The relay's SSRC in the RTCP it writes itself (PLIs, transport feedback).
    static constexpr std::uint32_t kRelaySsrc = 0;
    /// Shorter than the timer tick (50 ms): a feedback goes out at every tick with news.
    static constexpr auto kTransportFeedbackInterval = std::chrono::milliseconds(20);
    /// Each receiver's downlink estimator: it starts at 2.5 Mbit/s (a 720p stream and audio
    /// fit from the first frame; a weaker link shows in the first second of feedback) and
    /// probes up to 8.
    static constexpr core::cc::BandwidthEstimatorConfig kDownlinkEstimator{50'000, 8'000'000,
                                                                           2'500'000, true};
    /// How long after a private-view switch packets of before it are kept from the newly
    /// allowed (longer than any receiver keeps asking for a packet).
    static constexpr auto kSwitchMarkHorizon = std::chrono::seconds(10);
    /// Answers from the cache per RTCP datagram: a 1200-byte NACK can name 5000 packets, and a
    /// spoofed source would make the relay a reflector.
    static constexpr std::size_t kMaxNackAnswers = 64;
    /// Cache answers per receiver and second: loss of 5 % on four 720p streams asks for
    /// about 30 a second; a receiver asking for far more (a bug, or someone abusing the relay
    /// to load its own downlink and the relay's uplink) is answered no faster than this.
    static constexpr RateLimit kRetransmissionRate{200.0, 400.0};
    /// Packets per compound RTCP datagram the relay takes apart.
    static constexpr std::size_t kMaxRtcpPackets = 16;
    void handleControl(const SocketAddress& from, Participant* sender,
                       std::span<const std::uint8_t> bytes, TimePoint now, PacketSink& out);
    void handleMalformedControl(const SocketAddress& from, const Participant* sender,
                                std::span<const std::uint8_t> bytes, wire::ParseError error,
                                TimePoint now, PacketSink& out);
    void onHello(const SocketAddress& from, std::uint32_t requestId, TimePoint now,
                 PacketSink& out);
    void onCreate(const SocketAddress& from, const Participant* sender, std::uint32_t requestId,
                  const wire::CreateMsg& create, std::size_t requestBytes, TimePoint now,
                  PacketSink& out);
    /// SelfState per participant: a person toggling mute fast stays well inside it.
    static constexpr RateLimit kSelfStateRate{4.0, 8.0};
    void onSelfState(Participant& sender, const wire::SelfStateMsg& state, TimePoint now,
                     PacketSink& out);
    void onSetPrivateView(Participant& sender, std::uint32_t requestId,
                          const wire::SetPrivateViewMsg& request, TimePoint now, PacketSink& out);
    void onRemoveParticipant(Participant& sender, std::uint32_t requestId,
                             const wire::RemoveParticipantMsg& request, TimePoint now,
                             PacketSink& out);
    void onMuteParticipant(Participant& sender, std::uint32_t requestId,
                           const wire::MuteParticipantMsg& request, TimePoint now, PacketSink& out);
    /// The admin-action budget (shared with SelfState) and the admin check; false (with the
    /// drop or the NotAdmin error done) when the request must go no further.
    [[nodiscard]] bool mayAct(Participant& sender, std::uint32_t requestId, wire::MessageType type,
                              bool needsAdmin, TimePoint now, PacketSink& out);
    void onJoin(const SocketAddress& from, Participant* sender, std::uint32_t requestId,
                const wire::JoinMsg& join, std::size_t requestBytes, TimePoint now,
                PacketSink& out);

    Participant& addParticipant(Conference& conference, const SocketAddress& from,
                                const wire::JoinMsg& join, wire::Role role, TimePoint now);
    /// Removes and destroys `participant`; the others get a Roster remove.
    void removeParticipant(Participant& participant, TimePoint now, PacketSink& out);
    void queueRoster(Participant& receiver, RosterChange change, TimePoint now, PacketSink& out);
    void sendRoster(const Participant& receiver, const RosterChange& change, PacketSink& out);
    void sendJoined(const Participant& participant, std::uint32_t requestId, PacketSink& out);
    void sendCreated(const SocketAddress& to, std::uint32_t requestId, const CreateReplay& entry,
                     PacketSink& out);
    void sendControl(const SocketAddress& to, const wire::ControlMessage& message, PacketSink& out);
    /// Sends an Error of at most maxBytes (nothing if even an empty reason does not fit).
    void sendError(const SocketAddress& to, std::uint32_t requestId, wire::ErrorCode code,
                   wire::MessageType requestType, std::string_view reason, std::size_t maxBytes,
                   PacketSink& out);
    void drop(DropReason reason, const SocketAddress& from, TimePoint now);
    void expireConferences(TimePoint now, bool& changed);
    void log(core::LogLevel level, std::string_view text);

    RelayConfig m_config;
    const core::Clock& m_clock;
    core::LogSink* m_log;
    ConferenceStore* m_store;
    CookieMinter m_cookies;
    RateLimiter m_helloLimiter;
    RateLimiter m_requestLimiter;
    RelayStats m_stats;

    std::unordered_map<std::uint64_t, std::unique_ptr<Conference>> m_conferences;
    /// Every joined participant by source address: the one lookup on the forwarding path.
    std::unordered_map<SocketAddress, Participant*, SocketAddressHash> m_byAddress;
    std::unordered_map<CreateKey, CreateReplay, CreateKeyHash> m_recentCreates;

    std::array<std::uint8_t, wire::kMaxDatagramBytes> m_scratch{};
    /// Per-receiver copies of forwarded RTP (sendRtp), apart from m_scratch.
    std::array<std::uint8_t, wire::kMaxDatagramBytes> m_mediaScratch{};
    std::vector<Participant*> m_doomed; ///< reused by onTimer (no allocation per tick)
    /// selectLayers' per-sender shares, reserved for the largest conference.
    std::vector<ShareRequest> m_shareRequests;
    std::vector<int> m_shares;
    std::vector<Participant*> m_watched; ///< per view: its sender, if its video goes there
    TimePoint m_nextPruneAt{};
    std::array<TimePoint, kDropReasonCount> m_lastDropLog{};
};

} // namespace diyuma::relay
