// Video subscriptions (Subscribe, PROTOCOL.md 4.16): the message lists every other
// participant with their limit, nothing is sent while no subscription was set, changes and
// newcomers go out at once, the same message is refreshed every few seconds, and bursts of
// changes are paced well under the relay's limit (4 a second, bursts of 16). Engines are
// joined through the fake relay and stepped by a fake clock.

#include "diyuma/session/CallEngine.h"
#include "diyuma/session/VideoSubscription.h"

#include "FakeClock.h"
#include "FakeRelay.h"

#include <QtTest/QtTest>
#include <algorithm>
#include <memory>
#include <vector>

using namespace diyuma;
using namespace diyuma::core;
using namespace std::chrono_literals;

namespace {

using Entries = std::vector<wire::SubscriptionEntry>;

Entries entriesOf(const wire::SubscribeMsg& message) {
    const auto view = message.view();
    return {view.begin(), view.end()};
}

/// Listeners without audio or video: only the control traffic matters here.
struct Room {
    test::FakeClock clock;
    test::FakeRelay relay;
    std::vector<std::unique_ptr<CallEngine>> engines;
    std::vector<std::size_t> indexes;

    CallEngine& add(const std::string& name, bool join = true) {
        const std::size_t slot = engines.size();
        engines.push_back(nullptr);
        indexes.push_back(relay.addClient(
            [this, slot](std::span<const std::uint8_t> d) { engines[slot]->onDatagram(d); }));
        CallEngineConfig config;
        config.name = name;
        auto made = CallEngine::create(clock, relay.endpoint(indexes.back()), nullptr, nullptr,
                                       nullptr, config);
        if (!made)
            qFatal("engine: %s", made.error().message.c_str());
        engines.back() = std::move(made.value());
        if (join)
            start(*engines.back());
        return *engines.back();
    }
    void start(CallEngine& engine) {
        if (!engine.join(relay.conferenceId).ok())
            qFatal("join failed to start");
        relay.deliver();
    }
    void run(std::chrono::milliseconds duration) {
        for (auto t = 0ms; t < duration; t += 10ms) {
            clock.advance(10ms);
            for (auto& engine : engines)
                engine->tick();
            relay.deliver();
        }
    }
    std::uint32_t idOf(const CallEngine& engine) const {
        return engine.session().joinInfo().participantId;
    }
    /// The Subscribes client `index` sent, oldest first.
    std::vector<wire::SubscribeMsg> from(std::size_t index) const {
        std::vector<wire::SubscribeMsg> out;
        for (const auto& s : relay.subscribesSeen)
            if (s.from == index)
                out.push_back(s.message);
        return out;
    }
};

} // namespace

class TestSubscribe : public QObject {
    Q_OBJECT
private slots:
    void nothingIsSentWithoutASubscription() {
        Room room;
        room.add("Alice");
        room.add("Bob");
        room.run(10s);
        QVERIFY(room.relay.subscribesSeen.empty());
        QCOMPARE(room.engines[0]->session().counters().subscribesSent, std::uint64_t{0});
        QVERIFY(!room.engines[0]->session().videoSubscription());
    }

    void defaultCoversEveryoneAndNewcomers() {
        Room room;
        CallEngine& alice = room.add("Alice", false);
        VideoSubscription wanted;
        wanted.defaultMaxHeight = 180;
        alice.setVideoSubscription(wanted); // before joining: goes out once joined
        room.run(100ms);
        QVERIFY(room.relay.subscribesSeen.empty()); // not joined: nothing
        CallEngine& bob = room.add("Bob");
        room.add("Carol");
        room.start(alice);
        room.run(20ms);
        auto sent = room.from(room.indexes[0]);
        QCOMPARE(sent.size(), std::size_t{1}); // the roster that came with Joined: one message
        QCOMPARE(sent.back().defaultMaxHeight, std::uint16_t{180});
        QVERIFY(entriesOf(sent.back()).empty()); // the default covers Bob and Carol

        // Dave joins, Bob leaves: the default covers that too, nothing new goes out (until
        // the refresh).
        CallEngine& dave = room.add("Dave");
        room.run(20ms);
        bob.leave();
        room.relay.deliver();
        room.run(20ms);
        QCOMPARE(room.from(room.indexes[0]).size(), std::size_t{1});
        // A limit of Dave's own (a larger tile): he is listed.
        wanted.maxHeightByParticipant[room.idOf(dave)] = 360;
        alice.setVideoSubscription(wanted);
        room.run(20ms);
        sent = room.from(room.indexes[0]);
        QCOMPARE(sent.size(), std::size_t{2});
        QCOMPARE(sent.back().defaultMaxHeight, std::uint16_t{180});
        QCOMPARE(entriesOf(sent.back()), (Entries{{room.idOf(dave), 360}}));
        // Nobody else subscribed to anything.
        for (const auto& s : room.relay.subscribesSeen)
            QCOMPARE(s.from, room.indexes[0]);
    }

