// Video end to end: the real relay on loopback and real diyuma-cli clients sending the test
// pattern. What each one recorded (the VP8 frames as received, in IVF) is decoded here and
// the stamps drawn into the pictures are read back: the frames are the ones sent, in order,
// at the size sent, and look like them (PSNR against the picture redrawn from its stamp).
// A Y4M file is sent on a loop (and a broken one refused). Private view: members'
// recordings hold only the admin's video; the admin's hold everyone's. --max-receive-height
// reaches the relay (0: no video). ffprobe, which nobody here wrote, must read the recordings.

#include "diyuma/video/TestPattern.h"
#include "diyuma/video/VideoFiles.h"
#include "diyuma/video/VideoReceiver.h"
#include "diyuma/video/Vp8Codec.h"

#include "Processes.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QProcess>
#include <QtCore/QRegularExpression>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

using namespace diyuma;
using diyuma::test::NetsimProcess;
using diyuma::test::RelayProcess;

namespace {

/// What a recording holds, decoded.
struct Decoded {
    QString error;
    int width = 0;
    int height = 0;
    std::size_t frames = 0;
    std::size_t stamped = 0; ///< pictures whose stamp could be read
    std::uint32_t firstFrameNumber = 0;
    std::uint32_t lastFrameNumber = 0;
    bool increasing = true; ///< stamps strictly increase, timestamps never go back
    double meanPsnr = 0;
    double minPsnr = 99;
};

Decoded decodeRecording(const QString& path) {
    Decoded d;
    auto contents = core::readIvfFile(path.toStdString());
    if (!contents) {
        d.error = QString::fromStdString(contents.error().message);
        return d;
    }
    auto decoder = core::Vp8Decoder::create();
    core::VideoFrame picture;
    core::VideoFrame reference;
    std::optional<std::uint32_t> last;
    std::int64_t lastTimestamp = -1;
    double psnrSum = 0;
    d.frames = contents->frames.size();
    for (const auto& frame : contents->frames) {
        if (frame.timestamp < lastTimestamp)
            d.increasing = false;
        lastTimestamp = frame.timestamp;
        auto shown = decoder->decode(frame.data, picture);
        if (!shown || !shown.value())
            continue;
        d.width = picture.width();
        d.height = picture.height();
        auto stamp = core::readTestPatternStamp(picture);
        if (!stamp)
            continue;
        ++d.stamped;
        if (last && stamp->frameNumber <= *last)
            d.increasing = false;
        if (!last)
            d.firstFrameNumber = stamp->frameNumber;
        last = stamp->frameNumber;
        d.lastFrameNumber = stamp->frameNumber;
        reference.resize(picture.width(), picture.height());
        core::renderTestPattern(reference, *stamp);
        const double psnr = core::psnrY(reference, picture);
        psnrSum += psnr;
        d.minPsnr = std::min(d.minPsnr, psnr);
    }
    d.meanPsnr = d.stamped > 0 ? psnrSum / static_cast<double>(d.stamped) : 0;
    return d;
}

QString describe(const QString& what, const Decoded& d) {
    return QString("%1: %2 frames, %3 stamped, %4x%5, #%6..#%7, PSNR mean %8 min %9 %10")
        .arg(what)
        .arg(d.frames)
        .arg(d.stamped)
        .arg(d.width)
        .arg(d.height)
        .arg(d.firstFrameNumber)
        .arg(d.lastFrameNumber)
        .arg(d.meanPsnr, 0, 'f', 1)
        .arg(d.minPsnr, 0, 'f', 1)
        .arg(d.error);
}

/// ffprobe's count of the frames it decodes in `path`, and the codec and size it sees.
QJsonObject ffprobe(const QString& path) {
    QProcess p;
    p.start("ffprobe", {"-v", "error", "-count_frames", "-show_entries",
                        "stream=codec_name,width,height,nb_read_frames", "-of", "json", path});
    if (!p.waitForFinished(30000) || p.exitCode() != 0)
        return {};
    const QJsonObject root = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    const QJsonArray streams = root["streams"].toArray();
    return streams.isEmpty() ? QJsonObject{} : streams[0].toObject();
}

struct Party {
    QString name;
    QString link;
    QString size;           ///< WxH of its pattern
    QStringList extra = {}; ///< more options
};

/// The capture times (Unix ms, from the stamps) of every picture in a recording.
std::vector<std::int64_t> captureTimes(const QString& path) {
    std::vector<std::int64_t> out;
    auto contents = core::readIvfFile(path.toStdString());
    auto decoder = core::Vp8Decoder::create();
    if (!contents || !decoder)
        return out;
    core::VideoFrame picture;
    for (const auto& frame : contents->frames) {
        auto shown = decoder->decode(frame.data, picture);
        if (shown && shown.value())
            if (auto stamp = core::readTestPatternStamp(picture))
                out.push_back(stamp->captureUnixMs);
    }
    return out;
}

/// Runs the parties at once for `seconds`, each sending its pattern and recording video.
bool runParties(const QTemporaryDir& dir, const std::vector<Party>& parties, int seconds,
                QString& error) {
    std::vector<std::unique_ptr<QProcess>> clients;
    for (const auto& party : parties) {
        clients.push_back(test::startCli(
            QStringList{"join", party.link, "--name", party.name, "--send-audio", "tone:440",
                        "--send-video", "pattern", "--video-size", party.size, "--record-video",
                        dir.filePath(party.name), "--duration", QString::number(seconds),
                        "--stats-json", dir.filePath(party.name + ".json")} +
            party.extra));
    }
    for (std::size_t i = 0; i < clients.size(); ++i) {
        if (!clients[i]->waitForFinished(30000) || clients[i]->exitCode() != 0) {
            error = parties[i].name + ": " + clients[i]->readAllStandardError();
            return false;
        }
    }
    return true;
}

} // namespace

