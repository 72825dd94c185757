// The desktop app end to end, as a person uses it: the real relay, the app (offscreen)
// joined through its command line with its audio going through the real PortAudio path to
// a sound server that keeps real time (a private PulseAudio daemon with null sinks: a
// 440 Hz tone is the app's microphone, the app's speaker is recorded), and a diyuma-cli
// peer sending 620 Hz. Asserted from what each side recorded. Then SIGTERM: the app leaves
// and quits cleanly.

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

        // The app's settings live in a folder of the test's own: echo cancellation off (the
        // processing is tested on its own; a steady tone is what noise suppression removes)
        // and no join/leave chimes in the recording.
        const QString config = dir.filePath("config");
        QVERIFY(QDir().mkpath(config + "/Diyuma"));
        QVERIFY(writeFile(config + "/Diyuma/Diyuma Conference.conf",
                          "[audio]\nechoCancellation=false\n[call]\njoinLeaveSounds=false\n"));

        QVERIFY2(pulse.startTone(440.0, -12.0, 40), qPrintable(pulse.error()));
        const QString speaker = dir.filePath("speaker.wav");
        QVERIFY2(pulse.startRecording(speaker), qPrintable(pulse.error()));

        QProcess app;
        auto env = QProcessEnvironment::systemEnvironment(); // HOME etc. point at PulseAudio
        env.insert("QT_QPA_PLATFORM", "offscreen");
        env.insert("XDG_CONFIG_HOME", config);
        app.setProcessEnvironment(env);
        app.setProcessChannelMode(QProcess::MergedChannels);
        app.start(appPath(), {"--new-instance", "--name", "Desk", links[0]});
        QVERIFY2(app.waitForStarted(5000), qPrintable(app.errorString()));

        const QString peerDir = dir.filePath("peer");
        const auto peer = test::runCli({"join", links[0], "--name", "Peer", "--send-audio",
                                        "tone:620", "--record-audio", peerDir, "--duration", "8",
                                        "--stats-json", dir.filePath("peer.json")},
                                       30000);
        QVERIFY2(peer.finished && peer.exitCode == 0, peer.err.constData());
        QVERIFY2(app.state() == QProcess::Running, app.readAll().constData());

        // SIGTERM: the app leaves the conference and quits cleanly.
        app.terminate();
        QVERIFY2(app.waitForFinished(5000), "the app did not quit after SIGTERM");
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
};

QTEST_GUILESS_MAIN(TestAppEndToEnd)
#include "TestAppEndToEnd.moc"
