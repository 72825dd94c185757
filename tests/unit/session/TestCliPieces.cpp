// diyuma-cli's library parts: file names and clash suffixes, the recorder's alignment, the
// stats JSON shape, and command-line errors.

#include "diyuma/audio/AudioFormat.h"
#include "diyuma/audio/WavFile.h"
#include "diyuma/cli/CommandLine.h"
#include "diyuma/cli/Commands.h"
#include "diyuma/cli/ParticipantLabels.h"
#include "diyuma/cli/Recorder.h"
#include "diyuma/cli/StatsJson.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>
#include <sstream>

using namespace diyuma;
using namespace diyuma::cli;

namespace {
EarlyExit parseError(std::vector<std::string> args) {
    auto parsed = parseCommandLine(args);
    auto* early = std::get_if<EarlyExit>(&parsed);
    if (early == nullptr)
        return EarlyExit{0, {}, "<parsed fine>"};
    return *early;
}

bool isOneLineError(const EarlyExit& e) {
    return e.exitCode != 0 && e.err.rfind("diyuma-cli: error: ", 0) == 0 &&
           std::count(e.err.begin(), e.err.end(), '\n') == 1 && e.err.back() == '\n';
}
} // namespace

class TestCliPieces : public QObject {
    Q_OBJECT
private slots:
    void sanitizesFileNames() {
        QCOMPARE(sanitizeFileName("Alice"), std::string("Alice"));
        QCOMPARE(sanitizeFileName("Carol O'Neil"), std::string("Carol_O_Neil"));
        QCOMPARE(sanitizeFileName("a/b\\c:d*e?"), std::string("a_b_c_d_e_"));
        QCOMPARE(sanitizeFileName("../etc"), std::string(".._etc"));
        QCOMPARE(sanitizeFileName("v1.2_x-y"), std::string("v1.2_x-y"));
        QCOMPARE(sanitizeFileName("Zoë"), std::string("Zo__")); // two UTF-8 bytes
        QCOMPARE(sanitizeFileName(""), std::string("_"));
    }

    void clashesGetSuffixes() {
        ParticipantLabels labels;
        const auto& t = labels.tracks();
        auto bob1 = labels.assign(1, "Bob");
        auto bob2 = labels.assign(2, "Bob");
        auto mix = labels.assign(3, "mix");
        auto slash = labels.assign(4, "Bob?"); // sanitizes to "Bob_": no clash
        auto dash = labels.assign(5, "Bob-2"); // literally named like a suffix
        auto bob3 = labels.assign(6, "Bob");
        QCOMPARE(t[bob1].fileStem, std::string("Bob"));
        QCOMPARE(t[bob2].fileStem, std::string("Bob-2"));
        QCOMPARE(t[mix].fileStem, std::string("mix-2")); // mix.wav is the mix
        QCOMPARE(t[slash].fileStem, std::string("Bob_"));
        QCOMPARE(t[dash].fileStem, std::string("Bob-2-2"));
        QCOMPARE(t[bob3].fileStem, std::string("Bob-3"));
        QCOMPARE(t[bob2].jsonKey, std::string("Bob-2"));
        QCOMPARE(t[mix].jsonKey, std::string("mix"));
        QCOMPARE(t[slash].jsonKey, std::string("Bob?"));
        // Same participant again: same track.
        QCOMPARE(labels.assign(1, "Bob"), bob1);
        // Bob (1) leaves and a new Bob comes: he continues the free "Bob" track.
        labels.release(1);
        QCOMPARE(labels.assign(7, "Bob"), bob1);
        QCOMPARE(t[bob1].participantIds.size(), std::size_t{2});
        // With every Bob present, another one gets a new track.
        QCOMPARE(t[labels.assign(8, "Bob")].fileStem, std::string("Bob-4"));
    }

