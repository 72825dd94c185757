// Quality tiers end to end: the real relay, three real diyuma-cli clients on loopback.
// Sender sends 1280x720 test-pattern video (simulcast: 720p, 360p, 180p) and a tone. Fast
// receives straight from the relay; Slow receives through diyuma-netsim, whose down-link
// (relay -> Slow) is cut to 700 kbit/s from 8 s to 20 s after it starts and free again after.
// While cut, Slow gets a lower size with video still flowing and Sender's tone intact, and
// Fast keeps 720p throughout; after the cut Slow climbs back to 720p. What each recorded is
// decoded (the stamps drawn into the pictures say which picture and when it was captured).
//
// Bounds: 360p (~530 kbit/s with headers) and Sender's audio (~50) fit 700 kbit/s; 720p
// (~1.6 Mbit/s, ~1 Mbit/s at half its frame rate) does not. The relay needs a few seconds
// of feedback to find the cut and switches at the next key frame; the estimate takes up to
// ~10 s to climb back and settle after it (PERFORMANCE.md section 7: up to 10.5 s there,
// one or two steps back down on the way). The windows asserted below leave
// room for a loaded CI machine: what must hold is the order of sizes and that video and
// audio keep flowing, not how fast.

#include "diyuma/video/TestPattern.h"
#include "diyuma/video/VideoFiles.h"
#include "diyuma/video/Vp8Codec.h"

#include "Processes.h"
#include "ToneLevels.h"

#include <QtCore/QDateTime>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>
#include <set>

using namespace diyuma;
using diyuma::test::NetsimProcess;
using diyuma::test::RelayProcess;

namespace {

/// One decoded picture of a recording: when it was captured (its stamp) and its size.
struct Shown {
    std::int64_t captureUnixMs = 0;
    int height = 0;
};

std::vector<Shown> decodeRecording(const QString& path, QString& error) {
    std::vector<Shown> out;
    auto contents = core::readIvfFile(path.toStdString());
    auto decoder = core::Vp8Decoder::create();
    if (!contents || !decoder) {
        error = contents ? "no decoder" : QString::fromStdString(contents.error().message);
        return out;
    }
    core::VideoFrame picture;
    for (const auto& frame : contents->frames) {
        auto shown = decoder->decode(frame.data, picture);
        if (!shown) {
            error = QString::fromStdString(shown.error().message);
            continue;
        }
        if (!shown.value())
            continue;
        if (auto stamp = core::readTestPatternStamp(picture))
            out.push_back({stamp->captureUnixMs, picture.height()});
    }
    return out;
}

/// Pictures captured in [fromMs, toMs) after `originMs`, and the heights among them.
struct Window {
    int pictures = 0;
    std::set<int> heights;
    int lastHeight = 0;
};
Window window(const std::vector<Shown>& shown, std::int64_t originMs, std::int64_t fromMs,
              std::int64_t toMs) {
    Window w;
    for (const Shown& s : shown) {
        const std::int64_t t = s.captureUnixMs - originMs;
        if (t < fromMs || t >= toMs)
            continue;
        ++w.pictures;
        w.heights.insert(s.height);
        w.lastHeight = s.height;
    }
    return w;
}

QString heights(const Window& w) {
    QStringList out;
    for (int h : w.heights)
        out << QString::number(h);
    return QString("%1 pictures, heights {%2}, last %3")
        .arg(w.pictures)
        .arg(out.join(","))
        .arg(w.lastHeight);
}

} // namespace