class TestVideo : public QObject {
    Q_OBJECT
private slots:
    void twoClientsSeeEachOther() {
        RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        auto links = test::createConference(relay.address());
        QCOMPARE(links.size(), 2);
        QTemporaryDir dir;
        // Different sizes, so that each recording shows whose video it holds.
        const std::vector<Party> parties{{"Alice", links[0], "640x360"},
                                         {"Bob", links[0], "320x180"}};
        QString error;
        QVERIFY2(runParties(dir, parties, 5, error), qPrintable(error));

        struct Expect {
            QString file;
            int width;
            int height;
        };
        for (const auto& [file, width, height] :
             {Expect{"Bob/Alice.ivf", 640, 360}, Expect{"Alice/Bob.ivf", 320, 180}}) {
            const Decoded d = decodeRecording(dir.filePath(file));
            qInfo("%s", qPrintable(describe(file, d)));
            QVERIFY2(d.error.isEmpty(), qPrintable(d.error));
            QCOMPARE(d.width, width);
            QCOMPARE(d.height, height);
            // 5 s at 30 fps is 150 frames; the first ones go by until the first key frame
            // arrives, and a busy machine may delay some. Every recorded frame is decodable
            // and stamped: the recorder keeps only complete frames.
            QVERIFY2(d.frames >= 100, qPrintable(describe(file, d)));
            QCOMPARE(d.stamped, d.frames);
            QVERIFY(d.increasing);
            // The pictures are the ones sent: 30 dB is where VP8's artefacts begin to show on
            // this textured pattern at these bitrates; a wrong or broken picture is < 15 dB.
            QVERIFY2(d.meanPsnr > 30 && d.minPsnr > 25, qPrintable(describe(file, d)));

            const QJsonObject probe = ffprobe(dir.filePath(file));
            QCOMPARE(probe["codec_name"].toString(), QString("vp8"));
            QCOMPARE(probe["width"].toInt(), width);
            QCOMPARE(probe["height"].toInt(), height);
            QCOMPARE(probe["nb_read_frames"].toString().toULongLong(),
                     static_cast<qulonglong>(d.frames));
        }

        const QJsonObject alice = test::loadJsonObject(dir.filePath("Alice.json"));
        const QJsonObject bobVideo = alice["remote"]["Bob"]["video"].toObject();
        QVERIFY2(bobVideo["frames_decoded"].toInt() >= 100,
                 QJsonDocument(bobVideo).toJson().constData());
        QCOMPARE(bobVideo["width"].toInt(), 320);
        QCOMPARE(bobVideo["height"].toInt(), 180);
        QVERIFY(bobVideo["key_frames"].toInt() >= 1);
        QCOMPARE(alice["remote"]["Bob"]["video_file"].toString(), QString("Bob.ivf"));
        QVERIFY(alice["sent"]["video_frames"].toInt() >= 140);
        QVERIFY(alice["sent"]["video_key_frames"].toInt() >= 1);
        // Audio still flows beside the video.
        QVERIFY(alice["remote"]["Bob"]["audio"]["packets_received"].toInt() >= 200);
    }

