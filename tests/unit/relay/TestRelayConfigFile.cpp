// The relay's TOML config file (good, bad, missing and unknown keys, the error text), what a
// reload may change, and the RelayCore side of a reload and a shutdown: reconfigure() applies
// new limits without dropping anyone, sendGoingAway() tells every participant, and the
// per-participant media rate limit.

#include "diyuma/relay/RelayConfigFile.h"

#include "RelayTestHarness.h"

#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>
#include <fstream>

using namespace diyuma;
using namespace diyuma::test;
using relay::RelaySettings;

namespace {
core::Status apply(std::string_view text, RelaySettings& settings) {
    return relay::applyConfigText(text, "relay.toml", settings);
}
std::string errorOf(std::string_view text) {
    RelaySettings settings;
    auto applied = apply(text, settings);
    return applied.ok() ? std::string("(no error)") : applied.error().message;
}
} // namespace

class TestRelayConfigFile : public QObject {
    Q_OBJECT

private slots:
    void emptyFileKeepsDefaults() {
        RelaySettings settings;
        QVERIFY(apply("", settings).ok());
        QVERIFY(settings == RelaySettings{});
        QVERIFY(apply("# only a comment\n\n[limits]\n[timeouts]\n", settings).ok());
        QVERIFY(settings == RelaySettings{});
    }

