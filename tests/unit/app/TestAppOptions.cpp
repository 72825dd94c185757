// The app's command line and the input checks it shares with the home screen.

#include "AppOptions.h"

#include <QtCore/QFile>
#include <QtCore/QTranslator>
#include <QtTest/QtTest>

using diyuma::app::AppOptions;
using diyuma::app::InputChecks;
using diyuma::app::kUsageExitCode;
using diyuma::app::parseAppOptions;

namespace {
diyuma::app::ParsedCommandLine parse(QStringList args) {
    args.prepend(QStringLiteral("diyuma"));
    return parseAppOptions(args);
}
} // namespace

class TestAppOptions : public QObject {
    Q_OBJECT
private slots:
    void noArgumentsOpensHome() {
        const auto parsed = parse({});
        QVERIFY(parsed.options);
        QCOMPARE(parsed.exitCode, 0);
        QVERIFY(parsed.options->linkOrId.isEmpty());
        QVERIFY(parsed.options->name.isEmpty());
        QVERIFY(parsed.options->relay.isEmpty());
        QVERIFY(!parsed.options->newInstance);
    }

    void helpPrintsUsageAndExitsZero() {
        for (const char* flag : {"--help", "-h"}) {
            const auto parsed = parse({QString::fromLatin1(flag)});
            QVERIFY(!parsed.options);
            QCOMPARE(parsed.exitCode, 0);
            QVERIFY(parsed.err.isEmpty());
            QVERIFY2(parsed.out.contains(QLatin1String("Usage:")), qPrintable(parsed.out));
            for (const char* option :
                 {"--name", "--relay", "--new-instance", "--version", "LINK_OR_ID"})
                QVERIFY2(parsed.out.contains(QLatin1String(option)), option);
        }
    }

    void versionPrintsVersion() {
        const auto parsed = parse({QStringLiteral("--version")});
        QVERIFY(!parsed.options);
        QCOMPARE(parsed.exitCode, 0);
        QCOMPARE(parsed.out, QStringLiteral("diyuma %1\n").arg(QStringLiteral(DIYUMA_VERSION)));
    }

