// RelayCore without sockets: address validation, create/join/leave, roles, roster delivery,
// forwarding policy, video (private view, NACK answers from the cache, PLI coalescing,
// feedback routing), time-outs, lifetime, persistence hooks, hostile input, and the
// allocation-free forwarding path.

#include "diyuma/wire/RtcpFeedback.h"

#include "AllocationCounter.h"
#include "RelayTestHarness.h"

#include <QtTest/QtTest>
#include <atomic>
#include <cstdlib>
#include <initializer_list>
#include <new>
#include <random>

using namespace diyuma;
using namespace diyuma::test;
using relay::DropReason;
using wire::ErrorCode;
using wire::MessageType;

namespace {

/// A sink that only counts: no allocation, so the forwarding test measures the core alone.
std::vector<Sent> to(const std::vector<Sent>& sent, const SocketAddress& address) {
    std::vector<Sent> out;
    for (const auto& s : sent) {
        if (s.to == address)
            out.push_back(s);
    }
    return out;
}

std::vector<wire::RosterMsg> rosterIn(const std::vector<Sent>& sent, const SocketAddress& address) {
    std::vector<wire::RosterMsg> out;
    for (const auto& s : sent) {
        if (s.to != address)
            continue;
        if (auto r = s.as<wire::RosterMsg>()) {
            r->name = {}; // the view dies with `sent`; tests compare names separately
            out.push_back(*r);
        }
    }
    return out;
}

/// Ack everything a participant has been sent so far.
void ackAll(Harness& h, const SocketAddress& who, std::uint32_t seq) {
    (void)h.deliver(who, wire::ControlMessage{900, wire::RosterAckMsg{seq}});
}

void ping(Harness& h, const SocketAddress& who) {
    (void)h.deliver(who, wire::ControlMessage{901, wire::PingMsg{1}});
}

std::vector<std::uint8_t> withHeader(std::uint8_t version, std::uint8_t type,
                                     std::uint32_t requestId, std::size_t bodyBytes) {
    std::vector<std::uint8_t> b(8 + bodyBytes, 0);
    b[0] = wire::kControlMagic;
    b[1] = version;
    b[2] = type;
    b[4] = static_cast<std::uint8_t>(requestId >> 24);
    b[5] = static_cast<std::uint8_t>(requestId >> 16);
    b[6] = static_cast<std::uint8_t>(requestId >> 8);
    b[7] = static_cast<std::uint8_t>(requestId);
    return b;
}

// --- Video ------------------------------------------------------------------------------

/// RelayCore::kPliCoalesce (private there): PLIs for one stream within this time of the last
/// one forwarded are not passed on.
constexpr auto kPliCoalesce = std::chrono::milliseconds(200);
constexpr auto kPrivateView = static_cast<std::uint32_t>(wire::ConferenceFlags::PrivateView);

// The trio of joinTrio(): Ann is the admin, Bob and Cy are members; each announces one audio
// and one video stream.
const SocketAddress kAnn = addr(1);
const SocketAddress kBob = addr(2);
const SocketAddress kCy = addr(3);
constexpr std::uint32_t kAnnAudio = 0xA0;
constexpr std::uint32_t kAnnVideo = 0xA1;
constexpr std::uint32_t kBobAudio = 0xB0;
constexpr std::uint32_t kBobVideo = 0xB1;
constexpr std::uint32_t kCyAudio = 0xC0;
constexpr std::uint32_t kCyVideo = 0xC1;

/// A conference with `flags` that Ann (with the admin proof), Bob and Cy join in that order.
/// Afterwards the PLI windows of the relay's own key-frame requests at the joins are over.
bool joinTrio(Harness& h, std::uint32_t flags) {
    auto created = h.create(addr(9), 1, flags);
    const bool joined = created && created->flags == flags &&
                        h.joinWithVideo(kAnn, created->conferenceId, "Ann", kAnnAudio, kAnnVideo,
                                        created->adminSecret) &&
                        h.joinWithVideo(kBob, created->conferenceId, "Bob", kBobAudio, kBobVideo) &&
                        h.joinWithVideo(kCy, created->conferenceId, "Cy", kCyAudio, kCyVideo);
    (void)h.advance(kPliCoalesce);
    return joined;
}

/// A VP8 RTP packet whose payload depends on `seq`, so every packet's bytes are its own.
std::vector<std::uint8_t> videoRtp(std::uint32_t ssrc, std::uint16_t seq,
                                   std::size_t payloadBytes = 300) {
    std::vector<std::uint8_t> payload(payloadBytes);
    for (std::size_t i = 0; i < payload.size(); ++i)
        payload[i] = static_cast<std::uint8_t>(seq * 7u + i);
    wire::RtpHeaderFields header;
    header.payloadType = wire::kVp8PayloadType;
    header.marker = seq % 3 == 2;
    header.sequence = seq;
    header.timestamp = (seq / 3u) * 3000u;
    header.ssrc = ssrc;
    std::vector<std::uint8_t> buffer(wire::kMaxDatagramBytes);
    auto out = wire::writeRtp(header, payload, buffer);
    if (out.empty())
        qFatal("test RTP did not encode");
    buffer.resize(out.size());
    return buffer;
}

std::vector<std::uint8_t> nackBytes(std::uint32_t senderSsrc, std::uint32_t mediaSsrc,
                                    const std::vector<std::uint16_t>& lost) {
    std::vector<std::uint8_t> buffer(wire::kMaxDatagramBytes);
    std::size_t covered = 0;
    auto out = wire::writeNack(senderSsrc, mediaSsrc, lost, buffer, covered);
    if (out.empty() || covered != lost.size())
        qFatal("test NACK did not encode");
    buffer.resize(out.size());
    return buffer;
}

std::vector<std::uint8_t> pliBytes(std::uint32_t senderSsrc, std::uint32_t mediaSsrc) {
    std::vector<std::uint8_t> buffer(wire::kMaxDatagramBytes);
    auto out = wire::writePli(senderSsrc, mediaSsrc, buffer);
    if (out.empty())
        qFatal("test PLI did not encode");
    buffer.resize(out.size());
    return buffer;
}

std::vector<std::uint8_t> senderReportBytes(std::uint32_t ssrc) {
    wire::SenderReport report;
    report.ssrc = ssrc;
    report.ntpTimestamp = wire::ntpFromUnixMs(1'700'000'000'000);
    report.rtpTimestamp = 90000;
    report.packetCount = 10;
    report.octetCount = 3000;
    std::vector<std::uint8_t> buffer(wire::kMaxDatagramBytes);
    auto out = wire::writeSenderReport(report, buffer);
    if (out.empty())
        qFatal("test SR did not encode");
    buffer.resize(out.size());
    return buffer;
}

std::vector<std::uint8_t> concat(const std::vector<std::uint8_t>& a,
                                 const std::vector<std::uint8_t>& b) {
    std::vector<std::uint8_t> out(a);
    out.insert(out.end(), b.begin(), b.end());
    return out;
}

/// True if `sent` is exactly one forward() of `bytes` to each of `receivers` and nothing else.
bool forwardedTo(const std::vector<Sent>& sent, const std::vector<std::uint8_t>& bytes,
                 std::initializer_list<SocketAddress> receivers) {
    if (sent.size() != receivers.size())
        return false;
    for (const auto& receiver : receivers) {
        const auto copies = to(sent, receiver);
        if (copies.size() != 1 || !copies[0].forwarded || copies[0].bytes != bytes)
            return false;
    }
    return true;
}

/// How many PLIs for `ssrc` went to `who`.
int plisIn(const std::vector<Sent>& sent, const SocketAddress& who, std::uint32_t ssrc) {
    int n = 0;
    for (const auto& s : to(sent, who)) {
        wire::RtcpReader reader(s.bytes);
        wire::RtcpPacket packet;
        wire::FeedbackSsrcs ssrcs;
        if (reader.next(packet) && wire::isPli(packet) && wire::parseFeedbackSsrcs(packet, ssrcs) &&
            ssrcs.media == ssrc)
            ++n;
    }
    return n;
}

/// A datagram that is exactly one NACK: its SSRCs and the sequence numbers it names.
struct NackContent {
    std::uint32_t senderSsrc = 0;
    std::uint32_t mediaSsrc = 0;
    std::vector<std::uint16_t> sequences;
};
std::optional<NackContent> parseNack(std::span<const std::uint8_t> bytes) {
    wire::RtcpReader reader(bytes);
    wire::RtcpPacket packet;
    wire::FeedbackSsrcs ssrcs;
    if (!reader.next(packet) || !wire::isNack(packet) || !wire::parseFeedbackSsrcs(packet, ssrcs))
        return std::nullopt;
    NackContent nack{ssrcs.sender, ssrcs.media, {}};
    if (!wire::forEachNackedSequence(packet,
                                     [&](std::uint16_t seq) { nack.sequences.push_back(seq); }))
        return std::nullopt;
    if (reader.next(packet)) // nothing may follow it
        return std::nullopt;
    return nack;
}

} // namespace

class TestRelayCore : public QObject {
    Q_OBJECT
private slots:
    // --- Address validation --------------------------------------------------------------

    void helloIsAnsweredWithASmallerCookie() {
        Harness h;
        for (std::size_t size : {std::size_t{64}, std::size_t{100}, wire::kMaxDatagramBytes}) {
            const auto hello = helloBytes(4242, size);
            auto replies = h.deliver(addr(1), hello);
            QCOMPARE(replies.size(), std::size_t{1});
            QVERIFY(replies[0].bytes.size() <= hello.size());
            QCOMPARE(replies[0].bytes.size(), std::size_t{28});
            auto m = replies[0].control();
            QVERIFY(m.has_value());
            QCOMPARE(m->requestId, 4242u);
            QVERIFY(std::holds_alternative<wire::CookieMsg>(m->body));
            QVERIFY(replies[0].to == addr(1));
        }
        QCOMPARE(h.core.stats().cookiesSent, std::uint64_t{3});
        QCOMPARE(h.core.participantCount(), std::size_t{0}); // no state for Hello
    }

    void shortHelloIsIgnored() {
        Harness h;
        for (std::size_t size : {8, 12, 40, 63}) {
            auto replies = h.deliver(addr(1), helloBytes(1, size));
            QVERIFY(replies.empty());
        }
        QCOMPARE(h.core.stats().drops(DropReason::HelloTooShort), std::uint64_t{4});
        QCOMPARE(h.core.stats().cookiesSent, std::uint64_t{0});
    }