    void maxReceiveHeightReachesTheRelay() {
        // Alice sends 640x360 (simulcast: 640x360 and 320x180); Bob asks for no video
        // (--max-receive-height 0), Carol for at most 180 lines. The relay withholds Alice's
        // video from Bob (he may see packets sent in the few milliseconds between his join and
        // his Subscribe, not the video) and gives Carol the 180-line layer.
        RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        const auto links = test::createConference(relay.address());
        QCOMPARE(links.size(), 2);
        QTemporaryDir dir;
        auto alice = test::startCli({"join", links[0], "--name", "Alice", "--send-audio",
                                     "tone:440", "--send-video", "pattern", "--video-size",
                                     "640x360", "--duration", "6"});
        QTest::qWait(500);
        auto bob = test::startCli({"join", links[0], "--name", "Bob", "--max-receive-height", "0",
                                   "--record-video", dir.filePath("bob"), "--duration", "4",
                                   "--stats-json", dir.filePath("bob.json")});
        auto carol = test::startCli({"join", links[0], "--name", "Carol", "--max-receive-height",
                                     "180", "--record-video", dir.filePath("carol"), "--duration",
                                     "4", "--stats-json", dir.filePath("carol.json")});
        for (auto* p : {bob.get(), carol.get(), alice.get()}) {
            QVERIFY(p->waitForFinished(20000));
            QVERIFY2(p->exitCode() == 0, p->readAllStandardError().constData());
        }

        const QJsonObject carolStats = test::loadJsonObject(dir.filePath("carol.json"));
        const QJsonObject carolVideo = carolStats["remote"]["Alice"]["video"].toObject();
        const QByteArray carolText = QJsonDocument(carolVideo).toJson();
        qInfo("Carol: %s", QJsonDocument(carolVideo).toJson(QJsonDocument::Compact).constData());
        QVERIFY2(carolVideo["frames_decoded"].toInt() >= 80, carolText.constData());
        QCOMPARE(carolVideo["width"].toInt(), 320);
        QCOMPARE(carolVideo["height"].toInt(), 180);
        // Mostly 180 lines from the start: a first picture of the larger layer may slip in
        // before her Subscribe reached the relay, and then one switch down.
        const QJsonArray sizes = carolVideo["sizes"].toArray();
        QVERIFY2(!sizes.isEmpty() && sizes.size() <= 2, carolText.constData());
        QCOMPARE(carolVideo["layer_switches"].toInt(), static_cast<int>(sizes.size()) - 1);
        const QJsonArray last = sizes.last().toArray();
        QCOMPARE(last[1].toInt(), 320);
        QCOMPARE(last[2].toInt(), 180);
        QVERIFY2(last[0].toInt() < 1500, carolText.constData());
        // The 180-line layer at its 150 kbit/s, headers included.
        const double bitrate = carolVideo["bitrate_bps"].toDouble();
        QVERIFY2(bitrate > 60'000 && bitrate < 400'000, carolText.constData());
        QVERIFY(carolVideo["receive_span_ms"].toDouble() > 3000);
        QVERIFY(carolVideo["start_unix_ms"].toDouble() > 0);

        const QJsonObject bobStats = test::loadJsonObject(dir.filePath("bob.json"));
        const QJsonObject bobAlice = bobStats["remote"]["Alice"].toObject();
        QVERIFY(bobAlice["audio"]["packets_received"].toInt() >= 150); // audio is not filtered
        const QJsonObject bobVideo = bobAlice["video"].toObject();
        QVERIFY2(bobVideo["frames_decoded"].toInt() <= 1 &&
                     bobVideo["packets_received"].toInt() * 10 <
                         carolVideo["packets_received"].toInt(),
                 QJsonDocument(bobAlice).toJson().constData());
        QCOMPARE(relay.stop(), 0);
        const QRegularExpression withheld("\"not_subscribed\"\\s*:\\s*(\\d+)");
        const auto match = withheld.match(QString::fromUtf8(relay.stderrText()));
        QVERIFY2(match.hasMatch() && match.captured(1).toInt() > 100,
                 relay.stderrText().right(2000).constData());
    }

