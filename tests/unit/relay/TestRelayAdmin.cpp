// RelayCore's admin actions without sockets: an admin removes a participant (who is told, is
// gone from everyone's roster, and cannot rejoin from that address for a while, unless with the
// admin link), and mutes one (announced to everyone; with the lock the relay drops their audio
// and ignores their unmute until the admin allows it). Members may do neither.

#include "RelayTestHarness.h"

#include <QtTest/QtTest>

using namespace diyuma;
using namespace diyuma::relay;
using namespace diyuma::test;
using wire::ErrorCode;

namespace {

const SocketAddress kAnn = addr(1); // admin, participant 1
const SocketAddress kBob = addr(2); // member, participant 2
const SocketAddress kCy = addr(3);  // member, participant 3
constexpr std::uint32_t kBobId = 2;
constexpr std::uint32_t kCyId = 3;
constexpr std::uint32_t kBobAudio = 0xB0;

constexpr auto kMuted = static_cast<std::uint8_t>(wire::ParticipantFlags::AudioMuted);
constexpr auto kByAdmin = static_cast<std::uint8_t>(wire::ParticipantFlags::MutedByAdmin);
constexpr auto kLocked = static_cast<std::uint8_t>(wire::ParticipantFlags::UnmuteLocked);

struct Trio {
    Harness h;
    wire::CreatedMsg created;
};

bool joinTrio(Trio& t) {
    auto created = t.h.create(addr(9));
    if (!created)
        return false;
    t.created = *created;
    return t.h.join(kAnn, created->conferenceId, "Ann", 0xA0, created->adminSecret) &&
           t.h.join(kBob, created->conferenceId, "Bob", kBobAudio) &&
           t.h.join(kCy, created->conferenceId, "Cy", 0xC0);
}

/// The roster changes in `sent` to `who` about participant `id`.
std::vector<wire::RosterMsg> rosterAbout(const std::vector<Sent>& sent, const SocketAddress& who,
                                         std::uint32_t id) {
    std::vector<wire::RosterMsg> out;
    for (const auto& s : sent)
        if (s.to == who)
            if (auto r = s.as<wire::RosterMsg>(); r && r->participantId == id) {
                r->name = {};
                out.push_back(*r);
            }
    return out;
}

int forwardsTo(const std::vector<Sent>& sent, const SocketAddress& who) {
    int n = 0;
    for (const auto& s : sent)
        n += s.to == who && s.forwarded ? 1 : 0;
    return n;
}

} // namespace

class TestRelayAdmin : public QObject {
    Q_OBJECT
private slots:
    void adminRemovesAMemberWhoStaysOut() {
        Trio t;
        QVERIFY(joinTrio(t));
        auto out = t.h.deliver(kAnn, wire::ControlMessage{40, wire::RemoveParticipantMsg{kBobId}});
        // Bob is told why, and everyone left sees him go.
        QCOMPARE(Harness::errorIn(out, kBob), std::optional(ErrorCode::Removed));
        for (const auto& who : {kAnn, kCy}) {
            const auto roster = rosterAbout(out, who, kBobId);
            QCOMPARE(roster.size(), std::size_t{1});
            QCOMPARE(roster[0].op, wire::RosterOp::Remove);
        }
        // His media is not forwarded any more (he is unknown now).
        QCOMPARE(forwardsTo(t.h.deliver(kBob, rtpBytes(kBobAudio, 1)), kAnn), 0);

        // He comes back from the same host on a new port: refused, with the reason.
        const SocketAddress bobAgain = addr(2, 6000);
        auto rejoin = t.h.joinRaw(bobAgain, t.created.conferenceId, "Bob");
        QCOMPARE(Harness::errorIn(rejoin, bobAgain), std::optional(ErrorCode::Removed));
        QCOMPARE(t.h.core.stats().dropped[static_cast<std::size_t>(DropReason::Banned)],
                 std::uint64_t{1});
        // Someone from elsewhere still gets in; so does whoever has the admin link.
        QVERIFY(t.h.join(addr(4), t.created.conferenceId, "Dee"));
        QVERIFY(t.h.join(addr(2, 7000), t.created.conferenceId, "Bob", 0, t.created.adminSecret));

        // After the ban, the same host may join again as a member.
        t.h.clock.advance(RelayCore::kRejoinBan); // the clock only: nobody times out
        QVERIFY(t.h.join(addr(2, 8000), t.created.conferenceId, "Bob"));
    }

