// The call screen when the audio devices cannot open: the call joins all the same and the
// page says what is missing. A test binary of its own because it opens PortAudio (whose ALSA
// plugins, loaded and unloaded at run time, leave allocations LeakSanitizer cannot attribute),
// so it is not part of the sanitizer run's fast subset.

#include "CallUiHarness.h"

#include <QtCore/QStandardPaths>
#include <QtCore/QTemporaryDir>
#include <QtWidgets/QLabel>

using namespace diyuma;
using namespace diyuma::test::callui;

class TestCallUiDevices : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        // No working sound device in this process, whatever the machine has: ALSA's default
        // PCM and mixer point at a card that does not exist, and no sound server is reachable.
        QVERIFY(m_noSound.isValid());
        const QString alsaConfig = m_noSound.filePath("asound.conf");
        QFile config(alsaConfig);
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write("pcm.!default { type hw card 99 }\nctl.!default { type hw card 99 }\n");
        config.close();
        qputenv("ALSA_CONFIG_PATH", "/usr/share/alsa/alsa.conf:" + alsaConfig.toLocal8Bit());
        qputenv("PULSE_SERVER", QByteArray("unix:") + m_noSound.filePath("none").toLocal8Bit());
        qputenv("JACK_NO_START_SERVER", "1");
        QVERIFY2(m_relay.start(), qPrintable(m_relay.error()));
    }

    void withoutSoundServerTheCallGoesOn() {
        // Real devices requested, but this process has none (initTestCase): they cannot open.
        // The call must join all the same, and the page must say what is missing.
        Person anna(/*useDevices=*/true);
        QVERIFY(anna.start(createRequest(m_relay.address(), "Anna", false)));
        QVERIFY(anna.joined.wait(kJoinTimeoutMs));
        QTRY_VERIFY_WITH_TIMEOUT(!anna.deviceProblem.isEmpty(), 3000);
        auto* banner = anna.child<QWidget>("deviceBanner");
        QVERIFY(banner->isVisible());
        auto* text = anna.child<QLabel>("deviceBannerText");
        QCOMPARE(text->text(), anna.deviceProblem.last().first().toString());
        // Both are missing, and the banner says so for both (the speaker's message, the later
        // one, must not replace the microphone's).
        QVERIFY2(text->text().contains("microphone") && text->text().contains("speaker"),
                 qPrintable(text->text()));
        // Still a working call: a peer shows up.
        const QString link = anna.controller.inviteLink();
        auto peer = test::startCli({"join", link, "--name", "Bob", "--duration", "3"});
        QTRY_VERIFY_WITH_TIMEOUT(tileNamed(anna.page, "Bob") != nullptr, kRosterTimeoutMs);
        QVERIFY(peer->waitForFinished(15000));
    }

private:
    QTemporaryDir m_noSound;
    test::RelayProcess m_relay;
};

QTEST_MAIN(TestCallUiDevices)
#include "TestCallUiDevices.moc"
