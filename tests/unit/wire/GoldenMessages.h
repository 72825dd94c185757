#pragma once
// Hand-written golden control messages: the exact bytes (from docs/PROTOCOL.md) next to the
// fields they carry. Shared by the control tests and the randomized parser test.

#include "diyuma/wire/Control.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace diyuma::core::wire::golden {

/// Hex digits with any spaces, '|' or newlines between them.
inline std::vector<std::uint8_t> fromHex(std::string_view hex) {
    std::vector<std::uint8_t> out;
    int high = -1;
    for (char c : hex) {
        int v = -1;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v = c - 'A' + 10;
        if (v < 0)
            continue;
        if (high < 0) {
            high = v;
        } else {
            out.push_back(static_cast<std::uint8_t>(high * 16 + v));
            high = -1;
        }
    }
    return out;
}

template <std::size_t N>
std::array<std::uint8_t, N> sequence(std::uint8_t first) {
    std::array<std::uint8_t, N> a{};
    for (std::size_t i = 0; i < N; ++i)
        a[i] = static_cast<std::uint8_t>(first + i);
    return a;
}

struct Golden {
    const char* name;
    std::vector<std::uint8_t> bytes;
    ControlMessage message;
};

inline constexpr std::string_view kCookieHex = "C0C1C2C3 C4C5C6C7 C8C9CACB CCCDCECF D0D1D2D3";
inline constexpr std::uint64_t kConferenceId = 0x0FEDCBA987654321ull;

inline StreamList twoStreams() {
    StreamList s;
    s.items[0] = {0x11223344u, MediaKind::Audio, 0, 0};
    s.items[1] = {0x55667788u, MediaKind::Video, 2, 720};
    s.count = 2;
    return s;
}