    void onlyAnAdminRemovesOrMutes() {
        Trio t;
        QVERIFY(joinTrio(t));
        auto out = t.h.deliver(kBob, wire::ControlMessage{41, wire::RemoveParticipantMsg{kCyId}});
        QCOMPARE(Harness::errorIn(out, kBob), std::optional(ErrorCode::NotAdmin));
        QCOMPARE(out.size(), std::size_t{1});
        out = t.h.deliver(
            kBob, wire::ControlMessage{42, wire::MuteParticipantMsg{kCyId, wire::AdminMute::Mute}});
        QCOMPARE(Harness::errorIn(out, kBob), std::optional(ErrorCode::NotAdmin));
        QCOMPARE(out.size(), std::size_t{1});
        // Cy is still in and unmuted; an unknown participant is no error (a resend).
        QVERIFY(
            t.h.deliver(kAnn, wire::ControlMessage{43, wire::RemoveParticipantMsg{99}}).empty());
        QCOMPARE(forwardsTo(t.h.deliver(kCy, rtpBytes(0xC0, 1)), kAnn), 1);
    }

    void lockedMuteHoldsOnTheRelay() {
        Trio t;
        QVERIFY(joinTrio(t));
        QCOMPARE(forwardsTo(t.h.deliver(kBob, rtpBytes(kBobAudio, 1)), kCy), 1);

        // Muted with the lock: everyone sees muted + by admin + locked; his audio stops.
        auto out =
            t.h.deliver(kAnn, wire::ControlMessage{50, wire::MuteParticipantMsg{
                                                           kBobId, wire::AdminMute::MuteLocked}});
        for (const auto& who : {kAnn, kBob, kCy}) {
            const auto roster = rosterAbout(out, who, kBobId);
            QCOMPARE(roster.size(), std::size_t{1});
            QCOMPARE(roster[0].flags, std::uint8_t(kMuted | kByAdmin | kLocked));
        }
        out = t.h.deliver(kBob, rtpBytes(kBobAudio, 2));
        QCOMPARE(forwardsTo(out, kAnn) + forwardsTo(out, kCy), 0);
        QCOMPARE(t.h.core.stats().dropped[static_cast<std::size_t>(DropReason::AdminMuted)],
                 std::uint64_t{1});

        // His unmute is ignored: only he hears how things stand.
        t.h.clock.advance(std::chrono::seconds(1)); // past the SelfState budget
        out = t.h.deliver(kBob, wire::ControlMessage{51, wire::SelfStateMsg{0}});
        QCOMPARE(rosterAbout(out, kAnn, kBobId).size(), std::size_t{0});
        QCOMPARE(rosterAbout(out, kCy, kBobId).size(), std::size_t{0});
        QCOMPARE(rosterAbout(out, kBob, kBobId).size(), std::size_t{1});
        QCOMPARE(rosterAbout(out, kBob, kBobId)[0].flags,
                 std::uint8_t(kMuted | kByAdmin | kLocked));

        // The admin allows it: the lock goes (he is still muted), and then he can unmute.
        t.h.clock.advance(std::chrono::seconds(1));
        out = t.h.deliver(kAnn, wire::ControlMessage{
                                    52, wire::MuteParticipantMsg{kBobId, wire::AdminMute::Allow}});
        QCOMPARE(rosterAbout(out, kCy, kBobId).at(0).flags, std::uint8_t(kMuted | kByAdmin));
        // A resend of the same changes nothing: only the admin is answered.
        out = t.h.deliver(kAnn, wire::ControlMessage{
                                    53, wire::MuteParticipantMsg{kBobId, wire::AdminMute::Allow}});
        QCOMPARE(rosterAbout(out, kAnn, kBobId).size(), std::size_t{1});
        QCOMPARE(rosterAbout(out, kCy, kBobId).size(), std::size_t{0});
        t.h.clock.advance(std::chrono::seconds(1));
        out = t.h.deliver(kBob, wire::ControlMessage{54, wire::SelfStateMsg{0}});
        QCOMPARE(rosterAbout(out, kCy, kBobId).at(0).flags, std::uint8_t{0});
        QCOMPARE(forwardsTo(t.h.deliver(kBob, rtpBytes(kBobAudio, 3)), kCy), 1);
    }

    void plainMuteMayBeLiftedByThemselves() {
        Trio t;
        QVERIFY(joinTrio(t));
        auto out = t.h.deliver(
            kAnn, wire::ControlMessage{60, wire::MuteParticipantMsg{kCyId, wire::AdminMute::Mute}});
        QCOMPARE(rosterAbout(out, kBob, kCyId).at(0).flags, std::uint8_t(kMuted | kByAdmin));
        // Not locked: the relay still forwards (the client stops sending by itself), and an
        // unmute of theirs is theirs to make.
        QCOMPARE(forwardsTo(t.h.deliver(kCy, rtpBytes(0xC0, 1)), kAnn), 1);
        t.h.clock.advance(std::chrono::seconds(1));
        out = t.h.deliver(kCy, wire::ControlMessage{61, wire::SelfStateMsg{0}});
        QCOMPARE(rosterAbout(out, kAnn, kCyId).at(0).flags, std::uint8_t{0});
    }
};

QTEST_APPLESS_MAIN(TestRelayAdmin)
#include "TestRelayAdmin.moc"