class TestQualityTiers : public QObject {
    Q_OBJECT
private slots:
    void limitedReceiverGetsALowerLayerAndClimbsBack() {
        RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        NetsimProcess netsim;
        QVERIFY2(netsim.start(relay.address(), {"--direction", "down", "--rate-at", "8:700",
                                                "--rate-at", "20:0", "--queue", "150"}),
                 qPrintable(netsim.error()));
        const std::int64_t cutFromMs = 8000;
        const std::int64_t cutToMs = 20000;
        const auto netsimStartMs = QDateTime::currentMSecsSinceEpoch();
        auto links = test::createConference(relay.address());
        QCOMPARE(links.size(), 2);
        QTemporaryDir dir;
        const auto receiver = [&](const QString& name, const QString& via) {
            return test::startCli({"join", links[0], "--relay", via, "--name", name,
                                   "--record-video", dir.filePath(name), "--record-audio",
                                   dir.filePath(name), "--duration", "43", "--stats-json",
                                   dir.filePath(name + ".json")});
        };
        auto fast = receiver("Fast", relay.address());
        auto slow = receiver("Slow", netsim.address());
        QTest::qWait(700); // both are in before the first picture leaves
        auto sender =
            test::startCli({"join", links[0], "--name", "Sender", "--send-audio", "tone:440",
                            "--send-video", "pattern", "--video-size", "1280x720", "--duration",
                            "40", "--stats-json", dir.filePath("Sender.json")});
        for (auto* p : {sender.get(), fast.get(), slow.get()}) {
            QVERIFY(p->waitForFinished(60000));
            QVERIFY2(p->exitCode() == 0, p->readAllStandardError().constData());
        }
        QCOMPARE(netsim.stop(), 0);

        // What each saw: the sizes of Sender's pictures by capture time, from the start of
        // netsim's clock (the cut's schedule).
        QString error;
        const auto fastShown = decodeRecording(dir.filePath("Fast/Sender.ivf"), error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const auto slowShown = decodeRecording(dir.filePath("Slow/Sender.ivf"), error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const Window fastAll = window(fastShown, netsimStartMs, 0, 60'000);
        const Window slowBefore = window(slowShown, netsimStartMs, 3000, cutFromMs);
        const Window slowLate = window(slowShown, netsimStartMs, cutFromMs + 6000, cutToMs);
        const Window slowCut = window(slowShown, netsimStartMs, cutFromMs, cutToMs);
        const Window slowEnd = window(slowShown, netsimStartMs, cutToMs + 15'000, 60'000);
        const QJsonObject slowStats = test::loadJsonObject(dir.filePath("Slow.json"));
        const QJsonObject fastStats = test::loadJsonObject(dir.filePath("Fast.json"));
        const QJsonObject slowVideo = slowStats["remote"]["Sender"]["video"].toObject();
        const QJsonObject slowAudio = slowStats["remote"]["Sender"]["audio"].toObject();
        const QString figures =
            QString("Fast: %1 | Slow before the cut: %2; in it: %3; its last 6 s: %4; 15 s after "
                    "it: %5 | Slow: layer switches %6, freezes %7 (longest %8 ms), audio lost "
                    "%9 of %10; sizes %11")
                .arg(heights(fastAll), heights(slowBefore), heights(slowCut), heights(slowLate),
                     heights(slowEnd))
                .arg(slowVideo["layer_switches"].toInt())
                .arg(slowVideo["freezes"].toInt())
                .arg(slowVideo["longest_freeze_ms"].toDouble())
                .arg(slowAudio["packets_lost"].toInt())
                .arg(slowAudio["packets_received"].toInt() + slowAudio["packets_lost"].toInt())
                .arg(QString::fromUtf8(
                    QJsonDocument(slowVideo["sizes"].toArray()).toJson(QJsonDocument::Compact)));
        qInfo("%s", qPrintable(figures));

        // Fast: 720p all along (after its first key frame).
        QVERIFY2(fastAll.pictures >= 25 * 20, qPrintable(figures));
        QVERIFY2(fastAll.heights == std::set<int>{720}, qPrintable(figures));
        QCOMPARE(fastStats["remote"]["Sender"]["video"]["layer_switches"].toInt(), 0);
        // Slow: 720p before the cut, a lower size by the end of it with video flowing all
        // through it (at least 5 pictures a second), 720p again at the end (from 15 s after it).
        QVERIFY2(slowBefore.lastHeight == 720, qPrintable(figures));
        QVERIFY2(slowLate.pictures >= 6 * 10 && slowLate.lastHeight > 0 &&
                     slowLate.lastHeight < 720 && !slowLate.heights.count(720),
                 qPrintable(figures));
        QVERIFY2(slowCut.pictures >= 12 * 5, qPrintable(figures));
        QVERIFY2(slowEnd.lastHeight == 720, qPrintable(figures));
        QVERIFY2(slowVideo["layer_switches"].toInt() >= 2, qPrintable(figures));
        // Audio intact: hardly anything lost, and the tone is there during the cut.
        const double lost = slowAudio["packets_lost"].toDouble();
        const double total = lost + slowAudio["packets_received"].toDouble();
        QVERIFY2(total > 1000 && lost / total < 0.03, qPrintable(figures));
        const double start = slowStats["record"]["start_unix_ms"].toDouble();
        const double cutLevel =
            test::toneLevelIn(dir.filePath("Slow/Sender.wav"), 440.0,
                              (netsimStartMs + cutFromMs - start) / 1000.0 + 1.0,
                              (netsimStartMs + cutToMs - start) / 1000.0 - 1.0);
        QVERIFY2(
            cutLevel > -25.0,
            qPrintable(QString("tone during the cut at %1 dBFS; %2").arg(cutLevel).arg(figures)));
    }
};

QTEST_GUILESS_MAIN(TestQualityTiers)
#include "TestQualityTiers.moc"
