// The desktop app end to end, as a person uses it: the real relay, the app (offscreen)
// joined through its command line with its audio going through the real PortAudio path to
// a sound server that keeps real time (a private PulseAudio daemon with null sinks: a
// 440 Hz tone is the app's microphone, the app's speaker is recorded), and a diyuma-cli
// peer sending 620 Hz. Asserted from what each side recorded. Then SIGTERM: the app leaves
// and quits cleanly. And SIGINT and SIGTERM with the peer still in the call: the app quits
// with status 0 within the two seconds issue 3 allows, and the relay's log shows its
// participant leaving (a Leave, not the relay's timeout) while the peer stays.

#include "diyuma/audio/Goertzel.h"
#include "diyuma/audio/WavFile.h"

#include "Processes.h"
#include "PulseAudioServer.h"

#include <QtCore/QFile>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>
#include <algorithm>
#include <csignal>

using namespace diyuma;

namespace {

QString appPath() {
    return test::binDir() + "/app/diyuma";
}

/// The loudest 1 s window of `hz` in a recording (dBFS), or -200 if it cannot be read.
double loudestSecond(const QString& wav, double hz) {
    auto samples = core::readAudioFileAs48kMono(wav.toStdString());
    if (!samples)
        return -200;
    const auto& pcm = samples.value();
    double best = -200;
    for (std::size_t from = 0; from + 48000 <= pcm.size(); from += 24000)
        best = std::max(best, core::toneLevelDbfs(std::span(pcm).subspan(from, 48000), hz));
    return best;
}

bool writeFile(const QString& path, const QByteArray& text) {
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(text) == text.size();
}

/// The app's settings in a folder of the test's own (XDG_CONFIG_HOME): echo cancellation off
/// (the processing is tested on its own; a steady tone is what noise suppression removes) and
/// no join/leave chimes in the recording. Returns the folder, or an empty string.
QString writeAppConfig(const QTemporaryDir& dir) {
    const QString config = dir.filePath("config");
    if (!QDir().mkpath(config + "/Diyuma") ||
        !writeFile(config + "/Diyuma/Diyuma Conference.conf",
                   "[audio]\nechoCancellation=false\n[call]\njoinLeaveSounds=false\n"))
        return {};
    return config;
}

/// Starts the app offscreen with its settings in `config`, joined to `link`.
void startApp(QProcess& app, const QString& config, const QString& link) {
    auto env = QProcessEnvironment::systemEnvironment(); // HOME etc. point at PulseAudio
    env.insert("QT_QPA_PLATFORM", "offscreen");
    env.insert("XDG_CONFIG_HOME", config);
    app.setProcessEnvironment(env);
    app.setProcessChannelMode(QProcess::MergedChannels);
    app.start(appPath(), {"--new-instance", "--name", "Desk", link});
}

/// The participant IDs in the relay's "... joined ID as participant N" log lines, in order.
QStringList joinedParticipants(test::RelayProcess& relay) {
    static const QRegularExpression joined(QStringLiteral(R"(joined \S+ as participant (\d+))"));
    QStringList ids;
    auto matches = joined.globalMatch(QString::fromUtf8(relay.stderrSoFar()));
    while (matches.hasNext())
        ids << matches.next().captured(1);
    return ids;
}

} // namespace