    void helloIsRateLimitedPerIp() {
        relay::RelayConfig config;
        config.helloRate = {10.0, 10.0};
        Harness h(config);
        int answered = 0;
        for (int i = 0; i < 30; ++i) // other ports, same IP: one bucket
            answered += static_cast<int>(
                h.deliver(addr(1, static_cast<std::uint16_t>(1000 + i)), helloBytes(1)).size());
        QCOMPARE(answered, 10);
        QCOMPARE(h.core.stats().drops(DropReason::RateLimitedHello), std::uint64_t{20});
        // Another IP has its own bucket; time refills.
        QCOMPARE(h.deliver(addr(2), helloBytes(1)).size(), std::size_t{1});
        h.clock.advance(std::chrono::milliseconds(500));
        answered = 0;
        for (int i = 0; i < 10; ++i)
            answered += static_cast<int>(h.deliver(addr(1), helloBytes(1)).size());
        QCOMPARE(answered, 5);
    }

    void forgedForeignAndExpiredCookiesAreRejected() {
        Harness h;
        auto cookie = h.cookieFor(addr(1));
        QVERIFY(cookie);

        auto forged = *cookie;
        forged[10] ^= 0x01;
        auto replies = h.deliver(addr(1), wire::ControlMessage{5, wire::CreateMsg{forged, 0}});
        QCOMPARE(Harness::errorIn(replies, addr(1)), std::optional(ErrorCode::BadCookie));
        QVERIFY(replies[0].bytes.size() <= 32); // never more than the 32-byte Create
        QCOMPARE(replies[0].control()->requestId, 5u);

        // Someone else's cookie (another port is another address).
        replies = h.deliver(addr(1, 5001), wire::ControlMessage{6, wire::CreateMsg{*cookie, 0}});
        QCOMPARE(Harness::errorIn(replies, addr(1, 5001)), std::optional(ErrorCode::BadCookie));

        // Valid until 60 s, rejected after.
        h.clock.advance(std::chrono::seconds(59));
        replies = h.deliver(addr(1), wire::ControlMessage{7, wire::CreateMsg{*cookie, 0}});
        QVERIFY(replies.size() == 1 && replies[0].isType(MessageType::Created));
        h.clock.advance(std::chrono::seconds(3));
        replies = h.deliver(addr(1), wire::ControlMessage{8, wire::CreateMsg{*cookie, 0}});
        QCOMPARE(Harness::errorIn(replies, addr(1)), std::optional(ErrorCode::BadCookie));

        // Join is checked the same way.
        wire::Cookie zeros{};
        replies = h.deliver(addr(1), wire::ControlMessage{9, h.joinMessage(zeros, 1, "x", 1)});
        QCOMPARE(Harness::errorIn(replies, addr(1)), std::optional(ErrorCode::BadCookie));
        QCOMPARE(h.core.stats().drops(DropReason::BadCookie), std::uint64_t{4});
    }

    // --- Create -----------------------------------------------------------------------------

    void createMakesAConferenceWithoutJoining() {
        MemoryStore store;
        Harness h({}, &store);
        auto created = h.create(addr(1), 11, 1 /* private view */);
        QVERIFY(created);
        QVERIFY(created->conferenceId != 0);
        QVERIFY(created->conferenceId < (std::uint64_t{1} << 60));
        QCOMPARE(created->flags, 1u);
        QVERIFY(created->adminSecret != wire::AdminSecret{});
        auto info = h.core.conferenceInfo(created->conferenceId);
        QVERIFY(info);
        QVERIFY(!info->everJoined);
        QVERIFY(info->participants.empty());
        QCOMPARE(h.core.participantCount(), std::size_t{0});
        // Saved at once, with only the verifier.
        QCOMPARE(store.saves, 1);
        QCOMPARE(store.last.size(), std::size_t{1});
        QCOMPARE(store.last[0].id, created->conferenceId);
        QVERIFY(store.last[0].verifier == core::adminVerifier(created->adminSecret));
        QCOMPARE(store.last[0].createdUnixMs, h.clock.unixMs());
    }

    void createRetransmissionGivesTheSameConference() {
        Harness h;
        auto cookie = h.cookieFor(addr(1));
        auto first = h.deliver(addr(1), wire::ControlMessage{33, wire::CreateMsg{*cookie, 0}});
        auto again = h.deliver(addr(1), wire::ControlMessage{33, wire::CreateMsg{*cookie, 0}});
        QVERIFY(first.size() == 1 && again.size() == 1);
        QVERIFY(first[0].bytes == again[0].bytes);
        QCOMPARE(h.core.conferenceCount(), std::size_t{1});
        QCOMPARE(h.core.stats().createReplays, std::uint64_t{1});
        // Another request id is another conference; after 30 s the cache forgets.
        auto other = h.deliver(addr(1), wire::ControlMessage{34, wire::CreateMsg{*cookie, 0}});
        QVERIFY(other.size() == 1 && other[0].bytes != first[0].bytes);
        h.advance(std::chrono::seconds(31));
        cookie = h.cookieFor(addr(1));
        auto late = h.deliver(addr(1), wire::ControlMessage{33, wire::CreateMsg{*cookie, 0}});
        QVERIFY(late.size() == 1 && late[0].bytes != first[0].bytes);
        QCOMPARE(h.core.conferenceCount(), std::size_t{3});
    }

    void createIsLimited() {
        relay::RelayConfig config;
        config.maxConferences = 2;
        Harness h(config);
        QVERIFY(h.create(addr(1), 1));
        QVERIFY(h.create(addr(2), 1));
        auto cookie = h.cookieFor(addr(3));
        auto replies = h.deliver(addr(3), wire::ControlMessage{1, wire::CreateMsg{*cookie, 0}});
        QCOMPARE(Harness::errorIn(replies, addr(3)), std::optional(ErrorCode::TooManyConferences));
        QCOMPARE(h.core.stats().drops(DropReason::TooManyConferences), std::uint64_t{1});

        relay::RelayConfig limited;
        limited.requestRate = {1.0, 3.0};
        Harness r(limited);
        QVERIFY(r.create(addr(1), 1));
        QVERIFY(r.create(addr(1), 2));
        QVERIFY(r.create(addr(1, 7), 3)); // same IP, other port: same bucket
        cookie = r.cookieFor(addr(1));
        replies = r.deliver(addr(1), wire::ControlMessage{4, wire::CreateMsg{*cookie, 0}});
        QCOMPARE(Harness::errorIn(replies, addr(1)), std::optional(ErrorCode::RateLimited));
        QVERIFY(r.create(addr(2), 1)); // another IP is not affected
        r.clock.advance(std::chrono::seconds(1));
        QVERIFY(r.create(addr(1), 5));
    }

    // --- Join -------------------------------------------------------------------------------

    void joinUnknownConference() {
        Harness h;
        auto replies = h.joinRaw(addr(1), 0x123456789ULL, "Ann");
        QCOMPARE(Harness::errorIn(replies, addr(1)), std::optional(ErrorCode::UnknownConference));
        QCOMPARE(replies.size(), std::size_t{1});
        QCOMPARE(replies[0].control()->requestId, 2u);
        QCOMPARE(h.core.stats().drops(DropReason::UnknownConference), std::uint64_t{1});
        QCOMPARE(h.core.participantCount(), std::size_t{0});
    }

    void joinFullConference() {
        relay::RelayConfig config;
        config.maxParticipantsPerConference = 2;
        Harness h(config);
        auto created = h.create(addr(9));
        QVERIFY(h.join(addr(1), created->conferenceId, "A"));
        QVERIFY(h.join(addr(2), created->conferenceId, "B"));
        auto replies = h.joinRaw(addr(3), created->conferenceId, "C");
        QCOMPARE(Harness::errorIn(replies, addr(3)), std::optional(ErrorCode::ConferenceFull));
        QCOMPARE(h.core.stats().drops(DropReason::ConferenceFull), std::uint64_t{1});
        // A retransmitted Join of a member is still answered (it is not a new participant).
        auto again = h.join(addr(2), created->conferenceId, "B");
        QVERIFY(again);
        QCOMPARE(again->participantId, 2u);
    }

    void adminRoleNeedsAValidProof() {
        Harness h;
        auto created = h.create(addr(9));
        auto wrong = created->adminSecret;
        wrong[0] ^= 0xFF;
        auto replies = h.joinRaw(addr(1), created->conferenceId, "Mallory", 1, wrong);
        QCOMPARE(Harness::errorIn(replies, addr(1)), std::optional(ErrorCode::BadProof));
        QCOMPARE(h.core.participantCount(), std::size_t{0});
        QCOMPARE(h.core.stats().drops(DropReason::BadProof), std::uint64_t{1});

        // A proof made for another cookie (a replay from another address) fails too.
        auto cookieOfOther = h.cookieFor(addr(2));
        auto cookie = h.cookieFor(addr(1));
        auto join = h.joinMessage(*cookie, created->conferenceId, "Replay", 1);
        join.hasAdminProof = true;
        join.adminProof = core::adminProof(core::adminVerifier(created->adminSecret),
                                           *cookieOfOther, created->conferenceId);
        replies = h.deliver(addr(1), wire::ControlMessage{3, join});
        QCOMPARE(Harness::errorIn(replies, addr(1)), std::optional(ErrorCode::BadProof));

        auto admin = h.join(addr(1), created->conferenceId, "Alice", 1, created->adminSecret);
        QVERIFY(admin);
        QCOMPARE(admin->role, wire::Role::Admin);
        QCOMPARE(admin->timeoutMs, std::uint16_t{10000});
        QCOMPARE(admin->keepaliveIntervalMs, std::uint16_t{1000});
        auto member = h.join(addr(2), created->conferenceId, "Bob", 2);
        QVERIFY(member);
        QCOMPARE(member->role, wire::Role::Member);
        auto info = h.core.conferenceInfo(created->conferenceId);
        QCOMPARE(info->participants[0].role, wire::Role::Admin);
        QCOMPARE(info->participants[1].role, wire::Role::Member);
    }

