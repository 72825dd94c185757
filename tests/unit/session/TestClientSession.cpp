// ClientSession against a recording transport and a fake clock: exact bytes of the
// handshake, retransmission and give-up, BadCookie, error mapping, roster order and acks,
// keepalive and RTT, connection loss, leave.

#include "diyuma/crypto/Hmac.h"
#include "diyuma/session/ClientSession.h"

#include "FakeClock.h"
#include "FakeRelay.h"

#include <QtTest/QtTest>

using namespace diyuma;
using namespace diyuma::core;
using namespace std::chrono_literals;
using test::Bytes;
using test::encode;
using test::stateName;

namespace {
class Listener final : public ClientSessionListener {
public:
    void onCreated(const CreatedConference& c) override { created.push_back(c); }
    void onJoined(const JoinInfo& info) override { joined.push_back(info); }
    void onRosterChanged(const RosterChange& change) override { changes.push_back(change); }
    void onError(const SessionError& error) override { errors.push_back(error); }
    void onConnectionLost(std::string_view reason) override { lost.emplace_back(reason); }
    void onConferenceFlagsChanged(std::uint32_t flags) override {
        conferenceFlags.push_back(flags);
    }
    void onRequestRefused(const SessionError& error) override { refused.push_back(error); }
    void onMutedByAdmin(bool muted, bool locked) override {
        adminMutes.emplace_back(muted, locked);
    }

    std::vector<CreatedConference> created;
    std::vector<JoinInfo> joined;
    std::vector<RosterChange> changes;
    std::vector<SessionError> errors;
    std::vector<std::string> lost;
    std::vector<std::uint32_t> conferenceFlags;
    std::vector<SessionError> refused;
    std::vector<std::pair<bool, bool>> adminMutes;
};

constexpr std::uint64_t kConference = 0x0ABCDEF012345678ull;
const wire::Cookie kCookie{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19};

struct Fixture {
    test::FakeClock clock;
    test::RecordingTransport transport;
    Listener listener;
    ClientSession session{clock, transport, listener};

    wire::ControlMessage sent(std::size_t i) {
        wire::ControlMessage m;
        if (!transport.control(i, m))
            qFatal("datagram %zu is not a control message", i);
        return m;
    }
    wire::ControlMessage last() { return sent(transport.sent.size() - 1); }
    void receive(std::uint32_t requestId, const wire::ControlBody& body) {
        auto bytes = encode(wire::ControlMessage{requestId, body});
        session.handleControl(bytes);
    }
    JoinParams params(std::string name = "Alice") {
        JoinParams p;
        p.conferenceId = kConference;
        p.name = std::move(name);
        p.streams.push_back(wire::StreamInfo{0x11223344, wire::MediaKind::Audio, 0});
        return p;
    }
    /// Runs the handshake to Joined as participant 7.
    void join() {
        QVERIFY(session.startJoin(params()).ok());
        const auto id = last().requestId;
        receive(id, wire::CookieMsg{kCookie});
        receive(id, wire::JoinedMsg{7, wire::Role::Member, 0, 1000, 10000});
        QCOMPARE(stateName(session.state()), stateName(SessionState::Joined));
    }
    void roster(std::uint32_t seq, wire::RosterOp op, std::uint32_t participant,
                std::string_view name = "Bob", std::uint32_t ssrc = 0x55667788) {
        wire::RosterMsg r;
        r.seq = seq;
        r.op = op;
        r.participantId = participant;
        if (op == wire::RosterOp::Upsert) {
            r.name = name;
            r.streams.items[0] = wire::StreamInfo{ssrc, wire::MediaKind::Audio, 0};
            r.streams.count = 1;
        }
        receive(0, r);
    }
    std::uint32_t lastAck() {
        auto m = last();
        auto* ack = std::get_if<wire::RosterAckMsg>(&m.body);
        if (ack == nullptr)
            qFatal("last datagram is not a RosterAck");
        return ack->seq;
    }
    void step(Clock::Duration d) {
        clock.advance(d);
        session.tick();
    }
};
} // namespace

