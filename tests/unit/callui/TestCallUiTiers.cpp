// Quality tiers on the call screen against the real relay on loopback (offscreen, no audio
// devices): the app asks for the picture height its tiles need (a large tile 720, a small one
// 180) and the relay follows; the details dialog shows, for a peer sending 720p, the size,
// frame rate, layer, bitrate and our downlink estimate, and which of our own layers we send;
// behind diyuma-netsim cutting our download to 60 kbit/s the relay pauses the peer's video
// and the tile says why while their audio keeps coming, and the video comes back with the
// bandwidth; data saver sends at most 640x360 and asks for at most 360 lines from everyone,
// and switching it off during the call lifts the receive limit at once.
//
// With DIYUMA_SCREENSHOT_DIR set, the details dialog and the paused tile are saved there
// (scripts/screenshots.sh).

#include "CallDetailsDialog.h"
#include "CallUiHarness.h"

#include <QtCore/QStandardPaths>
#include <QtCore/QTemporaryDir>
#include <QtWidgets/QAbstractButton>
#include <QtWidgets/QLabel>
#include <QtWidgets/QTableWidget>
#include <algorithm>

using namespace diyuma;
using namespace diyuma::test::callui;
using app::CallDetailsDialog;
using diyuma::test::NetsimProcess;
using diyuma::test::RelayProcess;

namespace {

quint32 idOf(const CallController& controller, const std::string& name) {
    const auto* p = participantNamed(controller.snapshot(), name);
    return p ? p->participantId : 0;
}

const core::RemoteAudioStats* remoteOf(const CallController& controller, const std::string& name) {
    for (const auto& r : controller.snapshot().stats.remotes)
        if (r.name == name && r.present)
            return &r;
    return nullptr;
}

/// The height of the last picture decoded of `name` (0: none yet).
int receivedHeight(const CallController& controller, const std::string& name) {
    const auto* r = remoteOf(controller, name);
    return r && r->video ? r->video->height : 0;
}

/// What the relay's latest ReceiveReport says about `name`'s video.
std::optional<core::wire::ReceiveEntry> entryOf(const CallController& controller,
                                                const std::string& name) {
    const quint32 id = idOf(controller, name);
    for (const auto& e : controller.snapshot().stats.downlink.senders)
        if (e.participantId == id)
            return e;
    return std::nullopt;
}

/// The height we ask the relay for from `name` (0 when no subscription is known).
int subscribedHeight(const CallController& controller, const std::string& name) {
    const auto sub = controller.videoSubscription();
    return sub ? sub->maxHeightFor(idOf(controller, name)) : 0;
}

/// The row of `name` in the details dialog's video table, as text per column.
QStringList videoRow(CallDetailsDialog* details, const QString& name) {
    auto* table = details->findChild<QTableWidget*>("videoStatsTable");
    for (int row = 0; table && row < table->rowCount(); ++row) {
        if (!table->item(row, 0) || table->item(row, 0)->text() != name)
            continue;
        QStringList cells;
        for (int col = 0; col < table->columnCount(); ++col)
            cells << (table->item(row, col) ? table->item(row, col)->text() : QString());
        return cells;
    }
    return {};
}

/// "1.4 Mbit/s" or "850 kbit/s" back to bits per second (0 if neither).
double parseBitrate(const QString& text) {
    const QStringList parts = text.split(' ');
    if (parts.size() < 2)
        return 0;
    const double value = QLocale().toDouble(parts[0]);
    if (parts[1] == "Mbit/s")
        return value * 1e6;
    if (parts[1] == "kbit/s")
        return value * 1e3;
    return 0;
}

CallDetailsDialog* openDetails(Person& person) {
    person.child<QAbstractButton>("qualityIndicator")->click();
    return person.page.findChild<CallDetailsDialog*>("callDetailsDialog");
}

void saveScreenshot(QWidget* widget, const QString& file) {
    const QString dir = qEnvironmentVariable("DIYUMA_SCREENSHOT_DIR");
    if (dir.isEmpty())
        return;
    QVERIFY(widget->grab().save(dir + "/" + file));
    qInfo() << "screenshot:" << dir + "/" + file;
}

} // namespace