    void recorderLinesUpLateJoiners() {
        QTemporaryDir dir;
        ParticipantLabels labels;
        auto made = Recorder::create(dir.filePath("rec/deeper").toStdString(), labels);
        QVERIFY2(made.ok(), made.ok() ? "" : made.error().message.c_str());
        auto& recorder = *made.value();
        std::vector<std::int16_t> ones(core::kBlockSamples, 1000);
        std::vector<std::int16_t> twos(core::kBlockSamples, 2000);
        for (int tick = 0; tick < 10; ++tick) {
            std::vector<core::ParticipantAudioBlock> blocks;
            blocks.push_back({1, "Bob", ones, core::PullResult::Played});
            if (tick >= 4 && tick < 7)
                blocks.push_back({2, "Zoë O'Neil", twos, core::PullResult::Played});
            recorder.playBlock(blocks, twos);
        }
        recorder.finish();
        QVERIFY(!recorder.error());
        const QString base = dir.filePath("rec/deeper/");
        auto bob = core::readAudioFileAs48kMono((base + "Bob.wav").toStdString());
        auto zoe = core::readAudioFileAs48kMono((base + "Zo___O_Neil.wav").toStdString());
        auto mix = core::readAudioFileAs48kMono((base + "mix.wav").toStdString());
        QVERIFY(bob.ok() && zoe.ok() && mix.ok());
        const std::size_t total = 10 * core::kBlockSamples;
        QCOMPARE(bob->size(), total);
        QCOMPARE(mix->size(), total);
        QCOMPARE(zoe->size(), total);                                   // padded at the end too
        QCOMPARE((*zoe)[4 * core::kBlockSamples - 1], std::int16_t{0}); // leading silence
        QCOMPARE((*zoe)[4 * core::kBlockSamples], std::int16_t{2000});
        QCOMPARE((*zoe)[7 * core::kBlockSamples - 1], std::int16_t{2000});
        QCOMPARE((*zoe)[7 * core::kBlockSamples], std::int16_t{0});
        QCOMPARE(recorder.fileOf(1)->filename().string(), std::string("Zo___O_Neil.wav"));
    }