    void overridesAndChanges() {
        Room room;
        CallEngine& alice = room.add("Alice");
        CallEngine& bob = room.add("Bob");
        CallEngine& carol = room.add("Carol");
        room.run(100ms);
        VideoSubscription wanted; // no limit by default, Bob at most 360, Carol none
        wanted.maxHeightByParticipant[room.idOf(bob)] = 360;
        wanted.maxHeightByParticipant[room.idOf(carol)] = 0;
        wanted.maxHeightByParticipant[9999] = 720; // not here (yet): not listed
        alice.setVideoSubscription(wanted);
        QCOMPARE(*alice.session().videoSubscription(), wanted);
        room.run(20ms);
        auto sent = room.from(room.indexes[0]);
        QCOMPARE(sent.size(), std::size_t{1});
        QCOMPARE(entriesOf(sent.back()), (Entries{{room.idOf(bob), 360}, {room.idOf(carol), 0}}));
        // Carol's tile grows: a new message with her new limit.
        wanted.maxHeightByParticipant[room.idOf(carol)] = 720;
        alice.setVideoSubscription(wanted);
        room.run(600ms);
        sent = room.from(room.indexes[0]);
        QCOMPARE(sent.size(), std::size_t{2});
        QCOMPARE(entriesOf(sent.back()), (Entries{{room.idOf(bob), 360}, {room.idOf(carol), 720}}));
        // The same subscription again changes nothing on the wire (until the refresh).
        alice.setVideoSubscription(wanted);
        room.run(600ms);
        QCOMPARE(room.from(room.indexes[0]).size(), std::size_t{2});
        // Nothing limited any more: the default, nobody listed.
        alice.setVideoSubscription(VideoSubscription{});
        room.run(600ms);
        sent = room.from(room.indexes[0]);
        QCOMPARE(sent.size(), std::size_t{3});
        QCOMPARE(sent.back().defaultMaxHeight, VideoSubscription::kNoLimit);
        QVERIFY(entriesOf(sent.back()).empty());
    }