class TestClientSession : public QObject {
    Q_OBJECT
private slots:
    void helloIsPaddedAndVersioned() {
        Fixture f;
        QVERIFY(f.session.startJoin(f.params()).ok());
        QCOMPARE(stateName(f.session.state()), stateName(SessionState::Handshaking));
        QCOMPARE(f.transport.sent.size(), std::size_t{1});
        const Bytes& hello = f.transport.sent[0];
        QCOMPARE(hello.size(), wire::kHelloMinBytes); // no amplification: cookie is smaller
        // Header: magic 0x0D, version 1, type Hello(1), flags 0, then the request id.
        QCOMPARE(hello[0], std::uint8_t{0x0D});
        QCOMPARE(hello[1], std::uint8_t{1});
        QCOMPARE(hello[2], std::uint8_t{1});
        QCOMPARE(hello[3], std::uint8_t{0});
        for (std::size_t i = 8; i < hello.size(); ++i)
            QCOMPARE(hello[i], std::uint8_t{0});
    }

    void cookieThenJoinBytes() {
        Fixture f;
        QVERIFY(f.session.startJoin(f.params("Zoë")).ok());
        const auto requestId = f.last().requestId;
        f.receive(requestId, wire::CookieMsg{kCookie});
        QCOMPARE(stateName(f.session.state()), stateName(SessionState::AwaitingReply));
        QCOMPARE(f.transport.sent.size(), std::size_t{2});
        const Bytes& join = f.transport.sent[1];
        // Golden layout (protocol_flow.md): header, cookie[20], conferenceId u64, proofFlag,
        // proof[32], nameLen, name, streamCount, {ssrc u32, kind u8, layer u8, height u16}.
        Bytes expected = {0x0D, 1, 5, 0};
        for (int shift = 24; shift >= 0; shift -= 8)
            expected.push_back(static_cast<std::uint8_t>(requestId >> shift));
        expected.insert(expected.end(), kCookie.begin(), kCookie.end());
        for (int shift = 56; shift >= 0; shift -= 8)
            expected.push_back(static_cast<std::uint8_t>(kConference >> shift));
        expected.push_back(0);
        expected.insert(expected.end(), 32, 0);
        const std::string name = "Zoë";
        expected.push_back(static_cast<std::uint8_t>(name.size()));
        expected.insert(expected.end(), name.begin(), name.end());
        expected.insert(expected.end(), {1, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0});
        QCOMPARE(join, expected);
        QCOMPARE(f.last().requestId, requestId); // same id through the whole operation
    }

    void joinedStartsKeepalive() {
        Fixture f;
        f.join();
        QCOMPARE(f.listener.joined.size(), std::size_t{1});
        QCOMPARE(f.listener.joined[0].participantId, std::uint32_t{7});
        QCOMPARE(f.listener.joined[0].conferenceId, kConference);
        // A Ping goes out at once so the RTT is known quickly.
        auto ping = f.last();
        QVERIFY(std::holds_alternative<wire::PingMsg>(ping.body));
    }

    void adminJoinCarriesProofNotSecret() {
        Fixture f;
        auto p = f.params();
        wire::AdminSecret secret{};
        for (std::size_t i = 0; i < secret.size(); ++i)
            secret[i] = static_cast<std::uint8_t>(0xA0 + i);
        p.adminSecret = secret;
        QVERIFY(f.session.startJoin(p).ok());
        f.receive(f.last().requestId, wire::CookieMsg{kCookie});
        auto m = f.last();
        auto* join = std::get_if<wire::JoinMsg>(&m.body);
        QVERIFY(join);
        QVERIFY(join->hasAdminProof);
        QVERIFY(join->adminProof == adminProof(adminVerifier(secret), kCookie, kConference));
        const Bytes& bytes = f.transport.sent.back();
        QVERIFY(std::search(bytes.begin(), bytes.end(), secret.begin(), secret.end()) ==
                bytes.end());
    }

    void retransmitsThenGivesUp() {
        Fixture f;
        QVERIFY(f.session.startJoin(f.params()).ok());
        f.step(249ms);
        QCOMPARE(f.transport.sent.size(), std::size_t{1});
        f.step(1ms);
        QCOMPARE(f.transport.sent.size(), std::size_t{2});
        QCOMPARE(f.transport.sent[1], f.transport.sent[0]); // same Hello, same request id
        for (int i = 0; i < 400 && f.session.state() == SessionState::Handshaking; ++i)
            f.step(10ms);
        QCOMPARE(stateName(f.session.state()), stateName(SessionState::Failed));
        QCOMPARE(f.listener.errors.size(), std::size_t{1});
        QCOMPARE(f.listener.errors[0].code, SessionErrorCode::RelayDidNotAnswer);
        QVERIFY(f.listener.errors[0].message.find("relay did not answer") != std::string::npos);
        QCOMPARE(f.session.counters().retransmissions, std::uint64_t{11}); // 250 ms .. 2750 ms
        const auto sent = f.transport.sent.size();
        f.step(1s);
        QCOMPARE(f.transport.sent.size(), sent); // quiet after giving up
    }