    void layerSwitchesAreCountedAndRecorded() {
        // The receiver's downlink (diyuma-netsim) drops to 300 kbit/s after 5 s and is free
        // again after 11 s: the relay switches Alice's 640x360 video down to 320x180 and back
        // up (within the 10 s issue 5 aims at; 3.5 s is usual; 5.5 s were once not enough here with
        // a core kept busy). The receiver's stats show both switches at about those times, and its
        // recording holds every frame across them, each decodable at its own size (ffprobe agrees).
        RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        NetsimProcess netsim;
        QVERIFY2(netsim.start(relay.address(),
                              {"--direction", "down", "--rate-at", "5:300", "--rate-at", "11:0"}),
                 qPrintable(netsim.error()));
        const auto links = test::createConference(relay.address());
        QCOMPARE(links.size(), 2);
        QTemporaryDir dir;
        auto alice = test::startCli({"join", links[0], "--name", "Alice", "--send-audio",
                                     "tone:440", "--send-video", "pattern", "--video-size",
                                     "640x360", "--duration", "22"});
        auto bob = test::startCli({"join", links[0], "--relay", netsim.address(), "--name", "Bob",
                                   "--record-video", dir.filePath("bob"), "--duration", "21",
                                   "--stats-json", dir.filePath("bob.json")});
        for (auto* p : {bob.get(), alice.get()}) {
            QVERIFY(p->waitForFinished(40000));
            QVERIFY2(p->exitCode() == 0, p->readAllStandardError().constData());
        }
        const QJsonObject bobStats = test::loadJsonObject(dir.filePath("bob.json"));
        const QJsonObject video = bobStats["remote"]["Alice"]["video"].toObject();
        const QByteArray text = QJsonDocument(video).toJson(QJsonDocument::Compact);
        qInfo("Bob: %s", text.constData());
        const QJsonArray sizes = video["sizes"].toArray();
        QVERIFY2(sizes.size() >= 3, text.constData());
        QCOMPARE(video["layer_switches"].toInt(), static_cast<int>(sizes.size()) - 1);
        const auto height = [&](int i) { return sizes[i].toArray()[2].toInt(); };
        const auto at = [&](int i) { return sizes[i].toArray()[0].toInt(); };
        QCOMPARE(height(0), 360);
        // Down while the link is thin (it thins about 4.5 s into Bob's video), up after.
        int down = -1;
        for (int i = 1; i < sizes.size() && down < 0; ++i)
            if (height(i) == 180)
                down = i;
        QVERIFY2(down > 0 && at(down) > 3000 && at(down) < 9000, text.constData());
        QCOMPARE(height(static_cast<int>(sizes.size()) - 1), 360);
        QVERIFY2(at(static_cast<int>(sizes.size()) - 1) > 9000, text.constData());
        QCOMPARE(video["width"].toInt(), 640);
        QCOMPARE(video["height"].toInt(), 360);

        // The recording: every frame decodes at its size, in order, time running forward.
        auto contents = core::readIvfFile(dir.filePath("bob/Alice.ivf").toStdString());
        QVERIFY(contents);
        QCOMPARE(contents->width, 640); // the first size
        auto decoder = core::Vp8Decoder::create();
        QVERIFY(decoder);
        core::VideoFrame picture;
        int decoded = 0;
        int switches = 0;
        int lastHeight = 0;
        std::int64_t lastTime = -1;
        for (const auto& frame : contents->frames) {
            QVERIFY(frame.timestamp > lastTime);
            lastTime = frame.timestamp;
            auto shown = decoder->decode(frame.data, picture);
            QVERIFY2(shown, shown ? "" : shown.error().message.c_str());
            if (!shown.value())
                continue;
            QVERIFY(core::readTestPatternStamp(picture));
            ++decoded;
            if (lastHeight != 0 && picture.height() != lastHeight)
                ++switches;
            lastHeight = picture.height();
        }
        // Pictures still held for lip sync when the call ended were decoded, not recorded.
        const int framesDecoded = video["frames_decoded"].toInt();
        QVERIFY2(decoded <= framesDecoded &&
                     decoded + static_cast<int>(core::VideoReceiver::kMaxHeld) >= framesDecoded,
                 qPrintable(QString("%1 recorded, %2 decoded").arg(decoded).arg(framesDecoded)));
        QCOMPARE(switches, video["layer_switches"].toInt());
        const QJsonObject probe = ffprobe(dir.filePath("bob/Alice.ivf"));
        QCOMPARE(probe["nb_read_frames"].toString().toInt(), decoded);
    }

