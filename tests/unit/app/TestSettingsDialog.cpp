// The settings dialog without a sound system (no CallController: the dialog offers the other
// settings and says why there are no devices): every choice is saved at once, a new dialog
// shows what was saved, a remembered device that is not there stays visible instead of being
// forgotten, and the saved language is the one the app starts in (diyuma --help translated).
// The device lists, the meter and the fallback to the default devices with a real sound
// server are in tests/unit/callui/TestCallUiPulse.cpp.

#include "AppSettings.h"
#include "SettingsDialog.h"

#include <QtCore/QProcess>
#include <QtCore/QStandardPaths>
#include <QtTest/QtTest>
#include <QtWidgets/QCheckBox>
#include <QtWidgets/QComboBox>
#include <QtWidgets/QLabel>
#include <QtWidgets/QPushButton>
#include <memory>

using diyuma::app::AppSettings;
using diyuma::app::SettingsDialog;

class TestSettingsDialog : public QObject {
    Q_OBJECT
    std::unique_ptr<AppSettings> m_settings;

    std::unique_ptr<SettingsDialog> openDialog() {
        auto dialog = std::make_unique<SettingsDialog>(*m_settings, nullptr);
        dialog->show();
        return dialog;
    }
    template <typename T>
    static T* find(QWidget& dialog, const char* name) {
        auto* widget = dialog.findChild<T*>(QString::fromLatin1(name));
        if (!widget)
            qFatal("no widget named %s", name);
        return widget;
    }
    static int indexOfData(QComboBox* combo, const QString& data) { return combo->findData(data); }

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void init() {
        m_settings = std::make_unique<AppSettings>();
        m_settings->setInputDevice({});
        m_settings->setOutputDevice({});
        m_settings->setLanguage({});
        m_settings->setEchoCancellation(true);
        m_settings->setPushToTalk(false);
        m_settings->setJoinLeaveSounds(true);
        m_settings->setVideoSource({});
        m_settings->setVideoSize(QSize(640, 360));
        m_settings->setDataSaver(false);
    }

    void dataSaverIsSavedAndSaysWhatItDoes() {
        m_settings->setVideoSize(QSize(1280, 720));
        {
            auto dialog = openDialog();
            auto* saver = find<QCheckBox>(*dialog, "dataSaverCheck");
            QVERIFY(!saver->isChecked());
            QVERIFY2(saver->text().contains("640 × 360"), qPrintable(saver->text()));
            QVERIFY2(saver->toolTip().contains("received") && saver->toolTip().contains("sent"),
                     qPrintable(saver->toolTip()));
            // When it takes effect is said under the video settings.
            const QString hint = find<QLabel>(*dialog, "videoHintLabel")->text();
            QVERIFY2(hint.contains("at once") && hint.contains("next call"), qPrintable(hint));
            saver->setChecked(true);
            QVERIFY(m_settings->dataSaver());
        }
        // The quality stays as chosen (the call caps what it sends, TestCallUiTiers).
        QCOMPARE(m_settings->videoSize(), QSize(1280, 720));
        auto again = openDialog();
        QVERIFY(find<QCheckBox>(*again, "dataSaverCheck")->isChecked());
        find<QCheckBox>(*again, "dataSaverCheck")->setChecked(false);
        QVERIFY(!m_settings->dataSaver());
    }

    void videoSourceAndQualityAreSaved() {
        {
            auto dialog = openDialog();
            auto* camera = find<QComboBox>(*dialog, "cameraCombo");
            // The system default first, then the cameras, the test pattern and "No video".
            QCOMPARE(camera->currentIndex(), 0);
            QVERIFY(camera->itemData(0).toString().isEmpty());
            QCOMPARE(camera->itemData(camera->count() - 1).toString(), QStringLiteral("none"));
            QCOMPARE(camera->itemData(camera->count() - 2).toString(), QStringLiteral("pattern"));
            camera->setCurrentIndex(camera->count() - 2);
            QCOMPARE(m_settings->videoSource(), QStringLiteral("pattern"));
            auto* size = find<QComboBox>(*dialog, "videoSizeCombo");
            QCOMPARE(size->currentData().toSize(), QSize(640, 360));
            size->setCurrentIndex(size->findData(QSize(1280, 720)));
            QCOMPARE(m_settings->videoSize(), QSize(1280, 720));
        }
        auto again = openDialog();
        QCOMPARE(find<QComboBox>(*again, "cameraCombo")->currentData().toString(),
                 QStringLiteral("pattern"));
        QCOMPARE(find<QComboBox>(*again, "videoSizeCombo")->currentData().toSize(),
                 QSize(1280, 720));
    }

    void rememberedCameraThatIsGoneStaysVisible() {
        m_settings->setVideoSource(QStringLiteral("camera:/dev/video9"));
        auto dialog = openDialog();
        auto* camera = find<QComboBox>(*dialog, "cameraCombo");
        QCOMPARE(camera->currentData().toString(), QStringLiteral("camera:/dev/video9"));
        QVERIFY2(camera->currentText().contains("not connected"),
                 qPrintable(camera->currentText()));
        QCOMPARE(m_settings->videoSource(), QStringLiteral("camera:/dev/video9")); // not forgotten
        camera->setCurrentIndex(0);
        QVERIFY(m_settings->videoSource().isEmpty());
    }