    void joinIsRetransmittedAndDuplicateJoinedIgnored() {
        Fixture f;
        QVERIFY(f.session.startJoin(f.params()).ok());
        const auto id = f.last().requestId;
        f.receive(id, wire::CookieMsg{kCookie});
        const Bytes join = f.transport.sent.back();
        f.step(250ms);
        QCOMPARE(f.transport.sent.back(), join);
        f.receive(id, wire::JoinedMsg{7});
        f.receive(id, wire::JoinedMsg{7});
        QCOMPARE(f.listener.joined.size(), std::size_t{1});
        // An answer to someone else's request is not ours.
        Fixture g;
        QVERIFY(g.session.startJoin(g.params()).ok());
        g.receive(g.last().requestId + 1, wire::CookieMsg{kCookie});
        QCOMPARE(stateName(g.session.state()), stateName(SessionState::Handshaking));
    }

    void badCookieSendsHelloAgain() {
        Fixture f;
        QVERIFY(f.session.startJoin(f.params()).ok());
        const auto id = f.last().requestId;
        f.receive(id, wire::CookieMsg{kCookie});
        f.receive(id, wire::ErrorMsg{wire::ErrorCode::BadCookie, wire::MessageType::Join, ""});
        QCOMPARE(stateName(f.session.state()), stateName(SessionState::Handshaking));
        QVERIFY(std::holds_alternative<wire::HelloMsg>(f.last().body));
        wire::Cookie fresh = kCookie;
        fresh[0] = 0xEE;
        f.receive(id, wire::CookieMsg{fresh});
        auto m = f.last();
        auto* join = std::get_if<wire::JoinMsg>(&m.body);
        QVERIFY(join);
        QVERIFY(join->cookie == fresh);
        // A relay that rejects every cookie does not keep us busy forever.
        for (int i = 0; i < 3; ++i) {
            f.receive(id, wire::ErrorMsg{wire::ErrorCode::BadCookie, wire::MessageType::Join, ""});
            f.receive(id, wire::CookieMsg{fresh});
        }
        QCOMPARE(stateName(f.session.state()), stateName(SessionState::Failed));
        QCOMPARE(f.listener.errors.back().code, SessionErrorCode::CookieRejected);
    }

    void staleBadCookiesWhileAskingForANewOneAreIgnored() {
        // Several Joins with the old cookie were in flight when the relay restarted: their
        // BadCookie answers arrive after we already sent a fresh Hello and must not count.
        Fixture f;
        QVERIFY(f.session.startJoin(f.params()).ok());
        const auto id = f.last().requestId;
        f.receive(id, wire::CookieMsg{kCookie});
        f.receive(id, wire::ErrorMsg{wire::ErrorCode::BadCookie, wire::MessageType::Join, ""});
        QCOMPARE(stateName(f.session.state()), stateName(SessionState::Handshaking));
        const auto sentBefore = f.transport.sent.size();
        for (int i = 0; i < 5; ++i)
            f.receive(id, wire::ErrorMsg{wire::ErrorCode::BadCookie, wire::MessageType::Join, ""});
        QCOMPARE(stateName(f.session.state()), stateName(SessionState::Handshaking));
        QCOMPARE(f.transport.sent.size(), sentBefore); // no Hello storm either
        f.receive(id, wire::CookieMsg{kCookie});
        f.receive(id, wire::JoinedMsg{7, wire::Role::Member, 0, 1000, 10000});
        QCOMPARE(stateName(f.session.state()), stateName(SessionState::Joined));
        QVERIFY(f.listener.errors.empty());
    }