    void y4mFileIsSentAndLoops() {
        // A Y4M file of 40 pattern pictures (320x180, each with its number drawn in), sent on
        // a loop by one client and recorded by the other.
        QTemporaryDir dir;
        const QString clip = dir.filePath("clip.y4m");
        {
            QFile file(clip);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("YUV4MPEG2 W320 H180 F30:1 Ip A1:1 C420jpeg\n");
            core::VideoFrame picture(320, 180);
            for (std::uint32_t n = 0; n < 40; ++n) {
                core::renderTestPattern(picture, core::PatternStamp{n, 1'764'806'400'000 + n});
                file.write("FRAME\n");
                file.write(reinterpret_cast<const char*>(picture.data().data()),
                           static_cast<qint64>(picture.sizeBytes()));
            }
        }
        RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        const auto links = test::createConference(relay.address());
        auto receiver = test::startCli({"join", links[0], "--name", "Rita", "--record-video",
                                        dir.filePath("rec"), "--duration", "6"});
        QTest::qWait(300);
        const auto sender =
            test::runCli({"join", links[0], "--name", "Sam", "--send-video", clip, "--duration",
                          "4.5", "--stats-json", dir.filePath("sam.json")},
                         20000);
        QVERIFY2(sender.exitCode == 0, sender.err.constData());
        QVERIFY(receiver->waitForFinished(20000));
        QCOMPARE(receiver->exitCode(), 0);

        const Decoded d = decodeRecording(dir.filePath("rec/Sam.ivf"));
        qInfo("%s", qPrintable(describe("Rita/Sam.ivf", d)));
        QVERIFY2(d.error.isEmpty(), qPrintable(d.error));
        QCOMPARE(d.width, 320);
        QCOMPARE(d.height, 180);
        // About 4 s at 30 fps: the 40-picture clip went round about three times.
        QVERIFY2(d.frames >= 90, qPrintable(describe("Rita/Sam.ivf", d)));
        QCOMPARE(d.stamped, d.frames);
        QVERIFY(d.lastFrameNumber < 40 && d.firstFrameNumber < 40);
        QVERIFY(!d.increasing); // it looped
        QVERIFY2(d.meanPsnr > 30 && d.minPsnr > 25, qPrintable(describe("Rita/Sam.ivf", d)));
        const QJsonObject sam = test::loadJsonObject(dir.filePath("sam.json"));
        QVERIFY(sam["sent"]["video_frames"].toInt() >= 100);

        // A broken file is refused at once with its reason.
        const QString broken = dir.filePath("broken.y4m");
        {
            QFile file(broken);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("YUV4MPEG2 W320 H180 C444\nFRAME\n");
        }
        const auto refused = test::runCli(
            {"join", links[0], "--name", "Bad", "--send-video", broken, "--duration", "1"});
        QVERIFY(refused.exitCode != 0);
        QVERIFY2(!refused.err.isEmpty(), refused.err.constData());
    }

