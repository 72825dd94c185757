// The admin's mute and remove, end to end: the real relay on loopback and diyuma-cli clients.
// Anna (admin link) mutes Bob without letting him unmute and later removes Carl; what Anna
// recorded shows Bob's tone stop at the mute and Carl's at the removal; Bob's client knows it
// is muted; Carl's client ends with a message that says why, and his rejoin is refused.

#include "Processes.h"
#include "ToneLevels.h"

#include <QtCore/QJsonObject>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

using namespace diyuma;
using diyuma::test::RelayProcess;

class TestAdminActions : public QObject {
    Q_OBJECT
private slots:
    void muteLockedAndRemoveAreEnforced() {
        RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        const auto links = test::createConference(relay.address());
        QCOMPARE(links.size(), 2);
        QTemporaryDir dir;

        // Bob and Carl first, so that they are in when Anna's actions fall due.
        auto bob = test::startCli({"join", links[0], "--name", "Bob", "--send-audio", "tone:620",
                                   "--duration", "9", "--stats-json", dir.filePath("bob.json")});
        auto carl = test::startCli(
            {"join", links[0], "--name", "Carl", "--send-audio", "tone:970", "--duration", "9"});
        QTest::qWait(500);
        auto anna = test::startCli({"join", links[1], "--name", "Anna", "--record-audio",
                                    dir.filePath("anna"), "--duration", "8", "--admin",
                                    "mute-locked:Bob@3", "--admin", "remove:Carl@5"});

        QVERIFY(carl->waitForFinished(20000));
        const QString carlErr = QString::fromUtf8(carl->readAllStandardError());
        QVERIFY2(carl->exitCode() != 0, qPrintable(carlErr));
        QVERIFY2(carlErr.contains("removed you"), qPrintable(carlErr));
        // He comes back with the same link: refused at once, with the reason.
        const auto again = test::runCli({"join", links[0], "--name", "Carl", "--duration", "2"});
        QVERIFY(again.finished);
        QVERIFY(again.exitCode != 0);
        QVERIFY2(QString::fromUtf8(again.err).contains("removed you"), again.err.constData());

        QVERIFY(anna->waitForFinished(20000));
        QVERIFY2(anna->exitCode() == 0, anna->readAllStandardError().constData());
        QVERIFY(bob->waitForFinished(20000));
        QVERIFY2(bob->exitCode() == 0, bob->readAllStandardError().constData());

        // Anna heard Bob until the mute at 3 s and not after; Carl until the removal at 5 s.
        const QString bobFile = dir.filePath("anna/Bob.wav");
        const QString carlFile = dir.filePath("anna/Carl.wav");
        const double bobBefore = test::toneLevelIn(bobFile, 620, 1.0, 2.5);
        const double bobAfter = test::toneLevelIn(bobFile, 620, 4.0, 7.5);
        const double carlBefore = test::toneLevelIn(carlFile, 970, 1.0, 4.5);
        const double carlAfter = test::toneLevelIn(carlFile, 970, 6.0, 7.5);
        const QString figures = QString("Bob %1 / %2 dBFS, Carl %3 / %4 dBFS")
                                    .arg(bobBefore)
                                    .arg(bobAfter)
                                    .arg(carlBefore)
                                    .arg(carlAfter);
        QVERIFY2(bobBefore > -20.0 && bobAfter < -60.0, qPrintable(figures));
        QVERIFY2(carlBefore > -20.0 && carlAfter < -60.0, qPrintable(figures));
        // Bob's client knew: it stopped sending for the rest of the call (about 6 s).
        const QJsonObject bobStats = test::loadJsonObject(dir.filePath("bob.json"));
        QVERIFY2(bobStats["sent"]["audio_frames_muted"].toInt() > 200,
                 qPrintable(QString::number(bobStats["sent"]["audio_frames_muted"].toInt())));
    }

    void membersCannotUseAdminActions() {
        RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        const auto links = test::createConference(relay.address());
        const auto r = test::runCli(
            {"join", links[0], "--name", "Eve", "--duration", "1", "--admin", "remove:Bob@0"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(QString::fromUtf8(r.err).contains("needs the admin link"), r.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestAdminActions)
#include "TestAdminActions.moc"
