// AppSettings: defaults, a round trip through the file, and change notifications. QSettings
// is pointed at a temporary folder so the test never touches a person's configuration.

#include "AppSettings.h"

#include <QtCore/QSettings>
#include <QtCore/QTemporaryDir>
#include <QtTest/QSignalSpy>
#include <QtTest/QtTest>

using diyuma::app::AppSettings;

class TestAppSettings : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_dir.path());
    }

    void defaultsBeforeAnythingIsChosen() {
        AppSettings settings;
        QVERIFY(settings.displayName().isEmpty());
        QCOMPARE(settings.relay(), AppSettings::defaultRelay());
        QCOMPARE(settings.relay(), QStringLiteral("127.0.0.1:47400"));
        QVERIFY(!settings.privateViewByDefault());
        QVERIFY(settings.inputDevice().isEmpty());
        QVERIFY(settings.outputDevice().isEmpty());
        QVERIFY(settings.echoCancellation());
        QVERIFY(!settings.pushToTalk());
        QVERIFY(settings.joinLeaveSounds());
        QVERIFY(settings.language().isEmpty());
        QVERIFY(settings.videoSource().isEmpty()); // the default camera
        QCOMPARE(settings.videoSize(), QSize(640, 360));
        QVERIFY(settings.cameraOnAtStart());
        QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("Diyuma/Diyuma Conference.conf"))));
    }

    void roundTripThroughTheFile() {
        {
            AppSettings settings;
            settings.setDisplayName(QStringLiteral("Алиса"));
            settings.setRelay(QStringLiteral(" relay.example.org:9000 "));
            settings.setPrivateViewByDefault(true);
            settings.setInputDevice(QStringLiteral("ALSA: USB Mic"));
            settings.setOutputDevice(QStringLiteral("ALSA: Headphones"));
            settings.setEchoCancellation(false);
            settings.setPushToTalk(true);
            settings.setJoinLeaveSounds(false);
            settings.setLanguage(QStringLiteral("ru"));
            settings.setVideoSource(QStringLiteral("pattern"));
            settings.setVideoSize(QSize(1280, 720));
            settings.setCameraOnAtStart(false);
        }
        const QString file = m_dir.filePath(QStringLiteral("Diyuma/Diyuma Conference.conf"));
        QVERIFY2(QFile::exists(file), qPrintable(file));
        // A separate QSettings reads what was written, as the next run would.
        QSettings raw(file, QSettings::IniFormat);
        QCOMPARE(raw.value(QStringLiteral("profile/displayName")).toString(),
                 QStringLiteral("Алиса"));

        AppSettings again;
        QCOMPARE(again.displayName(), QStringLiteral("Алиса"));
        QCOMPARE(again.relay(), QStringLiteral("relay.example.org:9000"));
        QVERIFY(again.privateViewByDefault());
        QCOMPARE(again.inputDevice(), QStringLiteral("ALSA: USB Mic"));
        QCOMPARE(again.outputDevice(), QStringLiteral("ALSA: Headphones"));
        QVERIFY(!again.echoCancellation());
        QVERIFY(again.pushToTalk());
        QVERIFY(!again.joinLeaveSounds());
        QCOMPARE(again.language(), QStringLiteral("ru"));
        QCOMPARE(again.videoSource(), QStringLiteral("pattern"));
        QCOMPARE(again.videoSize(), QSize(1280, 720));
        QVERIFY(!again.cameraOnAtStart());

        // Back to "follow the system" and the default relay.
        again.setLanguage(QString());
        again.setRelay(QString());
        AppSettings third;
        QVERIFY(third.language().isEmpty());
        QCOMPARE(third.relay(), AppSettings::defaultRelay());
    }

    void unknownLanguageMeansSystem() {
        AppSettings settings;
        settings.setLanguage(QStringLiteral("de"));
        QVERIFY(settings.language().isEmpty());
        // A hand-edited file with nonsense is read as "system" too.
        QSettings(QSettings::NativeFormat, QSettings::UserScope, QStringLiteral("Diyuma"),
                  QStringLiteral("Diyuma Conference"))
            .setValue(QStringLiteral("ui/language"), QStringLiteral("xx"));
        QVERIFY(settings.language().isEmpty());
    }

    void unknownVideoChoicesMeanTheDefaults() {
        AppSettings settings;
        settings.setVideoSource(QStringLiteral("camera:/dev/video2"));
        QCOMPARE(settings.videoSource(), QStringLiteral("camera:/dev/video2"));
        for (const char* nonsense : {"camera:", "webcam", "patterns"}) {
            settings.setVideoSource(QString::fromLatin1(nonsense));
            QVERIFY2(settings.videoSource().isEmpty(), nonsense);
        }
        settings.setVideoSize(QSize(333, 111));
        QCOMPARE(settings.videoSize(), QSize(640, 360));
    }

    void changedOnlyWhenSomethingChanged() {
        AppSettings settings;
        settings.setPushToTalk(false);
        settings.setDisplayName(QStringLiteral("Bob"));
        QSignalSpy spy(&settings, &AppSettings::changed);
        settings.setPushToTalk(false);
        settings.setDisplayName(QStringLiteral("Bob"));
        QCOMPARE(spy.count(), 0);
        settings.setPushToTalk(true);
        QCOMPARE(spy.count(), 1);
        settings.setDisplayName(QStringLiteral("Carol"));
        QCOMPARE(spy.count(), 2);
        // Another AppSettings object sees the change at once (same process, same file).
        AppSettings other;
        QVERIFY(other.pushToTalk());
        QCOMPARE(other.displayName(), QStringLiteral("Carol"));
    }
};

QTEST_GUILESS_MAIN(TestAppSettings)
#include "TestAppSettings.moc"
