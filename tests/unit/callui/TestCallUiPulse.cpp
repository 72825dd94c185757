// The call screen and the settings dialog with real audio devices: PortAudio through ALSA's
// pulse plugin to a private PulseAudio daemon (tests/support/PulseAudioServer.h; its default
// source hears a tone the test plays, its default sink is recorded). Asserts:
// - the settings dialog lists the devices, saves the choice, shows it again, and its meter
//   hears the chosen microphone; a remembered device that is gone stays listed and the system
//   default is used instead (in the dialog's meter and in a call);
// - a sound server that dies mid-call gives a visible message on the call screen while the
//   call goes on (still joined, still receiving through the relay); when it comes back the
//   devices recover and audio flows both ways again.
// Not in the sanitizer subset (PortAudio's ALSA plugins, see TestCallUiDevices.cpp).

#include "diyuma/audio/Goertzel.h"
#include "diyuma/audio/WavFile.h"

#include "CallUiHarness.h"
#include "PulseAudioServer.h"
#include "SettingsDialog.h"

#include <QtCore/QStandardPaths>
#include <QtCore/QTemporaryDir>
#include <QtWidgets/QComboBox>
#include <QtWidgets/QLabel>
#include <QtWidgets/QProgressBar>
#include <algorithm>

using namespace diyuma;
using namespace diyuma::test::callui;
using app::SettingsDialog;