    void joinSendsRosterToEveryone() {
        Harness h;
        auto created = h.create(addr(9));
        const auto conf = created->conferenceId;
        auto first = h.joinRaw(addr(1), conf, "Alice", 111, created->adminSecret);
        QVERIFY(first.size() >= 2);
        QVERIFY(first[0].isType(MessageType::Joined)); // Joined comes before the roster
        auto rosterA = rosterIn(first, addr(1));
        QCOMPARE(rosterA.size(), std::size_t{1});
        QCOMPARE(rosterA[0].seq, 1u);
        QCOMPARE(rosterA[0].op, wire::RosterOp::Upsert);
        QCOMPARE(rosterA[0].participantId, 1u);
        QCOMPARE(rosterA[0].flags, static_cast<std::uint8_t>(wire::ParticipantFlags::Admin));
        QCOMPARE(first[1].as<wire::RosterMsg>()->name, std::string_view("Alice"));
        QCOMPARE(rosterA[0].streams.count, std::uint8_t{1});
        QCOMPARE(rosterA[0].streams.items[0].ssrc, 111u);

        auto second = h.joinRaw(addr(2), conf, "Bob", 222);
        auto rosterB = rosterIn(second, addr(2));
        QCOMPARE(rosterB.size(), std::size_t{2}); // everyone, itself included
        QCOMPARE(rosterB[0].seq, 1u);
        QCOMPARE(rosterB[0].participantId, 1u);
        QCOMPARE(rosterB[1].seq, 2u);
        QCOMPARE(rosterB[1].participantId, 2u);
        QCOMPARE(rosterB[1].streams.items[0].ssrc, 222u);
        QCOMPARE(rosterB[1].flags, std::uint8_t{0});
        auto toA = rosterIn(second, addr(1));
        QCOMPARE(toA.size(), std::size_t{1});
        QCOMPARE(toA[0].seq, 2u);
        QCOMPARE(toA[0].participantId, 2u);
        for (const auto& s : to(second, addr(2))) {
            if (auto r = s.as<wire::RosterMsg>(); r && r->participantId == 1)
                QCOMPARE(r->name, std::string_view("Alice"));
        }
    }

    void rosterIsResentUntilAckedCumulatively() {
        Harness h;
        auto created = h.create(addr(9));
        QVERIFY(h.join(addr(1), created->conferenceId, "A"));
        QVERIFY(h.join(addr(2), created->conferenceId, "B"));
        // A has seq 1 (itself) and 2 (B) unacked; B has 1 and 2.
        auto resent = h.advance(std::chrono::milliseconds(200));
        QCOMPARE(rosterIn(resent, addr(1)).size(), std::size_t{2});
        QCOMPARE(rosterIn(resent, addr(2)).size(), std::size_t{2});
        QCOMPARE(h.core.stats().rosterResent, std::uint64_t{4});

        ackAll(h, addr(1), 1); // cumulative: 1 done, 2 still pending
        resent = h.advance(std::chrono::milliseconds(200));
        auto toA = rosterIn(resent, addr(1));
        QCOMPARE(toA.size(), std::size_t{1});
        QCOMPARE(toA[0].seq, 2u);

        ackAll(h, addr(1), 2);
        ackAll(h, addr(2), 2);
        QCOMPARE(h.core.conferenceInfo(created->conferenceId)->participants[0].unackedRoster,
                 std::size_t{0});
        resent = h.advance(std::chrono::milliseconds(1000));
        QVERIFY(rosterIn(resent, addr(1)).empty());
        QVERIFY(rosterIn(resent, addr(2)).empty());
        // An ack beyond what was sent is harmless; a duplicate ack too.
        ackAll(h, addr(1), 99);
        ackAll(h, addr(1), 2);
        QCOMPARE(h.core.participantCount(), std::size_t{2});
    }

    void unackedRosterOverflowDropsTheParticipant() {
        relay::RelayConfig config;
        config.maxUnackedRoster = 4;
        Harness h(config);
        auto created = h.create(addr(9));
        QVERIFY(h.join(addr(1), created->conferenceId, "Deaf"));
        for (std::uint8_t i = 2; i <= 6; ++i) {
            QVERIFY(h.join(addr(i), created->conferenceId, "P" + std::to_string(i)));
            ackAll(h, addr(i), 100);
        }
        // Deaf has 6 unacked changes (> 4): dropped at the next tick; the others hear it.
        auto out = h.advance(std::chrono::milliseconds(50));
        QCOMPARE(h.core.stats().participantsRosterOverflow, std::uint64_t{1});
        QCOMPARE(h.core.participantCount(), std::size_t{5});
        auto toP2 = rosterIn(out, addr(2));
        QVERIFY(!toP2.empty());
        QCOMPARE(toP2.back().op, wire::RosterOp::Remove);
        QCOMPARE(toP2.back().participantId, 1u);
    }

    void joinRetransmissionIsIdempotent() {
        Harness h;
        auto created = h.create(addr(9));
        auto a = h.join(addr(1), created->conferenceId, "A");
        auto b = h.join(addr(2), created->conferenceId, "B");
        QVERIFY(a && b);
        auto cookie = h.cookieFor(addr(2));
        auto replies = h.deliver(
            addr(2),
            wire::ControlMessage{2, h.joinMessage(*cookie, created->conferenceId, "B", 0)});
        QCOMPARE(replies.size(), std::size_t{1}); // Joined again, no new roster for anyone
        auto joined = replies[0].as<wire::JoinedMsg>();
        QVERIFY(joined);
        QCOMPARE(joined->participantId, b->participantId);
        QCOMPARE(h.core.participantCount(), std::size_t{2});
        QCOMPARE(h.core.stats().joinReplays, std::uint64_t{1});
        QCOMPARE(h.core.stats().participantsJoined, std::uint64_t{2});
    }

    void joinRetransmissionIsNeverRateLimited() {
        relay::RelayConfig limited;
        limited.requestRate = {1.0, 1.0};
        Harness h(limited);
        auto created = h.create(addr(9));
        auto a = h.join(addr(1), created->conferenceId, "A"); // takes addr(1)'s only token
        QVERIFY(a);
        for (std::uint32_t i = 0; i < 5; ++i) {
            auto cookie = h.cookieFor(addr(1));
            auto replies = h.deliver(
                addr(1), wire::ControlMessage{
                             10 + i, h.joinMessage(*cookie, created->conferenceId, "A", 0)});
            QCOMPARE(replies.size(), std::size_t{1});
            QVERIFY(replies[0].as<wire::JoinedMsg>());
        }
        QCOMPARE(h.core.stats().drops(DropReason::RateLimitedRequest), std::uint64_t{0});
        // A new participant from the same IP is still limited.
        auto cookie = h.cookieFor(addr(1, 7));
        auto replies = h.deliver(
            addr(1, 7),
            wire::ControlMessage{20, h.joinMessage(*cookie, created->conferenceId, "B", 0)});
        QCOMPARE(Harness::errorIn(replies, addr(1, 7)), std::optional(ErrorCode::RateLimited));
    }

    void joiningAnotherConferenceMovesTheAddress() {
        Harness h;
        auto c1 = h.create(addr(9), 1);
        auto c2 = h.create(addr(9), 2);
        QVERIFY(h.join(addr(1), c1->conferenceId, "A"));
        QVERIFY(h.join(addr(2), c1->conferenceId, "B"));
        auto sent = h.joinRaw(addr(2), c2->conferenceId, "B");
        auto toA = rosterIn(sent, addr(1));
        QCOMPARE(toA.size(), std::size_t{1});
        QCOMPARE(toA[0].op, wire::RosterOp::Remove);
        QCOMPARE(h.core.conferenceInfo(c1->conferenceId)->participants.size(), std::size_t{1});
        QCOMPARE(h.core.conferenceInfo(c2->conferenceId)->participants.size(), std::size_t{1});
        QCOMPARE(h.core.participantCount(), std::size_t{2});
    }

    // --- Media forwarding -------------------------------------------------------------------

    void rtpGoesToEveryOtherParticipantOnly() {
        Harness h;
        auto c1 = h.create(addr(9), 1);
        auto c2 = h.create(addr(9), 2);
        for (std::uint8_t i = 1; i <= 3; ++i)
            QVERIFY(h.join(addr(i), c1->conferenceId, "P" + std::to_string(i), i));
        QVERIFY(h.join(addr(4), c2->conferenceId, "Other", 4));

        const auto rtp = rtpBytes(1, 100);
        auto out = h.deliver(addr(1), rtp);
        QCOMPARE(out.size(), std::size_t{2});
        for (const auto& s : out) {
            QVERIFY(s.forwarded);
            QVERIFY(s.bytes == rtp);         // unchanged
            QVERIFY(s.source == rtp.data()); // the very same bytes, not a copy
            QVERIFY(s.to == addr(2) || s.to == addr(3));
        }
        QVERIFY(out[0].to != out[1].to);
        QCOMPARE(h.core.stats().rtpForwarded, std::uint64_t{1});
        QCOMPARE(h.core.stats().forwardedPackets, std::uint64_t{2});

        // The lone participant of the other conference forwards to nobody.
        QVERIFY(h.deliver(addr(4), rtpBytes(4, 1)).empty());
        // RTCP is forwarded the same way.
        out = h.deliver(addr(2), rtcpBytes(2));
        QCOMPARE(out.size(), std::size_t{2});
        QCOMPARE(h.core.stats().rtcpForwarded, std::uint64_t{1});

        // Unknown address (another port of a participant's IP is another address).
        QVERIFY(h.deliver(addr(1, 6000), rtp).empty());
        QVERIFY(h.deliver(addr(77), rtcpBytes(5)).empty());
        QCOMPARE(h.core.stats().drops(DropReason::NotJoined), std::uint64_t{2});

        // Malformed media from a participant is counted, not forwarded.
        auto broken = rtpBytes(1, 101, 10);
        broken[0] = 0x8F; // 15 CSRCs announced (60 bytes), not present
        QVERIFY(h.deliver(addr(1), broken).empty());
        QCOMPARE(h.core.stats().drops(DropReason::MalformedRtp), std::uint64_t{1});
        std::vector<std::uint8_t> badRtcp = rtcpBytes(2);
        badRtcp[3] = 9; // length beyond the datagram
        QVERIFY(h.deliver(addr(2), badRtcp).empty());
        QCOMPARE(h.core.stats().drops(DropReason::MalformedRtcp), std::uint64_t{1});

        // Too large is dropped even from a participant.
        std::vector<std::uint8_t> huge = rtpBytes(1, 5, 1000);
        huge.resize(1300, 0x55);
        QVERIFY(huge.size() > wire::kMaxDatagramBytes);
        QVERIFY(h.deliver(addr(1), huge).empty());
        QCOMPARE(h.core.stats().drops(DropReason::TooLarge), std::uint64_t{1});
    }