    void refreshedEveryFewSecondsAndPaced() {
        Room room;
        CallEngine& alice = room.add("Alice");
        room.add("Bob");
        VideoSubscription wanted;
        wanted.defaultMaxHeight = 360;
        alice.setVideoSubscription(wanted);
        room.run(30'050ms);
        // Once at the start, then every 3 s: a lost datagram is repaired within seconds.
        const auto sent = room.from(room.indexes[0]);
        QVERIFY2(sent.size() >= 10 && sent.size() <= 11, qPrintable(QString::number(sent.size())));
        for (const auto& message : sent) {
            QCOMPARE(message.defaultMaxHeight, std::uint16_t{360});
            QVERIFY(entriesOf(message).empty());
        }
        QCOMPARE(alice.session().counters().subscribesSent, std::uint64_t{sent.size()});

        // A storm of changes (a window being resized): every 10 ms a new height for 2 s.
        const std::size_t before = room.relay.subscribesSeen.size();
        std::vector<std::size_t> perSecond;
        for (int second = 0; second < 2; ++second) {
            const std::size_t start = room.relay.subscribesSeen.size();
            for (int i = 0; i < 100; ++i) {
                wanted.defaultMaxHeight = static_cast<std::uint16_t>(200 + second * 100 + i);
                alice.setVideoSubscription(wanted);
                room.run(10ms);
            }
            perSecond.push_back(room.relay.subscribesSeen.size() - start);
        }
        // At most the burst of 4 plus 2 a second: well under the relay's 4 a second.
        QVERIFY2(perSecond[0] <= 6 && perSecond[1] <= 3,
                 qPrintable(QString("%1 %2").arg(perSecond[0]).arg(perSecond[1])));
        QVERIFY(room.relay.subscribesSeen.size() - before >= 4); // but changes do go out
        // The last wish arrives once the storm is over.
        room.run(600ms);
        QCOMPARE(room.from(room.indexes[0]).back().defaultMaxHeight, wanted.defaultMaxHeight);
    }

    void rejoinSendsItAgain() {
        // The scheduler on its own: a new join (a new relay session) needs the message again,
        // even if it equals the last one sent.
        SubscribeScheduler scheduler;
        std::map<std::uint32_t, RosterEntry> roster;
        roster[7] = RosterEntry{7, "Bob", 0, {}, false};
        roster[3] = RosterEntry{3, "Me", 0, {}, true};
        const Clock::TimePoint t0{std::chrono::seconds(50)};
        QCOMPARE(scheduler.nextAt(), Clock::TimePoint::max());
        VideoSubscription wanted;
        wanted.defaultMaxHeight = 0;
        scheduler.set(wanted);
        QVERIFY(!scheduler.due(t0, roster)); // not joined
        QCOMPARE(scheduler.nextAt(), Clock::TimePoint::max());
        scheduler.joined(t0);
        QVERIFY(scheduler.nextAt() <= t0);
        auto first = scheduler.due(t0, roster);
        QVERIFY(first);
        QCOMPARE(first->defaultMaxHeight, std::uint16_t{0});
        QCOMPARE(scheduler.nextAt(), t0 + SubscribeScheduler::kRefreshInterval);
        QVERIFY(!scheduler.due(t0 + 1s, roster));
        scheduler.joined(t0 + 2s);
        auto again = scheduler.due(t0 + 2s, roster);
        QVERIFY(again);
        QCOMPARE(again->defaultMaxHeight, std::uint16_t{0});
    }

    void onlyLimitsApartFromTheDefaultAreListed() {
        std::map<std::uint32_t, RosterEntry> roster;
        for (std::uint32_t id = 1; id <= 100; ++id)
            roster[id] = RosterEntry{id, "p", 0, {}, id == 50};
        VideoSubscription wanted; // 360 by default; small tiles for 1..80, one at the default
        wanted.defaultMaxHeight = 360;
        for (std::uint32_t id = 1; id <= 80; ++id)
            wanted.maxHeightByParticipant[id] = 180;
        wanted.maxHeightByParticipant[90] = 360;
        wanted.maxHeightByParticipant[50] = 90; // ourselves: never listed
        const auto message = buildSubscribe(wanted, roster);
        QCOMPARE(message.defaultMaxHeight, std::uint16_t{360});
        // 79 others differ from the default: the first 64 by ID are listed.
        QCOMPARE(std::size_t{message.count}, wire::kMaxReportEntries);
        const Entries entries = entriesOf(message);
        QVERIFY(std::is_sorted(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
            return a.participantId < b.participantId;
        }));
        QVERIFY(std::all_of(entries.begin(), entries.end(),
                            [](const auto& e) { return e.maxHeight == 180; }));
        QVERIFY(std::none_of(entries.begin(), entries.end(), [](const auto& e) {
            return e.participantId == 50 || e.participantId == 90;
        }));
        // The message is valid on the wire.
        std::array<std::uint8_t, wire::kMaxDatagramBytes> buffer{};
        const auto bytes = wire::encodeControl(wire::ControlMessage{1, message}, buffer);
        wire::ControlMessage parsed;
        QVERIFY(wire::parseControl(bytes, parsed) == wire::ParseError::None);
        QVERIFY(std::holds_alternative<wire::SubscribeMsg>(parsed.body));
    }
};

int runTestSubscribe(int argc, char** argv) {
    TestSubscribe t;
    return QTest::qExec(&t, argc, argv);
}

#include "TestSubscribe.moc"
