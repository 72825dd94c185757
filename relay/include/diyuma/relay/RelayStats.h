#pragma once
// Counters of the relay: what it received, forwarded and sent, and everything it dropped,
// by reason. RelayCore fills RelayStats, UdpServer fills UdpServerStats; statsToJson() turns
// them into one JSON object (the --stats-interval line, tests, benchmarks).
//
// Thread: plain values, owned and written by the relay's I/O thread; read them there (or
// copy them there and hand the copy on).

#include "diyuma/wire/Control.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace diyuma::relay {

namespace wire = core::wire;

/// Why a datagram was dropped (or a request refused). Append-only; names in toString().
enum class DropReason : std::uint8_t {
    NotJoined,          ///< media or a session message from an address that has not joined
    MalformedControl,   ///< a control datagram the parser rejected (details by ParseError)
    MalformedRtp,       ///< RTP from a participant that parseRtp rejected
    MalformedRtcp,      ///< RTCP from a participant that parseRtcpCompound rejected
    UnknownKind,        ///< first byte matches neither control, RTP nor RTCP
    TooLarge,           ///< datagram over wire::kMaxDatagramBytes
    HelloTooShort,      ///< Hello under wire::kHelloMinBytes: never answered
    BadCookie,          ///< Create/Join with a forged, expired or foreign cookie
    RateLimitedHello,   ///< Hello over the per-IP Hello rate
    RateLimitedRequest, ///< Create/Join over the per-IP request rate
    UnknownConference,  ///< Join of a conference that does not exist
    ConferenceFull,     ///< Join of a conference at --max-participants
    BadProof,           ///< Join with an admin proof that does not match
    TooManyConferences, ///< Create while --max-conferences exist
    UnexpectedControl,  ///< a relay-to-client type (Cookie, Error, ...) sent to the relay
    InvalidAddress,     ///< a source address the relay cannot answer (family, port 0)
    RateLimitedMedia,   ///< media over --max-packets-per-second / --max-bytes-per-second
    RateLimitedControl, ///< SelfState over kSelfStateRate (each change is sent to everyone)
    UnannouncedSsrc,    ///< RTP whose SSRC the sender did not announce, or with another kind's PT
    FeedbackUnroutable, ///< NACK/PLI for a stream nobody (else) sends, or one withheld from them
    DuplicateSsrc,      ///< a Join announcing an SSRC another participant already uses
    RtcpTooManyPackets, ///< a compound RTCP datagram of more than kMaxRtcpPackets packets
    Banned,             ///< a Join from where a removed participant was, while the ban lasts
    AdminMuted,         ///< audio from a participant the admin muted without letting them unmute
};
inline constexpr std::size_t kDropReasonCount = 24;
[[nodiscard]] std::string_view toString(DropReason reason);
// Parse errors and error codes are named in the JSON and metrics by wire::toString.

inline constexpr std::size_t kErrorCodeSlots = 16; ///< ErrorCode values 0..15 are counted

struct RelayStats {
    // Received, by kind.
    std::uint64_t datagramsReceived = 0;
    std::uint64_t bytesReceived = 0;
    std::uint64_t controlReceived = 0;
    std::uint64_t rtpReceived = 0;
    std::uint64_t rtcpReceived = 0;

    // Forwarded media: source datagrams that went out, and the copies sent (one per receiver).
    std::uint64_t rtpForwarded = 0;
    std::uint64_t rtcpForwarded = 0;
    std::uint64_t forwardedPackets = 0;
    std::uint64_t forwardedBytes = 0;
    // Video: copies not sent because of private view; the relay's own feedback work.
    std::uint64_t videoWithheld = 0;
    std::uint64_t nacksReceived = 0;       ///< sequence numbers asked for by receivers
    std::uint64_t retransmissionsSent = 0; ///< answered from the relay's cache
    /// Cached packets not sent again because the asker was over kRetransmissionRate.
    std::uint64_t retransmissionsLimited = 0;
    std::uint64_t nacksForwarded = 0; ///< sequence numbers passed on to the sender
    std::uint64_t plisForwarded = 0;
    std::uint64_t plisCoalesced = 0;      ///< PLIs folded into one already on its way
    std::uint64_t keyFramesRequested = 0; ///< the relay's own PLIs (joins, private view switch)
    // Congestion control (transport-wide sequence numbers and feedback).
    std::uint64_t transportFeedbackSent = 0;     ///< to senders, about their uplink
    std::uint64_t transportFeedbackReceived = 0; ///< from receivers (never forwarded)
    std::uint64_t probesReceived = 0;            ///< probe packets (PT 127): counted, dropped
    std::uint64_t probesSent = 0;                ///< probe packets to receivers (downlink)
    std::uint64_t receiveReportsSent = 0;
    std::uint64_t layersWantedSent = 0; ///< LayersWanted messages to simulcast senders
    /// A receiver's video changed from one simulcast stream of a sender to another.
    std::uint64_t videoStreamSwitches = 0;
    /// A stream found not sent although asked for (RelayCore::kSilentLayerAfter), or one
    /// asked for that its sender said it cannot send (LayersAvailable).
    std::uint64_t videoStreamsOffAtSender = 0;
    std::uint64_t layersAvailableReceived = 0; ///< LayersAvailable messages from senders
    std::uint64_t videoNotSubscribed = 0;      ///< copies not sent: the receiver asked for none
    std::uint64_t videoLayerDropped = 0;   ///< copies not sent: a layer over the receiver's share
    std::uint64_t nacksUntranslatable = 0; ///< NACKed numbers the relay never sent the asker
    /// NACKed packets of a stream the asker is being (or was) switched away from: not answered.
    std::uint64_t nacksOfLeftStream = 0;