    void forwardingAllocatesNothing() {
        Harness h;
        auto created = h.create(addr(200));
        for (std::uint8_t i = 1; i <= 10; ++i)
            QVERIFY(h.join(addr(i), created->conferenceId, "P" + std::to_string(i), i));
        std::vector<std::vector<std::uint8_t>> packets;
        for (std::uint8_t i = 1; i <= 10; ++i)
            packets.push_back(rtpBytes(i, 1, 160));
        const auto rtcp = rtcpBytes(1);
        CountingSink sink;
        const auto now = h.clock.now();
        // Warm up (first lookups), then count.
        for (std::uint8_t i = 1; i <= 10; ++i)
            h.core.onDatagram(addr(i), packets[i - 1], now, sink);
        sink.forwarded = 0;
        const SocketAddress senders[10] = {addr(1), addr(2), addr(3), addr(4), addr(5),
                                           addr(6), addr(7), addr(8), addr(9), addr(10)};
        g_allocations = 0;
        g_countAllocations = true;
        for (int n = 0; n < 10000; ++n) {
            const int s = n % 10;
            if (n % 100 == 99)
                h.core.onDatagram(senders[s], rtcp, now, sink);
            else
                h.core.onDatagram(senders[s], packets[static_cast<std::size_t>(s)], now, sink);
        }
        g_countAllocations = false;
        QCOMPARE(g_allocations.load(), std::uint64_t{0});
        QCOMPARE(sink.forwarded, std::uint64_t{90000});
        QCOMPARE(sink.sent, std::uint64_t{0});
    }

    // --- Video forwarding -------------------------------------------------------------------

    void privateViewSendsMembersVideoToAdminsOnly() {
        Harness h;
        QVERIFY(joinTrio(h, kPrivateView));
        const auto& stats = h.core.stats();

        const auto bobVideo = videoRtp(kBobVideo, 1);
        auto out = h.deliver(kBob, bobVideo);
        QVERIFY(forwardedTo(out, bobVideo, {kAnn})); // never to Cy
        QVERIFY(out[0].source == bobVideo.data());   // the received bytes, not a copy
        QCOMPARE(stats.videoWithheld, std::uint64_t{1});
        const auto cyVideo = videoRtp(kCyVideo, 1);
        QVERIFY(forwardedTo(h.deliver(kCy, cyVideo), cyVideo, {kAnn}));
        QCOMPARE(stats.videoWithheld, std::uint64_t{2});

        // The admin's video reaches everyone.
        const auto annVideo = videoRtp(kAnnVideo, 1);
        QVERIFY(forwardedTo(h.deliver(kAnn, annVideo), annVideo, {kBob, kCy}));
        // Audio is not private.
        const auto bobAudio = rtpBytes(kBobAudio, 1);
        QVERIFY(forwardedTo(h.deliver(kBob, bobAudio), bobAudio, {kAnn, kCy}));
        const auto cyAudio = rtpBytes(kCyAudio, 1);
        QVERIFY(forwardedTo(h.deliver(kCy, cyAudio), cyAudio, {kAnn, kBob}));
        const auto annAudio = rtpBytes(kAnnAudio, 1);
        QVERIFY(forwardedTo(h.deliver(kAnn, annAudio), annAudio, {kBob, kCy}));

        QCOMPARE(stats.videoWithheld, std::uint64_t{2});
        QCOMPARE(stats.rtpForwarded, std::uint64_t{6});
        QCOMPARE(stats.forwardedPackets, std::uint64_t{1 + 1 + 2 + 2 + 2 + 2});
        QCOMPARE(stats.droppedTotal(), std::uint64_t{0});
    }

    void adminSwitchesPrivateViewDuringTheCall() {
        Harness h;
        QVERIFY(joinTrio(h, 0));
        const auto& stats = h.core.stats();
        const auto bobEarly = videoRtp(kBobVideo, 10);
        QVERIFY(forwardedTo(h.deliver(kBob, bobEarly), bobEarly, {kAnn, kCy}));

        // A member may not switch it: NotAdmin, nothing changes, nobody is told.
        auto out = h.deliver(kBob, wire::ControlMessage{50, wire::SetPrivateViewMsg{true}});
        QCOMPARE(Harness::errorIn(out, kBob), std::optional(ErrorCode::NotAdmin));
        QCOMPARE(out.size(), std::size_t{1});
        QCOMPARE(h.core.conferenceInfo(h.core.conferenceRecords()[0].id)->flags, 0u);

        // The admin switches it on: everyone gets a roster Conference change with the flag,
        // and every video sender a PLI for its stream (new viewers need a key frame).
        h.clock.advance(std::chrono::milliseconds(10));
        out = h.deliver(kAnn, wire::ControlMessage{51, wire::SetPrivateViewMsg{true}});
        for (const auto& who : {kAnn, kBob, kCy}) {
            const auto roster = rosterIn(out, who);
            QCOMPARE(roster.size(), std::size_t{1});
            QCOMPARE(roster[0].op, wire::RosterOp::Conference);
            QCOMPARE(roster[0].flags, std::uint8_t{1});
            QCOMPARE(roster[0].participantId, 0u);
        }
        for (const auto& [who, ssrc] :
             {std::pair{kAnn, kAnnVideo}, std::pair{kBob, kBobVideo}, std::pair{kCy, kCyVideo}})
            QCOMPARE(plisIn(out, who, ssrc), 1);
        QCOMPARE(h.core.conferenceInfo(h.core.conferenceRecords()[0].id)->flags, 1u);
        // A resend of the same wish changes nothing: only the asker hears so (which ends its
        // resending), nobody else, and no key frames are asked for.
        out = h.deliver(kAnn, wire::ControlMessage{52, wire::SetPrivateViewMsg{true}});
        QCOMPARE(out.size(), std::size_t{1});
        QCOMPARE(rosterIn(out, kAnn).size(), std::size_t{1});
        QCOMPARE(rosterIn(out, kAnn)[0].flags, std::uint8_t{1});

        // Now Bob's video reaches only the admin.
        const auto bobPrivate = videoRtp(kBobVideo, 11);
        QVERIFY(forwardedTo(h.deliver(kBob, bobPrivate), bobPrivate, {kAnn}));
        // Switched off: Cy sees Bob again, but a NACK for what was cached before the switch
        // (withheld from Cy) is never answered from the cache, nor passed on.
        h.clock.advance(std::chrono::milliseconds(10));
        out = h.deliver(kAnn, wire::ControlMessage{53, wire::SetPrivateViewMsg{false}});
        QCOMPARE(rosterIn(out, kCy).size(), std::size_t{1});
        QCOMPARE(rosterIn(out, kCy)[0].flags, std::uint8_t{0});
        const auto retransmitted = stats.retransmissionsSent;
        QVERIFY(h.deliver(kCy, nackBytes(kCyVideo, kBobVideo, {10, 11})).empty());
        QCOMPARE(stats.retransmissionsSent, retransmitted);
        const auto bobOpen = videoRtp(kBobVideo, 12);
        QVERIFY(forwardedTo(h.deliver(kBob, bobOpen), bobOpen, {kAnn, kCy}));
        out = h.deliver(kCy, nackBytes(kCyVideo, kBobVideo, {12}));
        QCOMPARE(out.size(), std::size_t{1});
        QVERIFY(out[0].to == kCy && out[0].bytes == bobOpen); // cached after the switch: answered
    }

    void newcomerGetsKeyFramesOfWhatItMaySee() {
        Harness h;
        auto created = h.create(addr(9), 1, kPrivateView);
        QVERIFY(created);
        QVERIFY(h.joinWithVideo(kBob, created->conferenceId, "Bob", kBobAudio, kBobVideo));
        // The admin joins: it may see Bob, so Bob is asked for a key frame at once.
        auto cookie = h.cookieFor(kAnn);
        QVERIFY(cookie);
        auto join =
            h.joinMessage(*cookie, created->conferenceId, "Ann", kAnnAudio, created->adminSecret);
        join.streams.items[1] = wire::StreamInfo{kAnnVideo, wire::MediaKind::Video, 0};
        join.streams.count = 2;
        auto out = h.deliver(kAnn, wire::ControlMessage{77, join});
        QCOMPARE(plisIn(out, kBob, kBobVideo), 1);
        QCOMPARE(plisIn(out, kAnn, kAnnVideo), 0); // nobody asks for our own stream
        // A member joins: it may see the admin (asked) but not Bob (not asked).
        cookie = h.cookieFor(kCy);
        QVERIFY(cookie);
        auto memberJoin = h.joinMessage(*cookie, created->conferenceId, "Cy", kCyAudio);
        memberJoin.streams.items[1] = wire::StreamInfo{kCyVideo, wire::MediaKind::Video, 0};
        memberJoin.streams.count = 2;
        h.clock.advance(std::chrono::milliseconds(500));
        out = h.deliver(kCy, wire::ControlMessage{78, memberJoin});
        QCOMPARE(plisIn(out, kAnn, kAnnVideo), 1);
        QCOMPARE(plisIn(out, kBob, kBobVideo), 0);
    }

    void takenSsrcsAndWrongPayloadTypesAreRefused() {
        Harness h;
        QVERIFY(joinTrio(h, kPrivateView));
        // Dee announces Ann's video SSRC as her audio: refused, she is not in.
        auto replies = h.joinRaw(addr(44), h.core.conferenceRecords()[0].id, "Dee", kAnnVideo);
        QCOMPARE(Harness::errorIn(replies, addr(44)), std::optional(ErrorCode::Malformed));
        QCOMPARE(h.core.stats().drops(DropReason::DuplicateSsrc), std::uint64_t{1});
        QCOMPARE(h.core.participantCount(), std::size_t{3});
        // VP8 under an audio SSRC (past private view, to everyone) and Opus under a video one.
        auto asAudio = videoRtp(kBobVideo, 3);
        asAudio[8] = static_cast<std::uint8_t>(kBobAudio >> 24);
        asAudio[9] = static_cast<std::uint8_t>(kBobAudio >> 16);
        asAudio[10] = static_cast<std::uint8_t>(kBobAudio >> 8);
        asAudio[11] = static_cast<std::uint8_t>(kBobAudio);
        QVERIFY(h.deliver(kBob, asAudio).empty());
        QVERIFY(h.deliver(kBob, rtpBytes(kBobVideo, 4)).empty());
        QCOMPARE(h.core.stats().drops(DropReason::UnannouncedSsrc), std::uint64_t{2});
    }