    void errorsAreMappedToClearMessages_data() {
        QTest::addColumn<int>("wireCode");
        QTest::addColumn<int>("sessionCode");
        QTest::addColumn<QString>("words");
        auto row = [](const char* tag, wire::ErrorCode w, SessionErrorCode s, const char* words) {
            QTest::newRow(tag) << static_cast<int>(w) << static_cast<int>(s) << QString(words);
        };
        row("unknown", wire::ErrorCode::UnknownConference, SessionErrorCode::UnknownConference,
            "unknown conference");
        row("full", wire::ErrorCode::ConferenceFull, SessionErrorCode::ConferenceFull, "full");
        row("proof", wire::ErrorCode::BadProof, SessionErrorCode::BadAdminSecret,
            "bad admin secret");
        row("version", wire::ErrorCode::UnsupportedVersion, SessionErrorCode::UnsupportedVersion,
            "unsupported protocol version");
        row("rate", wire::ErrorCode::RateLimited, SessionErrorCode::RateLimited, "rate limited");
        row("many", wire::ErrorCode::TooManyConferences, SessionErrorCode::TooManyConferences,
            "more conferences");
        row("malformed", wire::ErrorCode::Malformed, SessionErrorCode::RequestRejected,
            "malformed");
        row("internal", wire::ErrorCode::Internal, SessionErrorCode::RelayInternal, "internal");
    }
    void errorsAreMappedToClearMessages() {
        QFETCH(int, wireCode);
        QFETCH(int, sessionCode);
        QFETCH(QString, words);
        Fixture f;
        QVERIFY(f.session.startJoin(f.params()).ok());
        const auto id = f.last().requestId;
        f.receive(id, wire::CookieMsg{kCookie});
        // An error for another request id is stale and ignored.
        f.receive(id ^ 1, wire::ErrorMsg{static_cast<wire::ErrorCode>(wireCode),
                                         wire::MessageType::Join, "x"});
        QCOMPARE(stateName(f.session.state()), stateName(SessionState::AwaitingReply));
        f.receive(id, wire::ErrorMsg{static_cast<wire::ErrorCode>(wireCode),
                                     wire::MessageType::Join, "detail"});
        QCOMPARE(stateName(f.session.state()), stateName(SessionState::Failed));
        QCOMPARE(f.listener.errors.size(), std::size_t{1});
        const auto& e = f.listener.errors[0];
        QCOMPARE(static_cast<int>(e.code), sessionCode);
        const QString message = QString::fromStdString(e.message);
        QVERIFY2(message.contains(words), qPrintable(message));
        QVERIFY2(message.contains("relay: detail"), qPrintable(message));
        QVERIFY(!message.contains('\n'));
    }

    void invalidJoinParametersFailAtOnce() {
        Fixture f;
        QVERIFY(!f.session.startJoin(f.params("")).ok());
        QVERIFY(!f.session.startJoin(f.params(std::string(65, 'x'))).ok());
        QVERIFY(!f.session.startJoin(f.params("tab\there")).ok());
        QVERIFY(!f.session.startJoin(f.params("bad\xC3")).ok());
        QVERIFY(f.transport.sent.empty());
        QVERIFY(f.session.startJoin(f.params(std::string(64, 'x'))).ok());
        QVERIFY(!f.session.startJoin(f.params()).ok()); // already in use
    }

    void rosterAppliedInOrderWithCumulativeAcks() {
        Fixture f;
        f.join();
        f.roster(1, wire::RosterOp::Upsert, 7, "Alice", 0x11223344); // ourselves
        QCOMPARE(f.lastAck(), std::uint32_t{1});
        QCOMPARE(f.listener.changes.size(), std::size_t{1});
        QVERIFY(f.listener.changes[0].entry.isSelf);
        f.roster(3, wire::RosterOp::Upsert, 9, "Carol"); // out of order: dropped
        QCOMPARE(f.lastAck(), std::uint32_t{1});
        QCOMPARE(f.session.roster().count(9), std::size_t{0});
        QCOMPARE(f.session.counters().rosterOutOfOrder, std::uint64_t{1});
        f.roster(2, wire::RosterOp::Upsert, 8, "Bob");
        QCOMPARE(f.lastAck(), std::uint32_t{2});
        f.roster(2, wire::RosterOp::Upsert, 8, "Bob"); // duplicate: re-acked, not re-applied
        QCOMPARE(f.lastAck(), std::uint32_t{2});
        QCOMPARE(f.session.counters().rosterDuplicates, std::uint64_t{1});
        QCOMPARE(f.listener.changes.size(), std::size_t{2});
        f.roster(3, wire::RosterOp::Upsert, 9, "Carol"); // the resend now fits
        QCOMPARE(f.lastAck(), std::uint32_t{3});
        QCOMPARE(f.session.roster().size(), std::size_t{3});
        QCOMPARE(f.session.roster().at(8).name, std::string("Bob"));
        QCOMPARE(f.session.roster().at(8).streams.at(0).ssrc, std::uint32_t{0x55667788});
        f.roster(4, wire::RosterOp::Remove, 8);
        QCOMPARE(f.lastAck(), std::uint32_t{4});
        QCOMPARE(f.session.roster().count(8), std::size_t{0});
        QCOMPARE(f.listener.changes.back().op, wire::RosterOp::Remove);
        QCOMPARE(f.listener.changes.back().entry.name, std::string("Bob"));
    }