namespace {

constexpr double kToneHz = 440.0;     // the app's microphone (the test's tone)
constexpr double kPeerToneHz = 620.0; // what the diyuma-cli peer sends
constexpr int kDeviceTimeoutMs = 10000;

float selfLevelDbfs(const CallController& controller) {
    for (const auto& p : controller.snapshot().participants)
        if (p.isSelf)
            return p.levelDbfs;
    return -100.0F;
}

/// Audio packets received from the participant called `name` (0 if none).
std::uint64_t packetsFrom(const CallController& controller, const std::string& name) {
    std::uint64_t packets = 0;
    for (const auto& remote : controller.snapshot().stats.remotes)
        if (remote.name == name)
            packets += remote.packetsReceived;
    return packets;
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

QString joinedMessages(const QSignalSpy& spy) {
    QStringList all;
    for (const auto& args : spy)
        all << args.first().toString();
    return all.join(" | ");
}

} // namespace

class TestCallUiPulse : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        // Before anything opens PortAudio: start() points HOME etc. at the private daemon.
        QVERIFY2(m_pulse.start(), qPrintable(m_pulse.error()));
        QVERIFY2(m_relay.start(), qPrintable(m_relay.error()));
    }

    void init() {
        if (!m_pulse.running())
            QVERIFY2(m_pulse.start(), qPrintable(m_pulse.error()));
        QVERIFY2(m_pulse.startTone(kToneHz, -12.0, 120), qPrintable(m_pulse.error()));
        app::AppSettings settings;
        settings.setInputDevice({});
        settings.setOutputDevice({});
        settings.setEchoCancellation(false); // a steady tone is what noise suppression removes
        settings.setJoinLeaveSounds(false);
    }

    void cleanup() { m_pulse.stopHelpers(); }

    void settingsListSaveAndShowTheChosenDevices() {
        app::AppSettings settings;
        CallController controller(settings);
        QString micName;
        QString speakerName;
        {
            SettingsDialog dialog(settings, &controller);
            dialog.show();
            auto* input = dialog.findChild<QComboBox*>("inputCombo");
            auto* output = dialog.findChild<QComboBox*>("outputCombo");
            QVERIFY(!dialog.findChild<QLabel*>("deviceMessageLabel")->isVisible());
            // Nothing chosen yet: the system default, and the real devices after it.
            QCOMPARE(input->currentData().toString(), QString());
            QVERIFY2(input->count() > 1, qPrintable(input->itemText(0)));
            QVERIFY(output->count() > 1);
            // The pulse plugin's device ("ALSA: pulse") goes to the daemon's default source.
            int pulseIn = -1;
            for (int i = 1; i < input->count(); ++i)
                if (input->itemData(i).toString().contains("pulse"))
                    pulseIn = i;
            QVERIFY2(pulseIn > 0, qPrintable(input->itemData(1).toString()));
            input->setCurrentIndex(pulseIn);
            micName = input->currentData().toString();
            QCOMPARE(settings.inputDevice(), micName);
            output->setCurrentIndex(output->count() - 1);
            speakerName = output->currentData().toString();
            QVERIFY(!speakerName.isEmpty());
            QCOMPARE(settings.outputDevice(), speakerName);
            // The meter listens to the chosen microphone: the tone (-12 dBFS) shows.
            auto* meter = dialog.findChild<QProgressBar*>("levelMeter");
            QTRY_VERIFY_WITH_TIMEOUT(meter->value() > 60, kDeviceTimeoutMs);
        }
        // Remembered: the next start of the app and a new dialog show the choice.
        QCOMPARE(app::AppSettings().inputDevice(), micName);
        QCOMPARE(app::AppSettings().outputDevice(), speakerName);
        SettingsDialog again(settings, &controller);
        again.show();
        QCOMPARE(again.findChild<QComboBox*>("inputCombo")->currentData().toString(), micName);
        QCOMPARE(again.findChild<QComboBox*>("outputCombo")->currentData().toString(), speakerName);
        QVERIFY(
            !again.findChild<QComboBox*>("inputCombo")->currentText().contains("not connected"));
    }

    void rememberedDeviceGoneFallsBackToTheDefault() {
        const QString goneMic = QStringLiteral("ALSA: USB Headset (gone)");
        const QString goneSpeaker = QStringLiteral("ALSA: USB Speaker (gone)");
        {
            app::AppSettings settings;
            settings.setInputDevice(goneMic);
            settings.setOutputDevice(goneSpeaker);
            CallController controller(settings);
            SettingsDialog dialog(settings, &controller);
            dialog.show();
            auto* input = dialog.findChild<QComboBox*>("inputCombo");
            QCOMPARE(input->currentData().toString(), goneMic);
            QVERIFY(input->currentText().contains("not connected"));
            QCOMPARE(dialog.findChild<QComboBox*>("outputCombo")->currentData().toString(),
                     goneSpeaker);
            // The meter opened the default microphone instead, without complaint.
            auto* meter = dialog.findChild<QProgressBar*>("levelMeter");
            QTRY_VERIFY_WITH_TIMEOUT(meter->value() > 60, kDeviceTimeoutMs);
            QVERIFY(!dialog.findChild<QLabel*>("deviceMessageLabel")->isVisible());
        }

        // A call with those settings uses the default devices: no problem to report, the
        // microphone hears the tone and the peer hears it through the relay.
        Person anna(/*useDevices=*/true);
        QCOMPARE(anna.settings.inputDevice(), goneMic);
        QVERIFY(anna.start(createRequest(m_relay.address(), "Anna", false)));
        QVERIFY(anna.joined.wait(kJoinTimeoutMs));
        QTRY_VERIFY_WITH_TIMEOUT(selfLevelDbfs(anna.controller) > -30.0F, kDeviceTimeoutMs);
        QVERIFY2(anna.deviceProblem.isEmpty(), qPrintable(joinedMessages(anna.deviceProblem)));
        QVERIFY(!anna.child<QWidget>("deviceBanner")->isVisible());
        QCOMPARE(anna.settings.inputDevice(), goneMic); // the choice is kept for when it returns
    }

    void soundServerGoneMidCallTheCallGoesOn() {
        Person anna(/*useDevices=*/true);
        QSignalSpy recovered(&anna.controller, &CallController::deviceRecovered);
        QVERIFY(anna.start(createRequest(m_relay.address(), "Anna", false)));
        QVERIFY(anna.joined.wait(kJoinTimeoutMs));
        QTRY_VERIFY_WITH_TIMEOUT(selfLevelDbfs(anna.controller) > -30.0F, kDeviceTimeoutMs);
        QVERIFY2(anna.deviceProblem.isEmpty(), qPrintable(joinedMessages(anna.deviceProblem)));
        auto peer = test::startCli({"join", anna.controller.inviteLink(), "--name", "Bob",
                                    "--send-audio", "tone:620", "--duration", "60"});
        QTRY_VERIFY_WITH_TIMEOUT(tileNamed(anna.page, "Bob") != nullptr, kRosterTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(packetsFrom(anna.controller, "Bob") > 50, kRosterTimeoutMs);

        // The sound server dies and stays away.
        m_pulse.killDaemon();
        QTRY_VERIFY_WITH_TIMEOUT(!anna.deviceProblem.isEmpty(), kDeviceTimeoutMs);
        auto* banner = anna.child<QWidget>("deviceBanner");
        auto* text = anna.child<QLabel>("deviceBannerText");
        QVERIFY(banner->isVisible());
        QCOMPARE(text->text(), anna.deviceProblem.last().first().toString());
        QVERIFY2(text->text().contains("stopped working"), qPrintable(text->text()));
        // The retries fail; the controller gives up on both devices and says so, the one
        // message not hiding the other (the banner shows the latest deviceProblem).
        QTRY_VERIFY2_WITH_TIMEOUT(text->text().contains("No microphone is available") &&
                                      text->text().contains("No speaker is available"),
                                  qPrintable(joinedMessages(anna.deviceProblem)), kDeviceTimeoutMs);
        QVERIFY(banner->isVisible());
        QCOMPARE(text->text(), anna.deviceProblem.last().first().toString());
        QCOMPARE(recovered.count(), 0);

        // The call goes on: still joined, Bob still there and still heard (packets arrive).
        const auto before = packetsFrom(anna.controller, "Bob");
        QTest::qWait(2000);
        QVERIFY(anna.controller.inCall());
        QVERIFY(anna.controller.snapshot().phase == core::CallPhase::InCall);
        QVERIFY(tileNamed(anna.page, "Bob") != nullptr);
        const auto after = packetsFrom(anna.controller, "Bob");
        QVERIFY2(after > before + 50, qPrintable(QString("%1 -> %2").arg(before).arg(after)));
        QCOMPARE(anna.failed.count(), 0);

        // Leaving without devices is clean too.
        anna.controller.leave();
        QTRY_COMPARE_WITH_TIMEOUT(anna.ended.count(), 1, 3000);
        peer->terminate();
        QVERIFY(peer->waitForFinished(10000));
    }

    void soundServerBackTheDevicesRecover() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        m_pulse.stopTone(); // the tone starts only once the devices are back
        Person anna(/*useDevices=*/true);
        QSignalSpy recovered(&anna.controller, &CallController::deviceRecovered);
        QVERIFY(anna.start(createRequest(m_relay.address(), "Anna", false)));
        QVERIFY(anna.joined.wait(kJoinTimeoutMs));
        const QString heard = dir.filePath("heard");
        auto peer =
            test::startCli({"join", anna.controller.inviteLink(), "--name", "Bob", "--send-audio",
                            "tone:620", "--record-audio", heard, "--duration", "60"});
        QTRY_VERIFY_WITH_TIMEOUT(packetsFrom(anna.controller, "Bob") > 50, kRosterTimeoutMs);
        QVERIFY2(anna.deviceProblem.isEmpty(), qPrintable(joinedMessages(anna.deviceProblem)));

        // The sound server crashes and is back at once (as a desktop session restarts it):
        // the streams are broken all the same, and the controller reopens them.
        m_pulse.killDaemon();
        QVERIFY2(m_pulse.start(), qPrintable(m_pulse.error()));
        QTRY_VERIFY_WITH_TIMEOUT(!anna.deviceProblem.isEmpty(), kDeviceTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(recovered.count() >= 2, kDeviceTimeoutMs); // mic and speaker
        QVERIFY2(recovered.last().first().toString().contains("works again"),
                 qPrintable(joinedMessages(recovered)));
        auto* text = anna.child<QLabel>("deviceBannerText");
        QVERIFY(anna.child<QWidget>("deviceBanner")->isVisible());
        QCOMPARE(text->text(), recovered.last().first().toString());
        // The recovered message goes away on its own.
        QTRY_VERIFY_WITH_TIMEOUT(!anna.child<QWidget>("deviceBanner")->isVisible(), 8000);

        // Audio flows both ways again: the microphone hears the tone and Bob hears it; Bob's
        // tone reaches the speaker.
        QVERIFY2(m_pulse.startTone(kToneHz, -12.0, 60), qPrintable(m_pulse.error()));
        const QString speaker = dir.filePath("speaker.wav");
        QVERIFY2(m_pulse.startRecording(speaker), qPrintable(m_pulse.error()));
        QTRY_VERIFY_WITH_TIMEOUT(selfLevelDbfs(anna.controller) > -30.0F, kDeviceTimeoutMs);
        QTest::qWait(3000);
        m_pulse.stopRecording();
        QVERIFY(anna.controller.inCall());
        QCOMPARE(anna.failed.count(), 0);
        peer->terminate();
        QVERIFY(peer->waitForFinished(10000));
        QCOMPARE(peer->exitCode(), 0);
        const double atPeer = loudestSecond(heard + "/Anna.wav", kToneHz);
        QVERIFY2(atPeer > -30.0, qPrintable(QString("440 Hz at the peer: %1 dBFS").arg(atPeer)));
        const double atSpeaker = loudestSecond(speaker, kPeerToneHz);
        QVERIFY2(atSpeaker > -30.0,
                 qPrintable(QString("620 Hz on the speaker: %1 dBFS").arg(atSpeaker)));
    }

private:
    test::PulseAudioServer m_pulse;
    test::RelayProcess m_relay;
};

QTEST_MAIN(TestCallUiPulse)
#include "TestCallUiPulse.moc"