    void nackAnswersAndCompoundsAreBounded() {
        Harness h;
        QVERIFY(joinTrio(h, 0));
        for (std::uint16_t seq = 0; seq < 100; ++seq)
            (void)h.deliver(kBob, videoRtp(kBobVideo, seq));
        // Three NACK packets in one datagram naming 0..99 each: 64 answers in all.
        std::vector<std::uint16_t> lost;
        for (int round = 0; round < 3; ++round)
            for (std::uint16_t seq = 0; seq < 100; ++seq)
                lost.push_back(seq);
        std::vector<std::uint8_t> buffer(wire::kMaxDatagramBytes);
        std::size_t covered = 0;
        std::vector<std::uint8_t> nack;
        for (std::size_t start = 0; start < lost.size(); start += 100) { // three NACK packets
            auto part = wire::writeNack(kCyVideo, kBobVideo, std::span(lost).subspan(start, 100),
                                        buffer, covered);
            nack.insert(nack.end(), part.begin(), part.end());
        }
        auto out = h.deliver(kCy, nack);
        // 64 for the whole datagram, each packet once.
        QCOMPARE(to(out, kCy).size(), std::size_t{64});
        QVERIFY(to(out, kBob).empty()); // everything named was in the cache
        // A compound of more than 16 packets is not taken apart.
        std::vector<std::uint8_t> many;
        for (int i = 0; i < 17; ++i) {
            const auto sr = senderReportBytes(kBobAudio);
            many.insert(many.end(), sr.begin(), sr.end());
        }
        many.resize(std::min(many.size(), wire::kMaxDatagramBytes));
        QVERIFY(h.deliver(kBob, many).empty());
        QCOMPARE(h.core.stats().drops(DropReason::RtcpTooManyPackets), std::uint64_t{1});
    }

    void resendsOfBeforeASwitchGoToAdminsOnly() {
        Harness h;
        QVERIFY(joinTrio(h, kPrivateView));
        for (std::uint16_t seq = 500; seq < 520; ++seq)
            (void)h.deliver(kBob, videoRtp(kBobVideo, seq)); // withheld from Cy
        (void)h.deliver(kAnn, wire::ControlMessage{60, wire::SetPrivateViewMsg{false}});
        // Cy asks for what was withheld: neither answered nor passed on to Bob.
        QVERIFY(h.deliver(kCy, nackBytes(kCyVideo, kBobVideo, {505, 519})).empty());
        // Bob resends one of them anyway (an admin's NACK, a late packet): admins only.
        const auto resend = videoRtp(kBobVideo, 510);
        QVERIFY(forwardedTo(h.deliver(kBob, resend), resend, {kAnn}));
        // New packets go to everyone.
        const auto fresh = videoRtp(kBobVideo, 520);
        QVERIFY(forwardedTo(h.deliver(kBob, fresh), fresh, {kAnn, kCy}));
        // After the horizon the mark is forgotten (sequence numbers wrap in the end).
        h.clock.advance(std::chrono::seconds(11));
        const auto later = videoRtp(kBobVideo, 521);
        QVERIFY(forwardedTo(h.deliver(kBob, later), later, {kAnn, kCy}));
    }

    void withoutPrivateViewEveryoneGetsEveryonesVideo() {
        Harness h;
        QVERIFY(joinTrio(h, 0));
        const auto bobVideo = videoRtp(kBobVideo, 1);
        QVERIFY(forwardedTo(h.deliver(kBob, bobVideo), bobVideo, {kAnn, kCy}));
        const auto cyVideo = videoRtp(kCyVideo, 1);
        QVERIFY(forwardedTo(h.deliver(kCy, cyVideo), cyVideo, {kAnn, kBob}));
        const auto annVideo = videoRtp(kAnnVideo, 1);
        QVERIFY(forwardedTo(h.deliver(kAnn, annVideo), annVideo, {kBob, kCy}));
        const auto bobReport = senderReportBytes(kBobVideo);
        QVERIFY(forwardedTo(h.deliver(kBob, bobReport), bobReport, {kAnn, kCy}));
        QCOMPARE(h.core.stats().videoWithheld, std::uint64_t{0});
        QCOMPARE(h.core.stats().rtpForwarded, std::uint64_t{3});
    }

    void unannouncedSsrcIsNotForwarded() {
        Harness h;
        QVERIFY(joinTrio(h, kPrivateView));
        const auto& stats = h.core.stats();
        // An SSRC nobody announced, audio or video.
        QVERIFY(h.deliver(kBob, videoRtp(0xB9, 5)).empty());
        QVERIFY(h.deliver(kBob, rtpBytes(0xB9, 5)).empty());
        // Another participant's SSRC: passing it would carry Bob's video past private view as
        // if it were the admin's.
        QVERIFY(h.deliver(kBob, videoRtp(kAnnVideo, 7)).empty());
        QVERIFY(h.deliver(kCy, videoRtp(kBobVideo, 7)).empty());
        QCOMPARE(stats.drops(DropReason::UnannouncedSsrc), std::uint64_t{4});
        QCOMPARE(stats.rtpForwarded, std::uint64_t{0});
        QCOMPARE(stats.forwardedPackets, std::uint64_t{0});
        QCOMPARE(stats.videoWithheld, std::uint64_t{0});

        // None of them went into a cache: a NACK for the spoofed packet goes to the real
        // owner as a NACK instead of being answered with Bob's bytes.
        auto out = h.deliver(kCy, nackBytes(kCyVideo, kAnnVideo, {7}));
        QCOMPARE(out.size(), std::size_t{1});
        QVERIFY(out[0].to == kAnn);
        auto nack = parseNack(out[0].bytes);
        QVERIFY(nack);
        QVERIFY(nack->sequences == std::vector<std::uint16_t>{7});
        QCOMPARE(stats.retransmissionsSent, std::uint64_t{0});

        // The announced stream still passes.
        const auto bobVideo = videoRtp(kBobVideo, 8);
        QVERIFY(forwardedTo(h.deliver(kBob, bobVideo), bobVideo, {kAnn}));
    }

    void nackIsAnsweredFromTheRelayCache() {
        Harness h;
        QVERIFY(joinTrio(h, 0));
        const auto& stats = h.core.stats();
        std::vector<std::vector<std::uint8_t>> bobPackets; // seq 100 + index
        for (std::uint16_t seq = 100; seq < 110; ++seq) {
            bobPackets.push_back(videoRtp(kBobVideo, seq));
            QCOMPARE(h.deliver(kBob, bobPackets.back()).size(), std::size_t{2});
        }

        // All cached: the very packets go back to the asker, nothing to the sender.
        auto out = h.deliver(kCy, nackBytes(kCyVideo, kBobVideo, {102, 105, 107}));
        QCOMPARE(out.size(), std::size_t{3});
        const std::size_t answered[] = {2, 5, 7};
        for (std::size_t i = 0; i < out.size(); ++i) {
            QVERIFY(out[i].to == kCy);
            QVERIFY(!out[i].forwarded);
            QVERIFY(out[i].bytes == bobPackets[answered[i]]);
        }
        QCOMPARE(stats.nacksReceived, std::uint64_t{3});
        QCOMPARE(stats.retransmissionsSent, std::uint64_t{3});
        QCOMPARE(stats.nacksForwarded, std::uint64_t{0});

        // Partly cached: the rest goes to the sender as a NACK naming just those.
        out = h.deliver(kCy, nackBytes(kCyVideo, kBobVideo, {103, 110, 111}));
        QCOMPARE(out.size(), std::size_t{2});
        auto toCy = to(out, kCy);
        QCOMPARE(toCy.size(), std::size_t{1});
        QVERIFY(toCy[0].bytes == bobPackets[3]);
        auto toBob = to(out, kBob);
        QCOMPARE(toBob.size(), std::size_t{1});
        QVERIFY(!toBob[0].forwarded); // a NACK the relay wrote, not Cy's
        auto nack = parseNack(toBob[0].bytes);
        QVERIFY(nack);
        QCOMPARE(nack->senderSsrc, kCyVideo);
        QCOMPARE(nack->mediaSsrc, kBobVideo);
        QVERIFY((nack->sequences == std::vector<std::uint16_t>{110, 111}));
        QCOMPARE(stats.nacksReceived, std::uint64_t{6});
        QCOMPARE(stats.retransmissionsSent, std::uint64_t{4});
        QCOMPARE(stats.nacksForwarded, std::uint64_t{2});

        // Nothing cached: all of it to the sender, nothing to the asker.
        out = h.deliver(kAnn, nackBytes(kAnnVideo, kBobVideo, {200, 216, 300}));
        QCOMPARE(out.size(), std::size_t{1});
        QVERIFY(out[0].to == kBob);
        nack = parseNack(out[0].bytes);
        QVERIFY(nack);
        QCOMPARE(nack->senderSsrc, kAnnVideo);
        QVERIFY((nack->sequences == std::vector<std::uint16_t>{200, 216, 300}));
        QCOMPARE(stats.nacksReceived, std::uint64_t{9});
        QCOMPARE(stats.retransmissionsSent, std::uint64_t{4});
        QCOMPARE(stats.nacksForwarded, std::uint64_t{5});
        QCOMPARE(stats.drops(DropReason::FeedbackUnroutable), std::uint64_t{0});
    }