    void withoutSoundSystemItSaysSo() {
        auto dialog = openDialog();
        auto* message = find<QLabel>(*dialog, "deviceMessageLabel");
        QVERIFY(message->isVisible());
        QVERIFY2(message->text().contains("not available"), qPrintable(message->text()));
        // Only the system default is offered, and selected: nothing was chosen.
        for (const char* name : {"inputCombo", "outputCombo"}) {
            auto* combo = find<QComboBox>(*dialog, name);
            QCOMPARE(combo->count(), 1);
            QCOMPARE(combo->currentText(), QString("System default"));
            QCOMPARE(combo->currentData().toString(), QString());
        }
        QVERIFY(!find<QPushButton>(*dialog, "testSoundButton")->isEnabled());
    }

    void rememberedDeviceStaysVisibleAndCanBeReset() {
        const QString mic = QStringLiteral("ALSA: USB Headset (unplugged)");
        const QString speaker = QStringLiteral("ALSA: HDMI 2");
        m_settings->setInputDevice(mic);
        m_settings->setOutputDevice(speaker);
        auto dialog = openDialog();
        auto* input = find<QComboBox>(*dialog, "inputCombo");
        auto* output = find<QComboBox>(*dialog, "outputCombo");
        // Not in the (empty) device list: listed as not connected, selected, not forgotten.
        QCOMPARE(input->currentData().toString(), mic);
        QCOMPARE(input->currentText(), mic + " (not connected)");
        QCOMPARE(output->currentData().toString(), speaker);
        QCOMPARE(m_settings->inputDevice(), mic);
        QCOMPARE(m_settings->outputDevice(), speaker);

        // Back to the system default: saved at once.
        input->setCurrentIndex(indexOfData(input, QString()));
        QCOMPARE(m_settings->inputDevice(), QString());
        QCOMPARE(m_settings->outputDevice(), speaker);
        output->setCurrentIndex(indexOfData(output, QString()));
        QCOMPARE(m_settings->outputDevice(), QString());
        dialog.reset();
        dialog = openDialog();
        QCOMPARE(find<QComboBox>(*dialog, "inputCombo")->count(), 1); // the old entry is gone
        QCOMPARE(find<QComboBox>(*dialog, "inputCombo")->currentData().toString(), QString());
    }

    void choicesAreSavedAndShownAgain() {
        auto dialog = openDialog();
        auto* echo = find<QCheckBox>(*dialog, "echoCancellationCheck");
        auto* ptt = find<QCheckBox>(*dialog, "pushToTalkCheck");
        auto* sounds = find<QCheckBox>(*dialog, "joinLeaveSoundsCheck");
        QVERIFY(echo->isChecked());
        QVERIFY(!ptt->isChecked());
        QVERIFY(sounds->isChecked());
        echo->click();
        ptt->click();
        sounds->click();
        QVERIFY(!m_settings->echoCancellation());
        QVERIFY(m_settings->pushToTalk());
        QVERIFY(!m_settings->joinLeaveSounds());

        dialog.reset();
        AppSettings fresh; // what the next start of the app reads
        QVERIFY(!fresh.echoCancellation());
        QVERIFY(fresh.pushToTalk());
        QVERIFY(!fresh.joinLeaveSounds());
        dialog = openDialog();
        QVERIFY(!find<QCheckBox>(*dialog, "echoCancellationCheck")->isChecked());
        QVERIFY(find<QCheckBox>(*dialog, "pushToTalkCheck")->isChecked());
        QVERIFY(!find<QCheckBox>(*dialog, "joinLeaveSoundsCheck")->isChecked());
    }

    void languageIsSaved() {
        auto dialog = openDialog();
        auto* language = find<QComboBox>(*dialog, "languageCombo");
        QCOMPARE(language->currentData().toString(), QString()); // follows the system
        language->setCurrentIndex(indexOfData(language, "ru"));
        QCOMPARE(language->currentText(), QString("Русский"));
        QCOMPARE(m_settings->language(), QString("ru"));
        dialog.reset();
        QCOMPARE(AppSettings().language(), QString("ru"));
        dialog = openDialog();
        language = find<QComboBox>(*dialog, "languageCombo");
        QCOMPARE(language->currentData().toString(), QString("ru"));

        // The app reads it at start: its help is Russian now (the same settings file, through
        // XDG_CONFIG_HOME), and English again after "English" is chosen.
        const auto help = [] {
            QProcess app;
            auto env = QProcessEnvironment::systemEnvironment();
            env.insert("XDG_CONFIG_HOME",
                       QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation));
            env.insert("LANG", "C.UTF-8");
            env.remove("LANGUAGE");
            env.remove("LC_ALL");
            env.remove("LC_MESSAGES");
            app.setProcessEnvironment(env);
            app.start(qEnvironmentVariable("DIYUMA_BIN_DIR") + "/app/diyuma", {"--help"});
            if (!app.waitForFinished(10000))
                return QString("(the app did not finish)");
            return QString::fromUtf8(app.readAllStandardOutput());
        };
        const QString russian = help();
        QVERIFY2(russian.contains(QString::fromUtf8("Показать")), qPrintable(russian));

        language->setCurrentIndex(indexOfData(language, "en"));
        QCOMPARE(m_settings->language(), QString("en"));
        const QString english = help();
        QVERIFY2(english.contains("Show this help and exit."), qPrintable(english));

        language->setCurrentIndex(indexOfData(language, QString()));
        QCOMPARE(m_settings->language(), QString());
    }
};

QTEST_MAIN(TestSettingsDialog)
#include "TestSettingsDialog.moc"