inline std::vector<Golden> messages() {
    std::vector<Golden> g;
    const std::string cookie(kCookieHex);

    g.push_back({"hello",
                 fromHex("0D 01 01 00 | 8BADF00D |" + std::string(56 * 2, '0')),
                 {0x8BADF00Du, HelloMsg{}}});

    g.push_back({"cookie",
                 fromHex("0D 01 02 00 | 8BADF00D |" + cookie),
                 {0x8BADF00Du, CookieMsg{sequence<kCookieBytes>(0xC0)}}});

    g.push_back({"create",
                 fromHex("0D 01 03 00 | 00000002 |" + cookie + "| 00000001"),
                 {2, CreateMsg{sequence<kCookieBytes>(0xC0), 1}}});

    g.push_back({"created",
                 fromHex("0D 01 04 00 | 00000002 | 0FEDCBA987654321 |"
                         "A0A1A2A3 A4A5A6A7 A8A9AAAB ACADAEAF | 00000001"),
                 {2, CreatedMsg{kConferenceId, sequence<kAdminSecretBytes>(0xA0), 1}}});

    JoinMsg adminJoin;
    adminJoin.cookie = sequence<kCookieBytes>(0xC0);
    adminJoin.conferenceId = kConferenceId;
    adminJoin.hasAdminProof = true;
    adminJoin.adminProof = sequence<kAdminProofBytes>(0x40);
    adminJoin.name = "Zo\xC3\xAB";
    adminJoin.streams = twoStreams();
    g.push_back({"join_admin",
                 fromHex("0D 01 05 00 | 00000003 |" + cookie +
                         "| 0FEDCBA987654321 | 01 |"
                         "40414243 44454647 48494A4B 4C4D4E4F 50515253 54555657 58595A5B 5C5D5E5F"
                         "| 04 5A6FC3AB | 02 | 11223344 00 00 0000 | 55667788 01 02 02D0"),
                 {3, adminJoin}});

    JoinMsg memberJoin;
    memberJoin.cookie = sequence<kCookieBytes>(0xC0);
    memberJoin.conferenceId = 42;
    memberJoin.name = "Bob";
    memberJoin.streams.items[0] = {0x0A0B0C0Du, MediaKind::Audio, 0};
    memberJoin.streams.count = 1;
    g.push_back({"join_member",
                 fromHex("0D 01 05 00 | 00000004 |" + cookie + "| 000000000000002A | 00 |" +
                         std::string(64, '0') + "| 03 426F62 | 01 | 0A0B0C0D 00 00 0000"),
                 {4, memberJoin}});

    g.push_back({"joined",
                 fromHex("0D 01 06 00 | 00000003 | 00000007 | 01 | 00000001 | 03E8 | 2710"),
                 {3, JoinedMsg{7, Role::Admin, 1, 1000, 10000}}});

    RosterMsg upsert;
    upsert.seq = 1;
    upsert.op = RosterOp::Upsert;
    upsert.participantId = 7;
    upsert.flags = 0x03;
    upsert.name = "Zo\xC3\xAB";
    upsert.streams = twoStreams();
    g.push_back({"roster_upsert",
                 fromHex("0D 01 07 00 | 00000010 | 00000001 | 01 | 00000007 | 03 | 04 5A6FC3AB |"
                         "02 | 11223344 00 00 0000 | 55667788 01 02 02D0"),
                 {0x10, upsert}});

    RosterMsg remove;
    remove.seq = 2;
    remove.op = RosterOp::Remove;
    remove.participantId = 9;
    g.push_back({"roster_remove",
                 fromHex("0D 01 07 00 | 00000011 | 00000002 | 02 | 00000009 | 00 | 00 | 00"),
                 {0x11, remove}});

    g.push_back(
        {"roster_ack", fromHex("0D 01 08 00 | 00000011 | 00000002"), {0x11, RosterAckMsg{2}}});

    g.push_back({"ping",
                 fromHex("0D 01 09 00 | 00000020 | 0001020304050607"),
                 {0x20, PingMsg{0x0001020304050607ull}}});

    g.push_back({"pong",
                 fromHex("0D 01 0A 00 | 00000020 | 0001020304050607"),
                 {0x20, PongMsg{0x0001020304050607ull}}});

    g.push_back({"leave", fromHex("0D 01 0B 00 | 00000021"), {0x21, LeaveMsg{}}});

    g.push_back({"error",
                 fromHex("0D 01 0C 00 | 00000003 | 0003 | 05 | 09 | 6261642070726F6F66"),
                 {3, ErrorMsg{ErrorCode::BadProof, MessageType::Join, "bad proof"}}});

    g.push_back(
        {"self_state_muted", fromHex("0D 01 0D 00 | 00000022 | 02"), {0x22, SelfStateMsg{0x02}}});
    g.push_back({"set_private_view_on",
                 fromHex("0D 01 0E 00 | 00000023 | 01"),
                 {0x23, SetPrivateViewMsg{true}}});
    g.push_back({"remove_participant",
                 fromHex("0D 01 0F 00 | 00000024 | 00000007"),
                 {0x24, RemoveParticipantMsg{7}}});
    g.push_back({"mute_participant_locked",
                 fromHex("0D 01 10 00 | 00000025 | 00000007 | 02"),
                 {0x25, MuteParticipantMsg{7, AdminMute::MuteLocked}}});
    SubscribeMsg subscribe;
    subscribe.defaultMaxHeight = 720;
    subscribe.entries[0] = {2, 360};
    subscribe.entries[1] = {5, 0};
    subscribe.count = 2;
    g.push_back({"subscribe",
                 fromHex("0D 01 11 00 | 00000026 | 02D0 | 02 | 00000002 0168 | 00000005 0000"),
                 {0x26, subscribe}});
    ReceiveReportMsg report;
    report.downlinkBps = 1'500'000;
    report.entries[0] = {2, ReceiveState::Forwarding, 1, 2};
    report.entries[1] = {5, ReceiveState::PausedBandwidth, kNoLayer, kNoLayer};
    report.count = 2;
    g.push_back({"receive_report",
                 fromHex("0D 01 12 00 | 00000000 | 0016E360 | 02 | 00000002 00 01 02 | "
                         "00000005 01 FF FF"),
                 {0, report}});
    g.push_back({"layers_wanted", fromHex("0D 01 13 00 | 00000000 | 05"), {0, LayersWantedMsg{5}}});
    g.push_back(
        {"layers_available", fromHex("0D 01 14 00 | 00000000 | 03"), {0, LayersAvailableMsg{3}}});
    RosterMsg conference;
    conference.seq = 3;
    conference.op = RosterOp::Conference;
    conference.flags = 0x01; // private view on
    g.push_back({"roster_conference",
                 fromHex("0D 01 07 00 | 00000012 | 00000003 | 03 | 00000000 | 01 | 00 | 00"),
                 {0x12, conference}});
    return g;
}