    void privateViewShowsMembersOnlyTheAdmin() {
        RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        auto links = test::createConference(relay.address(), {"--private-view"});
        QCOMPARE(links.size(), 2);
        QTemporaryDir dir;
        const std::vector<Party> parties{{"Admin", links[1], "640x360"},
                                         {"Member1", links[0], "320x180"},
                                         {"Member2", links[0], "480x270"}};
        QString error;
        QVERIFY2(runParties(dir, parties, 5, error), qPrintable(error));

        // The admin sees both members.
        for (const auto& [file, width] :
             {std::pair{"Admin/Member1.ivf", 320}, std::pair{"Admin/Member2.ivf", 480}}) {
            const Decoded d = decodeRecording(dir.filePath(file));
            qInfo("%s", qPrintable(describe(file, d)));
            QVERIFY2(d.frames >= 80 && d.stamped == d.frames, qPrintable(describe(file, d)));
            QCOMPARE(d.width, width);
        }
        // Each member sees the admin and never the other member: not one frame, not a file.
        for (const QString member : {"Member1", "Member2"}) {
            const Decoded admin = decodeRecording(dir.filePath(member + "/Admin.ivf"));
            qInfo("%s", qPrintable(describe(member + "/Admin.ivf", admin)));
            QVERIFY2(admin.frames >= 80 && admin.stamped == admin.frames,
                     qPrintable(describe(member, admin)));
            QCOMPARE(admin.width, 640);
            const QString other = member == "Member1" ? "Member2" : "Member1";
            QVERIFY2(!QFile::exists(dir.filePath(member + "/" + other + ".ivf")),
                     qPrintable(member + " received " + other + "'s video"));
            const QJsonObject stats = test::loadJsonObject(dir.filePath(member + ".json"));
            const QJsonObject seen = stats["remote"][other].toObject();
            QVERIFY2(!seen.contains("video") || seen["video"]["packets_received"].toInt() == 0,
                     QJsonDocument(seen).toJson().constData());
            // Audio is not filtered: members hear each other.
            QVERIFY(seen["audio"]["packets_received"].toInt() >= 200);
        }
    }

    void lossIsRecoveredByNack() {
        // 5 % of what the relay sends the receiver is lost (diyuma-netsim between them). The
        // receiver asks again, the relay answers from its cache, and the video goes on: most
        // losses come back, every recorded frame is whole, and the sender's uplink carries
        // (almost) no retransmissions.
        RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        NetsimProcess netsim;
        QVERIFY2(
            netsim.start(relay.address(), {"--loss", "5", "--direction", "down", "--seed", "7"}),
            qPrintable(netsim.error()));
        auto links = test::createConference(relay.address());
        QCOMPARE(links.size(), 2);
        QTemporaryDir dir;
        auto receiver =
            test::startCli({"join", links[0], "--relay", netsim.address(), "--name", "Receiver",
                            "--record-video", dir.filePath("rec"), "--duration", "8",
                            "--stats-json", dir.filePath("receiver.json")});
        QTest::qWait(700); // the receiver is in before the first picture leaves
        auto sender =
            test::startCli({"join", links[0], "--name", "Sender", "--send-audio", "tone:440",
                            "--send-video", "pattern", "--video-size", "1280x720", "--duration",
                            "6", "--stats-json", dir.filePath("sender.json")});
        QVERIFY(sender->waitForFinished(30000));
        QVERIFY2(sender->exitCode() == 0, sender->readAllStandardError().constData());
        QVERIFY(receiver->waitForFinished(30000));
        QVERIFY2(receiver->exitCode() == 0, receiver->readAllStandardError().constData());

        const QJsonObject senderStats = test::loadJsonObject(dir.filePath("sender.json"));
        const QJsonObject receiverStats = test::loadJsonObject(dir.filePath("receiver.json"));
        const QJsonObject sent = senderStats["sent"].toObject();
        const QJsonObject video = receiverStats["remote"]["Sender"]["video"].toObject();
        const double sentPackets = sent["video_packets"].toDouble();
        const double received = video["packets_received"].toDouble();
        const double recovered = video["packets_recovered"].toDouble();
        const double unrecovered = std::max(0.0, sentPackets - received);
        const QString figures =
            QString("sent %1 packets, %2 frames; received %3 packets, %4 recovered after %5 "
                    "NACKs, %6 never; frames decoded %7, freezes %8; sender retransmitted %9")
                .arg(sentPackets)
                .arg(sent["video_frames"].toInt())
                .arg(received)
                .arg(recovered)
                .arg(video["nacks"].toInt())
                .arg(unrecovered)
                .arg(video["frames_decoded"].toInt())
                .arg(video["freezes"].toInt())
                .arg(sent["video_retransmissions"].toInt());
        qInfo("%s", qPrintable(figures));
        // 6 s of 720p at 1.5 Mbit/s is ~1000 packets: 5 % is ~50 lost. At least 20 were lost
        // and came back, and at least 80 % of all that went missing did.
        QVERIFY2(sentPackets >= 600, qPrintable(figures));
        QVERIFY2(recovered >= 20, qPrintable(figures));
        QVERIFY2(recovered / (recovered + unrecovered) >= 0.8, qPrintable(figures));
        // The relay answered: the sender's uplink carried a tenth of that at most.
        QVERIFY2(sent["video_retransmissions"].toDouble() <= recovered / 10, qPrintable(figures));
        // The video kept flowing: nearly every frame sent was shown, each recorded one whole.
        const Decoded d = decodeRecording(dir.filePath("rec/Sender.ivf"));
        qInfo("%s", qPrintable(describe("rec/Sender.ivf", d)));
        QVERIFY2(static_cast<double>(d.frames) >= 0.9 * sent["video_frames"].toDouble(),
                 qPrintable(describe("rec/Sender.ivf", d)));
        QCOMPARE(d.stamped, d.frames);
        QVERIFY(d.increasing);
        QCOMPARE(netsim.stop(), 0);
    }

