#pragma once
// Diyuma control messages (docs/PROTOCOL.md, "Control messages").
//
// All control messages share one UDP port with RTP/RTCP and are told apart by their first
// byte (RFC 7983 style demultiplexing: 0x0D lies in the range 4..15 that RFC 7983 leaves
// unassigned). Every message starts with this 8-byte header:
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  | magic = 0x0D  |  version = 1  |     type      |  flags (0)    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                        request id                             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                  body (layout fixed per type)  ...            |
//
// All integers are big-endian. A body must be exactly as long as its type says (trailing
// bytes are malformed), except Hello, which is padded with zeros to kHelloMinBytes.
// Parsers never allocate: strings are views into the input buffer.
//
// Thread: all functions are pure and may be called from any thread.

#include "diyuma/wire/Limits.h"

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>

namespace diyuma::core::wire {

inline constexpr std::uint8_t kControlMagic = 0x0D;
inline constexpr std::uint8_t kProtocolVersion = 1;
inline constexpr std::size_t kControlHeaderBytes = 8;
inline constexpr std::size_t kCookieBytes = 20;
inline constexpr std::size_t kAdminSecretBytes = 16;
inline constexpr std::size_t kAdminProofBytes = 32;

/// Control message types. Append-only: values are never reused.
enum class MessageType : std::uint8_t {
    Hello = 1,              ///< client -> relay: ask for an address-validation cookie (padded)
    Cookie = 2,             ///< relay -> client: the cookie (stateless, bound to address and time)
    Create = 3,             ///< client -> relay: create a conference
    Created = 4,            ///< relay -> client: conference ID and admin secret
    Join = 5,               ///< client -> relay: join a conference
    Joined = 6,             ///< relay -> client: join accepted
    Roster = 7,             ///< relay -> client: one roster change, reliable (seq + ack + resend)
    RosterAck = 8,          ///< client -> relay: cumulative acknowledgement of roster changes
    Ping = 9,               ///< client -> relay: keepalive carrying a timestamp to echo
    Pong = 10,              ///< relay -> client: the echoed timestamp (RTT)
    Leave = 11,             ///< client -> relay: leaving the conference
    Error = 12,             ///< relay -> client: an error code and a reason
    SelfState = 13,         ///< client -> relay: our own changeable flags (microphone muted)
    SetPrivateView = 14,    ///< admin -> relay: switch private view on or off
    RemoveParticipant = 15, ///< admin -> relay: remove a participant (who may not come back soon)
    MuteParticipant = 16,   ///< admin -> relay: mute a participant, or let them unmute again
    Subscribe = 17,         ///< client -> relay: the largest picture wanted from each sender
    ReceiveReport = 18,     ///< relay -> client: its downlink estimate, what it gets from whom
    LayersWanted = 19,      ///< relay -> client: which of its simulcast layers anyone receives
    LayersAvailable = 20,   ///< client -> relay: which of its simulcast layers it can send now
    // Reserved (docs/PROTOCOL.md section 14): 21..31 further quality and admin messages.
};

/// Error codes carried by an Error message. Append-only.
enum class ErrorCode : std::uint16_t {
    UnknownConference = 1,
    ConferenceFull = 2,
    BadProof = 3,
    UnsupportedVersion = 4,
    Malformed = 5,
    BadCookie = 6, ///< cookie missing, forged or expired: send Hello again
    RateLimited = 7,
    TooManyConferences = 8,
    NotJoined = 9, ///< a message that needs a joined session came from an unknown address
    Internal = 10,
    GoingAway = 11, ///< the relay is shutting down (to every participant): reconnect
    NotAdmin = 12,  ///< an admin action from a participant who is not an admin
    /// To a participant the admin removed, and to a Join from where a removed participant
    /// was, while the rejoin ban lasts.
    Removed = 13,
};

/// Conference flags (Create, Created, Joined). Unknown bits must be zero in version 1.
enum class ConferenceFlags : std::uint32_t {
    None = 0,
    PrivateView = 1u << 0,
};

/// Why a parse failed; counted per reason by whoever parses.
enum class ParseError : std::uint8_t {
    None = 0,
    Truncated,          ///< fewer bytes than the layout needs
    TrailingBytes,      ///< more bytes than the layout allows
    TooLarge,           ///< datagram larger than kMaxDatagramBytes
    BadMagic,           ///< first byte is not kControlMagic
    UnsupportedVersion, ///< version byte is not kProtocolVersion
    UnknownType,        ///< type not known to this version
    BadField,           ///< a field has a value the protocol forbids (e.g. empty name)
};
inline constexpr std::size_t kParseErrorCount = 8;
[[nodiscard]] std::string_view toString(ParseError error);
[[nodiscard]] std::string_view toString(ErrorCode code);

using Cookie = std::array<std::uint8_t, kCookieBytes>;
using AdminSecret = std::array<std::uint8_t, kAdminSecretBytes>;
using AdminProof = std::array<std::uint8_t, kAdminProofBytes>;

enum class MediaKind : std::uint8_t { Audio = 0, Video = 1 };

/// One announced media stream: its SSRC, kind, simulcast layer (0 = lowest/only) and, for
/// video, the picture height the layer is sent at (what a Subscribe's maxHeight compares
/// with; 0 for audio or when unknown).
struct StreamInfo {
    std::uint32_t ssrc = 0;
    MediaKind kind = MediaKind::Audio;
    std::uint8_t layer = 0;
    std::uint16_t height = 0;
    bool operator==(const StreamInfo&) const = default;
};

/// A fixed-capacity list of streams (no allocation while parsing).
struct StreamList {
    std::array<StreamInfo, kMaxSsrcsPerParticipant> items{};
    std::uint8_t count = 0;
    [[nodiscard]] std::span<const StreamInfo> view() const { return {items.data(), count}; }
};

struct HelloMsg {};
struct CookieMsg {
    Cookie cookie{};
};
struct CreateMsg {
    Cookie cookie{};
    std::uint32_t flags = 0; ///< ConferenceFlags bits
};
struct CreatedMsg {
    std::uint64_t conferenceId = 0; ///< 60-bit random ID (see id/ConferenceId.h)
    AdminSecret adminSecret{};
    std::uint32_t flags = 0;
};
struct JoinMsg {
    Cookie cookie{};
    std::uint64_t conferenceId = 0;
    bool hasAdminProof = false;
    AdminProof adminProof{}; ///< zeros when hasAdminProof is false
    std::string_view name;   ///< view into the parsed buffer
    StreamList streams;
};
enum class Role : std::uint8_t { Member = 0, Admin = 1 };
struct JoinedMsg {
    std::uint32_t participantId = 0;
    Role role = Role::Member;
    std::uint32_t flags = 0;
    std::uint16_t keepaliveIntervalMs = 1000;
    std::uint16_t timeoutMs = 10000;
};
/// Upsert and Remove change a participant; Conference announces the conference's flags
/// (participantId 0, `flags` = the low 8 ConferenceFlags bits, no name, no streams).
enum class RosterOp : std::uint8_t { Upsert = 1, Remove = 2, Conference = 3 };
/// Participant flags in a roster entry.
/// MutedByAdmin: AudioMuted was set by the admin (cleared when the participant unmutes);
/// UnmuteLocked: the admin muted them and does not let them unmute (the relay drops their
/// audio and ignores their unmute until the admin allows it).
enum class ParticipantFlags : std::uint8_t {
    None = 0,
    Admin = 1u << 0,
    AudioMuted = 1u << 1,
    MutedByAdmin = 1u << 2,
    UnmuteLocked = 1u << 3,
};
struct RosterMsg {
    std::uint32_t seq = 0; ///< 1, 2, 3... per receiver; delivered in order
    RosterOp op = RosterOp::Upsert;
    std::uint32_t participantId = 0;
    std::uint8_t flags = 0; ///< ParticipantFlags bits
    std::string_view name;  ///< empty for Remove
    StreamList streams;     ///< empty for Remove
};
struct RosterAckMsg {
    std::uint32_t seq = 0; ///< every roster change up to and including seq was applied
};
struct PingMsg {
    std::uint64_t timestampUs = 0; ///< sender's clock, echoed in Pong
};
struct PongMsg {
    std::uint64_t timestampUs = 0;
};
struct LeaveMsg {};
/// The flags a participant may set on itself (today only ParticipantFlags::AudioMuted); the
/// relay applies them and announces the change to everyone with a roster Upsert.
struct SelfStateMsg {
    std::uint8_t flags = 0; ///< ParticipantFlags bits; only AudioMuted is allowed
};
/// Private view on or off (admins only); the relay announces the result to everyone as a
/// roster Conference change.
struct SetPrivateViewMsg {
    bool enabled = false;
};
/// Admins: remove `participantId` from the conference. The relay tells them (Error Removed),
/// announces the removal, and refuses Joins from their IP address for a while.
struct RemoveParticipantMsg {
    std::uint32_t participantId = 0;
};
/// Admins: Mute mutes `participantId` (they may unmute themselves); MuteLocked mutes them
/// until the admin sends Allow, which lets them unmute (it does not unmute them).
enum class AdminMute : std::uint8_t { Allow = 0, Mute = 1, MuteLocked = 2 };
struct MuteParticipantMsg {
    std::uint32_t participantId = 0;
    AdminMute mode = AdminMute::Mute;
};
/// At most this many entries in a Subscribe or a ReceiveReport (a conference may have more
/// participants; the rest keep their defaults).
inline constexpr std::size_t kMaxReportEntries = 64;

/// The largest picture height the subscriber wants from one sender (0: no video from them).
struct SubscriptionEntry {
    std::uint32_t participantId = 0;
    std::uint16_t maxHeight = 0;
    bool operator==(const SubscriptionEntry&) const = default;
};
/// Replaces the sender's previous subscription; participants not listed (also those who
/// join later): `defaultMaxHeight` (0xFFFF: no limit).
struct SubscribeMsg {
    std::uint16_t defaultMaxHeight = 0xFFFF;
    std::array<SubscriptionEntry, kMaxReportEntries> entries{};
    std::uint8_t count = 0;
    [[nodiscard]] std::span<const SubscriptionEntry> view() const {
        return {entries.data(), count};
    }
};

/// Why a receiver gets (or does not get) a sender's video.
enum class ReceiveState : std::uint8_t {
    Forwarding = 0,      ///< the layer named in the entry
    PausedBandwidth = 1, ///< not even the lowest layer fits the receiver's downlink
    PrivateView = 2,     ///< private view withholds it
    NotSubscribed = 3,   ///< the receiver asked for no video from this sender
    NoVideo = 4,         ///< the sender sends none
};
inline constexpr std::uint8_t kNoLayer = 0xFF;
struct ReceiveEntry {
    std::uint32_t participantId = 0; ///< the sender
    ReceiveState state = ReceiveState::NoVideo;
    std::uint8_t spatialLayer = kNoLayer;  ///< the simulcast layer forwarded (0 = lowest)
    std::uint8_t temporalLayer = kNoLayer; ///< the highest temporal layer forwarded
    bool operator==(const ReceiveEntry&) const = default;
};
/// The relay's view of one receiver's downlink, about once a second (not acknowledged).
struct ReceiveReportMsg {
    std::uint32_t downlinkBps = 0; ///< the relay's estimate (0: none yet)
    std::array<ReceiveEntry, kMaxReportEntries> entries{};
    std::uint8_t count = 0;
    [[nodiscard]] std::span<const ReceiveEntry> view() const { return {entries.data(), count}; }
};

/// Which simulcast layers of the client's video at least one receiver gets now or is being
/// switched to (bit k: layer k). The client encodes only these; until the first one arrives,
/// all. Sent when it changes and with every ReceiveReport period (not acknowledged).
struct LayersWantedMsg {
    std::uint8_t layers = 0;
    bool operator==(const LayersWantedMsg&) const = default;
};

/// Which simulcast layers the client can send now, asked for or not (bit k: layer k): its
/// uplink estimate carries them and its user has not capped them. A wanted layer missing here
/// is off at the sender (the relay moves its receivers at once); one listed may be chosen.
/// Sent when it changes and every second (not acknowledged).
struct LayersAvailableMsg {
    std::uint8_t layers = 0;
    bool operator==(const LayersAvailableMsg&) const = default;
};

struct ErrorMsg {
    ErrorCode code = ErrorCode::Malformed;
    MessageType requestType = MessageType::Error; ///< the type of the request that failed
    std::string_view reason;                      ///< UTF-8, at most kMaxReasonBytes
};

using ControlBody =
    std::variant<HelloMsg, CookieMsg, CreateMsg, CreatedMsg, JoinMsg, JoinedMsg, RosterMsg,
                 RosterAckMsg, PingMsg, PongMsg, LeaveMsg, ErrorMsg, SelfStateMsg,
                 SetPrivateViewMsg, RemoveParticipantMsg, MuteParticipantMsg, SubscribeMsg,
                 ReceiveReportMsg, LayersWantedMsg, LayersAvailableMsg>;

struct ControlMessage {
    std::uint32_t requestId = 0; ///< chosen by the requester, echoed in the reply
    ControlBody body;
};

/// The type tag of a body.
[[nodiscard]] MessageType typeOf(const ControlBody& body);

/// Parses one control datagram. On success fills `out` (string views point into `bytes`)
/// and returns ParseError::None; on failure `out` is unspecified.
[[nodiscard]] ParseError parseControl(std::span<const std::uint8_t> bytes, ControlMessage& out);

/// Reads only the 8-byte header (for answering an unsupported version or unknown type with
/// an Error that names the request). Returns false if fewer than 8 bytes or bad magic.
[[nodiscard]] bool peekControlHeader(std::span<const std::uint8_t> bytes, std::uint8_t& version,
                                     std::uint8_t& type, std::uint32_t& requestId);

/// Encodes a control message into `buffer`. Returns the filled part, or an empty span if the
/// message does not fit or a field is invalid (name empty or too long, reason too long,
/// too many streams). A Hello is padded to kHelloMinBytes.
[[nodiscard]] std::span<std::uint8_t> encodeControl(const ControlMessage& message,
                                                    std::span<std::uint8_t> buffer);

/// Encodes an Error whose total size is at most maxBytes (the reason is cut at a UTF-8
/// boundary to fit). Used to answer unvalidated sources without amplification. Returns an
/// empty span if even an empty reason does not fit.
[[nodiscard]] std::span<std::uint8_t> encodeErrorLimited(std::uint32_t requestId,
                                                         const ErrorMsg& error,
                                                         std::size_t maxBytes,
                                                         std::span<std::uint8_t> buffer);

} // namespace diyuma::core::wire