    void privateViewIsResentUntilTheConferenceShowsIt() {
        Fixture f;
        f.join();
        auto countRequests = [&f](bool enabled) {
            int n = 0;
            for (std::size_t i = 0; i < f.transport.sent.size(); ++i) {
                wire::ControlMessage m;
                if (f.transport.control(i, m))
                    if (auto* s = std::get_if<wire::SetPrivateViewMsg>(&m.body);
                        s && s->enabled == enabled)
                        ++n;
            }
            return n;
        };
        f.session.setPrivateView(true);
        QCOMPARE(countRequests(true), 1); // at once
        f.step(std::chrono::milliseconds(100));
        QCOMPARE(countRequests(true), 1);
        f.step(std::chrono::milliseconds(200));
        QCOMPARE(countRequests(true), 2); // not confirmed yet: sent again

        wire::RosterMsg conference;
        conference.seq = 1;
        conference.op = wire::RosterOp::Conference;
        conference.flags = static_cast<std::uint8_t>(wire::ConferenceFlags::PrivateView);
        f.receive(0, conference);
        QCOMPARE(f.session.conferenceFlags(), 1u);
        QCOMPARE(f.listener.conferenceFlags, std::vector<std::uint32_t>{1});
        QVERIFY(f.listener.changes.empty()); // not a participant change
        QVERIFY(std::holds_alternative<wire::RosterAckMsg>(f.last().body));
        f.step(std::chrono::milliseconds(600));
        QCOMPARE(countRequests(true), 2); // confirmed: no more
        f.receive(0, conference);         // a resend of the same change: acked, not applied
        QCOMPARE(f.listener.conferenceFlags.size(), std::size_t{1});

        // On and off again before the first answer: the last wish wins and is resent until a
        // Conference change shows it.
        f.session.setPrivateView(false);
        f.session.setPrivateView(true);
        f.session.setPrivateView(false);
        const int offs = countRequests(false);
        QVERIFY(offs >= 2);
        f.step(std::chrono::milliseconds(300));
        QCOMPARE(countRequests(false), offs + 1); // on shown, off wanted: still asking
        wire::RosterMsg off = conference;
        off.seq = 2;
        off.flags = 0;
        f.receive(0, off);
        QCOMPARE(f.session.conferenceFlags(), 0u);
        f.step(std::chrono::milliseconds(600));
        QCOMPARE(countRequests(false), offs + 1); // confirmed

        // A member asking is refused by the relay: reported once, not asked again.
        const int before = countRequests(false);
        f.session.setPrivateView(false);
        QCOMPARE(countRequests(false), before + 1);
        f.receive(0, wire::ErrorMsg{wire::ErrorCode::NotAdmin, wire::MessageType::SetPrivateView,
                                    "only an admin may switch private view"});
        QCOMPARE(f.listener.refused.size(), std::size_t{1});
        QCOMPARE(static_cast<int>(f.listener.refused[0].code),
                 static_cast<int>(SessionErrorCode::NotAdmin));
        QVERIFY(f.session.joined()); // the call goes on
        f.step(std::chrono::milliseconds(600));
        QCOMPARE(countRequests(false), before + 1);
    }

