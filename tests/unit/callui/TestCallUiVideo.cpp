// Video on the call screen against the real relay on loopback (offscreen, no audio devices):
// the app sends the test pattern and shows what diyuma-cli and a second app send (pictures
// read back from the tiles' sources), the camera button turns our video off and on for the
// others, the admin switches private view and the members' screens follow, and a machine
// without a camera gets an audio-only call that says so.

#include "diyuma/video/TestPattern.h"

#include "CallUiHarness.h"
#include "CameraCapture.h"
#include "VideoHub.h"

#include <QtCore/QStandardPaths>
#include <QtCore/QTemporaryDir>
#include <QtWidgets/QLabel>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QToolButton>

using namespace diyuma;
using namespace diyuma::test::callui;
using diyuma::test::RelayProcess;

namespace {

constexpr int kVideoTimeoutMs = 6000;

/// The newest picture the app has of `participantId`'s video, read back as a test pattern.
std::optional<core::PatternStamp> stampOf(CallController& controller, quint32 participantId) {
    std::uint64_t seen = 0;
    core::VideoFrame picture;
    if (!controller.video().fetchIfNewer(participantId, seen, picture))
        return std::nullopt;
    return core::readTestPatternStamp(picture);
}

quint32 idOf(const CallController& controller, const std::string& name) {
    const auto* p = participantNamed(controller.snapshot(), name);
    return p ? p->participantId : 0;
}

bool showsVideo(const CallPage& page, const QString& name) {
    auto* tile = tileNamed(page, name);
    return tile && tile->hasVideo();
}

/// The picture in a tile is not one flat colour (a real picture, not an empty image).
ParticipantTile* selfTile(const CallPage& page) {
    for (auto* tile : page.findChildren<ParticipantTile*>())
        if (tile->isSelf())
            return tile;
    return nullptr;
}

bool varied(const QImage& image) {
    if (image.isNull())
        return false;
    const QRgb first = image.pixel(0, image.height() / 2);
    for (int x = 0; x < image.width(); x += 3)
        if (image.pixel(x, image.height() / 2) != first)
            return true;
    return false;
}

} // namespace