    // Control messages sent by the relay.
    std::uint64_t cookiesSent = 0;
    std::uint64_t createdSent = 0;
    std::uint64_t joinedSent = 0;
    std::uint64_t rosterSent = 0;   ///< first transmissions of roster changes
    std::uint64_t rosterResent = 0; ///< retransmissions of unacked roster changes
    std::uint64_t pongsSent = 0;
    std::uint64_t errorsSent = 0;
    std::array<std::uint64_t, kErrorCodeSlots> errorsSentByCode{};
    std::uint64_t controlBytesSent = 0;

    // Drops by reason; malformed control also by parse error.
    std::array<std::uint64_t, kDropReasonCount> dropped{};
    std::array<std::uint64_t, wire::kParseErrorCount> malformedControl{};

    // Events.
    std::uint64_t conferencesCreated = 0;
    std::uint64_t createReplays = 0; ///< retransmitted Creates answered from the cache
    std::uint64_t conferencesExpiredEmpty = 0;
    std::uint64_t conferencesExpiredUnused = 0;
    std::uint64_t participantsJoined = 0;
    std::uint64_t joinReplays = 0; ///< retransmitted Joins answered with the same Joined
    std::uint64_t participantsLeft = 0;
    std::uint64_t participantsTimedOut = 0;
    std::uint64_t participantsRosterOverflow = 0; ///< dropped: too many unacked changes
    std::uint64_t participantsMoved = 0;          ///< an address joined another conference
    std::uint64_t stateSaves = 0;
    std::uint64_t stateSaveFailures = 0;

    // Gauges (current values).
    std::uint64_t conferences = 0;
    std::uint64_t participants = 0;

    [[nodiscard]] std::uint64_t droppedTotal() const;
    [[nodiscard]] std::uint64_t drops(DropReason reason) const {
        return dropped[static_cast<std::size_t>(reason)];
    }
    [[nodiscard]] std::uint64_t malformed(wire::ParseError error) const {
        return malformedControl[static_cast<std::size_t>(error)];
    }
    [[nodiscard]] std::uint64_t errorsSentFor(wire::ErrorCode code) const {
        const auto i = static_cast<std::size_t>(code);
        return i < kErrorCodeSlots ? errorsSentByCode[i] : 0;
    }
};

/// Counters of the socket layer (UdpServer).
struct UdpServerStats {
    std::uint64_t recvCalls = 0;         ///< recvmmsg calls that returned datagrams
    std::uint64_t datagramsReceived = 0; ///< datagrams taken from the socket
    std::uint64_t truncatedReceives = 0; ///< datagrams larger than the receive buffer
    std::uint64_t sendCalls = 0;         ///< sendmmsg calls
    std::uint64_t datagramsSent = 0;     ///< datagrams the kernel accepted
    std::uint64_t sendWouldBlock = 0;    ///< datagrams dropped because the send buffer was full
    std::uint64_t sendErrors = 0;        ///< datagrams dropped by other send errors
    std::uint64_t timerTicks = 0;
    std::uint64_t largestSendBatch = 0;
    std::uint64_t largestRecvBatch = 0;
};

/// One JSON object (compact, one line) with all counters. `io` may be null (core only).
/// Shape: {"received":{...},"forwarded":{...},"sent":{...,"errors":{code:n}},
///         "dropped":{"total":n,reason:n,...,"malformed_control":{parse_error:n}},
///         "events":{...},"conferences":n,"participants":n,"io":{...}}
[[nodiscard]] std::string statsToJson(const RelayStats& core, const UdpServerStats* io = nullptr);

} // namespace diyuma::relay