    void muteIsResentUntilOurRosterEntryShowsIt() {
        Fixture f;
        f.session.setMuted(true); // chosen before joining: goes out once joined
        f.join();
        auto countSelfStates = [&f](std::uint8_t flags) {
            int n = 0;
            for (std::size_t i = 0; i < f.transport.sent.size(); ++i) {
                wire::ControlMessage m;
                if (f.transport.control(i, m))
                    if (auto* s = std::get_if<wire::SelfStateMsg>(&m.body); s && s->flags == flags)
                        ++n;
            }
            return n;
        };
        const auto muted = static_cast<std::uint8_t>(wire::ParticipantFlags::AudioMuted);
        f.step(std::chrono::milliseconds(1));
        QCOMPARE(countSelfStates(muted), 1);
        f.step(std::chrono::milliseconds(100));
        QCOMPARE(countSelfStates(muted), 1); // not before the retransmission interval
        f.step(std::chrono::milliseconds(200));
        QCOMPARE(countSelfStates(muted), 2); // no confirmation yet: sent again

        wire::RosterMsg self;
        self.seq = 1;
        self.op = wire::RosterOp::Upsert;
        self.participantId = 7;
        self.flags = muted;
        self.name = "Alice";
        f.receive(0, self);
        QVERIFY(f.session.roster().at(7).isSelf);
        f.step(std::chrono::milliseconds(600));
        QCOMPARE(countSelfStates(muted), 2); // confirmed: no more

        f.session.setMuted(false); // unmute goes out at once
        QCOMPARE(countSelfStates(0), 1);
        QVERIFY(!f.session.muted());
    }

    void theAdminsMuteBecomesOursAndTheLockHolds() {
        Fixture f;
        f.join();
        const auto muted = static_cast<std::uint8_t>(wire::ParticipantFlags::AudioMuted);
        const auto byAdmin = static_cast<std::uint8_t>(wire::ParticipantFlags::MutedByAdmin);
        const auto locked = static_cast<std::uint8_t>(wire::ParticipantFlags::UnmuteLocked);
        auto selfEntry = [&f](std::uint32_t seq, std::uint8_t flags) {
            wire::RosterMsg self;
            self.seq = seq;
            self.op = wire::RosterOp::Upsert;
            self.participantId = 7;
            self.flags = flags;
            self.name = "Alice";
            f.receive(0, self);
        };
        auto selfStates = [&f] {
            int n = 0;
            for (std::size_t i = 0; i < f.transport.sent.size(); ++i) {
                wire::ControlMessage m;
                if (f.transport.control(i, m) && std::holds_alternative<wire::SelfStateMsg>(m.body))
                    ++n;
            }
            return n;
        };
        selfEntry(1, 0);
        QVERIFY(!f.session.muted());
        // The admin mutes us, locked: we are muted, told once, and do not ask to unmute.
        selfEntry(2, muted | byAdmin | locked);
        QVERIFY(f.session.muted());
        QVERIFY(f.session.unmuteLocked());
        QCOMPARE(f.listener.adminMutes.size(), std::size_t{1});
        QCOMPARE(f.listener.adminMutes[0], std::pair(true, true));
        f.step(std::chrono::milliseconds(600));
        QCOMPARE(selfStates(), 0);
        QVERIFY(!f.session.setMuted(false)); // refused while locked
        QVERIFY(f.session.muted());
        QCOMPARE(selfStates(), 0);
        // The admin lets us unmute: told, still muted until we choose.
        selfEntry(3, muted | byAdmin);
        QVERIFY(!f.session.unmuteLocked());
        QVERIFY(f.session.muted());
        QCOMPARE(f.listener.adminMutes.back(), std::pair(true, false));
        QVERIFY(f.session.setMuted(false));
        QCOMPARE(selfStates(), 1);
    }