    void privateViewSwitchedDuringTheCall() {
        // Open at first; the admin switches private view on at 2 s and off at 4.5 s. Each
        // member's recording of the other member has frames captured before 2 s and after
        // 4.5 s, and none captured in between: not one packet while private view was on.
        RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        auto links = test::createConference(relay.address());
        QCOMPARE(links.size(), 2);
        QTemporaryDir dir;
        const std::vector<Party> parties{
            {"Admin",
             links[1],
             "320x180",
             {"--set-private-view", "on@2", "--set-private-view", "off@4.5"}},
            {"Member1", links[0], "320x180"},
            {"Member2", links[0], "320x180"}};
        QString error;
        QVERIFY2(runParties(dir, parties, 7, error), qPrintable(error));

        const QJsonObject admin = test::loadJsonObject(dir.filePath("Admin.json"));
        QCOMPARE(admin["private_view"].toBool(true), false);
        // The admin's join: its first tick, within a few ms of when its 2 s and 4.5 s count.
        const auto t0 = static_cast<std::int64_t>(admin["record"]["start_unix_ms"].toDouble());
        QVERIFY(t0 > 0);
        const std::int64_t on = t0 + 2000;
        const std::int64_t off = t0 + 4500;
        // Frames on their way at either switch may still arrive: one captured just before the
        // switch off can be encoded after it (as the key frame the relay asked for) and is then
        // rightly forwarded (CI saw one captured 27 ms before). A frame is captured, encoded
        // and paced in well under this.
        constexpr std::int64_t kInFlightMs = 300;
        for (const QString member : {"Member1", "Member2"}) {
            const QString other = member == "Member1" ? "Member2" : "Member1";
            const auto times = captureTimes(dir.filePath(member + "/" + other + ".ivf"));
            std::size_t before = 0;
            std::size_t during = 0;
            std::size_t after = 0;
            QString duringAt; // capture times of frames seen in private view, from the join
            for (auto t : times) {
                if (t < on + kInFlightMs) {
                    ++before;
                } else if (t < off - kInFlightMs) {
                    ++during;
                    duringAt += QString(" %1").arg(t - t0);
                } else {
                    ++after;
                }
            }
            const QString counts =
                QString("%1 saw %2: %3 frames before, %4 during (captured at ms%5), %6 after")
                    .arg(member, other)
                    .arg(before)
                    .arg(during)
                    .arg(duringAt)
                    .arg(after);
            qInfo("%s", qPrintable(counts));
            QVERIFY2(before >= 20, qPrintable(counts));
            QVERIFY2(during == 0, qPrintable(counts));
            // Back within a second of the switch, then at the frame rate: 2.5 s are left.
            QVERIFY2(after >= 30, qPrintable(counts));
            const auto firstAfter = std::find_if(times.begin(), times.end(),
                                                 [&](auto t) { return t >= off - kInFlightMs; });
            QVERIFY2(firstAfter != times.end() && *firstAfter < off + 1000, qPrintable(counts));
            // The admin's video reached the member all along.
            const auto adminTimes = captureTimes(dir.filePath(member + "/Admin.ivf"));
            QVERIFY2(adminTimes.size() >= 150, qPrintable(QString::number(adminTimes.size())));
        }
    }
};

QTEST_GUILESS_MAIN(TestVideo)
#include "TestVideo.moc"