    void badArgumentsExitTwoWithOneLine_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("unknown option") << QStringList{"--bogus"} << "bogus";
        QTest::newRow("name without value") << QStringList{"--name"} << "name";
        QTest::newRow("empty name") << QStringList{"--name", "  "} << "Enter your name";
        QTest::newRow("name 65 bytes")
            << QStringList{"--name", QString(65, QLatin1Char('a'))} << "too long";
        // 33 Cyrillic letters are 66 bytes of UTF-8 although only 33 characters.
        QTest::newRow("name 66 bytes cyrillic")
            << QStringList{"--name", QString(33, QChar(0x0416))} << "too long";
        QTest::newRow("name with control character")
            << QStringList{"--name", QStringLiteral("a\tb")} << "control";
        QTest::newRow("bad relay port") << QStringList{"--relay", "host:99999"} << "--relay";
        QTest::newRow("bad relay host") << QStringList{"--relay", "a b"} << "not a relay address";
        QTest::newRow("two relays")
            << QStringList{"--relay", "a:1", "--relay", "b:2"} << "more than once";
        QTest::newRow("two links")
            << QStringList{"7HKQ-2M9X-4DRA", "7HKQ-2M9X-4DRB"} << "at most one";
        QTest::newRow("not an id") << QStringList{"hello"} << "not a conference ID or invite link";
        QTest::newRow("other scheme")
            << QStringList{"https://example.org/7HKQ-2M9X-4DRA"} << "not a Diyuma invite link";
        QTest::newRow("link with bad relay")
            << QStringList{"diyuma://a b:1/7HKQ-2M9X-4DRA"} << "relay address";
        QTest::newRow("damaged admin link")
            << QStringList{"diyuma://h:1/7HKQ-2M9X-4DRA?admin=ZZ"} << "admin part";
    }
    void badArgumentsExitTwoWithOneLine() {
        QFETCH(QStringList, args);
        QFETCH(QString, mentions);
        const auto parsed = parse(args);
        QVERIFY(!parsed.options);
        QCOMPARE(parsed.exitCode, kUsageExitCode);
        QVERIFY(parsed.out.isEmpty());
        QVERIFY2(parsed.err.startsWith(QLatin1String("diyuma: error: ")), qPrintable(parsed.err));
        QVERIFY2(parsed.err.contains(mentions), qPrintable(parsed.err));
        QVERIFY2(parsed.err.contains(QLatin1String("diyuma --help")), qPrintable(parsed.err));
        QCOMPARE(parsed.err.count(QLatin1Char('\n')), 1);
        QVERIFY(parsed.err.endsWith(QLatin1Char('\n')));
    }

    void linkAndIdAreAccepted_data() {
        QTest::addColumn<QString>("argument");
        QTest::newRow("link") << "diyuma://relay.example.org:5000/7HKQ-2M9X-4DRA";
        diyuma::core::Invite admin;
        admin.relay = {"::1", 47400};
        admin.id = diyuma::core::ConferenceId(0x123456789ABCDEFULL);
        admin.adminSecret = diyuma::core::wire::AdminSecret{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        QTest::newRow("admin link") << QString::fromStdString(admin.adminLink());
        QTest::newRow("id") << "7HKQ-2M9X-4DRA";
        QTest::newRow("id forgiving case and look-alikes") << "  7hkq-2m9x-4drA ";
    }
    void linkAndIdAreAccepted() {
        QFETCH(QString, argument);
        const auto parsed = parse({argument, QStringLiteral("--name"), QStringLiteral("Алиса"),
                                   QStringLiteral("--new-instance")});
        QVERIFY2(parsed.options, qPrintable(parsed.err));
        QCOMPARE(parsed.options->linkOrId, argument.trimmed());
        QCOMPARE(parsed.options->name, QStringLiteral("Алиса"));
        QVERIFY(parsed.options->newInstance);
    }

    void nameOf64BytesIsAccepted() {
        const QString name(32, QChar(0x0416)); // 64 bytes
        const auto parsed = parse({QStringLiteral("--name"), QStringLiteral("  ") + name});
        QVERIFY2(parsed.options, qPrintable(parsed.err));
        QCOMPARE(parsed.options->name, name);
    }

    void relayIsNormalised() {
        auto parsed = parse({QStringLiteral("--relay"), QStringLiteral("[::1]")});
        QVERIFY2(parsed.options, qPrintable(parsed.err));
        QCOMPARE(parsed.options->relay, QStringLiteral("[::1]:47400"));
        parsed = parse(
            {QStringLiteral("--relay=relay.example.org:9000"), QStringLiteral("7HKQ2M9X4DRA")});
        QVERIFY2(parsed.options, qPrintable(parsed.err));
        QCOMPARE(parsed.options->relay, QStringLiteral("relay.example.org:9000"));
        QCOMPARE(parsed.options->linkOrId, QStringLiteral("7HKQ2M9X4DRA"));
    }

    void qtsOwnOptionsAreLeftToQt() {
        // We parse argv before QApplication takes its options out.
        const auto parsed = parse({QStringLiteral("-platform"), QStringLiteral("offscreen"),
                                   QStringLiteral("--name"), QStringLiteral("Bob"),
                                   QStringLiteral("-style"), QStringLiteral("Fusion"),
                                   QStringLiteral("-reverse"), QStringLiteral("7HKQ-2M9X-4DRA")});
        QVERIFY2(parsed.options, qPrintable(parsed.err));
        QCOMPARE(parsed.options->name, QStringLiteral("Bob"));
        QCOMPARE(parsed.options->linkOrId, QStringLiteral("7HKQ-2M9X-4DRA"));
        // ...and stay out of the help.
        const auto help = parse({QStringLiteral("--help")});
        QVERIFY(!help.out.contains(QLatin1String("platform")));
        QVERIFY(help.out.startsWith(QLatin1String("Usage: diyuma ")));
    }

    void checksSayWhatIsWrong() {
        QVERIFY(InputChecks::checkDisplayName(QStringLiteral("Bob")).isEmpty());
        QVERIFY(InputChecks::checkDisplayName(QString()).contains(QLatin1String("name")));

        QString error;
        QVERIFY(!InputChecks::parseRelay(QString(), &error));
        QVERIFY(error.contains(QLatin1String("relay address")));
        const auto relay = InputChecks::parseRelay(QStringLiteral(" example.org:1234 "), &error);
        QVERIFY(relay);
        QCOMPARE(relay->host, std::string("example.org"));
        QCOMPARE(relay->port, 1234);

        const diyuma::core::RelayAddress fallback{"fallback.example", 4000};
        auto invite =
            InputChecks::parseLinkOrId(QStringLiteral("7HKQ-2M9X-4DRA"), fallback, &error);
        QVERIFY(invite);
        QCOMPARE(invite->relay, fallback);
        QCOMPARE(QString::fromStdString(invite->id.toString()), QStringLiteral("7HKQ-2M9X-4DRA"));
        invite = InputChecks::parseLinkOrId(QStringLiteral("diyuma://other:5/7HKQ-2M9X-4DRA"),
                                            fallback, &error);
        QVERIFY(invite);
        QCOMPARE(invite->relay.host, std::string("other"));
        QCOMPARE(invite->relay.port, 5);

        QVERIFY(!InputChecks::parseLinkOrId(QString(), fallback, &error));
        QVERIFY(error.contains(QLatin1String("Enter a conference ID")));
        // A pasted wall of text is cut in the message.
        QVERIFY(!InputChecks::parseLinkOrId(QString(500, QLatin1Char('x')), fallback, &error));
        QVERIFY(error.size() < 250);
    }

    void russianTranslationIsBuiltInAndComplete() {
        QTranslator russian;
        QVERIFY(russian.load(QStringLiteral(":/i18n/diyuma_ru.qm")));
        QVERIFY(QCoreApplication::installTranslator(&russian));
        const QString message = InputChecks::checkDisplayName(QString());
        const auto help = parse({QStringLiteral("--help")});
        QCoreApplication::removeTranslator(&russian);
        QCOMPARE(message,
                 QStringLiteral("Введите своё имя: его увидят остальные участники звонка."));
        QVERIFY2(help.out.contains(QStringLiteral("Показать версию и выйти.")),
                 qPrintable(help.out));
        // Widgets' contexts are named with their namespace, as moc names the classes.
        QCOMPARE(russian.translate("diyuma::app::HomePage", "Start new conference"),
                 QStringLiteral("Начать конференцию"));
        QCOMPARE(russian.translate("diyuma::app::SettingsDialog", "Play test sound"),
                 QStringLiteral("Проверить звук"));

        // Every message in the source .ts has a translation (run lupdate, then translate).
        const QByteArray sourceDir = qgetenv("DIYUMA_SOURCE_DIR");
        if (sourceDir.isEmpty())
            QSKIP("DIYUMA_SOURCE_DIR is not set (ctest sets it)");
        QFile ts(QString::fromLocal8Bit(sourceDir) +
                 QStringLiteral("/app/translations/diyuma_ru.ts"));
        QVERIFY(ts.open(QIODevice::ReadOnly));
        const QByteArray xml = ts.readAll();
        QVERIFY(xml.count("<message") > 100);
        QCOMPARE(xml.count("type=\"unfinished\""), 0);
    }
};

QTEST_GUILESS_MAIN(TestAppOptions)
#include "TestAppOptions.moc"
