// End to end: the real relay on loopback and real diyuma-cli clients. Three clients send
// 440, 620 and 970 Hz (no two harmonically related, so mixing products cannot fake a result)
// and each must hear the other two and not itself; wrong IDs and dead relays give errors.

#include "diyuma/audio/WavFile.h"

#include "Processes.h"
#include "ToneLevels.h"

#include <QtCore/QFile>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

using namespace diyuma;
using diyuma::test::RelayProcess;

namespace {
struct Party {
    QString name;
    double toneHz;
};
const Party kParties[] = {{"Alice", 440.0}, {"Bob", 620.0}, {"Carol O'Neil", 970.0}};

std::vector<std::int16_t> loadWav(const QString& path) {
    auto samples = core::readAudioFileAs48kMono(path.toStdString());
    if (!samples)
        return {};
    return *samples;
}

} // namespace

class TestConference : public QObject {
    Q_OBJECT
private slots:
    void threePartiesHearEachOther() {
        RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        auto links = test::createConference(relay.address());
        QCOMPARE(links.size(), 2);
        QVERIFY2(links[0].startsWith("diyuma://" + relay.address() + "/"), qPrintable(links[0]));
        QVERIFY(links[1].startsWith(links[0] + "?admin="));

        QTemporaryDir dir;
        std::vector<std::unique_ptr<QProcess>> clients;
        for (const auto& party : kParties) {
            clients.push_back(test::startCli(
                {"join", links[0], "--name", party.name, "--send-audio",
                 QString("tone:%1").arg(party.toneHz), "--record-audio", dir.filePath(party.name),
                 "--duration", "5", "--stats-json", dir.filePath(party.name + ".json")}));
        }
        for (std::size_t i = 0; i < clients.size(); ++i) {
            QVERIFY(clients[i]->waitForFinished(20000));
            QVERIFY2(clients[i]->exitCode() == 0, clients[i]->readAllStandardError().constData());
        }

        for (const auto& listener : kParties) {
            const QString folder = dir.filePath(listener.name);
            // What one hears from each of the others, file by file.
            for (const auto& talker : kParties) {
                const QString file = folder + "/" +
                                     QString(talker.name).replace(' ', '_').replace('\'', '_') +
                                     ".wav";
                if (talker.name == listener.name) {
                    QVERIFY2(!QFile::exists(file), qPrintable(file));
                    continue;
                }
                auto pcm = loadWav(file);
                QVERIFY2(!pcm.empty(), qPrintable(file));
                double own = test::toneLevelIn(pcm, talker.toneHz, 2.0, 4.0);
                QVERIFY2(own > -20.0, qPrintable(QString("%1 hears %2 at %3 dBFS")
                                                     .arg(listener.name, talker.name)
                                                     .arg(own)));
                for (const auto& other : kParties) {
                    if (other.name == talker.name)
                        continue;
                    double leak = test::toneLevelIn(pcm, other.toneHz, 2.0, 4.0);
                    QVERIFY2(leak < own - 30.0,
                             qPrintable(QString("%1's file of %2 has %3 Hz at %4 dBFS")
                                            .arg(listener.name, talker.name)
                                            .arg(other.toneHz)
                                            .arg(leak)));
                }
            }
            // The mix has both other tones and not one's own.
            auto mix = loadWav(folder + "/mix.wav");
            QVERIFY(!mix.empty());
            for (const auto& talker : kParties) {
                double level = test::toneLevelIn(mix, talker.toneHz, 2.0, 4.0);
                if (talker.name == listener.name)
                    QVERIFY2(
                        level < -50.0,
                        qPrintable(
                            QString("%1 hears itself at %2 dBFS").arg(listener.name).arg(level)));
                else
                    QVERIFY2(level > -22.0, qPrintable(QString("%1 mix has %2 at %3 dBFS")
                                                           .arg(listener.name, talker.name)
                                                           .arg(level)));
            }
            // Stats: times present, packets arrived from both others.
            auto stats = test::loadJsonObject(dir.filePath(listener.name + ".json"));
            QVERIFY(stats.contains("send"));
            QVERIFY(stats["send"].toObject()["start_unix_ms"].toDouble() > 1.6e12);
            QVERIFY(stats["record"].toObject()["start_unix_ms"].toDouble() > 1.6e12);
            QVERIFY(stats.contains("relay_rtt_ms"));
            auto remote = stats["remote"].toObject();
            for (const auto& talker : kParties) {
                if (talker.name == listener.name) {
                    QVERIFY(!remote.contains(talker.name));
                    continue;
                }
                auto audio = remote[talker.name].toObject()["audio"].toObject();
                QVERIFY2(audio["packets_received"].toDouble() > 150,
                         qPrintable(listener.name + " <- " + talker.name));
                QVERIFY(audio.contains("packets_lost"));
                QVERIFY(audio.contains("jitter_ms"));
                QVERIFY(audio.contains("jitter_buffer_delay_ms"));
            }
        }
    }

    void unknownConferenceIsAnError() {
        RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        auto r = test::runCli({"join", "7HKQ-2M9X-4DRA", "--relay", relay.address(), "--name",
                               "Eve", "--duration", "2"});
        QVERIFY(r.finished);
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.toLower().contains("unknown conference"), r.err.constData());
        QCOMPARE(r.err.trimmed().count('\n'), 0); // one line
    }

    void wrongAdminSecretIsAnError() {
        RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        auto links = test::createConference(relay.address());
        QCOMPARE(links.size(), 2);
        QString forged = links[1];
        QChar& last = forged[forged.size() - 2];
        last = last == 'A' ? 'B' : 'A';
        auto r = test::runCli({"join", forged, "--name", "Mallory", "--duration", "2"});
        QVERIFY(r.finished);
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.toLower().contains("admin"), r.err.constData());
    }

    void unreachableRelayFailsFast() {
        // Nothing listens on this port (the relay we start is stopped at once).
        RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        QString address = relay.address();
        relay.stop();
        auto r =
            test::runCli({"join", "7HKQ-2M9X-4DRA", "--relay", address, "--name", "Eve"}, 15000);
        QVERIFY2(r.finished, "diyuma-cli hung on an unreachable relay");
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.elapsedMs < 8000, qPrintable(QString::number(r.elapsedMs)));
        QVERIFY2(r.err.toLower().contains("relay"), r.err.constData());
    }

    void badArgumentsAreOneLineErrors() {
        auto r = test::runCli({"join", "--name", "X"});
        QVERIFY(r.finished);
        QVERIFY(r.exitCode != 0);
        QVERIFY(!r.err.isEmpty());

        QTemporaryDir dir;
        QFile broken(dir.filePath("broken.wav"));
        QVERIFY(broken.open(QIODevice::WriteOnly));
        broken.write("RIFF\x10\x00\x00\x00WAVEfmt garbage that is not audio");
        broken.close();
        r = test::runCli({"join", "7HKQ-2M9X-4DRA", "--relay", "127.0.0.1:9", "--name", "X",
                          "--send-audio", broken.fileName()});
        QVERIFY(r.finished);
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.contains("broken.wav"), r.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestConference)
#include "TestConference.moc"
