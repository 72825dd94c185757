#include "diyuma/wire/Control.h"

#include "diyuma/util/ByteReader.h"
#include "diyuma/util/ByteWriter.h"
#include "diyuma/wire/Text.h"

#include <algorithm>
#include <type_traits>

namespace diyuma::core::wire {

namespace {

// Field rules shared by the parser and the encoder, so that whatever encodeControl writes,
// parseControl accepts (and the other way round: what parses re-encodes to the same bytes,
// except Hello padding).

constexpr std::uint32_t kKnownConferenceFlags =
    static_cast<std::uint32_t>(ConferenceFlags::PrivateView);
constexpr std::uint8_t kKnownParticipantFlags =
    static_cast<std::uint8_t>(ParticipantFlags::Admin) |
    static_cast<std::uint8_t>(ParticipantFlags::AudioMuted) |
    static_cast<std::uint8_t>(ParticipantFlags::MutedByAdmin) |
    static_cast<std::uint8_t>(ParticipantFlags::UnmuteLocked);
constexpr std::uint64_t kConferenceIdLimit = std::uint64_t{1} << 60;
constexpr std::uint8_t kLastKnownType = static_cast<std::uint8_t>(MessageType::LayersAvailable);
constexpr std::size_t kErrorFixedBytes = kControlHeaderBytes + 4;

bool validConferenceFlags(std::uint32_t flags) {
    return (flags & ~kKnownConferenceFlags) == 0;
}
bool validParticipantFlags(std::uint8_t flags) {
    return (flags & ~kKnownParticipantFlags) == 0;
}
bool validConferenceId(std::uint64_t id) {
    return id < kConferenceIdLimit;
}
bool validName(std::string_view name) {
    return !name.empty() && name.size() <= kMaxNameBytes && isValidWireText(name);
}
bool validReason(std::string_view reason) {
    return reason.size() <= kMaxReasonBytes && isValidWireText(reason);
}
bool validKind(MediaKind kind) {
    return kind == MediaKind::Audio || kind == MediaKind::Video;
}
bool validStreams(const StreamList& streams) {
    if (streams.count > kMaxSsrcsPerParticipant)
        return false;
    for (std::size_t i = 0; i < streams.count; ++i) {
        if (!validKind(streams.items[i].kind))
            return false;
        for (std::size_t j = 0; j < i; ++j) {
            if (streams.items[j].ssrc == streams.items[i].ssrc)
                return false; // one SSRC is one stream
        }
    }
    return true;
}
bool isZero(std::span<const std::uint8_t> bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

template <std::size_t N>
void readArray(ByteReader& r, std::array<std::uint8_t, N>& out) {
    const auto b = r.bytes(N);
    if (r.ok())
        std::copy(b.begin(), b.end(), out.begin());
}

// A stream list as it appears in Join and Roster:
//
//   +--------------+-------------------------------------------------------+
//   | count (u8)   | count x { ssrc u32 | kind u8 | layer u8 | height u16 } |
//   +--------------+-------------------------------------------------------+
//
// kind: 0 audio, 1 video; layer: simulcast layer, 0 = lowest/only (any value is carried);
// height: a video layer's picture height (0: audio, or not known).
ParseError readStreams(ByteReader& r, StreamList& out) {
    const std::uint8_t count = r.u8();
    if (!r.ok())
        return ParseError::Truncated;
    if (count > kMaxSsrcsPerParticipant)
        return ParseError::BadField;
    out.count = count;
    for (std::size_t i = 0; i < count; ++i) {
        StreamInfo& s = out.items[i];
        s.ssrc = r.u32();
        const std::uint8_t kind = r.u8();
        s.layer = r.u8();
        s.height = r.u16();
        if (!r.ok())
            return ParseError::Truncated;
        if (kind > static_cast<std::uint8_t>(MediaKind::Video))
            return ParseError::BadField;
        s.kind = static_cast<MediaKind>(kind);
        for (std::size_t j = 0; j < i; ++j) {
            if (out.items[j].ssrc == s.ssrc)
                return ParseError::BadField; // one SSRC is one stream
        }
    }
    return ParseError::None;
}

void writeStreams(ByteWriter& w, const StreamList& streams) {
    w.u8(streams.count);
    for (const StreamInfo& s : streams.view()) {
        w.u32(s.ssrc);
        w.u8(static_cast<std::uint8_t>(s.kind));
        w.u8(s.layer);
        w.u16(s.height);
    }
}

// A length-prefixed UTF-8 string (u8 length, then the bytes). The caller checks the length
// range first (it differs per message); this reads and validates the text.
ParseError readText(ByteReader& r, std::size_t length, std::string_view& out) {
    out = r.text(length);
    if (!r.ok())
        return ParseError::Truncated;
    return isValidWireText(out) ? ParseError::None : ParseError::BadField;
}

// ---- Body parsers. Offsets are from the start of the body (after the 8-byte header). ----

// Cookie (2), 20 bytes:
//   0                   20
//   +-------------------+
//   | cookie[20]        |   opaque to the client; echoed in Create and Join
//   +-------------------+
ParseError parseCookieBody(ByteReader& r, CookieMsg& m) {
    readArray(r, m.cookie);
    return ParseError::None;
}

// Create (3), 24 bytes:
//   0                   20            24
//   +-------------------+-------------+
//   | cookie[20]        | flags u32   |   flags: ConferenceFlags, unknown bits 0
//   +-------------------+-------------+
ParseError parseCreateBody(ByteReader& r, CreateMsg& m) {
    readArray(r, m.cookie);
    m.flags = r.u32();
    if (!r.ok())
        return ParseError::Truncated;
    return validConferenceFlags(m.flags) ? ParseError::None : ParseError::BadField;
}

// Created (4), 28 bytes:
//   0                 8                    24            28
//   +-----------------+--------------------+-------------+
//   | conferenceId u64| adminSecret[16]    | flags u32   |   conferenceId < 2^60
//   +-----------------+--------------------+-------------+
ParseError parseCreatedBody(ByteReader& r, CreatedMsg& m) {
    m.conferenceId = r.u64();
    if (!r.ok())
        return ParseError::Truncated;
    if (!validConferenceId(m.conferenceId))
        return ParseError::BadField;
    readArray(r, m.adminSecret);
    m.flags = r.u32();
    if (!r.ok())
        return ParseError::Truncated;
    return validConferenceFlags(m.flags) ? ParseError::None : ParseError::BadField;
}

// Join (5), 63 + nameLen + 8 * streamCount bytes:
//   0            20                 28          29           61         62
//   +------------+------------------+-----------+------------+----------+------+---------+
//   | cookie[20] | conferenceId u64 | proofFlag | proof[32]  | nameLen  | name | streams |
//   +------------+------------------+-----------+------------+----------+------+---------+
//   proofFlag 0: no proof, proof must be all zeros; 1: proof = adminProof(...).
//   nameLen 1..64; streams: see readStreams (0..8 entries).
ParseError parseJoinBody(ByteReader& r, JoinMsg& m) {
    readArray(r, m.cookie);
    m.conferenceId = r.u64();
    const std::uint8_t proofFlag = r.u8();
    if (!r.ok())
        return ParseError::Truncated;
    if (!validConferenceId(m.conferenceId) || proofFlag > 1)
        return ParseError::BadField;
    m.hasAdminProof = proofFlag == 1;
    readArray(r, m.adminProof);
    if (!r.ok())
        return ParseError::Truncated;
    if (!m.hasAdminProof && !isZero(m.adminProof))
        return ParseError::BadField;
    const std::uint8_t nameLen = r.u8();
    if (!r.ok())
        return ParseError::Truncated;
    if (nameLen == 0 || nameLen > kMaxNameBytes)
        return ParseError::BadField;
    if (auto e = readText(r, nameLen, m.name); e != ParseError::None)
        return e;
    return readStreams(r, m.streams);
}

// Joined (6), 13 bytes:
//   0                  4        5            9                  11            13
//   +------------------+--------+------------+------------------+-------------+
//   | participantId u32| role u8| flags u32  | keepaliveMs u16  | timeoutMs u16|
//   +------------------+--------+------------+------------------+-------------+
//   role: 0 member, 1 admin; flags: ConferenceFlags of the conference.
ParseError parseJoinedBody(ByteReader& r, JoinedMsg& m) {
    m.participantId = r.u32();
    const std::uint8_t role = r.u8();
    if (!r.ok())
        return ParseError::Truncated;
    if (role > static_cast<std::uint8_t>(Role::Admin))
        return ParseError::BadField;
    m.role = static_cast<Role>(role);
    m.flags = r.u32();
    if (!r.ok())
        return ParseError::Truncated;
    if (!validConferenceFlags(m.flags))
        return ParseError::BadField;
    m.keepaliveIntervalMs = r.u16();
    m.timeoutMs = r.u16();
    return ParseError::None;
}

// Roster (7), 12 + nameLen + 8 * streamCount bytes:
//   0         4       5                   9        10        11
//   +---------+-------+-------------------+--------+---------+------+---------+
//   | seq u32 | op u8 | participantId u32 | flags  | nameLen | name | streams |
//   +---------+-------+-------------------+--------+---------+------+---------+
//   op 1 upsert (nameLen 1..64, 0..8 streams), op 2 remove (nameLen 0, streamCount 0),
//   op 3 conference (participantId 0, nameLen 0, streamCount 0, flags = ConferenceFlags).
//   flags: ParticipantFlags (bit 0 admin, bit 1 audio muted, bit 2 muted by the admin, bit 3
//   may not unmute; bits 4..7 must be 0).
ParseError parseRosterBody(ByteReader& r, RosterMsg& m) {
    m.seq = r.u32();
    const std::uint8_t op = r.u8();
    if (!r.ok())
        return ParseError::Truncated;
    if (op != static_cast<std::uint8_t>(RosterOp::Upsert) &&
        op != static_cast<std::uint8_t>(RosterOp::Remove) &&
        op != static_cast<std::uint8_t>(RosterOp::Conference))
        return ParseError::BadField;
    m.op = static_cast<RosterOp>(op);
    m.participantId = r.u32();
    m.flags = r.u8();
    const std::uint8_t nameLen = r.u8();
    if (!r.ok())
        return ParseError::Truncated;
    const bool conference = m.op == RosterOp::Conference;
    if (conference ? (!validConferenceFlags(m.flags) || m.participantId != 0)
                   : !validParticipantFlags(m.flags))
        return ParseError::BadField;
    const bool upsert = m.op == RosterOp::Upsert;
    if (upsert ? (nameLen == 0 || nameLen > kMaxNameBytes) : nameLen != 0)
        return ParseError::BadField;
    if (auto e = readText(r, nameLen, m.name); e != ParseError::None)
        return e;
    if (auto e = readStreams(r, m.streams); e != ParseError::None)
        return e;
    return (upsert || m.streams.count == 0) ? ParseError::None : ParseError::BadField;
}

// RosterAck (8), 4 bytes: | seq u32 |  (cumulative: all changes up to seq were applied)
ParseError parseRosterAckBody(ByteReader& r, RosterAckMsg& m) {
    m.seq = r.u32();
    return ParseError::None;
}

// Ping (9) and Pong (10), 8 bytes: | timestampUs u64 |  (sender's clock, echoed unchanged)
template <typename M>
ParseError parseTimestampBody(ByteReader& r, M& m) {
    m.timestampUs = r.u64();
    return ParseError::None;
}

// Error (12), 4 + reasonLen bytes:
//   0          2               3             4
//   +----------+---------------+-------------+--------+
//   | code u16 | requestType u8| reasonLen u8| reason |   code != 0; reasonLen 0..200
//   +----------+---------------+-------------+--------+
//   Unknown codes are carried (append-only list); requestType may name any type, even one
//   this version does not know (it answers an UnknownType request).
ParseError parseErrorBody(ByteReader& r, ErrorMsg& m) {
    const std::uint16_t code = r.u16();
    const std::uint8_t requestType = r.u8();
    const std::uint8_t reasonLen = r.u8();
    if (!r.ok())
        return ParseError::Truncated;
    if (code == 0 || reasonLen > kMaxReasonBytes)
        return ParseError::BadField;
    m.code = static_cast<ErrorCode>(code);
    m.requestType = static_cast<MessageType>(requestType);
    return readText(r, reasonLen, m.reason);
}

// SelfState (13), 1 byte: | flags u8 |  only ParticipantFlags::AudioMuted may be set.
constexpr std::uint8_t kSelfStateFlags = static_cast<std::uint8_t>(ParticipantFlags::AudioMuted);
ParseError parseSelfStateBody(ByteReader& r, SelfStateMsg& m) {
    m.flags = r.u8();
    if (!r.ok())
        return ParseError::Truncated;
    return (m.flags & ~kSelfStateFlags) == 0 ? ParseError::None : ParseError::BadField;
}

// SetPrivateView (14), 1 byte: | enabled u8 (0 or 1) |
ParseError parseSetPrivateViewBody(ByteReader& r, SetPrivateViewMsg& m) {
    const std::uint8_t enabled = r.u8();
    if (!r.ok())
        return ParseError::Truncated;
    m.enabled = enabled == 1;
    return enabled <= 1 ? ParseError::None : ParseError::BadField;
}

// RemoveParticipant (15), 4 bytes: | participantId u32 (not 0) |
ParseError parseRemoveParticipantBody(ByteReader& r, RemoveParticipantMsg& m) {
    m.participantId = r.u32();
    if (!r.ok())
        return ParseError::Truncated;
    return m.participantId != 0 ? ParseError::None : ParseError::BadField;
}

// MuteParticipant (16), 5 bytes: | participantId u32 (not 0) | mode u8 (AdminMute, 0..2) |
ParseError parseMuteParticipantBody(ByteReader& r, MuteParticipantMsg& m) {
    m.participantId = r.u32();
    const std::uint8_t mode = r.u8();
    if (!r.ok())
        return ParseError::Truncated;
    m.mode = static_cast<AdminMute>(mode);
    return m.participantId != 0 && mode <= 2 ? ParseError::None : ParseError::BadField;
}

// Subscribe (17), 3 + 6n bytes: | defaultMaxHeight u16 | count u8 (0..64) | count x {
// participantId u32 (not 0) | maxHeight u16 } |; a participant at most once.
ParseError parseSubscribeBody(ByteReader& r, SubscribeMsg& m) {
    m.defaultMaxHeight = r.u16();
    m.count = r.u8();
    if (!r.ok())
        return ParseError::Truncated;
    if (m.count > kMaxReportEntries)
        return ParseError::BadField;
    for (std::size_t i = 0; i < m.count; ++i) {
        m.entries[i].participantId = r.u32();
        m.entries[i].maxHeight = r.u16();
    }
    if (!r.ok())
        return ParseError::Truncated;
    for (std::size_t i = 0; i < m.count; ++i) {
        if (m.entries[i].participantId == 0)
            return ParseError::BadField;
        for (std::size_t j = 0; j < i; ++j)
            if (m.entries[j].participantId == m.entries[i].participantId)
                return ParseError::BadField;
    }
    return ParseError::None;
}

// ReceiveReport (18), 5 + 7n bytes: | downlinkBps u32 | count u8 (0..64) | count x {
// participantId u32 (not 0) | state u8 (ReceiveState, 0..4) | spatial u8 | temporal u8 } |
ParseError parseReceiveReportBody(ByteReader& r, ReceiveReportMsg& m) {
    m.downlinkBps = r.u32();
    m.count = r.u8();
    if (!r.ok())
        return ParseError::Truncated;
    if (m.count > kMaxReportEntries)
        return ParseError::BadField;
    bool valid = true;
    for (std::size_t i = 0; i < m.count; ++i) {
        ReceiveEntry& e = m.entries[i];
        e.participantId = r.u32();
        const std::uint8_t state = r.u8();
        e.state = static_cast<ReceiveState>(state);
        e.spatialLayer = r.u8();
        e.temporalLayer = r.u8();
        valid = valid && e.participantId != 0 && state <= 4;
    }
    if (!r.ok())
        return ParseError::Truncated;
    return valid ? ParseError::None : ParseError::BadField;
}

// LayersWanted (19) and LayersAvailable (20), 1 byte: | layers u8 (bit k: simulcast layer k) |
ParseError parseLayersBody(ByteReader& r, std::uint8_t& layers) {
    layers = r.u8();
    return r.ok() ? ParseError::None : ParseError::Truncated;
}

ParseError parseBody(MessageType type, ByteReader& r, ControlBody& body) {
    switch (type) {
    case MessageType::Hello:
        body.emplace<HelloMsg>();
        return ParseError::None;
    case MessageType::Cookie:
        return parseCookieBody(r, body.emplace<CookieMsg>());
    case MessageType::Create:
        return parseCreateBody(r, body.emplace<CreateMsg>());
    case MessageType::Created:
        return parseCreatedBody(r, body.emplace<CreatedMsg>());
    case MessageType::Join:
        return parseJoinBody(r, body.emplace<JoinMsg>());
    case MessageType::Joined:
        return parseJoinedBody(r, body.emplace<JoinedMsg>());
    case MessageType::Roster:
        return parseRosterBody(r, body.emplace<RosterMsg>());
    case MessageType::RosterAck:
        return parseRosterAckBody(r, body.emplace<RosterAckMsg>());
    case MessageType::Ping:
        return parseTimestampBody(r, body.emplace<PingMsg>());
    case MessageType::Pong:
        return parseTimestampBody(r, body.emplace<PongMsg>());
    case MessageType::Leave:
        body.emplace<LeaveMsg>();
        return ParseError::None;
    case MessageType::Error:
        return parseErrorBody(r, body.emplace<ErrorMsg>());
    case MessageType::SelfState:
        return parseSelfStateBody(r, body.emplace<SelfStateMsg>());
    case MessageType::SetPrivateView:
        return parseSetPrivateViewBody(r, body.emplace<SetPrivateViewMsg>());
    case MessageType::RemoveParticipant:
        return parseRemoveParticipantBody(r, body.emplace<RemoveParticipantMsg>());
    case MessageType::MuteParticipant:
        return parseMuteParticipantBody(r, body.emplace<MuteParticipantMsg>());
    case MessageType::Subscribe:
        return parseSubscribeBody(r, body.emplace<SubscribeMsg>());
    case MessageType::ReceiveReport:
        return parseReceiveReportBody(r, body.emplace<ReceiveReportMsg>());
    case MessageType::LayersWanted:
        return parseLayersBody(r, body.emplace<LayersWantedMsg>().layers);
    case MessageType::LayersAvailable:
        return parseLayersBody(r, body.emplace<LayersAvailableMsg>().layers);
    }
    return ParseError::UnknownType;
}

// ---- Body encoders: return false if a field is invalid (the writer tracks space). ----

bool writeBody(ByteWriter&, const HelloMsg&) {
    return true;
} // padding added by the caller
bool writeBody(ByteWriter& w, const CookieMsg& m) {
    w.bytes(m.cookie);
    return true;
}
bool writeBody(ByteWriter& w, const CreateMsg& m) {
    w.bytes(m.cookie);
    w.u32(m.flags);
    return validConferenceFlags(m.flags);
}
bool writeBody(ByteWriter& w, const CreatedMsg& m) {
    w.u64(m.conferenceId);
    w.bytes(m.adminSecret);
    w.u32(m.flags);
    return validConferenceId(m.conferenceId) && validConferenceFlags(m.flags);
}
bool writeBody(ByteWriter& w, const JoinMsg& m) {
    if (!validConferenceId(m.conferenceId) || !validName(m.name) || !validStreams(m.streams))
        return false;
    w.bytes(m.cookie);
    w.u64(m.conferenceId);
    w.u8(m.hasAdminProof ? 1 : 0);
    if (m.hasAdminProof)
        w.bytes(m.adminProof);
    else
        w.zeros(kAdminProofBytes);
    w.u8(static_cast<std::uint8_t>(m.name.size()));
    w.text(m.name);
    writeStreams(w, m.streams);
    return true;
}
bool writeBody(ByteWriter& w, const JoinedMsg& m) {
    if (m.role != Role::Member && m.role != Role::Admin)
        return false;
    w.u32(m.participantId);
    w.u8(static_cast<std::uint8_t>(m.role));
    w.u32(m.flags);
    w.u16(m.keepaliveIntervalMs);
    w.u16(m.timeoutMs);
    return validConferenceFlags(m.flags);
}
bool writeBody(ByteWriter& w, const RosterMsg& m) {
    if (m.op == RosterOp::Conference) {
        if (!validConferenceFlags(m.flags) || m.participantId != 0 || !m.name.empty() ||
            m.streams.count != 0)
            return false;
    } else if (!validParticipantFlags(m.flags)) {
        return false;
    }
    if (m.op == RosterOp::Upsert) {
        if (!validName(m.name) || !validStreams(m.streams))
            return false;
    } else if (m.op == RosterOp::Remove) {
        if (!m.name.empty() || m.streams.count != 0)
            return false;
    } else if (m.op != RosterOp::Conference) {
        return false;
    }
    w.u32(m.seq);
    w.u8(static_cast<std::uint8_t>(m.op));
    w.u32(m.participantId);
    w.u8(m.flags);
    w.u8(static_cast<std::uint8_t>(m.name.size()));
    w.text(m.name);
    writeStreams(w, m.streams);
    return true;
}
bool writeBody(ByteWriter& w, const RosterAckMsg& m) {
    w.u32(m.seq);
    return true;
}
bool writeBody(ByteWriter& w, const PingMsg& m) {
    w.u64(m.timestampUs);
    return true;
}
bool writeBody(ByteWriter& w, const PongMsg& m) {
    w.u64(m.timestampUs);
    return true;
}
bool writeBody(ByteWriter&, const LeaveMsg&) {
    return true;
}
bool writeBody(ByteWriter& w, const ErrorMsg& m) {
    if (static_cast<std::uint16_t>(m.code) == 0 || !validReason(m.reason))
        return false;
    w.u16(static_cast<std::uint16_t>(m.code));
    w.u8(static_cast<std::uint8_t>(m.requestType));
    w.u8(static_cast<std::uint8_t>(m.reason.size()));
    w.text(m.reason);
    return true;
}

bool writeBody(ByteWriter& w, const SelfStateMsg& m) {
    w.u8(m.flags);
    return (m.flags & ~kSelfStateFlags) == 0;
}

bool writeBody(ByteWriter& w, const SetPrivateViewMsg& m) {
    w.u8(m.enabled ? 1 : 0);
    return true;
}

bool writeBody(ByteWriter& w, const RemoveParticipantMsg& m) {
    w.u32(m.participantId);
    return m.participantId != 0;
}

bool writeBody(ByteWriter& w, const MuteParticipantMsg& m) {
    w.u32(m.participantId);
    w.u8(static_cast<std::uint8_t>(m.mode));
    return m.participantId != 0 && static_cast<std::uint8_t>(m.mode) <= 2;
}

bool writeBody(ByteWriter& w, const SubscribeMsg& m) {
    if (m.count > kMaxReportEntries)
        return false;
    w.u16(m.defaultMaxHeight);
    w.u8(m.count);
    for (std::size_t i = 0; i < m.count; ++i) {
        const SubscriptionEntry& e = m.entries[i];
        if (e.participantId == 0)
            return false;
        for (std::size_t j = 0; j < i; ++j)
            if (m.entries[j].participantId == e.participantId)
                return false;
        w.u32(e.participantId);
        w.u16(e.maxHeight);
    }
    return true;
}

bool writeBody(ByteWriter& w, const ReceiveReportMsg& m) {
    if (m.count > kMaxReportEntries)
        return false;
    w.u32(m.downlinkBps);
    w.u8(m.count);
    for (std::size_t i = 0; i < m.count; ++i) {
        const ReceiveEntry& e = m.entries[i];
        if (e.participantId == 0 || static_cast<std::uint8_t>(e.state) > 4)
            return false;
        w.u32(e.participantId);
        w.u8(static_cast<std::uint8_t>(e.state));
        w.u8(e.spatialLayer);
        w.u8(e.temporalLayer);
    }
    return true;
}

template <typename M>
requires std::is_same_v<M, LayersWantedMsg> || std::is_same_v<M, LayersAvailableMsg>
bool writeBody(ByteWriter& w, const M& m) {
    w.u8(m.layers);
    return true;
}

// typeOf relies on the variant listing the bodies in MessageType order.
template <typename M>
constexpr std::size_t indexOf() {
    return ControlBody{std::in_place_type<M>}.index();
}
static_assert(std::variant_size_v<ControlBody> == kLastKnownType);
static_assert(indexOf<HelloMsg>() + 1 == static_cast<std::size_t>(MessageType::Hello));
static_assert(indexOf<CookieMsg>() + 1 == static_cast<std::size_t>(MessageType::Cookie));
static_assert(indexOf<CreateMsg>() + 1 == static_cast<std::size_t>(MessageType::Create));
static_assert(indexOf<CreatedMsg>() + 1 == static_cast<std::size_t>(MessageType::Created));
static_assert(indexOf<JoinMsg>() + 1 == static_cast<std::size_t>(MessageType::Join));
static_assert(indexOf<JoinedMsg>() + 1 == static_cast<std::size_t>(MessageType::Joined));
static_assert(indexOf<RosterMsg>() + 1 == static_cast<std::size_t>(MessageType::Roster));
static_assert(indexOf<RosterAckMsg>() + 1 == static_cast<std::size_t>(MessageType::RosterAck));
static_assert(indexOf<PingMsg>() + 1 == static_cast<std::size_t>(MessageType::Ping));
static_assert(indexOf<PongMsg>() + 1 == static_cast<std::size_t>(MessageType::Pong));
static_assert(indexOf<LeaveMsg>() + 1 == static_cast<std::size_t>(MessageType::Leave));
static_assert(indexOf<ErrorMsg>() + 1 == static_cast<std::size_t>(MessageType::Error));
static_assert(indexOf<SelfStateMsg>() + 1 == static_cast<std::size_t>(MessageType::SelfState));
static_assert(indexOf<SetPrivateViewMsg>() + 1 ==
              static_cast<std::size_t>(MessageType::SetPrivateView));
static_assert(indexOf<RemoveParticipantMsg>() + 1 ==
              static_cast<std::size_t>(MessageType::RemoveParticipant));
static_assert(indexOf<MuteParticipantMsg>() + 1 ==
              static_cast<std::size_t>(MessageType::MuteParticipant));
static_assert(indexOf<SubscribeMsg>() + 1 == static_cast<std::size_t>(MessageType::Subscribe));
static_assert(indexOf<ReceiveReportMsg>() + 1 ==
              static_cast<std::size_t>(MessageType::ReceiveReport));
static_assert(indexOf<LayersWantedMsg>() + 1 ==
              static_cast<std::size_t>(MessageType::LayersWanted));
static_assert(indexOf<LayersAvailableMsg>() + 1 ==
              static_cast<std::size_t>(MessageType::LayersAvailable));

} // namespace

std::string_view toString(ParseError error) {
    switch (error) {
    case ParseError::None:
        return "none";
    case ParseError::Truncated:
        return "truncated";
    case ParseError::TrailingBytes:
        return "trailing_bytes";
    case ParseError::TooLarge:
        return "too_large";
    case ParseError::BadMagic:
        return "bad_magic";
    case ParseError::UnsupportedVersion:
        return "unsupported_version";
    case ParseError::UnknownType:
        return "unknown_type";
    case ParseError::BadField:
        return "bad_field";
    }
    return "unknown";
}

std::string_view toString(ErrorCode code) {
    switch (code) {
    case ErrorCode::UnknownConference:
        return "unknown_conference";
    case ErrorCode::ConferenceFull:
        return "conference_full";
    case ErrorCode::BadProof:
        return "bad_proof";
    case ErrorCode::UnsupportedVersion:
        return "unsupported_version";
    case ErrorCode::Malformed:
        return "malformed";
    case ErrorCode::BadCookie:
        return "bad_cookie";
    case ErrorCode::RateLimited:
        return "rate_limited";
    case ErrorCode::TooManyConferences:
        return "too_many_conferences";
    case ErrorCode::NotJoined:
        return "not_joined";
    case ErrorCode::Internal:
        return "internal";
    case ErrorCode::GoingAway:
        return "going_away";
    case ErrorCode::NotAdmin:
        return "not_admin";
    case ErrorCode::Removed:
        return "removed";
    }
    return "unknown";
}

MessageType typeOf(const ControlBody& body) {
    return static_cast<MessageType>(body.index() + 1);
}

// The control header (docs/PROTOCOL.md "Control header"; first-byte demultiplexing as in
// RFC 7983 section 7, 0x0D being in the range 4..15 it leaves unassigned):
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  | magic = 0x0D  |  version = 1  |     type      |  flags (0)    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                        request id                             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Checks in this order: size (TooLarge), magic (BadMagic), header length (Truncated),
// version (UnsupportedVersion, before anything that a later version may change), type
// (UnknownType), header flags (BadField), then the body, which must be exactly as long as
// its type says (Truncated / TrailingBytes). Hello is instead padded to kHelloMinBytes.
ParseError parseControl(std::span<const std::uint8_t> bytes, ControlMessage& out) {
    if (bytes.size() > kMaxDatagramBytes)
        return ParseError::TooLarge;
    if (bytes.empty())
        return ParseError::Truncated;
    if (bytes[0] != kControlMagic)
        return ParseError::BadMagic;
    ByteReader r(bytes);
    r.skip(1);
    const std::uint8_t version = r.u8();
    const std::uint8_t type = r.u8();
    const std::uint8_t flags = r.u8();
    out.requestId = r.u32();
    if (!r.ok())
        return ParseError::Truncated;
    if (version != kProtocolVersion)
        return ParseError::UnsupportedVersion;
    if (type == 0 || type > kLastKnownType)
        return ParseError::UnknownType;
    if (flags != 0)
        return ParseError::BadField;
    const auto messageType = static_cast<MessageType>(type);
    if (messageType == MessageType::Hello) {
        // The padding makes Hello at least as large as the Cookie it asks for (no
        // amplification); its content is ignored so that any padding strategy works.
        if (bytes.size() < kHelloMinBytes)
            return ParseError::Truncated;
        out.body.emplace<HelloMsg>();
        return ParseError::None;
    }
    if (auto e = parseBody(messageType, r, out.body); e != ParseError::None)
        return e;
    if (!r.ok())
        return ParseError::Truncated;
    return r.atEnd() ? ParseError::None : ParseError::TrailingBytes;
}

bool peekControlHeader(std::span<const std::uint8_t> bytes, std::uint8_t& version,
                       std::uint8_t& type, std::uint32_t& requestId) {
    if (bytes.size() < kControlHeaderBytes || bytes[0] != kControlMagic)
        return false;
    ByteReader r(bytes);
    r.skip(1);
    version = r.u8();
    type = r.u8();
    r.skip(1);
    requestId = r.u32();
    return r.ok();
}

std::span<std::uint8_t> encodeControl(const ControlMessage& message,
                                      std::span<std::uint8_t> buffer) {
    ByteWriter w(buffer.first(std::min(buffer.size(), kMaxDatagramBytes)));
    const MessageType type = typeOf(message.body);
    w.u8(kControlMagic);
    w.u8(kProtocolVersion);
    w.u8(static_cast<std::uint8_t>(type));
    w.u8(0); // header flags: reserved, zero in version 1
    w.u32(message.requestId);
    const bool valid =
        std::visit([&w](const auto& body) { return writeBody(w, body); }, message.body);
    if (!valid)
        return {};
    if (type == MessageType::Hello && w.size() < kHelloMinBytes)
        w.zeros(kHelloMinBytes - w.size());
    return w.written();
}

std::span<std::uint8_t> encodeErrorLimited(std::uint32_t requestId, const ErrorMsg& error,
                                           std::size_t maxBytes, std::span<std::uint8_t> buffer) {
    const std::size_t limit = std::min({maxBytes, buffer.size(), kMaxDatagramBytes});
    if (limit < kErrorFixedBytes || !isValidWireText(error.reason))
        return {};
    ErrorMsg cut = error;
    const std::size_t room = std::min(limit - kErrorFixedBytes, kMaxReasonBytes);
    cut.reason = error.reason.substr(0, utf8PrefixBytes(error.reason, room));
    return encodeControl(ControlMessage{requestId, cut}, buffer.first(limit));
}

} // namespace diyuma::core::wire