    void retransmissionsPerReceiverAreBudgeted() {
        Harness h;
        QVERIFY(joinTrio(h, 0));
        const auto& stats = h.core.stats();
        for (std::uint16_t seq = 0; seq < 64; ++seq)
            (void)h.deliver(kBob, videoRtp(kBobVideo, seq));
        std::vector<std::uint16_t> all(64);
        for (std::uint16_t i = 0; i < 64; ++i)
            all[i] = i;
        // Cy asks for all 64 again and again at once: the burst (400) is answered, then no
        // more until the budget refills; nothing of it goes to Bob (the cache has it all).
        std::size_t answeredToCy = 0;
        for (int round = 0; round < 10; ++round) {
            const auto out = h.deliver(kCy, nackBytes(kCyVideo, kBobVideo, all));
            answeredToCy += to(out, kCy).size();
            QCOMPARE(to(out, kBob).size(), std::size_t{0});
        }
        QCOMPARE(answeredToCy, std::size_t{400});
        QCOMPARE(stats.retransmissionsLimited, std::uint64_t{640 - 400});
        // Ann's budget is her own.
        QCOMPARE(to(h.deliver(kAnn, nackBytes(kAnnVideo, kBobVideo, {1, 2, 3})), kAnn).size(),
                 std::size_t{3});
        // A second later Cy has 200 more.
        h.clock.advance(std::chrono::seconds(1));
        answeredToCy = 0;
        for (int round = 0; round < 5; ++round)
            answeredToCy += to(h.deliver(kCy, nackBytes(kCyVideo, kBobVideo, all)), kCy).size();
        QCOMPARE(answeredToCy, std::size_t{200});
    }

    void pliGoesToTheOwnerAndIsCoalesced() {
        Harness h;
        QVERIFY(joinTrio(h, 0));
        const auto& stats = h.core.stats();
        const auto pliFromCy = pliBytes(kCyVideo, kBobVideo);
        const auto pliFromAnn = pliBytes(kAnnVideo, kBobVideo);

        auto out = h.deliver(kCy, pliFromCy);
        QVERIFY(forwardedTo(out, pliFromCy, {kBob})); // not to Ann
        QVERIFY(out[0].source == pliFromCy.data());
        QCOMPARE(stats.plisForwarded, std::uint64_t{1});

        // Within kPliCoalesce: Bob's key frame is on its way already.
        h.clock.advance(kPliCoalesce - std::chrono::milliseconds(1));
        QVERIFY(h.deliver(kAnn, pliFromAnn).empty());
        QVERIFY(h.deliver(kCy, pliFromCy).empty());
        QCOMPARE(stats.plisCoalesced, std::uint64_t{2});
        // Each stream has its own window.
        const auto pliForCy = pliBytes(kBobVideo, kCyVideo);
        QVERIFY(forwardedTo(h.deliver(kBob, pliForCy), pliForCy, {kCy}));
        QCOMPARE(stats.plisForwarded, std::uint64_t{2});

        // kPliCoalesce after the forwarded one: passed on, and the window starts again.
        h.clock.advance(std::chrono::milliseconds(1));
        QVERIFY(forwardedTo(h.deliver(kAnn, pliFromAnn), pliFromAnn, {kBob}));
        h.clock.advance(kPliCoalesce - std::chrono::milliseconds(1));
        QVERIFY(h.deliver(kCy, pliFromCy).empty());
        h.clock.advance(std::chrono::milliseconds(1));
        QVERIFY(forwardedTo(h.deliver(kCy, pliFromCy), pliFromCy, {kBob}));
        QCOMPARE(stats.plisForwarded, std::uint64_t{4});
        QCOMPARE(stats.plisCoalesced, std::uint64_t{3});
        QCOMPARE(stats.drops(DropReason::FeedbackUnroutable), std::uint64_t{0});
    }

    void unroutableFeedbackIsDroppedAndLeaksNothing() {
        Harness h;
        QVERIFY(joinTrio(h, kPrivateView));
        const auto& stats = h.core.stats();
        std::vector<std::vector<std::uint8_t>> bobPackets;
        std::vector<std::vector<std::uint8_t>> annPackets;
        for (std::uint16_t seq = 1; seq <= 5; ++seq) { // every cache holds seq 1..5
            bobPackets.push_back(videoRtp(kBobVideo, seq));
            annPackets.push_back(videoRtp(kAnnVideo, seq));
            (void)h.deliver(kBob, bobPackets.back());
            (void)h.deliver(kCy, videoRtp(kCyVideo, seq));
            (void)h.deliver(kAnn, annPackets.back());
        }

        struct Case {
            SocketAddress from;
            std::vector<std::uint8_t> bytes;
            const char* what;
        };
        const Case cases[] = {
            {kCy, nackBytes(kCyVideo, 0xDEAD, {1, 2}), "NACK for an unknown SSRC"},
            {kCy, pliBytes(kCyVideo, 0xDEAD), "PLI for an unknown SSRC"},
            {kBob, nackBytes(kBobVideo, kBobVideo, {1, 2, 3}), "NACK for the asker's own"},
            {kBob, pliBytes(kBobVideo, kBobVideo), "PLI for the asker's own"},
            {kCy, nackBytes(kCyVideo, kBobVideo, {1, 2, 3, 4, 5, 99}),
             "member's NACK for another member's video"},
            {kCy, pliBytes(kCyVideo, kBobVideo), "member's PLI for another member's video"},
            {kBob, nackBytes(kBobVideo, kCyAudio, {1}), "NACK for an audio stream"},
        };
        std::uint64_t dropped = 0;
        for (const auto& c : cases) {
            QVERIFY2(h.deliver(c.from, c.bytes).empty(), c.what);
            QCOMPARE(stats.drops(DropReason::FeedbackUnroutable), ++dropped);
        }
        QCOMPARE(stats.nacksReceived, std::uint64_t{0});
        QCOMPARE(stats.retransmissionsSent, std::uint64_t{0});
        QCOMPARE(stats.nacksForwarded, std::uint64_t{0});
        QCOMPARE(stats.plisForwarded, std::uint64_t{0});
        QCOMPARE(stats.plisCoalesced, std::uint64_t{0});

        // Where the stream may go, the same feedback is routed: the admin asks for a
        // member's video, a member for the admin's.
        auto out = h.deliver(kAnn, nackBytes(kAnnVideo, kBobVideo, {3}));
        QCOMPARE(out.size(), std::size_t{1});
        QVERIFY(out[0].to == kAnn && out[0].bytes == bobPackets[2]);
        out = h.deliver(kBob, nackBytes(kBobVideo, kAnnVideo, {4}));
        QCOMPARE(out.size(), std::size_t{1});
        QVERIFY(out[0].to == kBob && out[0].bytes == annPackets[3]);
        const auto pliForAnn = pliBytes(kCyVideo, kAnnVideo);
        QVERIFY(forwardedTo(h.deliver(kCy, pliForAnn), pliForAnn, {kAnn}));
        const auto pliForCy = pliBytes(kAnnVideo, kCyVideo);
        QVERIFY(forwardedTo(h.deliver(kAnn, pliForCy), pliForCy, {kCy}));
        QCOMPARE(stats.drops(DropReason::FeedbackUnroutable), dropped);
    }

    void senderReportsFollowThePrivateViewRule() {
        Harness h;
        QVERIFY(joinTrio(h, kPrivateView));
        const auto& stats = h.core.stats();
        const auto bobVideoReport = senderReportBytes(kBobVideo);
        QVERIFY(forwardedTo(h.deliver(kBob, bobVideoReport), bobVideoReport, {kAnn}));
        QCOMPARE(stats.videoWithheld, std::uint64_t{1});
        const auto bobAudioReport = senderReportBytes(kBobAudio);
        QVERIFY(forwardedTo(h.deliver(kBob, bobAudioReport), bobAudioReport, {kAnn, kCy}));
        const auto annVideoReport = senderReportBytes(kAnnVideo);
        QVERIFY(forwardedTo(h.deliver(kAnn, annVideoReport), annVideoReport, {kBob, kCy}));
        QCOMPARE(stats.videoWithheld, std::uint64_t{1});

        // SR + PLI in one datagram: each packet is routed on its own, as a part of the
        // received bytes.
        const auto annCompound = concat(annVideoReport, pliBytes(kAnnVideo, kBobVideo));
        auto out = h.deliver(kAnn, annCompound);
        QCOMPARE(out.size(), std::size_t{3});
        auto toBob = to(out, kBob);
        QCOMPARE(toBob.size(), std::size_t{2});
        QVERIFY(toBob[0].forwarded && toBob[0].bytes == annVideoReport);
        QVERIFY(toBob[0].source == annCompound.data());
        QVERIFY(toBob[1].forwarded && toBob[1].bytes == pliBytes(kAnnVideo, kBobVideo));
        QVERIFY(toBob[1].source == annCompound.data() + annVideoReport.size());
        auto toCy = to(out, kCy);
        QCOMPARE(toCy.size(), std::size_t{1});
        QVERIFY(toCy[0].bytes == annVideoReport);

        const auto bobCompound = concat(bobVideoReport, pliBytes(kBobVideo, kAnnVideo));
        out = h.deliver(kBob, bobCompound);
        QCOMPARE(out.size(), std::size_t{2}); // both to Ann, the SR withheld from Cy
        QVERIFY(to(out, kAnn).size() == 2);
        QCOMPARE(stats.videoWithheld, std::uint64_t{2});
        QCOMPARE(stats.plisForwarded, std::uint64_t{2});

        // A PLI that may not pass takes nothing else of its datagram with it.
        const auto cyAudioReport = senderReportBytes(kCyAudio);
        out = h.deliver(kCy, concat(cyAudioReport, pliBytes(kCyVideo, kBobVideo)));
        QVERIFY(forwardedTo(out, cyAudioReport, {kAnn, kBob}));
        QCOMPARE(stats.drops(DropReason::FeedbackUnroutable), std::uint64_t{1});
        QCOMPARE(stats.plisForwarded, std::uint64_t{2});
    }