class TestCallUiVideo : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY2(m_relay.start(), qPrintable(m_relay.error()));
    }

    void patternBothWaysWithTheCli() {
        Person anna;
        anna.settings.setVideoSource(QStringLiteral("pattern"));
        anna.settings.setCameraOnAtStart(true);
        QSignalSpy created(&anna.controller, &CallController::created);
        QVERIFY(anna.start(createRequest(m_relay.address(), "Anna", false)));
        QVERIFY(anna.joined.wait(kJoinTimeoutMs));
        QVERIFY(anna.controller.sendsVideo());
        QVERIFY(anna.controller.cameraOn());
        auto* camera = anna.child<QPushButton>("cameraButton");
        QVERIFY(camera->isEnabled());
        QCOMPARE(camera->text(), QStringLiteral("Stop video"));

        // Our own picture in our tile (the self-view).
        QTRY_VERIFY(selfTile(anna.page) != nullptr);
        auto* self = selfTile(anna.page);
        QTRY_VERIFY_WITH_TIMEOUT(self->hasVideo(), kVideoTimeoutMs);
        QVERIFY(varied(self->video()));

        QTemporaryDir dir;
        auto bob = test::startCli({"join", created.first().first().toString(), "--name", "Bob",
                                   "--send-video", "pattern", "--record-video", dir.filePath("rec"),
                                   "--duration", "5", "--stats-json", dir.filePath("bob.json")});
        // Bob's pattern reaches Anna's tile, and it is Bob's picture: its stamp reads back.
        QTRY_VERIFY_WITH_TIMEOUT(showsVideo(anna.page, "Bob"), kVideoTimeoutMs);
        QVERIFY(varied(tileNamed(anna.page, "Bob")->video()));
        // Every picture reads back, and they keep coming (the pattern counts from 0).
        const auto stamp = stampOf(anna.controller, idOf(anna.controller, "Bob"));
        QVERIFY(stamp.has_value());
        QVERIFY(std::abs(stamp->captureUnixMs - QDateTime::currentMSecsSinceEpoch()) < 5000);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const auto later = stampOf(anna.controller, idOf(anna.controller, "Bob"));
                return later && later->frameNumber >= stamp->frameNumber + 10;
            }(),
            kVideoTimeoutMs);

        // And Anna's reached Bob: his stats count her decoded frames at our size.
        QVERIFY(bob->waitForFinished(20000));
        QCOMPARE(bob->exitCode(), 0);
        const QJsonObject stats = test::loadJsonObject(dir.filePath("bob.json"));
        const QJsonObject video = stats["remote"]["Anna"]["video"].toObject();
        QVERIFY2(video["frames_decoded"].toInt() >= 60,
                 qPrintable(QJsonDocument(video).toJson(QJsonDocument::Compact)));
        QCOMPARE(video["width"].toInt(), 640);
        QCOMPARE(video["height"].toInt(), 360);
        QVERIFY(QFile::exists(dir.filePath("rec/Anna.ivf")));
        // Bob left: his tile goes, ours keeps its picture.
        QTRY_VERIFY_WITH_TIMEOUT(tileNamed(anna.page, "Bob") == nullptr, kRosterTimeoutMs);
        QVERIFY(self->hasVideo());
    }

    void cameraButtonTurnsOurVideoOffAndOn() {
        Person anna;
        anna.settings.setVideoSource(QStringLiteral("pattern"));
        anna.settings.setCameraOnAtStart(true);
        QSignalSpy created(&anna.controller, &CallController::created);
        QVERIFY(anna.start(createRequest(m_relay.address(), "Anna", false)));
        QVERIFY(anna.joined.wait(kJoinTimeoutMs));
        Person boris;
        boris.settings.setVideoSource(QStringLiteral("none"));
        QVERIFY(boris.start(
            joinRequest(created.first().first().toString(), m_relay.address(), "Boris")));
        QVERIFY(boris.joined.wait(kJoinTimeoutMs));
        QTRY_VERIFY_WITH_TIMEOUT(showsVideo(boris.page, "Anna"), kVideoTimeoutMs);
        // Boris sends none: his own tile says why, his button is off.
        QVERIFY(!boris.controller.sendsVideo());
        QVERIFY(!boris.child<QPushButton>("cameraButton")->isEnabled());
        QTRY_VERIFY(selfTile(boris.page) != nullptr);
        QCOMPARE(selfTile(boris.page)->videoCaption(), QStringLiteral("Video off in Settings"));
        QTRY_VERIFY_WITH_TIMEOUT(tileNamed(anna.page, "Boris") != nullptr, kRosterTimeoutMs);
        QCOMPARE(tileNamed(anna.page, "Boris")->videoCaption(), QStringLiteral("No video"));

        // Off: Anna's self-view goes at once, Boris's tile of her falls back to the avatar.
        QSignalSpy cameraChanged(&anna.controller, &CallController::cameraChanged);
        anna.child<QPushButton>("cameraButton")->click();
        QCOMPARE(cameraChanged.count(), 1);
        QVERIFY(!anna.controller.cameraOn());
        QCOMPARE(anna.child<QPushButton>("cameraButton")->text(), QStringLiteral("Start video"));
        auto* self = selfTile(anna.page);
        QTRY_VERIFY_WITH_TIMEOUT(!self->hasVideo(), 1000);
        QCOMPARE(self->videoCaption(), QStringLiteral("Camera off"));
        QTRY_VERIFY_WITH_TIMEOUT(!showsVideo(boris.page, "Anna"), kVideoTimeoutMs);
        QVERIFY(!anna.settings.cameraOnAtStart()); // remembered for the next call

        // On again: back for both.
        anna.child<QPushButton>("cameraButton")->click();
        QVERIFY(anna.controller.cameraOn());
        QTRY_VERIFY_WITH_TIMEOUT(self->hasVideo(), kVideoTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(showsVideo(boris.page, "Anna"), kVideoTimeoutMs);
        const auto stamp = stampOf(boris.controller, idOf(boris.controller, "Anna"));
        QVERIFY(stamp.has_value());
    }

    void adminSwitchesPrivateView() {
        // Anna (admin) and two members who send pattern video: Boris (an app) and Carl (CLI).
        Person anna;
        anna.settings.setVideoSource(QStringLiteral("pattern"));
        QSignalSpy created(&anna.controller, &CallController::created);
        QVERIFY(anna.start(createRequest(m_relay.address(), "Anna", false)));
        QVERIFY(anna.joined.wait(kJoinTimeoutMs));
        const QString link = created.first().first().toString();
        Person boris;
        boris.settings.setVideoSource(QStringLiteral("pattern"));
        QVERIFY(boris.start(joinRequest(link, m_relay.address(), "Boris")));
        QVERIFY(boris.joined.wait(kJoinTimeoutMs));
        auto carl = test::startCli(
            {"join", link, "--name", "Carl", "--send-video", "pattern", "--duration", "30"});

        // Open conference: everyone sees everyone.
        QTRY_VERIFY_WITH_TIMEOUT(showsVideo(boris.page, "Carl") && showsVideo(boris.page, "Anna"),
                                 kVideoTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(showsVideo(anna.page, "Carl") && showsVideo(anna.page, "Boris"),
                                 kVideoTimeoutMs);
        auto* toggle = anna.child<QToolButton>("privateViewToggle");
        QVERIFY(toggle->isVisible());
        QVERIFY(!toggle->isChecked());
        QVERIFY(boris.child<QToolButton>("privateViewToggle")->isHidden()); // admins only
        QVERIFY(!boris.child<QWidget>("privateViewBanner")->isVisible());

        // The admin turns private view on: within a second Boris is told, and his picture of
        // Carl stops (the relay forwards him only the admin's); Anna still sees both.
        toggle->click();
        QTRY_VERIFY_WITH_TIMEOUT(boris.controller.snapshot().privateView, 1500);
        QTRY_VERIFY_WITH_TIMEOUT(boris.child<QWidget>("privateViewBanner")->isVisible(), 1000);
        QVERIFY(boris.child<QLabel>("privateViewBadge")->isVisible());
        QTRY_VERIFY(anna.controller.snapshot().privateView);
        QVERIFY(toggle->isChecked());
        // His tile of Carl shows the avatar at once (not after the 1.5 s stale timeout).
        QTRY_VERIFY_WITH_TIMEOUT(!showsVideo(boris.page, "Carl"), 1000);
        QCOMPARE(tileNamed(boris.page, "Carl")->videoCaption(),
                 QStringLiteral("Video only for the admin"));
        QVERIFY(showsVideo(boris.page, "Anna"));
        // Nothing of Carl's arrives any more (not a single picture in two seconds).
        {
            const auto carlId = idOf(boris.controller, "Carl");
            std::uint64_t seen = 0;
            core::VideoFrame picture;
            (void)boris.controller.video().fetchIfNewer(carlId, seen, picture);
            QTest::qWait(2000);
            QVERIFY(!boris.controller.video().fetchIfNewer(carlId, seen, picture));
        }
        QTest::qWait(500);
        QVERIFY(showsVideo(anna.page, "Carl") && showsVideo(anna.page, "Boris"));

        // Off again: Boris sees Carl again and the notice goes.
        toggle->click();
        QTRY_VERIFY_WITH_TIMEOUT(!boris.controller.snapshot().privateView, 1500);
        QTRY_VERIFY_WITH_TIMEOUT(showsVideo(boris.page, "Carl"), kVideoTimeoutMs);
        QVERIFY(!boris.child<QWidget>("privateViewBanner")->isVisible());
        QVERIFY(!boris.child<QLabel>("privateViewBadge")->isVisible());
        carl->terminate();
        QVERIFY(carl->waitForFinished(5000));
    }

    void withoutACameraTheCallIsAudioOnly() {
        // The default source is the system's camera. This machine may or may not have one:
        // either the camera runs or the call says there is none, and the call goes on.
        Person anna;
        anna.settings.setVideoSource(QString());
        QVERIFY(anna.start(createRequest(m_relay.address(), "Anna", false)));
        QVERIFY(anna.joined.wait(kJoinTimeoutMs));
        auto* camera = anna.child<QPushButton>("cameraButton");
        if (app::CameraCapture::cameras().isEmpty()) {
            QVERIFY(!anna.controller.sendsVideo());
            QVERIFY(anna.controller.videoNotice().contains("No camera"));
            QVERIFY(!camera->isEnabled());
            QCOMPARE(camera->text(), QStringLiteral("No video"));
            QVERIFY(camera->toolTip().contains("No camera"));
            QTRY_VERIFY(selfTile(anna.page) != nullptr);
            QCOMPARE(selfTile(anna.page)->videoCaption(), QStringLiteral("No camera"));
            QCOMPARE(anna.deviceProblem.count(), 0); // a normal state, not an error banner
        } else {
            QVERIFY(anna.controller.sendsVideo());
            QVERIFY(camera->isEnabled());
        }
        QVERIFY(anna.controller.snapshot().phase == core::CallPhase::InCall);
    }

private:
    RelayProcess m_relay;
};

QTEST_MAIN(TestCallUiVideo)
#include "TestCallUiVideo.moc"