    void adminRequestsAreResentUntilTheRosterShowsThem() {
        Fixture f;
        f.join();
        f.roster(1, wire::RosterOp::Upsert, 8, "Bob", 0x01);
        f.roster(2, wire::RosterOp::Upsert, 9, "Cy", 0x02);
        auto count = [&f]<typename T>(std::uint32_t target) {
            int n = 0;
            for (std::size_t i = 0; i < f.transport.sent.size(); ++i) {
                wire::ControlMessage m;
                if (f.transport.control(i, m))
                    if (auto* r = std::get_if<T>(&m.body); r && r->participantId == target)
                        ++n;
            }
            return n;
        };
        f.session.muteParticipant(8, wire::AdminMute::MuteLocked);
        f.session.removeParticipant(9);
        QCOMPARE(count.operator()<wire::MuteParticipantMsg>(8), 1);
        QCOMPARE(count.operator()<wire::RemoveParticipantMsg>(9), 1);
        f.step(std::chrono::milliseconds(250));
        QCOMPARE(count.operator()<wire::MuteParticipantMsg>(8), 2);
        QCOMPARE(count.operator()<wire::RemoveParticipantMsg>(9), 2);
        // Bob's new entry ends the mute's resending; an Upsert of Cy does not end the removal.
        f.roster(3, wire::RosterOp::Upsert, 8, "Bob", 0x01);
        f.roster(4, wire::RosterOp::Upsert, 9, "Cy", 0x02);
        f.step(std::chrono::milliseconds(250));
        QCOMPARE(count.operator()<wire::MuteParticipantMsg>(8), 2);
        QCOMPARE(count.operator()<wire::RemoveParticipantMsg>(9), 3);
        f.roster(5, wire::RosterOp::Remove, 9);
        f.step(std::chrono::milliseconds(250));
        QCOMPARE(count.operator()<wire::RemoveParticipantMsg>(9), 3);
        // Never answered: given up after kAdminRequestAttempts.
        f.session.removeParticipant(42);
        for (int i = 0; i < 20; ++i)
            f.step(std::chrono::milliseconds(250));
        QCOMPARE(count.operator()<wire::RemoveParticipantMsg>(42),
                 ClientSession::kAdminRequestAttempts);
    }

    void removedByTheAdminEndsTheCall() {
        Fixture f;
        f.join();
        f.receive(0, wire::ErrorMsg{wire::ErrorCode::Removed, wire::MessageType::RemoveParticipant,
                                    "removed by the admin"});
        QCOMPARE(stateName(f.session.state()), stateName(SessionState::Failed));
        QCOMPARE(f.listener.errors.size(), std::size_t{1});
        QCOMPARE(static_cast<int>(f.listener.errors[0].code),
                 static_cast<int>(SessionErrorCode::Removed));
        QVERIFY2(f.listener.errors[0].message.find("removed") != std::string::npos,
                 f.listener.errors[0].message.c_str());
    }

    void rosterBeforeJoinedIsNotAcked() {
        Fixture f;
        QVERIFY(f.session.startJoin(f.params()).ok());
        const auto sent = f.transport.sent.size();
        f.roster(1, wire::RosterOp::Upsert, 8);
        QCOMPARE(f.transport.sent.size(), sent);
        QVERIFY(f.listener.changes.empty());
    }

    void pingEverySecondAndRtt() {
        Fixture f;
        f.join();
        auto first = f.last();
        auto* ping = std::get_if<wire::PingMsg>(&first.body);
        QVERIFY(ping);
        f.clock.advance(20ms);
        f.receive(first.requestId, wire::PongMsg{ping->timestampUs});
        QCOMPARE(*f.session.lastRttMs(), 20.0);
        QCOMPARE(*f.session.smoothedRttMs(), 20.0);
        // Next Ping one keepalive interval after the first.
        const auto before = f.transport.sent.size();
        f.step(979ms);
        QCOMPARE(f.transport.sent.size(), before);
        f.step(1ms);
        QCOMPARE(f.transport.sent.size(), before + 1);
        auto second = f.last();
        auto* ping2 = std::get_if<wire::PingMsg>(&second.body);
        QVERIFY(ping2);
        f.clock.advance(40ms);
        f.receive(second.requestId, wire::PongMsg{ping2->timestampUs});
        QCOMPARE(*f.session.lastRttMs(), 40.0);
        QCOMPARE(*f.session.smoothedRttMs(), 22.5); // 20 + (40 - 20) / 8
        // A Pong from the future is nonsense and ignored.
        f.receive(0, wire::PongMsg{ping2->timestampUs + 10'000'000});
        QCOMPARE(*f.session.lastRttMs(), 40.0);
        QCOMPARE(f.session.counters().pongsInvalid, std::uint64_t{1});
    }

