// CallRunner (the desktop app's call on its own media thread) against the real relay on
// loopback: create and join, roster and mute seen by the other side, levels, leaving, video
// and what a video subscription lets through, the errors a person sees, and rejoining on its
// own after the relay restarts.

#include "diyuma/audio/AudioFormat.h"
#include "diyuma/audio/Tone.h"
#include "diyuma/session/CallRunner.h"
#include "diyuma/video/TestPattern.h"

#include "Processes.h"

#include <QtCore/QTemporaryDir>
#include <QtNetwork/QUdpSocket>
#include <QtTest/QtTest>
#include <mutex>

using namespace diyuma;
using namespace diyuma::core;

namespace {

/// Records what the media thread reports (read from the test thread under a lock).
class Events final : public CallObserver {
public:
    void onCreated(const Invite& invite) override {
        const std::lock_guard lock(m_mutex);
        created = invite;
    }
    void onJoined(const JoinInfo&, bool rejoined) override {
        const std::lock_guard lock(m_mutex);
        ++(rejoined ? rejoins : joins);
    }
    void onRosterChanged(const RosterChange&) override {
        const std::lock_guard lock(m_mutex);
        ++rosterChanges;
    }
    void onReconnecting(std::string_view reason) override {
        const std::lock_guard lock(m_mutex);
        reconnecting.emplace_back(reason);
    }
    void onFailed(const SessionError& error) override {
        const std::lock_guard lock(m_mutex);
        failures.push_back(error);
    }
    void onEnded() override {
        const std::lock_guard lock(m_mutex);
        ended = true;
    }

    template <typename F>
    auto read(F f) const {
        const std::lock_guard lock(m_mutex);
        return f(*this);
    }

    std::optional<Invite> created;
    int joins = 0;
    int rejoins = 0;
    int rosterChanges = 0;
    std::vector<std::string> reconnecting;
    std::vector<SessionError> failures;
    bool ended = false;

private:
    mutable std::mutex m_mutex;
};

class ToneSource final : public AudioCaptureSource {
public:
    explicit ToneSource(double hz) : m_tone(hz) {}
    bool readBlock(std::span<std::int16_t> block) override {
        m_tone.generate(block);
        return true;
    }

private:
    ToneGenerator m_tone;
};

/// The test pattern at 320x180, numbered from 1.
class PatternSource final : public VideoSource {
public:
    bool readFrame(VideoFrame& out) override {
        out.resize(320, 180);
        renderTestPattern(out, PatternStamp{++m_next, m_clock.unixMs()});
        return true;
    }

private:
    SystemClock m_clock;
    std::uint32_t m_next = 0;
};

/// The stamps of the pictures received (media thread writes, test thread reads).
class StampSink final : public VideoFrameSink {
public:
    void onVideoFrame(const ReceivedVideoFrame& frame) override {
        const auto stamp = readTestPatternStamp(*frame.picture);
        const std::lock_guard lock(m_mutex);
        if (stamp)
            m_stamps.push_back(*stamp);
        else
            ++m_unreadable;
    }
    std::vector<PatternStamp> stamps() const {
        const std::lock_guard lock(m_mutex);
        return m_stamps;
    }
    int unreadable() const {
        const std::lock_guard lock(m_mutex);
        return m_unreadable;
    }

private:
    mutable std::mutex m_mutex;
    std::vector<PatternStamp> m_stamps;
    int m_unreadable = 0;
};

Vp8EncoderConfig smallVideo() {
    Vp8EncoderConfig config;
    config.width = 320;
    config.height = 180;
    config.bitrateBps = 300'000;
    return config;
}

RelayAddress relayOf(const test::RelayProcess& relay) {
    return RelayAddress{"127.0.0.1", relay.port()};
}

CallRequest joinRequest(const RelayAddress& relay, std::uint64_t id, std::string name) {
    CallRequest r;
    r.relay = relay;
    r.conferenceId = id;
    r.name = std::move(name);
    return r;
}

const CallParticipant* find(const CallSnapshot& s, std::string_view name) {
    for (const auto& p : s.participants)
        if (p.name == name)
            return &p;
    return nullptr;
}

quint16 freeUdpPort() {
    QUdpSocket socket;
    socket.bind(QHostAddress::LocalHost, 0);
    return socket.localPort();
}

} // namespace