    void statsJsonShape() {
        ParticipantLabels labels;
        labels.assign(2, "Bob");
        labels.assign(3, "Carol O'Neil");
        core::CallStats stats;
        stats.sendStartUnixMs = 1'700'000'000'123;
        stats.playoutStartUnixMs = 1'700'000'000'123;
        stats.relayRttMs = 0.5;
        stats.audioPacketsSent = 250;
        core::RemoteAudioStats bob;
        bob.participantId = 2;
        bob.name = "Bob";
        bob.packetsReceived = 240;
        bob.packetsLost = 3;
        bob.framesConcealed = 2;
        bob.packetsLate = 1;
        bob.jitterMs = 1.5;
        bob.jitterBufferDelayMs = 25;
        stats.remotes.push_back(bob);
        core::RemoteAudioStats carol = bob;
        carol.participantId = 3;
        carol.name = "Carol O'Neil";
        stats.remotes.push_back(carol);
        StatsContext context;
        context.conferenceId = "7HKQ-2M9X-4DRA";
        context.trackFiles = {std::string("Bob.wav"), std::nullopt};
        const auto text = statsToJson(stats, labels, context);
        auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(text));
        QVERIFY(doc.isObject());
        auto root = doc.object();
        QCOMPARE(root["send"].toObject()["start_unix_ms"].toDouble(), 1700000000123.0);
        QCOMPARE(root["record"].toObject()["start_unix_ms"].toDouble(), 1700000000123.0);
        QCOMPARE(root["relay_rtt_ms"].toDouble(), 0.5);
        QCOMPARE(root["sent"].toObject()["audio_packets"].toInt(), 250);
        auto audio = root["remote"].toObject()["Bob"].toObject()["audio"].toObject();
        QCOMPARE(audio["packets_received"].toInt(), 240);
        QCOMPARE(audio["packets_lost"].toInt(), 3);
        QCOMPARE(audio["packets_concealed"].toInt(), 2);
        QCOMPARE(audio["packets_late"].toInt(), 1);
        QCOMPARE(audio["jitter_ms"].toDouble(), 1.5);
        QCOMPARE(audio["jitter_buffer_delay_ms"].toDouble(), 25.0);
        QCOMPARE(root["remote"].toObject()["Bob"].toObject()["file"].toString(),
                 QString("Bob.wav"));
        QVERIFY(root["remote"].toObject().contains("Carol O'Neil"));
        // Nothing sent, no RTT yet: "send" is absent and the RTT is null.
        core::CallStats quiet;
        auto q =
            QJsonDocument::fromJson(QByteArray::fromStdString(statsToJson(quiet, labels, context)))
                .object();
        QVERIFY(!q.contains("send"));
        QVERIFY(q["relay_rtt_ms"].isNull());
    }

    void commandLineErrors_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("nothing") << QStringList{} << "subcommand";
        QTest::newRow("no link") << QStringList{"join", "--name", "X"} << "LINK_OR_ID";
        QTest::newRow("no name") << QStringList{"join", "7HKQ-2M9X-4DRA"} << "--name";
        QTest::newRow("bad id") << QStringList{"join", "NOT-AN-ID", "--name", "X"} << "";
        QTest::newRow("bad relay")
            << QStringList{"join", "7HKQ-2M9X-4DRA", "--relay", "h:99999", "--name", "X"}
            << "relay";
        QTest::newRow("bad tone") << QStringList{"join", "7HKQ-2M9X-4DRA", "--name",
                                                 "X",    "--send-audio",   "tone:abc"}
                                  << "tone";
        QTest::newRow("zero duration")
            << QStringList{"join", "7HKQ-2M9X-4DRA", "--name", "X", "--duration", "0"}
            << "--duration";
        QTest::newRow("text duration")
            << QStringList{"join", "7HKQ-2M9X-4DRA", "--name", "X", "--duration", "soon"}
            << "duration";
        QTest::newRow("bitrate") << QStringList{"join", "7HKQ-2M9X-4DRA", "--name",
                                                "X",    "--bitrate",      "100"}
                                 << "--bitrate";
        QTest::newRow("long name")
            << QStringList{"join", "7HKQ-2M9X-4DRA", "--name", QString(65, 'x')} << "--name";
        for (const char* height : {"-5", "abc", "65536", "1.5", "", "99999999999", "360p"})
            QTest::newRow(qPrintable(QString("max height '%1'").arg(height)))
                << QStringList{"join", "7HKQ-2M9X-4DRA", "--name", "X",
                               "--max-receive-height=" + QString(height)}
                << "--max-receive-height";
        QTest::newRow("create no relay") << QStringList{"create"} << "--relay";
        QTest::newRow("unknown flag")
            << QStringList{"create", "--relay", "127.0.0.1:1", "--frobnicate"} << "frobnicate";
    }
    void commandLineErrors() {
        QFETCH(QStringList, args);
        QFETCH(QString, mentions);
        std::vector<std::string> v;
        for (const auto& a : args)
            v.push_back(a.toStdString());
        auto e = parseError(v);
        QVERIFY2(isOneLineError(e), e.err.c_str());
        QCOMPARE(e.exitCode, kUsageExitCode);
        QVERIFY2(QString::fromStdString(e.err).contains(mentions), e.err.c_str());
    }

    void commandLineParses() {
        auto parsed = parseCommandLine({"join", "  diyuma://relay.example:5000/7hkq-2m9x-4dra\n",
                                        "--name", "Ann", "--send-audio", "tone:440", "--duration",
                                        "2.5", "--bitrate", "24000"});
        auto* join = std::get_if<JoinOptions>(&parsed);
        QVERIFY(join);
        QCOMPARE(join->invite.relay.host, std::string("relay.example"));
        QCOMPARE(join->invite.relay.port, std::uint16_t{5000});
        QCOMPARE(join->invite.id.toString(), std::string("7HKQ-2M9X-4DRA"));
        QVERIFY(!join->invite.adminSecret);
        QCOMPARE(join->sendAudio.kind, AudioInput::Kind::Tone);
        QCOMPARE(join->sendAudio.toneHz, 440.0);
        QCOMPARE(*join->durationSeconds, 2.5);
        QCOMPARE(join->bitrateBps, 24000);
        // A bare ID with --relay; --relay also overrides a link's relay.
        parsed = parseCommandLine({"join", "7HKQ-2M9X-4DRA", "--relay", "10.0.0.1:7", "--name",
                                   "Ann", "--send-audio", "a.wav"});
        join = std::get_if<JoinOptions>(&parsed);
        QVERIFY(join);
        QCOMPARE(join->invite.relay.toString(), std::string("10.0.0.1:7"));
        QCOMPARE(join->sendAudio.kind, AudioInput::Kind::File);
        QVERIFY(!join->durationSeconds);
        parsed = parseCommandLine({"create", "--relay", "[::1]:47400", "--private-view"});
        auto* create = std::get_if<CreateOptions>(&parsed);
        QVERIFY(create);
        QVERIFY(create->privateView);
        QCOMPARE(create->relay.toString(), std::string("[::1]:47400"));
        // Help is not an error.
        parsed = parseCommandLine({"join", "--help"});
        auto* help = std::get_if<EarlyExit>(&parsed);
        QVERIFY(help);
        QCOMPARE(help->exitCode, 0);
        QVERIFY(QString::fromStdString(help->out).contains("--send-audio"));
        QVERIFY(QString::fromStdString(help->out).contains("--max-receive-height"));
    }

    void maxReceiveHeightParses() {
        const auto heightOf = [](std::vector<std::string> extra) {
            std::vector<std::string> args{"join", "7HKQ-2M9X-4DRA", "--name", "Ann"};
            args.insert(args.end(), extra.begin(), extra.end());
            auto parsed = parseCommandLine(args);
            auto* join = std::get_if<JoinOptions>(&parsed);
            if (join == nullptr)
                qFatal("did not parse");
            return join->maxReceiveHeight;
        };
        QVERIFY(!heightOf({})); // no limit, no Subscribe
        QCOMPARE(*heightOf({"--max-receive-height", "180"}), std::uint16_t{180});
        QCOMPARE(*heightOf({"--max-receive-height", "0"}), std::uint16_t{0}); // no video
        QCOMPARE(*heightOf({"--max-receive-height=65535"}), std::uint16_t{65535});
        // A negative number as a separate argument is not taken for a flag either.
        auto e =
            parseError({"join", "7HKQ-2M9X-4DRA", "--name", "X", "--max-receive-height", "-1"});
        QVERIFY2(isOneLineError(e), e.err.c_str());
        QCOMPARE(e.exitCode, kUsageExitCode);
    }

    void statsJsonVideo() {
        ParticipantLabels labels;
        labels.assign(2, "Bob");
        core::CallStats stats;
        core::RemoteAudioStats bob;
        bob.participantId = 2;
        bob.name = "Bob";
        core::VideoReceiveStats video;
        video.framesDecoded = 300;
        video.width = 640;
        video.height = 360;
        video.freezes = 1;
        video.longestFreezeMs = 420;
        video.bytesReceived = 90'000;
        video.rtpBytesReceived = 100'000;
        video.firstPacketUnixMs = 1'700'000'001'000;
        video.receiveSpanMs = 8000;
        video.layerSwitches = 2;
        video.sizes = {{1'700'000'001'040, 320, 180},
                       {1'700'000'004'000, 640, 360},
                       {1'700'000'006'500, 320, 180}};
        bob.video = video;
        stats.remotes.push_back(bob);
        // Bob came back as participant 4 with a new stream: counts add up, sizes follow on.
        core::RemoteAudioStats again = bob;
        again.participantId = 4;
        core::VideoReceiveStats later;
        later.framesDecoded = 10;
        later.width = 1280;
        later.height = 720;
        later.rtpBytesReceived = 20'000;
        later.firstPacketUnixMs = 1'700'000'020'000;
        later.receiveSpanMs = 2000;
        later.sizes = {{1'700'000'020'100, 1280, 720}};
        again.video = later;
        labels.release(2);
        labels.assign(4, "Bob");
        stats.remotes.push_back(again);
        const auto text = statsToJson(stats, labels, StatsContext{});
        const auto v = QJsonDocument::fromJson(QByteArray::fromStdString(text))
                           .object()["remote"]
                           .toObject()["Bob"]
                           .toObject()["video"]
                           .toObject();
        QCOMPARE(v["width"].toInt(), 1280);
        QCOMPARE(v["height"].toInt(), 720);
        QCOMPARE(v["frames_decoded"].toInt(), 310);
        QCOMPARE(v["freezes"].toInt(), 1);
        QCOMPARE(v["longest_freeze_ms"].toDouble(), 420.0);
        QCOMPARE(v["rtp_bytes_received"].toInt(), 120'000);
        QCOMPARE(v["receive_span_ms"].toDouble(), 10'000.0);
        QCOMPARE(v["bitrate_bps"].toDouble(), 96'000.0); // 120 kB in 10 s
        QCOMPARE(v["start_unix_ms"].toDouble(), 1'700'000'001'000.0);
        QCOMPARE(v["layer_switches"].toInt(), 2);
        const QJsonArray sizes = v["sizes"].toArray();
        QCOMPARE(sizes.size(), 4);
        const auto entry = [&](int i) {
            const QJsonArray e = sizes[i].toArray();
            return QList<int>{e[0].toInt(), e[1].toInt(), e[2].toInt()};
        };
        QCOMPARE(entry(0), (QList<int>{40, 320, 180}));
        QCOMPARE(entry(1), (QList<int>{3000, 640, 360}));
        QCOMPARE(entry(2), (QList<int>{5500, 320, 180}));
        QCOMPARE(entry(3), (QList<int>{19'100, 1280, 720}));
    }

    void brokenWavIsAnErrorNamingTheFile() {
        QTemporaryDir dir;
        const QString path = dir.filePath("broken.wav");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("RIFF\x10\x00\x00\x00WAVEfmt garbage");
        f.close();
        std::ostringstream out;
        std::ostringstream err;
        const int code = runCli({"join", "7HKQ-2M9X-4DRA", "--relay", "127.0.0.1:9", "--name", "X",
                                 "--send-audio", path.toStdString()},
                                out, err);
        QCOMPARE(code, kFailureExitCode);
        const std::string text = err.str();
        QVERIFY2(text.rfind("diyuma-cli: error: ", 0) == 0, text.c_str());
        QVERIFY2(text.find("broken.wav") != std::string::npos, text.c_str());
        QCOMPARE(std::count(text.begin(), text.end(), '\n'), std::ptrdiff_t{1});
    }
};

int runTestCliPieces(int argc, char** argv) {
    TestCliPieces t;
    return QTest::qExec(&t, argc, argv);
}

#include "TestCliPieces.moc"