    void everyKeyIsRead() {
        RelaySettings settings;
        const auto applied = apply(R"(
listen = ["127.0.0.1:5000", "[::1]:5001"]
state_file = "/tmp/state.json"
log_level = "debug"
stats_interval = 30
metrics = "127.0.0.1:9470"
[limits]
max_conferences = 7
max_participants = 3
max_packets_per_second = 100
max_bytes_per_second = 50000.5
hello_per_second = 10
requests_per_second = 2
[timeouts]
empty_ttl = 5
unused_ttl = 600
participant_timeout = 4
)",
                                   settings);
        QVERIFY2(applied.ok(), applied.ok() ? "" : applied.error().message.c_str());
        QCOMPARE(settings.listen.size(), std::size_t{2});
        QCOMPARE(settings.listen[0].toString(), std::string("127.0.0.1:5000"));
        QCOMPARE(settings.listen[1].toString(), std::string("[::1]:5001"));
        QCOMPARE(settings.stateFile, std::string("/tmp/state.json"));
        QVERIFY(settings.logLevel == core::LogLevel::Debug);
        QCOMPARE(settings.statsInterval, std::chrono::seconds(30));
        QVERIFY(settings.metrics);
        QCOMPARE(settings.metrics->toString(), std::string("127.0.0.1:9470"));
        QCOMPARE(settings.core.maxConferences, std::size_t{7});
        QCOMPARE(settings.core.maxParticipantsPerConference, std::size_t{3});
        QCOMPARE(settings.core.mediaPacketRate.perSecond, 100.0);
        QCOMPARE(settings.core.mediaPacketRate.burst, 200.0);
        QCOMPARE(settings.core.mediaByteRate.perSecond, 50000.5);
        QCOMPARE(settings.core.helloRate.perSecond, 10.0);
        QCOMPARE(settings.core.requestRate.perSecond, 2.0);
        QCOMPARE(settings.core.requestRate.burst, 8.0);
        QCOMPARE(settings.core.emptyTtl, std::chrono::seconds(5));
        QCOMPARE(settings.core.unusedTtl, std::chrono::seconds(600));
        QCOMPARE(settings.core.participantTimeout, std::chrono::milliseconds(4000));
    }

    void missingKeysKeepTheirDefaults() {
        RelaySettings settings;
        QVERIFY(apply("[limits]\nmax_participants = 9\n", settings).ok());
        RelaySettings expected;
        expected.core.maxParticipantsPerConference = 9;
        QVERIFY(settings == expected);
    }

    void singleListenStringAndMetricsOff() {
        RelaySettings settings;
        settings.metrics = relay::SocketAddress::parse("127.0.0.1:1");
        QVERIFY(apply("listen = \"[::]:47400\"\nmetrics = \"\"\n", settings).ok());
        QCOMPARE(settings.listen.size(), std::size_t{1});
        QVERIFY(settings.listen[0].family() == relay::SocketAddress::Family::V6);
        QVERIFY(!settings.metrics);
    }

    void smallByteRateStillPassesOneDatagram() {
        RelaySettings settings;
        QVERIFY(apply("[limits]\nmax_bytes_per_second = 10\n", settings).ok());
        QVERIFY(settings.core.mediaByteRate.burst >= 1200.0);
        QVERIFY(apply("[limits]\nmax_bytes_per_second = 0\n", settings).ok());
        QCOMPARE(settings.core.mediaByteRate.perSecond, 0.0);
    }

    void badValuesNameTheLineAndTheKey_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("string for a count")
            << "\n[limits]\nmax_participants = \"many\"\n"
            << "relay.toml:3: limits.max_participants: expected an integer from 1 to 10000, "
               "got \"many\"";
        QTest::newRow("out of range") << "[limits]\nmax_conferences = 0\n"
                                      << "relay.toml:2: limits.max_conferences: expected an "
                                         "integer from 1 to 10000000, got 0";
        QTest::newRow("float for a count")
            << "[timeouts]\nempty_ttl = 1.5\n"
            << "relay.toml:2: timeouts.empty_ttl: expected an integer";
        QTest::newRow("negative rate")
            << "[limits]\nmax_packets_per_second = -1\n"
            << "relay.toml:2: limits.max_packets_per_second: expected a number from 0";
        QTest::newRow("bad address") << "listen = [\"localhost\"]\n"
                                     << "relay.toml:1: listen: expected \"ADDR:PORT\"";
        QTest::newRow("two IPv4 addresses")
            << "listen = [\"127.0.0.1:1\", \"127.0.0.2:1\"]\n"
            << "relay.toml:1: listen: at most one IPv4 and one IPv6 listen address";
        QTest::newRow("empty listen") << "listen = []\n"
                                      << "relay.toml:1: listen: expected";
        QTest::newRow("bad log level") << "log_level = \"loud\"\n"
                                       << "relay.toml:1: log_level: expected \"debug\"";
        QTest::newRow("bad metrics") << "metrics = 9470\n"
                                     << "relay.toml:1: metrics: expected";
        QTest::newRow("section is a value") << "limits = 5\n"
                                            << "relay.toml:1: limits: expected a table ([limits])";
        QTest::newRow("participant timeout too short")
            << "[timeouts]\nparticipant_timeout = 1\n"
            << "relay.toml:2: timeouts.participant_timeout: expected an integer from 2 to 65";
    }
    void badValuesNameTheLineAndTheKey() {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        const auto message = errorOf(text.toStdString());
        QVERIFY2(message.starts_with(expected.toStdString()), message.c_str());
        QVERIFY(message.find('\n') == std::string::npos);
    }

    void unknownKeysAreErrors() {
        auto message = errorOf("[limits]\nmax_participant = 3\n");
        QVERIFY2(message.starts_with("relay.toml:2: limits.max_participant: unknown key"),
                 message.c_str());
        message = errorOf("listen = \"127.0.0.1:1\"\nmax_participants = 3\n");
        QVERIFY2(message.starts_with("relay.toml:2: max_participants: unknown key"),
                 message.c_str()); // it belongs in [limits]
        message = errorOf("[limitz]\nmax_participants = 3\n");
        QVERIFY2(message.starts_with("relay.toml:1: limitz: unknown key"), message.c_str());
    }

    void syntaxErrorsGiveLineAndColumn() {
        const auto message = errorOf("log_level = \"info\"\n[limits\nmax_participants = 3\n");
        QVERIFY2(message.starts_with("relay.toml:2:"), message.c_str());
        QVERIFY2(message.find("not valid TOML") != std::string::npos, message.c_str());
        QVERIFY(message.find('\n') == std::string::npos);
    }

    void filesAreReadAndMissingFilesAreErrors() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("relay.toml").toStdString();
        RelaySettings settings;
        auto missing = relay::applyConfigFile(path, settings);
        QVERIFY(!missing.ok());
        QVERIFY2(missing.error().message.find(path) != std::string::npos,
                 missing.error().message.c_str());
        QVERIFY2(missing.error().message.find("No such file") != std::string::npos,
                 missing.error().message.c_str());
        QCOMPARE(missing.error().code, static_cast<int>(relay::ConfigFileError::Unreadable));

        std::ofstream(path) << "[limits]\nmax_participants = \"x\"\n";
        auto bad = relay::applyConfigFile(path, settings);
        QVERIFY(!bad.ok());
        QVERIFY2(bad.error().message.starts_with(path + ":2: limits.max_participants"),
                 bad.error().message.c_str());

        std::ofstream(path) << "[limits]\nmax_participants = 4\n";
        QVERIFY(relay::applyConfigFile(path, settings).ok());
        QCOMPARE(settings.core.maxParticipantsPerConference, std::size_t{4});
    }

    void theShippedExampleIsValid() {
        const auto path = qEnvironmentVariable("DIYUMA_SOURCE_DIR") + "/packaging/relay/relay.toml";
        RelaySettings settings;
        auto applied = relay::applyConfigFile(path.toStdString(), settings);
        QVERIFY2(applied.ok(), applied.ok() ? "" : applied.error().message.c_str());
        QCOMPARE(settings.listen.size(), std::size_t{2});
        QVERIFY(settings.metrics);
        // Apart from listen and metrics it states the defaults.
        RelaySettings defaults;
        QVERIFY(settings.core == defaults.core);
        QVERIFY(settings.logLevel == defaults.logLevel);
    }

    void reloadTakesLimitsAndReportsTheRest() {
        RelaySettings current;
        RelaySettings next;
        QVERIFY(apply("listen = \"127.0.0.1:9\"\nlog_level = \"warning\"\nmetrics = "
                      "\"127.0.0.1:9470\"\n[limits]\nmax_participants = 2\n[timeouts]\n"
                      "empty_ttl = 1\n",
                      next)
                    .ok());
        const auto restart = relay::applyReloadable(next, current);
        QCOMPARE(current.core.maxParticipantsPerConference, std::size_t{2});
        QCOMPARE(current.core.emptyTtl, std::chrono::seconds(1));
        QVERIFY(current.logLevel == core::LogLevel::Warning);
        QVERIFY(current.listen == RelaySettings{}.listen); // not taken
        QVERIFY(!current.metrics);
        QCOMPARE(restart, (std::vector<std::string>{"listen", "metrics"}));
    }

    void reconfigureAppliesToTheNextJoinAndKeepsEveryone() {
        relay::RelayConfig config;
        config.maxParticipantsPerConference = 2;
        Harness h(config);
        const auto created = h.create(addr(1));
        QVERIFY(created);
        QVERIFY(h.join(addr(2), created->conferenceId, "a", 1));
        QVERIFY(h.join(addr(3), created->conferenceId, "b", 2));
        QVERIFY(Harness::errorIn(h.joinRaw(addr(4), created->conferenceId, "c", 3), addr(4)) ==
                std::optional(wire::ErrorCode::ConferenceFull));

        config.maxParticipantsPerConference = 3;
        h.core.reconfigure(config);
        QVERIFY(h.join(addr(4), created->conferenceId, "c", 3));

        // Lower than the conference holds: nobody is removed, nobody new gets in.
        config.maxParticipantsPerConference = 1;
        h.core.reconfigure(config);
        QCOMPARE(h.core.conferenceInfo(created->conferenceId)->participants.size(), std::size_t{3});
        QVERIFY(Harness::errorIn(h.joinRaw(addr(5), created->conferenceId, "d", 4), addr(5)) ==
                std::optional(wire::ErrorCode::ConferenceFull));
        // Media still flows between those inside.
        const auto rtp = rtpBytes(1, 1);
        const auto sent = h.deliver(addr(2), rtp);
        QCOMPARE(std::count_if(sent.begin(), sent.end(), [](const Sent& s) { return s.forwarded; }),
                 2L);
        QCOMPARE(h.core.config().maxParticipantsPerConference, std::size_t{1});
    }

    void goingAwayReachesEveryParticipant() {
        Harness h;
        const auto first = h.create(addr(1));
        const auto second = h.create(addr(1), 2);
        QVERIFY(first && second);
        QVERIFY(h.join(addr(2), first->conferenceId, "a", 1));
        QVERIFY(h.join(addr(3), first->conferenceId, "b", 2));
        QVERIFY(h.join(addr(4), second->conferenceId, "c", 3));
        RecordingSink sink;
        QCOMPARE(h.core.sendGoingAway(sink), std::size_t{3});
        QCOMPARE(sink.sent.size(), std::size_t{3});
        std::vector<SocketAddress> told;
        for (const auto& s : sink.sent) {
            const auto error = s.as<wire::ErrorMsg>();
            QVERIFY(error);
            QVERIFY(error->code == wire::ErrorCode::GoingAway);
            told.push_back(s.to);
        }
        for (auto host : {2, 3, 4})
            QVERIFY(std::find(told.begin(), told.end(), addr(static_cast<std::uint8_t>(host))) !=
                    told.end());
        QCOMPARE(h.core.stats().errorsSentFor(wire::ErrorCode::GoingAway), std::uint64_t{3});
        QCOMPARE(wire::toString(wire::ErrorCode::GoingAway), std::string_view("going_away"));
    }

    void mediaRateLimitPerParticipant() {
        relay::RelayConfig config;
        config.mediaPacketRate =
            relay::makeRateLimit(relay::RateKind::MediaPackets, 10); // burst 20
        Harness h(config);
        const auto created = h.create(addr(1));
        QVERIFY(created);
        QVERIFY(h.join(addr(2), created->conferenceId, "a", 1));
        QVERIFY(h.join(addr(3), created->conferenceId, "b", 2));
        std::size_t forwarded = 0;
        for (std::uint16_t seq = 0; seq < 30; ++seq) {
            const auto rtp = rtpBytes(1, seq);
            forwarded += h.deliver(addr(2), rtp).size();
        }
        QCOMPARE(forwarded, std::size_t{20}); // the burst, then nothing
        QCOMPARE(h.core.stats().drops(relay::DropReason::RateLimitedMedia), std::uint64_t{10});
        // The other participant has its own budget.
        const auto rtp = rtpBytes(2, 0);
        QCOMPARE(h.deliver(addr(3), rtp).size(), std::size_t{1});
        // Half a second refills 5 datagrams.
        h.clock.advance(std::chrono::milliseconds(500));
        forwarded = 0;
        for (std::uint16_t seq = 30; seq < 40; ++seq) {
            const auto more = rtpBytes(1, seq);
            forwarded += h.deliver(addr(2), more).size();
        }
        QCOMPARE(forwarded, std::size_t{5});
        // A reload to unlimited applies at once.
        config.mediaPacketRate = relay::RateLimit{};
        h.core.reconfigure(config);
        const auto last = rtpBytes(1, 41);
        QCOMPARE(h.deliver(addr(2), last).size(), std::size_t{1});
    }

    void mediaByteLimit() {
        relay::RelayConfig config;
        config.mediaByteRate = relay::RateLimit{1000, 1500};
        Harness h(config);
        const auto created = h.create(addr(1));
        QVERIFY(created);
        QVERIFY(h.join(addr(2), created->conferenceId, "a", 1));
        QVERIFY(h.join(addr(3), created->conferenceId, "b", 2));
        const auto big = rtpBytes(1, 1, 1000);
        QVERIFY(big.size() >= 1000);
        QCOMPARE(h.deliver(addr(2), big).size(), std::size_t{1});
        QCOMPARE(h.deliver(addr(2), big).size(), std::size_t{0}); // 1500 - ~1012 left < 1012
        h.clock.advance(std::chrono::seconds(1));
        QCOMPARE(h.deliver(addr(2), big).size(), std::size_t{1});
    }
};

QTEST_GUILESS_MAIN(TestRelayConfigFile)
#include "TestRelayConfigFile.moc"