inline bool sameStreams(const StreamList& a, const StreamList& b) {
    return a.count == b.count && std::equal(a.view().begin(), a.view().end(), b.view().begin());
}

/// Field-by-field equality of two control messages (the structs have no operator==).
inline bool sameMessage(const ControlMessage& a, const ControlMessage& b) {
    if (a.requestId != b.requestId || a.body.index() != b.body.index())
        return false;
    return std::visit(
        [&b](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            const T& y = std::get<T>(b.body);
            if constexpr (std::is_same_v<T, HelloMsg> || std::is_same_v<T, LeaveMsg>) {
                return true;
            } else if constexpr (std::is_same_v<T, CookieMsg>) {
                return x.cookie == y.cookie;
            } else if constexpr (std::is_same_v<T, CreateMsg>) {
                return x.cookie == y.cookie && x.flags == y.flags;
            } else if constexpr (std::is_same_v<T, CreatedMsg>) {
                return x.conferenceId == y.conferenceId && x.adminSecret == y.adminSecret &&
                       x.flags == y.flags;
            } else if constexpr (std::is_same_v<T, JoinMsg>) {
                return x.cookie == y.cookie && x.conferenceId == y.conferenceId &&
                       x.hasAdminProof == y.hasAdminProof && x.adminProof == y.adminProof &&
                       x.name == y.name && sameStreams(x.streams, y.streams);
            } else if constexpr (std::is_same_v<T, JoinedMsg>) {
                return x.participantId == y.participantId && x.role == y.role &&
                       x.flags == y.flags && x.keepaliveIntervalMs == y.keepaliveIntervalMs &&
                       x.timeoutMs == y.timeoutMs;
            } else if constexpr (std::is_same_v<T, RosterMsg>) {
                return x.seq == y.seq && x.op == y.op && x.participantId == y.participantId &&
                       x.flags == y.flags && x.name == y.name && sameStreams(x.streams, y.streams);
            } else if constexpr (std::is_same_v<T, RosterAckMsg>) {
                return x.seq == y.seq;
            } else if constexpr (std::is_same_v<T, PingMsg> || std::is_same_v<T, PongMsg>) {
                return x.timestampUs == y.timestampUs;
            } else if constexpr (std::is_same_v<T, SelfStateMsg>) {
                return x.flags == y.flags;
            } else if constexpr (std::is_same_v<T, SetPrivateViewMsg>) {
                return x.enabled == y.enabled;
            } else if constexpr (std::is_same_v<T, RemoveParticipantMsg>) {
                return x.participantId == y.participantId;
            } else if constexpr (std::is_same_v<T, MuteParticipantMsg>) {
                return x.participantId == y.participantId && x.mode == y.mode;
            } else if constexpr (std::is_same_v<T, SubscribeMsg>) {
                return x.defaultMaxHeight == y.defaultMaxHeight && x.count == y.count &&
                       std::equal(x.view().begin(), x.view().end(), y.view().begin());
            } else if constexpr (std::is_same_v<T, ReceiveReportMsg>) {
                return x.downlinkBps == y.downlinkBps && x.count == y.count &&
                       std::equal(x.view().begin(), x.view().end(), y.view().begin());
            } else if constexpr (std::is_same_v<T, LayersWantedMsg> ||
                                 std::is_same_v<T, LayersAvailableMsg>) {
                return x == y;
            } else {
                static_assert(std::is_same_v<T, ErrorMsg>);
                return x.code == y.code && x.requestType == y.requestType && x.reason == y.reason;
            }
        },
        a.body);
}

} // namespace diyuma::core::wire::golden