class TestCallUiTiers : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY2(m_relay.start(), qPrintable(m_relay.error()));
    }

    void detailsShowTheLayerOfA720pSender() {
        Person anna;
        anna.settings.setVideoSource(QStringLiteral("pattern"));
        anna.settings.setVideoSize(QSize(1280, 720));
        anna.settings.setDataSaver(false);
        anna.settings.setCameraOnAtStart(true);
        anna.page.resize(1920, 1200); // Bob's tile over 360 pixels high: he is asked for 720
        QSignalSpy created(&anna.controller, &CallController::created);
        QVERIFY(anna.start(createRequest(m_relay.address(), "Anna", false)));
        QVERIFY(anna.joined.wait(kJoinTimeoutMs));
        QCOMPARE(anna.controller.sendSize(), QSize(1280, 720));
        auto bob = test::startCli({"join", created.first().first().toString(), "--name", "Bob",
                                   "--send-video", "pattern", "--video-size", "1280x720",
                                   "--send-audio", "tone:440", "--duration", "60"});
        QTRY_VERIFY_WITH_TIMEOUT(tileNamed(anna.page, "Bob") != nullptr, kRosterTimeoutMs);
        QVERIFY(tileNamed(anna.page, "Bob")->height() > 360);
        QTRY_COMPARE_WITH_TIMEOUT(subscribedHeight(anna.controller, "Bob"), 720, 2000);
        // The relay gives us his largest layer once our downlink estimate carries it.
        QTRY_COMPARE_WITH_TIMEOUT(receivedHeight(anna.controller, "Bob"), 720, 25000);

        auto* details = openDetails(anna);
        QVERIFY(details && details->isVisible());
        // The rates are measured over the last two seconds while the dialog is open (the
        // first pictures can come in a burst): let the window fill.
        QTest::qWait(3000);
        // Once rates over a couple of seconds are known: "1280×720, 30 fps", "3 of 3, full
        // frame rate", the bitrate of a 720p stream.
        QStringList row;
        QTRY_VERIFY_WITH_TIMEOUT((row = videoRow(details, "Bob"),
                                  row.size() == CallDetailsDialog::VideoColumnCount &&
                                      row[CallDetailsDialog::VideoPicture].contains("fps") &&
                                      row[CallDetailsDialog::VideoLayer].startsWith("3 of 3")),
                                 8000);
        qInfo() << "Bob's row:" << row;
        QVERIFY2(row[CallDetailsDialog::VideoPicture].startsWith("1280×720, "),
                 qPrintable(row.join(" | ")));
        const int fps =
            row[CallDetailsDialog::VideoPicture].section(", ", 1).section(' ', 0, 0).toInt();
        QVERIFY2(fps >= 10 && fps <= 35, qPrintable(row.join(" | ")));
        const double bitrate = parseBitrate(row[CallDetailsDialog::VideoBitrate]);
        QVERIFY2(bitrate > 300e3 && bitrate < 4e6, qPrintable(row.join(" | ")));
        const QString layer = row[CallDetailsDialog::VideoLayer];
        const auto entry = entryOf(anna.controller, "Bob");
        QVERIFY(entry && entry->state == core::wire::ReceiveState::Forwarding);
        QCOMPARE(entry->spatialLayer, 2);
        QVERIFY2(layer.endsWith(entry->temporalLayer >= 2   ? "full frame rate"
                                : entry->temporalLayer == 1 ? "half frame rate"
                                                            : "quarter frame rate"),
                 qPrintable(layer));
        // Our downlink as the relay estimates it, and our uplink.
        const QString downlink = details->findChild<QLabel*>("downlinkLabel")->text();
        QVERIFY2(parseBitrate(downlink) > 300e3, qPrintable(downlink)); // 720p came through
        QCOMPARE(parseBitrate(downlink),
                 parseBitrate(CallDetailsDialog::bitrateText(
                     *anna.controller.snapshot().stats.downlink.estimateBps)));
        QVERIFY2(parseBitrate(details->findChild<QLabel*>("uplinkLabel")->text()) > 100e3,
                 qPrintable(details->findChild<QLabel*>("uplinkLabel")->text()));
        // Bob, our only receiver, asks for no limit: the relay wants only our 720p layer, so
        // only that one goes out (once our uplink carries it).
        QTRY_VERIFY_WITH_TIMEOUT(
            details->findChild<QLabel*>("sentVideoLabel")->text().startsWith("sending 1280×720 ("),
            15000);
        const QString sent = details->findChild<QLabel*>("sentVideoLabel")->text();
        QVERIFY2(sent.endsWith("; not sent now: 320×180, 640×360"), qPrintable(sent));
        saveScreenshot(details, QStringLiteral("call-details.png"));

        // A small window: Bob's tile is small, we ask for less and the relay switches down.
        details->close();
        anna.child<QAbstractButton>("peopleButton")->setChecked(false);
        anna.page.resize(700, 440);
        QTRY_VERIFY_WITH_TIMEOUT(subscribedHeight(anna.controller, "Bob") <= 360, 2000);
        const int wanted = subscribedHeight(anna.controller, "Bob");
        auto* tile = tileNamed(anna.page, "Bob");
        QCOMPARE(wanted,
                 app::TileSubscription::stepFor(
                     app::TileSubscription::neededHeight(tile->width(), tile->height()), 720));
        QTRY_COMPARE_WITH_TIMEOUT(receivedHeight(anna.controller, "Bob"), wanted, 10000);
        bob->terminate();
        QVERIFY(bob->waitForFinished(5000));
    }

    void pausedForBandwidthTileSaysSoAndAudioGoesOn() {
        // Anna's download through diyuma-netsim: 60 kbit/s (not even Bob's 180p fits next to
        // his audio) for 25 s, then unlimited.
        NetsimProcess netsim;
        QVERIFY2(netsim.start(m_relay.address(),
                              {"--direction", "down", "--rate", "60", "--rate-at", "25:0"}),
                 qPrintable(netsim.error()));
        QElapsedTimer sinceNetsim;
        sinceNetsim.start();
        Person anna;
        anna.settings.setVideoSource(QStringLiteral("pattern"));
        anna.settings.setVideoSize(QSize(640, 360));
        anna.settings.setDataSaver(false);
        anna.settings.setCameraOnAtStart(true);
        QSignalSpy created(&anna.controller, &CallController::created);
        QVERIFY(anna.start(createRequest(netsim.address(), "Anna", false)));
        QVERIFY(anna.joined.wait(kJoinTimeoutMs));
        auto bob = test::startCli({"join", created.first().first().toString(), "--relay",
                                   m_relay.address(), "--name", "Bob", "--send-video", "pattern",
                                   "--send-audio", "tone:440", "--duration", "60"});
        QTRY_VERIFY_WITH_TIMEOUT(tileNamed(anna.page, "Bob") != nullptr, kRosterTimeoutMs);
        auto* tile = tileNamed(anna.page, "Bob");

        // The relay pauses Bob's video for us and says so; the tile shows why.
        QTRY_VERIFY_WITH_TIMEOUT(entryOf(anna.controller, "Bob") &&
                                     entryOf(anna.controller, "Bob")->state ==
                                         core::wire::ReceiveState::PausedBandwidth,
                                 20000);
        qInfo() << "paused" << sinceNetsim.elapsed() << "ms after the cut";
        QVERIFY2(sinceNetsim.elapsed() < 22000, "paused too late to see it before the rate rises");
        QTRY_VERIFY_WITH_TIMEOUT(!tile->hasVideo(), 2500);
        QCOMPARE(tile->videoCaption(), QStringLiteral("Video paused: your connection is too slow"));
        QCOMPARE(tile->videoCaptionTone(), ParticipantTile::CaptionTone::Warning);
        auto* details = openDetails(anna);
        QVERIFY(details);
        QTRY_COMPARE(videoRow(details, "Bob").value(CallDetailsDialog::VideoPicture),
                     QStringLiteral("Paused: your connection is too slow"));
        details->close();

        // Audio is not paused: Bob's packets keep coming, nearly all of them, and he is heard.
        const auto* before = remoteOf(anna.controller, "Bob");
        QVERIFY(before);
        const std::uint64_t receivedBefore = before->packetsReceived;
        const std::uint64_t lostBefore = before->packetsLost;
        bool heard = false;
        QElapsedTimer window;
        window.start();
        while (window.elapsed() < 2000) {
            QTest::qWait(100);
            if (const auto* p = participantNamed(anna.controller.snapshot(), "Bob"))
                heard = heard || p->levelDbfs > -40.0F;
        }
        const auto* after = remoteOf(anna.controller, "Bob");
        const std::uint64_t received = after->packetsReceived - receivedBefore;
        const std::uint64_t lost = after->packetsLost - lostBefore;
        qInfo() << "audio while paused: received" << received << "lost" << lost;
        QVERIFY2(received >= 80, qPrintable(QString::number(received))); // 100 in 2 s
        QVERIFY(lost * 10 <= received);
        QVERIFY(heard);
        // Still paused, and still said so (not a passing state).
        QCOMPARE(entryOf(anna.controller, "Bob")->state, core::wire::ReceiveState::PausedBandwidth);
        QVERIFY(!tile->hasVideo());
        saveScreenshot(&anna.page, QStringLiteral("call-paused.png"));

        // The rate limit goes at 25 s: the video comes back and the notice goes.
        QTRY_VERIFY_WITH_TIMEOUT(tile->hasVideo(), 40000 - static_cast<int>(sinceNetsim.elapsed()));
        qInfo() << "video back" << sinceNetsim.elapsed() << "ms after the cut";
        QVERIFY(sinceNetsim.elapsed() > 24000);
        // The relay's next report (within a second) says so too, and the notice is gone.
        QTRY_VERIFY_WITH_TIMEOUT(
            entryOf(anna.controller, "Bob")->state == core::wire::ReceiveState::Forwarding, 2000);
        QTRY_COMPARE(tile->videoCaption(), QStringLiteral("No video"));
        QCOMPARE(tile->videoCaptionTone(), ParticipantTile::CaptionTone::Quiet);
        QVERIFY(tile->hasVideo());
        bob->terminate();
        QVERIFY(bob->waitForFinished(5000));
    }

    void dataSaverCapsWhatWeSendAndReceive() {
        Person anna;
        anna.settings.setVideoSource(QStringLiteral("pattern"));
        anna.settings.setVideoSize(QSize(1280, 720)); // HD chosen, but data saver is on
        anna.settings.setDataSaver(true);
        anna.settings.setCameraOnAtStart(true);
        anna.page.resize(1920, 1200); // a tile that would ask for 720
        QSignalSpy created(&anna.controller, &CallController::created);
        QVERIFY(anna.start(createRequest(m_relay.address(), "Anna", false)));
        QVERIFY(anna.joined.wait(kJoinTimeoutMs));
        QCOMPARE(anna.controller.sendSize(), QSize(640, 360));
        QVERIFY(anna.controller.videoSubscription().has_value());
        QCOMPARE(anna.controller.videoSubscription()->defaultMaxHeight, 360);

        QTemporaryDir dir;
        auto bob = test::startCli({"join", created.first().first().toString(), "--name", "Bob",
                                   "--send-video", "pattern", "--video-size", "1280x720",
                                   "--duration", "45", "--stats-json", dir.filePath("bob.json")});
        QTRY_VERIFY_WITH_TIMEOUT(tileNamed(anna.page, "Bob") != nullptr, kRosterTimeoutMs);
        QVERIFY(tileNamed(anna.page, "Bob")->height() > 360);
        QTRY_COMPARE_WITH_TIMEOUT(subscribedHeight(anna.controller, "Bob"), 360, 2000);
        QTRY_COMPARE_WITH_TIMEOUT(receivedHeight(anna.controller, "Bob"), 360, 10000);
        // Our own video: its three layers are announced, 720p is not sent.
        const auto layer720Active = [&anna] {
            const auto& sent = anna.controller.snapshot().stats.videoSent;
            return sent.has_value() && sent->layers.size() == 3 && sent->layers[2].active;
        };
        const auto& sent = anna.controller.snapshot().stats.videoSent;
        QVERIFY(sent.has_value());
        QCOMPARE(sent->layers.size(), std::size_t{3});
        QCOMPARE(sent->layers.back().height, 720);
        // Stays at most 360 for a while (the relay would give 720 on loopback otherwise).
        QTest::qWait(4000);
        for (const auto& size : remoteOf(anna.controller, "Bob")->video->sizes)
            QVERIFY2(size.height <= 360, qPrintable(QString::number(size.height)));
        QVERIFY(!layer720Active());

        // Off during the call: the receive limit goes at once (Bob's 720p comes), and our
        // 720p layer may be sent again: Bob gets it (he asks for the most there is).
        anna.settings.setDataSaver(false);
        QCOMPARE(subscribedHeight(anna.controller, "Bob"), 720);
        QCOMPARE(anna.controller.videoSubscription()->defaultMaxHeight, 720);
        QCOMPARE(anna.controller.sendSize(), QSize(1280, 720));
        QTRY_COMPARE_WITH_TIMEOUT(receivedHeight(anna.controller, "Bob"), 720, 20000);
        QTRY_VERIFY_WITH_TIMEOUT(layer720Active(), 10000);
        // And on again: back to 360 at once, both ways.
        anna.settings.setDataSaver(true);
        QCOMPARE(subscribedHeight(anna.controller, "Bob"), 360);
        QCOMPARE(anna.controller.sendSize(), QSize(640, 360));
        QTRY_VERIFY_WITH_TIMEOUT(!layer720Active(), 1000);
        QTRY_COMPARE_WITH_TIMEOUT(receivedHeight(anna.controller, "Bob"), 360, 10000);

        // What Bob got of us: at most 360 lines, then 720 while data saver was off, then at
        // most 360 again.
        QVERIFY(bob->waitForFinished(55000));
        QCOMPARE(bob->exitCode(), 0);
        const QJsonObject stats = test::loadJsonObject(dir.filePath("bob.json"));
        const QJsonObject video = stats["remote"]["Anna"]["video"].toObject();
        const QString text = QJsonDocument(video).toJson(QJsonDocument::Compact);
        QVERIFY2(video["frames_decoded"].toInt() > 100, qPrintable(text));
        QCOMPARE(video["height"].toInt(), 360);
        const QJsonArray sizes = video["sizes"].toArray();
        QVERIFY2(sizes.size() >= 3, qPrintable(text));
        QVERIFY2(sizes.first().toArray()[2].toInt() <= 360, qPrintable(text));
        QVERIFY2(std::any_of(sizes.begin(), sizes.end(),
                             [](const QJsonValue& v) { return v.toArray()[2].toInt() == 720; }),
                 qPrintable(text));
        qInfo("Bob got of Anna: %s", qPrintable(text));
    }

    void dataSaverDuringACallCapsWhatWeSendAtOnce() {
        // Anna starts in HD (data saver off), Bob gets her 720p; she turns data saver on 5 s
        // into his stay: her 720p layer stops at once and Bob is moved to a smaller size of
        // hers within a few seconds, his video of her going on.
        Person anna;
        anna.settings.setVideoSource(QStringLiteral("pattern"));
        anna.settings.setVideoSize(QSize(1280, 720));
        anna.settings.setDataSaver(false);
        anna.settings.setCameraOnAtStart(true);
        QSignalSpy created(&anna.controller, &CallController::created);
        QVERIFY(anna.start(createRequest(m_relay.address(), "Anna", false)));
        QVERIFY(anna.joined.wait(kJoinTimeoutMs));
        QCOMPARE(anna.controller.sendSize(), QSize(1280, 720));
        QTemporaryDir dir;
        auto bob = test::startCli({"join", created.first().first().toString(), "--name", "Bob",
                                   "--duration", "14", "--stats-json", dir.filePath("bob.json")});
        QTRY_VERIFY_WITH_TIMEOUT(tileNamed(anna.page, "Bob") != nullptr, kRosterTimeoutMs);
        QElapsedTimer sinceBob;
        sinceBob.start();
        QTest::qWait(5000);
        anna.settings.setDataSaver(true);
        const qint64 toggledAt = sinceBob.elapsed();
        QTRY_VERIFY_WITH_TIMEOUT(!anna.controller.snapshot().stats.videoSent->layers[2].active,
                                 1000);
        QVERIFY(bob->waitForFinished(30000));
        QCOMPARE(bob->exitCode(), 0);
        const QJsonObject stats = test::loadJsonObject(dir.filePath("bob.json"));
        const QJsonObject video = stats["remote"]["Anna"]["video"].toObject();
        const QString text = QJsonDocument(video).toJson(QJsonDocument::Compact);
        const QJsonArray sizes = video["sizes"].toArray();
        QVERIFY2(sizes.size() >= 2, qPrintable(text));
        QCOMPARE(sizes.first().toArray()[2].toInt(), 720);
        QVERIFY2(sizes.last().toArray()[2].toInt() <= 360, qPrintable(text));
        // Moved within 4 s of the toggle (Bob's video started about when he joined).
        QVERIFY2(sizes.last().toArray()[0].toInt() < toggledAt + 4000, qPrintable(text));
        QVERIFY2(video["frames_decoded"].toInt() > 250, qPrintable(text));
        qInfo("Bob: %s (data saver on at %lld ms)", qPrintable(text),
              static_cast<long long>(toggledAt));
    }

private:
    RelayProcess m_relay;
};

QTEST_MAIN(TestCallUiTiers)
#include "TestCallUiTiers.moc"
