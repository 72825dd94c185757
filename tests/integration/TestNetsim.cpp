// diyuma-netsim in front of the real relay: two real diyuma-cli clients in one conference,
// Alice straight to the relay, Bob through netsim with 20 % loss on the way down (relay ->
// Bob). Bob must lose about that share of Alice's audio and still hear her tone; Alice, whose
// path and Bob's upstream are clean, must lose (almost) nothing; netsim's own stats must add
// up. Also: netsim's argument errors and its clean stop.
//
// Bounds: about 4 s * 50 = 200 of Alice's packets reach netsim for Bob, so the lost share
// has sd sqrt(0.2 * 0.8 / 200) = 2.8 %; 10..32 % is 3.5 sd below and 4 sd above 20 %. The seed is
// fixed, so which down datagrams are dropped only moves with how Alice's packets interleave with
// the relay's control traffic.

#include "Processes.h"
#include "ToneLevels.h"

#include <QtCore/QFile>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

using namespace diyuma;
using diyuma::test::NetsimProcess;
using diyuma::test::RelayProcess;

namespace {

/// The last line of `text` as a JSON object.
QJsonObject lastJsonLine(const QByteArray& text) {
    const auto lines = text.trimmed().split('\n');
    return QJsonDocument::fromJson(lines.isEmpty() ? QByteArray() : lines.back()).object();
}

double lostShare(const QJsonObject& audio) {
    const double lost = audio["packets_lost"].toDouble();
    const double received = audio["packets_received"].toDouble();
    return received + lost > 0 ? lost / (received + lost) : 0.0;
}

bool balanced(const QJsonObject& direction) {
    double dropped = 0;
    const auto reasons = direction["dropped"].toObject();
    for (auto it = reasons.begin(); it != reasons.end(); ++it)
        dropped += it.value().toDouble();
    return direction["in"].toDouble() + direction["duplicated"].toDouble() ==
           direction["out"].toDouble() + dropped;
}
} // namespace

class TestNetsim : public QObject {
    Q_OBJECT
private slots:
    void clientBehindNetsimLosesTheConfiguredShare() {
        RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        NetsimProcess netsim;
        QVERIFY2(netsim.start(relay.address(), {"--seed", "7", "--loss", "20", "--delay", "10",
                                                "--direction", "down"}),
                 qPrintable(netsim.error()));
        QVERIFY(netsim.address() != relay.address());
        const auto links = test::createConference(relay.address());
        QCOMPARE(links.size(), 2);

        QTemporaryDir dir;
        const auto join = [&](const QString& name, const QString& tone, const QStringList& via) {
            return test::startCli(QStringList{"join", links[0], "--name", name, "--send-audio",
                                              tone, "--record-audio", dir.filePath(name),
                                              "--duration", "4", "--stats-json",
                                              dir.filePath(name + ".json")} +
                                  via);
        };
        auto alice = join("Alice", "tone:440", {});
        auto bob = join("Bob", "tone:620", {"--relay", netsim.address()});
        for (auto* client : {alice.get(), bob.get()}) {
            QVERIFY(client->waitForFinished(20000));
            QVERIFY2(client->exitCode() == 0, client->readAllStandardError().constData());
        }

        // Bob, behind the lossy down link, lost about a fifth of Alice's audio...
        const auto bobHears = test::loadJsonObject(dir.filePath("Bob.json"))["remote"]
                                  .toObject()["Alice"]
                                  .toObject()["audio"]
                                  .toObject();
        QVERIFY2(bobHears["packets_received"].toDouble() > 100,
                 QJsonDocument(bobHears).toJson().constData());
        const double bobLost = lostShare(bobHears);
        qInfo("Bob received %g and lost %g of Alice's packets (%.1f %%)",
              bobHears["packets_received"].toDouble(), bobHears["packets_lost"].toDouble(),
              bobLost * 100.0);
        QVERIFY2(bobLost > 0.10 && bobLost < 0.32,
                 qPrintable(QString("Bob lost %1 of Alice's packets").arg(bobLost)));
        // ...and still hears her (concealment and FEC fill the gaps).
        const double level = test::toneLevelIn(dir.filePath("Bob") + "/Alice.wav", 440.0, 1.5, 3.0);
        qInfo("Bob hears Alice's 440 Hz at %.1f dBFS", level);
        QVERIFY2(level > -25.0, qPrintable(QString("Bob hears Alice at %1 dBFS").arg(level)));

        // Alice is direct, and Bob's upstream through netsim is clean.
        const auto aliceHears = test::loadJsonObject(dir.filePath("Alice.json"))["remote"]
                                    .toObject()["Bob"]
                                    .toObject()["audio"]
                                    .toObject();
        QVERIFY2(aliceHears["packets_received"].toDouble() > 150,
                 QJsonDocument(aliceHears).toJson().constData());
        QVERIFY2(lostShare(aliceHears) < 0.03,
                 qPrintable(QString("Alice lost %1 of Bob's packets").arg(lostShare(aliceHears))));
        QVERIFY(test::toneLevelIn(dir.filePath("Alice") + "/Bob.wav", 620.0, 1.5, 3.0) > -25.0);

        // netsim: exit 0 on SIGTERM, one JSON line; loss only down, at about the same share.
        QCOMPARE(netsim.stop(), 0);
        const auto stats = lastJsonLine(netsim.stderrText());
        QVERIFY2(!stats.isEmpty(), netsim.stderrText().constData());
        QCOMPARE(stats["clients"].toInt(), 1);
        QCOMPARE(stats["seed"].toInt(), 7);
        const auto up = stats["up"].toObject();
        const auto down = stats["down"].toObject();
        QVERIFY(up["in"].toDouble() > 150);
        QCOMPARE(up["out"].toDouble(), up["in"].toDouble());
        const double downLost =
            down["dropped"].toObject()["loss"].toDouble() / down["in"].toDouble();
        qInfo("netsim: %s", netsim.stderrText().trimmed().split('\n').back().constData());
        QVERIFY2(downLost > 0.10 && downLost < 0.32, qPrintable(QString::number(downLost)));
        QVERIFY(balanced(up));
        QVERIFY(balanced(down));
    }

    void badArgumentsExitWithOneLine() {
        QProcess p;
        p.start(test::netsimPath(), {"--target", "127.0.0.1:1", "--loss", "250"});
        QVERIFY(p.waitForFinished(5000));
        QCOMPARE(p.exitCode(), 2);
        const QByteArray err = p.readAllStandardError();
        QVERIFY2(err.startsWith("diyuma-netsim: error: ") && err.count('\n') == 1, err.constData());
        QVERIFY(p.readAllStandardOutput().isEmpty());
    }

    void stopsCleanlyWithoutTraffic() {
        NetsimProcess netsim;
        QVERIFY2(netsim.start("127.0.0.1:9", {"--burst-loss", "2,25", "--rate", "64"}),
                 qPrintable(netsim.error()));
        QVERIFY(netsim.address().startsWith("127.0.0.1:"));
        QCOMPARE(netsim.stop(), 0);
        const auto stats = lastJsonLine(netsim.stderrText());
        QCOMPARE(stats["up"].toObject()["in"].toInt(), 0);
        QCOMPARE(stats["clients"].toInt(), 0);
    }
};

QTEST_GUILESS_MAIN(TestNetsim)
#include "TestNetsim.moc"