    void videoForwardingAllocatesNothing() {
        Harness h;
        auto created = h.create(addr(200), 1, kPrivateView);
        QVERIFY(created);
        // Participant 0 is the admin, 1..9 members: each member's video goes to the admin
        // only, the admin's to all nine.
        constexpr std::size_t kPeople = 10;
        constexpr std::uint16_t kSeqs = 16;
        std::vector<SocketAddress> people;
        std::vector<std::vector<std::vector<std::uint8_t>>> packets(kPeople);
        for (std::size_t i = 0; i < kPeople; ++i) {
            people.push_back(addr(static_cast<std::uint8_t>(i + 1)));
            const auto secret =
                i == 0 ? std::optional(created->adminSecret) : std::optional<wire::AdminSecret>();
            QVERIFY(h.joinWithVideo(people[i], created->conferenceId, "P" + std::to_string(i),
                                    0x100 + static_cast<std::uint32_t>(i),
                                    0x200 + static_cast<std::uint32_t>(i), secret));
            for (std::uint16_t seq = 0; seq < kSeqs; ++seq)
                packets[i].push_back(videoRtp(0x200 + static_cast<std::uint32_t>(i), seq, 1000));
        }
        const auto nack = nackBytes(0x200, 0x201, {0}); // admin asks for member 1's seq 0
        const auto pli = pliBytes(0x200, 0x201);
        const auto report = senderReportBytes(0x205); // member 5's video: to the admin only
        CountingSink sink;
        const auto now = h.clock.now();
        // Warm up every path once (the PLI opens a coalescing window that `now` never leaves).
        for (std::size_t i = 0; i < kPeople; ++i)
            h.core.onDatagram(people[i], packets[i][0], now, sink);
        h.core.onDatagram(people[0], nack, now, sink);
        h.core.onDatagram(people[0], pli, now, sink);
        h.core.onDatagram(people[5], report, now, sink);
        sink.forwarded = 0;
        sink.sent = 0;
        const auto coalescedBefore = h.core.stats().plisCoalesced;
        g_allocations = 0;
        g_countAllocations = true;
        for (int n = 0; n < 10000; ++n) {
            const auto s = static_cast<std::size_t>(n % 10);
            const auto seq = static_cast<std::size_t>((n / 10) % kSeqs);
            h.core.onDatagram(people[s], packets[s][seq], now, sink);
            if (n % 100 == 49)
                h.core.onDatagram(people[5], report, now, sink);
            if (n % 100 == 99) {
                h.core.onDatagram(people[0], nack, now, sink);
                h.core.onDatagram(people[0], pli, now, sink);
            }
        }
        g_countAllocations = false;
        QCOMPARE(g_allocations.load(), std::uint64_t{0});
        // 1000 rounds of 9 (admin) + 9 x 1 (members), plus 100 reports to the admin.
        QCOMPARE(sink.forwarded, std::uint64_t{18000 + 100});
        QCOMPARE(sink.sent, std::uint64_t{100}); // the retransmissions from the cache
        QCOMPARE(h.core.stats().plisCoalesced - coalescedBefore, std::uint64_t{100});
        QCOMPARE(h.core.stats().droppedTotal(), std::uint64_t{0});
    }

    // --- Keepalive, leave, time-outs --------------------------------------------------------

    void pingIsAnsweredWithPong() {
        Harness h;
        auto created = h.create(addr(9));
        QVERIFY(h.join(addr(1), created->conferenceId, "A"));
        auto replies = h.deliver(addr(1), wire::ControlMessage{55, wire::PingMsg{123456789}});
        QCOMPARE(replies.size(), std::size_t{1});
        auto m = replies[0].control();
        QCOMPARE(m->requestId, 55u);
        QCOMPARE(std::get<wire::PongMsg>(m->body).timestampUs, std::uint64_t{123456789});

        // From an address that is not joined: NotJoined, no larger than the Ping (16 bytes).
        const auto pingBytes = encode(wire::ControlMessage{56, wire::PingMsg{1}});
        replies = h.deliver(addr(2), pingBytes);
        QCOMPARE(Harness::errorIn(replies, addr(2)), std::optional(ErrorCode::NotJoined));
        QVERIFY(replies[0].bytes.size() <= pingBytes.size());
        // Leave from an unknown address: no answer.
        QVERIFY(h.deliver(addr(2), wire::ControlMessage{57, wire::LeaveMsg{}}).empty());
    }

    void silentParticipantTimesOut() {
        Harness h;
        auto created = h.create(addr(9));
        QVERIFY(h.join(addr(1), created->conferenceId, "Quiet"));
        QVERIFY(h.join(addr(2), created->conferenceId, "Talker"));
        ackAll(h, addr(2), 2);
        std::vector<Sent> all;
        for (int s = 0; s < 9; ++s) { // 9.x s: both still there
            auto out = h.advance(std::chrono::seconds(1));
            all.insert(all.end(), out.begin(), out.end());
            ping(h, addr(2));
            (void)h.deliver(addr(2),
                            rtpBytes(2, static_cast<std::uint16_t>(s))); // media counts too
        }
        QCOMPARE(h.core.participantCount(), std::size_t{2});
        auto out = h.advance(std::chrono::milliseconds(1100));
        QCOMPARE(h.core.participantCount(), std::size_t{1});
        QCOMPARE(h.core.stats().participantsTimedOut, std::uint64_t{1});
        auto toTalker = rosterIn(out, addr(2));
        QCOMPARE(toTalker.size(), std::size_t{1});
        QCOMPARE(toTalker[0].op, wire::RosterOp::Remove);
        QCOMPARE(toTalker[0].participantId, 1u);
        QCOMPARE(toTalker[0].seq, 3u);
        // The timed-out address is unknown now.
        QVERIFY(h.deliver(addr(1), rtpBytes(1, 1)).empty());
    }

    void leaveRemovesAtOnce() {
        Harness h;
        auto created = h.create(addr(9));
        QVERIFY(h.join(addr(1), created->conferenceId, "A"));
        QVERIFY(h.join(addr(2), created->conferenceId, "B"));
        auto out = h.deliver(addr(1), wire::ControlMessage{8, wire::LeaveMsg{}});
        QVERIFY(to(out, addr(1)).empty()); // no reply to the leaver
        auto toB = rosterIn(out, addr(2));
        QCOMPARE(toB.size(), std::size_t{1});
        QCOMPARE(toB[0].op, wire::RosterOp::Remove);
        QCOMPARE(toB[0].participantId, 1u);
        QCOMPARE(h.core.participantCount(), std::size_t{1});
        QCOMPARE(h.core.stats().participantsLeft, std::uint64_t{1});
        // Media from B goes nowhere now, and A's media is not forwarded.
        QVERIFY(h.deliver(addr(2), rtpBytes(2, 1)).empty());
        QVERIFY(h.deliver(addr(1), rtpBytes(1, 1)).empty());
    }

    void selfStateMuteIsAnnouncedToEveryoneOnce() {
        Harness h;
        auto created = h.create(addr(9));
        QVERIFY(h.join(addr(1), created->conferenceId, "A", 0, created->adminSecret));
        QVERIFY(h.join(addr(2), created->conferenceId, "B"));
        const auto muted = static_cast<std::uint8_t>(wire::ParticipantFlags::AudioMuted);
        const auto admin = static_cast<std::uint8_t>(wire::ParticipantFlags::Admin);

        auto out = h.deliver(addr(2), wire::ControlMessage{40, wire::SelfStateMsg{muted}});
        for (const auto& who : {addr(1), addr(2)}) {
            auto roster = rosterIn(out, who);
            QCOMPARE(roster.size(), std::size_t{1}); // B itself hears it too: its confirmation
            QCOMPARE(roster[0].op, wire::RosterOp::Upsert);
            QCOMPARE(roster[0].participantId, 2u);
            QCOMPARE(roster[0].flags, muted);
        }
        // A repeat (the client resends until it sees the change) announces nothing again.
        QVERIFY(rosterIn(h.deliver(addr(2), wire::ControlMessage{41, wire::SelfStateMsg{muted}}),
                         addr(1))
                    .empty());
        // The admin flag stays the relay's: an admin unmuting keeps Admin.
        (void)h.deliver(addr(1), wire::ControlMessage{42, wire::SelfStateMsg{muted}});
        auto unmute = h.deliver(addr(1), wire::ControlMessage{43, wire::SelfStateMsg{0}});
        auto toB = rosterIn(unmute, addr(2));
        QCOMPARE(toB.size(), std::size_t{1});
        QCOMPARE(toB[0].flags, admin);
        // From an address that is not in a conference: never more bytes than the 9 it sent.
        auto stranger = h.deliver(addr(7), wire::ControlMessage{44, wire::SelfStateMsg{muted}});
        for (const auto& reply : stranger)
            QVERIFY(reply.bytes.size() <= 9);
        QCOMPARE(h.core.participantCount(), std::size_t{2});
    }

    void selfStateFloodIsRateLimited() {
        Harness h;
        auto created = h.create(addr(9));
        QVERIFY(h.join(addr(1), created->conferenceId, "A"));
        QVERIFY(h.join(addr(2), created->conferenceId, "B"));
        const auto muted = static_cast<std::uint8_t>(wire::ParticipantFlags::AudioMuted);
        std::size_t announcedToA = 0;
        for (std::uint32_t i = 0; i < 200; ++i) {
            auto out = h.deliver(
                addr(2), wire::ControlMessage{100 + i, wire::SelfStateMsg{static_cast<std::uint8_t>(
                                                           i % 2 ? 0 : muted)}});
            announcedToA += rosterIn(out, addr(1)).size();
        }
        QVERIFY2(announcedToA <= 8, qPrintable(QString::number(announcedToA))); // the burst
        QVERIFY(h.core.stats().drops(DropReason::RateLimitedControl) >= 192);
        QCOMPARE(h.core.participantCount(), std::size_t{2}); // nobody overflowed and was dropped
    }

    // --- Conference lifetime ----------------------------------------------------------------

    void emptyConferenceExpiresAfterEmptyTtl() {
        MemoryStore store;
        Harness h({}, &store);
        auto created = h.create(addr(9));
        QVERIFY(h.join(addr(1), created->conferenceId, "A"));
        QCOMPARE(store.saves, 2); // create, first join
        QVERIFY(store.last[0].everJoined);
        (void)h.deliver(addr(1), wire::ControlMessage{8, wire::LeaveMsg{}});
        h.advance(std::chrono::seconds(59));
        QVERIFY(h.core.conferenceInfo(created->conferenceId));
        // Rejoining within the TTL keeps it; leaving again restarts the grace period.
        QVERIFY(h.join(addr(1), created->conferenceId, "A"));
        (void)h.deliver(addr(1), wire::ControlMessage{8, wire::LeaveMsg{}});
        h.advance(std::chrono::seconds(59));
        QVERIFY(h.core.conferenceInfo(created->conferenceId));
        h.advance(std::chrono::seconds(2));
        QVERIFY(!h.core.conferenceInfo(created->conferenceId));
        QCOMPARE(h.core.stats().conferencesExpiredEmpty, std::uint64_t{1});
        QVERIFY(store.last.empty()); // the removal was saved
        // Joining it now: unknown.
        QCOMPARE(Harness::errorIn(h.joinRaw(addr(1), created->conferenceId, "A"), addr(1)),
                 std::optional(ErrorCode::UnknownConference));
    }