class TestCallRunner : public QObject {
    Q_OBJECT
private slots:
    void createJoinTalkMuteAndLeave() {
        test::RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));

        Events aliceEvents;
        ToneSource tone(440.0);
        CallRequest create;
        create.mode = CallRequest::Mode::CreateAndJoin;
        create.relay = relayOf(relay);
        create.name = "Alice";
        create.privateView = true;
        auto alice = CallRunner::start(create, CallMedia{.capture = &tone}, aliceEvents);
        QVERIFY(alice.ok());
        QTRY_VERIFY_WITH_TIMEOUT(aliceEvents.read([](auto& e) { return e.joins == 1; }), 5000);
        const auto invite = aliceEvents.read([](auto& e) { return e.created; });
        QVERIFY(invite && invite->adminSecret);
        auto aliceSnap = alice.value()->snapshot();
        QVERIFY(aliceSnap.phase == CallPhase::InCall);
        QVERIFY(aliceSnap.admin);
        QVERIFY(aliceSnap.privateView);
        QCOMPARE(aliceSnap.invite->id.value(), invite->id.value());

        Events bobEvents;
        auto bob = CallRunner::start(joinRequest(relayOf(relay), invite->id.value(), "Bob"),
                                     CallMedia{}, bobEvents);
        QVERIFY(bob.ok());
        QTRY_VERIFY_WITH_TIMEOUT(bobEvents.read([](auto& e) { return e.joins == 1; }), 5000);
        // Both see both; Bob hears Alice's tone (level and speaking), Bob is not admin.
        QTRY_VERIFY_WITH_TIMEOUT(find(alice.value()->snapshot(), "Bob") != nullptr, 3000);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                auto s = bob.value()->snapshot();
                auto* a = find(s, "Alice");
                return a && a->speaking && a->levelDbfs > -30.0F && a->admin && !a->muted;
            }(),
            3000);
        auto bobSnap = bob.value()->snapshot();
        QVERIFY(!bobSnap.admin);
        QVERIFY(!bobSnap.invite->adminSecret); // a member never learns the admin secret
        QVERIFY(find(bobSnap, "Bob")->isSelf);
        QVERIFY(bobSnap.rttMs.has_value());
        QCOMPARE(bobSnap.lossPercent, 0.0);

        // Alice mutes: Bob sees the flag and the level falls silent.
        alice.value()->setMuted(true);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                auto s = bob.value()->snapshot();
                auto* a = find(s, "Alice");
                return a && a->muted && !a->speaking;
            }(),
            3000);
        QVERIFY(alice.value()->snapshot().muted);
        alice.value()->setMuted(false);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                auto s = bob.value()->snapshot();
                auto* a = find(s, "Alice");
                return a && !a->muted && a->speaking;
            }(),
            3000);

        // Volume is ours only: it shows in our snapshot.
        const auto aliceId = find(bob.value()->snapshot(), "Alice")->participantId;
        bob.value()->setParticipantVolume(aliceId, 0.5F);
        QTRY_COMPARE_WITH_TIMEOUT(find(bob.value()->snapshot(), "Alice")->volume, 0.5F, 2000);

        // Bob leaves: Alice sees him go at once; Bob's runner ends.
        bob.value()->leave();
        QTRY_VERIFY_WITH_TIMEOUT(bobEvents.read([](auto& e) { return e.ended; }), 2000);
        QTRY_VERIFY_WITH_TIMEOUT(find(alice.value()->snapshot(), "Bob") == nullptr, 2000);
        QVERIFY(bobEvents.read([](auto& e) { return e.failures.empty(); }));
        alice.value().reset(); // the destructor leaves and joins the thread
        QVERIFY(aliceEvents.read([](auto& e) { return e.ended && e.failures.empty(); }));
    }

    void videoBothWaysAndPrivateViewSwitched() {
        test::RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        Events aliceEvents;
        PatternSource alicePattern;
        StampSink aliceSees;
        CallRequest create;
        create.mode = CallRequest::Mode::CreateAndJoin;
        create.relay = relayOf(relay);
        create.name = "Alice";
        create.sendVideo = smallVideo();
        auto alice = CallRunner::start(
            create, CallMedia{.videoSource = &alicePattern, .videoSink = &aliceSees}, aliceEvents);
        QVERIFY(alice.ok());
        QTRY_VERIFY_WITH_TIMEOUT(aliceEvents.read([](auto& e) { return e.joins == 1; }), 5000);
        const auto invite = aliceEvents.read([](auto& e) { return e.created; });
        QVERIFY(!alice.value()->snapshot().privateView);

        Events bobEvents;
        PatternSource bobPattern;
        StampSink bobSees;
        auto bobRequest = joinRequest(relayOf(relay), invite->id.value(), "Bob");
        bobRequest.sendVideo = smallVideo();
        auto bob = CallRunner::start(
            bobRequest, CallMedia{.videoSource = &bobPattern, .videoSink = &bobSees}, bobEvents);
        QVERIFY(bob.ok());
        // Each decodes the other's pictures, in order, every one readable.
        QTRY_VERIFY_WITH_TIMEOUT(aliceSees.stamps().size() >= 30 && bobSees.stamps().size() >= 30,
                                 8000);
        for (const StampSink* sink : {&aliceSees, &bobSees}) {
            const auto stamps = sink->stamps();
            for (std::size_t i = 1; i < stamps.size(); ++i)
                QVERIFY(stamps[i].frameNumber > stamps[i - 1].frameNumber);
            QCOMPARE(sink->unreadable(), 0);
        }
        QVERIFY(bob.value()->snapshot().stats.videoSent.has_value());

        // The admin switches private view on; both snapshots follow within a second. Bob, a
        // member, is not allowed to switch it.
        alice.value()->setPrivateView(true);
        QTRY_VERIFY_WITH_TIMEOUT(bob.value()->snapshot().privateView, 1000);
        QTRY_VERIFY_WITH_TIMEOUT(alice.value()->snapshot().privateView, 1000);
        bob.value()->setPrivateView(false);
        QTest::qWait(600);
        QVERIFY(alice.value()->snapshot().privateView);
        QVERIFY(bob.value()->snapshot().privateView);
        // Bob (a member) still sees the admin's video.
        const auto before = bobSees.stamps().size();
        QTRY_VERIFY_WITH_TIMEOUT(bobSees.stamps().size() > before + 10, 3000);
        alice.value()->setPrivateView(false);
        QTRY_VERIFY_WITH_TIMEOUT(!bob.value()->snapshot().privateView, 1000);
    }

    void videoSubscriptionStopsAndResumesVideo() {
        // Bob receives Alice's video, then asks for none (a default of 0 lines: the relay
        // withholds it), then for Alice at up to 360 lines (an override of the default): the
        // pictures stop and come back, with nothing else of the call changing.
        test::RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        Events aliceEvents;
        PatternSource alicePattern;
        CallRequest create;
        create.mode = CallRequest::Mode::CreateAndJoin;
        create.relay = relayOf(relay);
        create.name = "Alice";
        create.sendVideo = smallVideo();
        auto alice =
            CallRunner::start(create, CallMedia{.videoSource = &alicePattern}, aliceEvents);
        QVERIFY(alice.ok());
        QTRY_VERIFY_WITH_TIMEOUT(aliceEvents.read([](auto& e) { return e.joins == 1; }), 5000);
        const auto invite = aliceEvents.read([](auto& e) { return e.created; });

        Events bobEvents;
        StampSink bobSees;
        auto bob = CallRunner::start(joinRequest(relayOf(relay), invite->id.value(), "Bob"),
                                     CallMedia{.videoSink = &bobSees}, bobEvents);
        QVERIFY(bob.ok());
        QTRY_VERIFY_WITH_TIMEOUT(bobSees.stamps().size() >= 20, 8000);
        const CallSnapshot seen = bob.value()->snapshot();
        const auto* aliceEntry = find(seen, "Alice");
        QVERIFY(aliceEntry != nullptr);
        const std::uint32_t aliceId = aliceEntry->participantId;
        // The snapshot says what Alice sends (one 180-line layer) and, from the relay's
        // ReceiveReport, what Bob gets of it.
        QCOMPARE(aliceEntry->videoLayerHeights, std::vector<std::uint16_t>{180});
        QVERIFY(find(seen, "Bob")->videoLayerHeights.empty());
        auto bobGets = [&] {
            for (const auto& e : bob.value()->snapshot().stats.downlink.senders)
                if (e.participantId == aliceId)
                    return e.state;
            return wire::ReceiveState::NoVideo;
        };
        QTRY_COMPARE_WITH_TIMEOUT(bobGets(), wire::ReceiveState::Forwarding, 2000);

        VideoSubscription none;
        none.defaultMaxHeight = 0;
        bob.value()->setVideoSubscription(none);
        QTest::qWait(500); // what was on its way arrives
        const auto stopped = bobSees.stamps().size();
        QTest::qWait(1500);
        QCOMPARE(bobSees.stamps().size(), stopped);
        QTRY_COMPARE_WITH_TIMEOUT(bobGets(), wire::ReceiveState::NotSubscribed, 2000);

        VideoSubscription onlyAlice = none;
        onlyAlice.maxHeightByParticipant[aliceId] = 360;
        bob.value()->setVideoSubscription(onlyAlice);
        QTRY_VERIFY_WITH_TIMEOUT(bobSees.stamps().size() >= stopped + 20, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(bobGets(), wire::ReceiveState::Forwarding, 2000);
        QCOMPARE(bobSees.unreadable(), 0);
        QVERIFY(bobEvents.read([](auto& e) { return e.failures.empty(); }));
        QVERIFY(bob.value()->snapshot().phase == CallPhase::InCall);
    }

    void errorsAreClearAndEndTheCall() {
        test::RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        {
            Events events;
            auto runner = CallRunner::start(
                joinRequest(relayOf(relay), ConferenceId::random().value(), "Eve"), CallMedia{},
                events);
            QVERIFY(runner.ok());
            QTRY_VERIFY_WITH_TIMEOUT(events.read([](auto& e) { return e.ended; }), 3000);
            const auto failures = events.read([](auto& e) { return e.failures; });
            QCOMPARE(failures.size(), std::size_t{1});
            QCOMPARE(failures[0].code, SessionErrorCode::UnknownConference);
            QVERIFY(events.read([](auto& e) { return e.joins == 0; }));
        }
        {
            Events events; // nothing listens at this port
            auto runner = CallRunner::start(joinRequest(RelayAddress{"127.0.0.1", freeUdpPort()},
                                                        ConferenceId::random().value(), "Eve"),
                                            CallMedia{}, events);
            QVERIFY(runner.ok());
            QTRY_VERIFY_WITH_TIMEOUT(events.read([](auto& e) { return e.ended; }), 6000);
            const auto failures = events.read([](auto& e) { return e.failures; });
            QCOMPARE(failures.size(), std::size_t{1});
            QCOMPARE(failures[0].code, SessionErrorCode::RelayDidNotAnswer);
            QVERIFY2(QString::fromStdString(failures[0].message).contains("did not answer"),
                     failures[0].message.c_str());
        }
        // Bad requests fail at once, before any thread runs.
        Events events;
        QVERIFY(!CallRunner::start(joinRequest(relayOf(relay), 1, ""), CallMedia{}, events).ok());
        QVERIFY(
            !CallRunner::start(joinRequest(relayOf(relay), 0, "Eve"), CallMedia{}, events).ok());
        QVERIFY(!CallRunner::start(joinRequest(relayOf(relay), 1, std::string(65, 'x')),
                                   CallMedia{}, events)
                     .ok());
    }

    void rejoinsOnItsOwnAfterTheRelayRestarts() {
        QTemporaryDir dir;
        const QString state = dir.filePath("relay-state.json");
        const QString listen = QString("127.0.0.1:%1").arg(freeUdpPort());
        auto relay = std::make_unique<test::RelayProcess>();
        relay->listen = listen;
        QVERIFY2(relay->start({"--state-file", state}), qPrintable(relay->error()));
        const auto links = test::createConference(relay->address());
        QCOMPARE(links.size(), 2);
        const auto invite = parseInvite(links[0].toStdString(), {});
        QVERIFY(invite.ok());
        const RelayAddress address = relayOf(*relay);

        Events aEvents;
        Events bEvents;
        ToneSource tone(620.0);
        auto a = CallRunner::start(joinRequest(address, invite.value().id.value(), "Anna"),
                                   CallMedia{.capture = &tone}, aEvents);
        auto b = CallRunner::start(joinRequest(address, invite.value().id.value(), "Boris"),
                                   CallMedia{}, bEvents);
        QVERIFY(a.ok() && b.ok());
        QTRY_VERIFY_WITH_TIMEOUT(find(b.value()->snapshot(), "Anna") != nullptr, 5000);

        QCOMPARE(relay->stop(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(b.value()->snapshot().phase == CallPhase::Reconnecting &&
                                     a.value()->snapshot().phase == CallPhase::Reconnecting,
                                 12000);
        QVERIFY(bEvents.read([](auto& e) { return e.reconnecting.size() == 1; }));

        relay = std::make_unique<test::RelayProcess>();
        relay->listen = listen;
        QVERIFY2(relay->start({"--state-file", state}), qPrintable(relay->error()));
        QTRY_VERIFY_WITH_TIMEOUT(aEvents.read([](auto& e) { return e.rejoins == 1; }) &&
                                     bEvents.read([](auto& e) { return e.rejoins == 1; }),
                                 15000);
        // Each sees the other again, exactly once (no ghost of the old connection), and the
        // audio flows again.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                auto s = b.value()->snapshot();
                auto* anna = find(s, "Anna");
                return s.phase == CallPhase::InCall && s.participants.size() == 2 && anna &&
                       anna->speaking;
            }(),
            5000);
        QVERIFY(aEvents.read([](auto& e) { return e.failures.empty(); }));
        QVERIFY(bEvents.read([](auto& e) { return e.failures.empty(); }));
    }
};

QTEST_GUILESS_MAIN(TestCallRunner)
#include "TestCallRunner.moc"