class TestAppEndToEnd : public QObject {
    Q_OBJECT
private slots:
    void appAndCliTalkThroughRealDevices() {
        test::PulseAudioServer pulse;
        QVERIFY2(pulse.start(), qPrintable(pulse.error()));
        QTemporaryDir dir;
        QVERIFY(dir.isValid());

        test::RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        const auto links = test::createConference(relay.address());
        QCOMPARE(links.size(), 2);

        const QString config = writeAppConfig(dir);
        QVERIFY(!config.isEmpty());

        QVERIFY2(pulse.startTone(440.0, -12.0, 40), qPrintable(pulse.error()));
        const QString speaker = dir.filePath("speaker.wav");
        QVERIFY2(pulse.startRecording(speaker), qPrintable(pulse.error()));

        QProcess app;
        startApp(app, config, links[0]);
        QVERIFY2(app.waitForStarted(5000), qPrintable(app.errorString()));

        const QString peerDir = dir.filePath("peer");
        const auto peer = test::runCli({"join", links[0], "--name", "Peer", "--send-audio",
                                        "tone:620", "--record-audio", peerDir, "--duration", "8",
                                        "--stats-json", dir.filePath("peer.json")},
                                       30000);
        QVERIFY2(peer.finished && peer.exitCode == 0, peer.err.constData());
        QVERIFY2(app.state() == QProcess::Running, app.readAll().constData());

        // SIGTERM: the app leaves the conference and quits cleanly (within two seconds).
        app.terminate();
        QVERIFY2(app.waitForFinished(2000), "the app did not quit within 2 s after SIGTERM");
        QCOMPARE(app.exitStatus(), QProcess::NormalExit);
        QCOMPARE(app.exitCode(), 0);
        pulse.stopRecording();
        const QByteArray appLog = app.readAll();

        // The peer heard the app's microphone (the 440 Hz tone through PortAudio and Opus)...
        const double heardByPeer = loudestSecond(peerDir + "/Desk.wav", 440.0);
        QVERIFY2(heardByPeer > -30.0, qPrintable(QString("440 Hz at the peer: %1 dBFS; app: %2")
                                                     .arg(heardByPeer)
                                                     .arg(QString::fromUtf8(appLog))));
        // ...and the app played the peer's 620 Hz to its speaker.
        const double heardByApp = loudestSecond(speaker, 620.0);
        QVERIFY2(heardByApp > -30.0,
                 qPrintable(QString("620 Hz on the app's speaker: %1 dBFS").arg(heardByApp)));
        // Each heard the other, not itself.
        QVERIFY(loudestSecond(speaker, 440.0) < heardByApp - 20.0);

        QFile statsFile(dir.filePath("peer.json"));
        QVERIFY(statsFile.open(QIODevice::ReadOnly));
        const auto stats = QJsonDocument::fromJson(statsFile.readAll()).object();
        const auto desk = stats["remote"].toObject()["Desk"].toObject();
        QVERIFY2(desk["audio"].toObject()["packets_received"].toInt() > 200,
                 QJsonDocument(stats).toJson().constData());
    }
    void stopSignalLeavesTheConference_data() {
        QTest::addColumn<int>("signal");
        QTest::newRow("SIGINT") << SIGINT;
        QTest::newRow("SIGTERM") << SIGTERM;
    }

    void stopSignalLeavesTheConference() {
        QFETCH(int, signal);
        test::PulseAudioServer pulse;
        QVERIFY2(pulse.start(), qPrintable(pulse.error()));
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString config = writeAppConfig(dir);
        QVERIFY(!config.isEmpty());
        test::RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        const auto links = test::createConference(relay.address());
        QCOMPARE(links.size(), 2);
        QVERIFY2(pulse.startTone(440.0, -12.0, 30), qPrintable(pulse.error()));

        // The peer joins first and stays (its --duration outlasts the test).
        auto peer = test::startCli(
            {"join", links[0], "--name", "Peer", "--send-audio", "tone:620", "--duration", "60"});
        QTRY_COMPARE_WITH_TIMEOUT(joinedParticipants(relay).size(), 1, 10000);
        const QString peerId = joinedParticipants(relay).at(0);
        QProcess app;
        startApp(app, config, links[0]);
        QVERIFY2(app.waitForStarted(5000), qPrintable(app.errorString()));
        QTRY_COMPARE_WITH_TIMEOUT(joinedParticipants(relay).size(), 2, 15000);
        const QString appId = joinedParticipants(relay).at(1);
        QTest::qWait(2000); // a call in full swing: devices open, audio both ways
        QVERIFY2(app.state() == QProcess::Running, app.readAll().constData());

        QVERIFY(::kill(static_cast<pid_t>(app.processId()), signal) == 0);
        const bool quit = app.waitForFinished(2000);
        if (!quit) {
            app.kill();
            app.waitForFinished(5000);
        }
        const QByteArray appLog = app.readAll();
        QVERIFY2(quit, qPrintable(QString("the app did not quit within 2 s after %1; its log: %2")
                                      .arg(QTest::currentDataTag(), QString::fromUtf8(appLog))));
        QCOMPARE(app.exitStatus(), QProcess::NormalExit);
        QVERIFY2(app.exitCode() == 0, appLog.constData());

        // The relay removed the app's participant because it said goodbye (a timeout would
        // take 10 s and read "timed out"), and only that one: the peer is still in the call.
        const QByteArray left = "participant " + appId.toUtf8() + " left";
        QTRY_VERIFY_WITH_TIMEOUT(relay.stderrSoFar().contains(left), 1000);
        QVERIFY(!relay.stderrSoFar().contains("participant " + appId.toUtf8() + " of"));
        QVERIFY(!relay.stderrSoFar().contains("participant " + peerId.toUtf8() + " left"));
        QCOMPARE(peer->state(), QProcess::Running);

        peer->terminate();
        QVERIFY(peer->waitForFinished(10000));
        QCOMPARE(peer->exitCode(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(
            relay.stderrSoFar().contains("participant " + peerId.toUtf8() + " left"), 2000);
    }
};

QTEST_GUILESS_MAIN(TestAppEndToEnd)
#include "TestAppEndToEnd.moc"