    void connectionLostAfterFiveSilentSeconds() {
        Fixture f;
        f.join();
        for (int i = 0; i < 40; ++i)
            f.step(100ms);
        f.session.noteDatagramFromRelay(); // any datagram (RTP too) keeps it alive
        for (int i = 0; i < 49; ++i)
            f.step(100ms);
        QCOMPARE(stateName(f.session.state()), stateName(SessionState::Joined));
        f.step(100ms);
        QCOMPARE(stateName(f.session.state()), stateName(SessionState::ConnectionLost));
        QCOMPARE(f.listener.lost.size(), std::size_t{1});
        QVERIFY(QString::fromStdString(f.listener.lost[0]).contains("connection lost"));
    }

    void notJoinedErrorWhileJoinedIsConnectionLoss() {
        Fixture f;
        f.join();
        f.receive(123, wire::ErrorMsg{wire::ErrorCode::NotJoined, wire::MessageType::Ping, ""});
        QCOMPARE(stateName(f.session.state()), stateName(SessionState::ConnectionLost));
        QCOMPARE(f.listener.lost.size(), std::size_t{1});
    }

    void goingAwayWhileJoinedIsConnectionLoss() {
        Fixture f;
        f.join();
        f.receive(0, wire::ErrorMsg{wire::ErrorCode::GoingAway, wire::MessageType::Error, "bye"});
        QCOMPARE(stateName(f.session.state()), stateName(SessionState::ConnectionLost));
        QCOMPARE(f.listener.lost.size(), std::size_t{1});
        QVERIFY(f.listener.lost[0].find("shutting down") != std::string::npos);
    }

    void leaveDuringAnUnansweredJoinSendsLeave() {
        Fixture f;
        QVERIFY(f.session.startJoin(f.params()).ok());
        f.receive(f.last().requestId, wire::CookieMsg{kCookie}); // Join sent, no answer yet
        f.session.leave();
        QVERIFY(std::holds_alternative<wire::LeaveMsg>(f.last().body));
        Fixture g; // before the Join went out there is nothing to leave
        QVERIFY(g.session.startJoin(g.params()).ok());
        g.session.leave();
        QVERIFY(std::holds_alternative<wire::HelloMsg>(g.last().body));
    }

    void leaveSendsLeaveOnce() {
        Fixture f;
        f.join();
        f.session.leave();
        QVERIFY(std::holds_alternative<wire::LeaveMsg>(f.last().body));
        QCOMPARE(stateName(f.session.state()), stateName(SessionState::Left));
        const auto sent = f.transport.sent.size();
        f.session.leave();
        f.step(2s);
        QCOMPARE(f.transport.sent.size(), sent);
    }

    void createFlow() {
        Fixture f;
        const auto flags = static_cast<std::uint32_t>(wire::ConferenceFlags::PrivateView);
        QVERIFY(f.session.startCreate(flags).ok());
        const auto id = f.last().requestId;
        f.receive(id, wire::CookieMsg{kCookie});
        auto m = f.last();
        auto* create = std::get_if<wire::CreateMsg>(&m.body);
        QVERIFY(create);
        QVERIFY(create->cookie == kCookie);
        QCOMPARE(create->flags, flags);
        wire::AdminSecret secret{};
        secret[3] = 42;
        f.receive(id, wire::CreatedMsg{kConference, secret, flags});
        QCOMPARE(stateName(f.session.state()), stateName(SessionState::Created));
        QCOMPARE(f.listener.created.size(), std::size_t{1});
        QCOMPARE(f.listener.created[0].conferenceId, kConference);
        QVERIFY(f.listener.created[0].adminSecret == secret);
    }

    void garbageIsCountedNotFatal() {
        Fixture f;
        f.join();
        const Bytes junk[] = {{},
                              {0x0D},
                              {0x0D, 1, 99, 0, 0, 0, 0, 0},
                              {0x0D, 2, 6, 0, 0, 0, 0, 0},
                              Bytes(1300, 0x0D)};
        for (const auto& j : junk)
            f.session.handleControl(j);
        QCOMPARE(f.session.counters().controlMalformed, std::uint64_t{5});
        QCOMPARE(stateName(f.session.state()), stateName(SessionState::Joined));
    }
};

int runTestClientSession(int argc, char** argv) {
    TestClientSession t;
    return QTest::qExec(&t, argc, argv);
}

#include "TestClientSession.moc"
