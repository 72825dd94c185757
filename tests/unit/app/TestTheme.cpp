// Theme: judging a light or dark desktop from its palette, our palettes judged the same way,
// the override, the style sheet and the icons the call screen asks for.

#include "Theme.h"

#include <QtGui/QImage>
#include <QtSvg/QSvgRenderer>
#include <QtTest/QtTest>
#include <QtWidgets/QApplication>
#include <QtWidgets/QStyle>

using diyuma::app::ColorScheme;

namespace {

QPalette paletteWith(const QColor& window, const QColor& text) {
    QPalette palette;
    palette.setColor(QPalette::Window, window);
    palette.setColor(QPalette::WindowText, text);
    return palette;
}

} // namespace

class TestTheme : public QObject {
    Q_OBJECT
private slots:
    void init() { qunsetenv("DIYUMA_COLOR_SCHEME"); }

    void judgesFromThePalette_data() {
        QTest::addColumn<QColor>("window");
        QTest::addColumn<QColor>("text");
        QTest::addColumn<bool>("dark");
        QTest::newRow("Adwaita light") << QColor("#f6f5f4") << QColor("#2e3436") << false;
        QTest::newRow("Adwaita dark") << QColor("#353535") << QColor("#eeeeec") << true;
        QTest::newRow("Breeze dark") << QColor("#202326") << QColor("#fcfcfc") << true;
        QTest::newRow("mid grey, white text") << QColor(128, 128, 128) << QColor(Qt::white) << true;
        QTest::newRow("mid grey, black text")
            << QColor(128, 128, 128) << QColor(Qt::black) << false;
        QTest::newRow("broken: same colours, dark")
            << QColor("#222222") << QColor("#222222") << true;
        QTest::newRow("broken: same colours, light")
            << QColor("#dddddd") << QColor("#dddddd") << false;
    }
    void judgesFromThePalette() {
        QFETCH(QColor, window);
        QFETCH(QColor, text);
        QFETCH(bool, dark);
        QCOMPARE(diyuma::app::judgeColorScheme(paletteWith(window, text)),
                 dark ? ColorScheme::Dark : ColorScheme::Light);
    }

    void ourPalettesAreWhatTheySayTheyAre() {
        for (auto scheme : {ColorScheme::Light, ColorScheme::Dark}) {
            const QPalette palette = diyuma::app::themePalette(scheme);
            QCOMPARE(diyuma::app::judgeColorScheme(palette), scheme);
            // Text must stand out from its background in both.
            const int window = palette.color(QPalette::Window).lightness();
            const int text = palette.color(QPalette::WindowText).lightness();
            QVERIFY(std::abs(window - text) > 150);
            const int base = palette.color(QPalette::Base).lightness();
            QVERIFY(std::abs(base - palette.color(QPalette::Text).lightness()) > 150);
            QCOMPARE(palette.color(QPalette::Highlight), diyuma::app::accentColor(scheme));
        }
    }

    void environmentOverrides() {
        const QPalette light = paletteWith(Qt::white, Qt::black);
        qputenv("DIYUMA_COLOR_SCHEME", "dark");
        QCOMPARE(diyuma::app::chooseColorScheme(light), ColorScheme::Dark);
        qputenv("DIYUMA_COLOR_SCHEME", "Light");
        QCOMPARE(diyuma::app::chooseColorScheme(paletteWith(Qt::black, Qt::white)),
                 ColorScheme::Light);
        qputenv("DIYUMA_COLOR_SCHEME", "purple");
        QCOMPARE(diyuma::app::chooseColorScheme(light), ColorScheme::Light);
    }

    void styleSheetIsComplete() {
        for (auto scheme : {ColorScheme::Light, ColorScheme::Dark}) {
            const QString sheet = diyuma::app::themeStyleSheet(scheme);
            QVERIFY2(!sheet.contains(QLatin1Char('@')), "a placeholder was left unreplaced");
            QVERIFY(sheet.contains(diyuma::app::accentColor(scheme).name()));
            QCOMPARE(sheet.count(QLatin1Char('{')), sheet.count(QLatin1Char('}')));
        }
    }

    void applyThemeUsesFusionAndThePalette() {
        qputenv("DIYUMA_COLOR_SCHEME", "dark");
        auto* app = qobject_cast<QApplication*>(QCoreApplication::instance());
        QVERIFY(app);
        QCOMPARE(diyuma::app::applyTheme(*app), ColorScheme::Dark);
        QCOMPARE(diyuma::app::currentColorScheme(), ColorScheme::Dark);
        QVERIFY(!app->styleSheet().isEmpty());
        // Under the style sheet (which wraps the style) lies Fusion.
        app->setStyleSheet(QString());
        QCOMPARE(QApplication::style()->metaObject()->className(), "QFusionStyle");
        QCOMPARE(QApplication::palette().color(QPalette::Window),
                 diyuma::app::themePalette(ColorScheme::Dark).color(QPalette::Window));
    }

    void everyIconTheCallScreenNeedsIsThere() {
        for (const char* name : {"diyuma", "mic", "mic-off", "phone-hangup", "link", "settings",
                                 "people", "signal", "speaker", "chevron-down", "check"}) {
            const QString path = QStringLiteral(":/icons/%1.svg").arg(QLatin1String(name));
            QVERIFY2(QFile::exists(path), qPrintable(path));
            QSvgRenderer renderer(path);
            QVERIFY2(renderer.isValid(), qPrintable(path));
            QVERIFY(!QIcon(path).pixmap(24, 24).isNull());
        }
    }

    void themedIconTakesTheColour() {
        const QColor red(250, 0, 0);
        const QIcon icon = diyuma::app::themedIcon(QStringLiteral("mic"), red);
        QVERIFY(!icon.isNull());
        const QImage image = icon.pixmap(48, 48).toImage();
        int reddish = 0;
        int neutral = 0;
        for (int y = 0; y < image.height(); ++y) {
            for (int x = 0; x < image.width(); ++x) {
                const QColor c = image.pixelColor(x, y);
                if (c.alpha() < 200)
                    continue;
                if (c.red() > 200 && c.green() < 40 && c.blue() < 40)
                    ++reddish;
                else if (c == QColor(diyuma::app::kIconNeutralColor))
                    ++neutral;
            }
        }
        QVERIFY2(reddish > 20, qPrintable(QString::number(reddish)));
        QCOMPARE(neutral, 0);
        QVERIFY(diyuma::app::themedIcon(QStringLiteral("no-such-icon")).isNull());
    }
};

QTEST_MAIN(TestTheme)
#include "TestTheme.moc"