    void unusedConferenceLivesForUnusedTtl() {
        relay::RelayConfig config;
        config.unusedTtl = std::chrono::seconds(600);
        config.emptyTtl = std::chrono::seconds(5);
        Harness h(config);
        auto created = h.create(addr(9));
        h.advance(std::chrono::seconds(599));
        QVERIFY(h.core.conferenceInfo(created->conferenceId)); // the empty TTL does not apply
        h.advance(std::chrono::seconds(2));
        QVERIFY(!h.core.conferenceInfo(created->conferenceId));
        QCOMPARE(h.core.stats().conferencesExpiredUnused, std::uint64_t{1});
    }

    // --- Persistence hooks ------------------------------------------------------------------

    void restoredConferencesAreJoinableWithTheSameSecret() {
        MemoryStore store;
        wire::AdminSecret secret{};
        std::uint64_t usedId = 0;
        std::uint64_t unusedId = 0;
        {
            Harness h({}, &store);
            auto used = h.create(addr(9), 1);
            auto unused = h.create(addr(9), 2);
            QVERIFY(h.join(addr(1), used->conferenceId, "A"));
            secret = used->adminSecret;
            usedId = used->conferenceId;
            unusedId = unused->conferenceId;
        }
        QCOMPARE(store.last.size(), std::size_t{2});

        relay::RelayConfig config;
        config.unusedTtl = std::chrono::seconds(3600);
        Harness h(config);
        h.clock.advance(std::chrono::seconds(1800)); // the relay was down for 30 minutes
        h.core.restore(store.last, h.clock.now());
        QCOMPARE(h.core.conferenceCount(), std::size_t{2});
        auto admin = h.join(addr(1), usedId, "A", 1, secret);
        QVERIFY(admin); // a new relay secret, but the verifier came back
        QCOMPARE(admin->role, wire::Role::Admin);
        (void)h.deliver(addr(1), wire::ControlMessage{8, wire::LeaveMsg{}});
        // The unused one keeps its wall-clock deadline: 1 h after its creation.
        h.advance(std::chrono::seconds(1790));
        QVERIFY(h.core.conferenceInfo(unusedId));
        h.advance(std::chrono::seconds(20));
        QVERIFY(!h.core.conferenceInfo(unusedId));
        QVERIFY(!h.core.conferenceInfo(usedId)); // emptied long ago (60 s)
    }

    void saveFailureIsCountedNotFatal() {
        MemoryStore store;
        store.failing = true;
        Harness h({}, &store);
        QVERIFY(h.create(addr(9)));
        QCOMPARE(h.core.stats().stateSaveFailures, std::uint64_t{1});
        QCOMPARE(h.core.conferenceCount(), std::size_t{1});
    }

    // --- Hostile input ----------------------------------------------------------------------

    void malformedControlFromUnknownSourceNeverAmplifies() {
        Harness h;
        auto cookie = h.cookieFor(addr(1));
        std::vector<std::vector<std::uint8_t>> inputs;
        // Truncated Create (12 bytes: header + 4) and Create with trailing bytes.
        auto create = encode(wire::ControlMessage{3, wire::CreateMsg{*cookie, 0}});
        inputs.emplace_back(create.begin(), create.begin() + 12);
        inputs.emplace_back(create.begin(), create.begin() + 9);
        auto trailing = create;
        trailing.push_back(0);
        inputs.push_back(trailing);
        inputs.push_back(withHeader(1, 200, 9, 4)); // unknown type
        inputs.push_back(withHeader(1, 13, 9, 40)); // reserved type
        inputs.push_back(withHeader(7, 3, 9, 24));  // unsupported version
        inputs.push_back(withHeader(1, 5, 9, 3));   // Join, truncated
        auto badFlags = create;
        badFlags[3] = 1; // header flags must be 0
        inputs.push_back(badFlags);
        inputs.push_back({wire::kControlMagic}); // lone magic byte
        for (const auto& input : inputs) {
            auto replies = h.deliver(addr(2), input);
            QVERIFY(replies.size() <= 1);
            for (const auto& r : replies) {
                QVERIFY2(r.bytes.size() <= input.size(), "reply larger than the request");
                QVERIFY(r.isType(MessageType::Error));
            }
        }
        QVERIFY(h.core.stats().drops(DropReason::MalformedControl) >= inputs.size() - 1);
        QVERIFY(h.core.stats().malformed(wire::ParseError::Truncated) >= 2);
        QCOMPARE(h.core.stats().malformed(wire::ParseError::UnsupportedVersion), std::uint64_t{1});
    }

    void unsupportedVersionIsAnsweredInVersionOne() {
        Harness h;
        const auto input = withHeader(2, 5, 0xABCDEF01, 100);
        auto replies = h.deliver(addr(1), input);
        QCOMPARE(replies.size(), std::size_t{1});
        QCOMPARE(replies[0].bytes[1], wire::kProtocolVersion);
        auto m = replies[0].control();
        QVERIFY(m);
        QCOMPARE(m->requestId, 0xABCDEF01u);
        QVERIFY(std::get<wire::ErrorMsg>(m->body).code == ErrorCode::UnsupportedVersion);
        QVERIFY(replies[0].bytes.size() <= input.size());
    }

    void relayToClientTypesAreNeverAnswered() {
        Harness h;
        const wire::ControlBody bodies[] = {
            wire::CookieMsg{}, wire::CreatedMsg{1, {}, 0}, wire::JoinedMsg{}, wire::PongMsg{1},
            wire::ErrorMsg{ErrorCode::Malformed, MessageType::Join, "x"}};
        for (const auto& body : bodies)
            QVERIFY(h.deliver(addr(1), wire::ControlMessage{1, body}).empty());
        QCOMPARE(h.core.stats().drops(DropReason::UnexpectedControl), std::uint64_t{5});
        // Not even a malformed Error gets an Error back (two relays must not ping-pong).
        QVERIFY(h.deliver(addr(1), withHeader(1, 12, 1, 2)).empty());
        QVERIFY(h.deliver(addr(1), std::vector<std::uint8_t>{0x01, 0x02}).empty());
        QCOMPARE(h.core.stats().drops(DropReason::UnknownKind), std::uint64_t{1});
    }

    void garbageStormNeverCrashesAndIsCounted() {
        relay::RelayConfig config;
        config.maxRateLimitEntries = 1000;
        Harness h(config);
        auto created = h.create(addr(250));
        QVERIFY(h.join(addr(251), created->conferenceId, "Victim", 1));
        QVERIFY(h.join(addr(252), created->conferenceId, "Peer", 2));
        std::mt19937 rng(20240601);
        std::vector<std::uint8_t> buffer;
        std::uint64_t replies = 0;
        for (int n = 0; n < 100000; ++n) {
            const std::size_t len = rng() % 1300;
            buffer.resize(len);
            for (auto& b : buffer)
                b = static_cast<std::uint8_t>(rng());
            switch (rng() % 5) {
            case 0: // control-looking, random version and type
                if (len >= 3) {
                    buffer[0] = wire::kControlMagic;
                    buffer[1] = static_cast<std::uint8_t>(rng() % 3);
                    buffer[2] = static_cast<std::uint8_t>(rng() % 16);
                }
                break;
            case 1: // RTP/RTCP-looking
                if (len >= 2) {
                    buffer[0] = 0x80 | (buffer[0] & 0x3F);
                    buffer[1] = static_cast<std::uint8_t>(rng() % 2 ? 111 : 200 + rng() % 8);
                }
                break;
            case 2: // a valid header of a known type with a random body
                if (len >= 8) {
                    buffer[0] = wire::kControlMagic;
                    buffer[1] = wire::kProtocolVersion;
                    buffer[2] = static_cast<std::uint8_t>(1 + rng() % 12);
                    buffer[3] = 0;
                }
                break;
            default:
                break;
            }
            // Mostly random sources (IPv4 and IPv6), sometimes the participants themselves.
            SocketAddress from;
            const auto pick = rng() % 10;
            if (pick == 0) {
                from = addr(251);
            } else if (pick == 1) {
                std::array<std::uint8_t, 16> ip{};
                for (auto& b : ip)
                    b = static_cast<std::uint8_t>(rng());
                from = SocketAddress::v6(ip, static_cast<std::uint16_t>(rng()));
            } else {
                from = SocketAddress::v4(static_cast<std::uint32_t>(rng()),
                                         static_cast<std::uint16_t>(rng()));
            }
            auto out = h.deliver(from, buffer);
            for (const auto& s : out) {
                if (s.forwarded)
                    continue;
                ++replies;
                if (!(from == addr(251)) && s.to == from && s.bytes.size() > len)
                    QFAIL("a reply to an unvalidated source was larger than its datagram");
            }
            if (n % 1000 == 0)
                h.advance(std::chrono::milliseconds(50));
        }
        const auto& stats = h.core.stats();
        QVERIFY(stats.datagramsReceived >= 100000);
        QVERIFY(stats.droppedTotal() > 50000);
        QVERIFY(stats.drops(DropReason::NotJoined) > 0);
        QVERIFY(stats.drops(DropReason::UnknownKind) > 0);
        QVERIFY(stats.drops(DropReason::TooLarge) > 0);
        QVERIFY(stats.drops(DropReason::MalformedControl) > 0);
        qInfo("storm: %llu replies, %llu drops", static_cast<unsigned long long>(replies),
              static_cast<unsigned long long>(stats.droppedTotal()));
        // The real participants still talk (garbage from the victim's own address may have
        // been a valid Leave, so both (re)join first: a retransmitted Join is harmless).
        QVERIFY(h.join(addr(251), created->conferenceId, "Victim", 1));
        QVERIFY(h.join(addr(252), created->conferenceId, "Peer", 2));
        auto out = h.deliver(addr(252), rtpBytes(2, 7));
        QCOMPARE(out.size(), std::size_t{1});
        QVERIFY(out[0].to == addr(251));
        // JSON renders.
        const auto json = relay::statsToJson(stats);
        QVERIFY(json.find("\"not_joined\"") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestRelayCore)
#include "TestRelayCore.moc"
