#include "Theme.h"

#include <QtCore/QFile>
#include <QtGui/QGuiApplication>
#include <QtGui/QPainter>
#include <QtGui/QPixmap>
#include <QtSvg/QSvgRenderer>
#include <QtWidgets/QApplication>

// Outside any namespace: Q_INIT_RESOURCE declares the resource's init function where it stands.
// diyuma_app is a static library, so the compiled resources.qrc is linked only if something
// refers to it; this does, for every program that uses the app's widgets.
static bool registerAppResources() {
    Q_INIT_RESOURCE(resources);
    return true;
}

namespace diyuma::app {

namespace {

ColorScheme g_current = ColorScheme::Light;

struct Colors {
    QColor window, base, alternateBase, text, mutedText, button, border, hover, pressed;
    QColor accent, accentHover, accentPressed, onAccent;
    QColor danger, dangerHover;
    QColor errorBackground, errorText, errorBorder;
    QColor bannerBackground, bannerText;
    QColor card, track, tooltip, link;
};

Colors colorsFor(ColorScheme scheme) {
    Colors c;
    if (scheme == ColorScheme::Dark) {
        c.window = QColor(0x17, 0x19, 0x1f);
        c.base = QColor(0x20, 0x23, 0x2b);
        c.alternateBase = QColor(0x26, 0x29, 0x33);
        c.text = QColor(0xe8, 0xea, 0xf0);
        c.mutedText = QColor(0x9a, 0xa2, 0xb1);
        c.button = QColor(0x2a, 0x2e, 0x38);
        c.border = QColor(0x3a, 0x3f, 0x4c);
        c.hover = QColor(0x33, 0x38, 0x44);
        c.pressed = QColor(0x3d, 0x43, 0x51);
        c.accent = QColor(0x6e, 0x79, 0xf2);
        c.accentHover = QColor(0x82, 0x8c, 0xf6);
        c.accentPressed = QColor(0x5a, 0x64, 0xe0);
        c.onAccent = QColor(0xff, 0xff, 0xff);
        c.danger = QColor(0xe5, 0x48, 0x4d);
        c.dangerHover = QColor(0xf1, 0x5e, 0x62);
        c.errorBackground = QColor(0x3b, 0x1d, 0x22);
        c.errorText = QColor(0xff, 0xb4, 0xb4);
        c.errorBorder = QColor(0x6b, 0x2b, 0x33);
        c.bannerBackground = QColor(0x3a, 0x31, 0x14);
        c.bannerText = QColor(0xf5, 0xd9, 0x8b);
        c.card = QColor(0x1e, 0x21, 0x29);
        c.track = QColor(0x33, 0x38, 0x44);
        c.tooltip = QColor(0x2a, 0x2e, 0x38);
        c.link = QColor(0x9b, 0xa3, 0xff);
    } else {
        c.window = QColor(0xf3, 0xf4, 0xf7);
        c.base = QColor(0xff, 0xff, 0xff);
        c.alternateBase = QColor(0xf6, 0xf7, 0xf9);
        c.text = QColor(0x1c, 0x21, 0x2b);
        c.mutedText = QColor(0x5f, 0x69, 0x7a);
        c.button = QColor(0xff, 0xff, 0xff);
        c.border = QColor(0xd5, 0xd9, 0xe1);
        c.hover = QColor(0xee, 0xf0, 0xf4);
        c.pressed = QColor(0xe2, 0xe5, 0xeb);
        c.accent = QColor(0x4a, 0x55, 0xd8);
        c.accentHover = QColor(0x5a, 0x65, 0xe4);
        c.accentPressed = QColor(0x3d, 0x46, 0xb8);
        c.onAccent = QColor(0xff, 0xff, 0xff);
        c.danger = QColor(0xd9, 0x34, 0x3a);
        c.dangerHover = QColor(0xe5, 0x48, 0x4d);
        c.errorBackground = QColor(0xfd, 0xec, 0xec);
        c.errorText = QColor(0x9b, 0x1c, 0x22);
        c.errorBorder = QColor(0xf3, 0xc0, 0xc2);
        c.bannerBackground = QColor(0xff, 0xf4, 0xd6);
        c.bannerText = QColor(0x6b, 0x4e, 0x00);
        c.card = QColor(0xff, 0xff, 0xff);
        c.track = QColor(0xe2, 0xe5, 0xeb);
        c.tooltip = QColor(0x1c, 0x21, 0x2b);
        c.link = QColor(0x3d, 0x46, 0xb8);
    }
    return c;
}

QString css(const QColor& color) {
    return color.name(QColor::HexRgb);
}

} // namespace

ColorScheme judgeColorScheme(const QPalette& systemPalette) {
    const QColor window = systemPalette.color(QPalette::Active, QPalette::Window);
    const QColor text = systemPalette.color(QPalette::Active, QPalette::WindowText);
    // Lightness alone misjudges a mid-grey theme; the text being lighter than the window is
    // what makes a theme dark. Equal lightness (a broken palette) falls back to mid-grey.
    if (window.lightness() != text.lightness())
        return window.lightness() < text.lightness() ? ColorScheme::Dark : ColorScheme::Light;
    return window.lightness() < 128 ? ColorScheme::Dark : ColorScheme::Light;
}

ColorScheme chooseColorScheme(const QPalette& systemPalette) {
    const QByteArray forced = qgetenv("DIYUMA_COLOR_SCHEME").trimmed().toLower();
    if (forced == "dark")
        return ColorScheme::Dark;
    if (forced == "light")
        return ColorScheme::Light;
    return judgeColorScheme(systemPalette);
}

QColor accentColor(ColorScheme scheme) {
    return colorsFor(scheme).accent;
}

QPalette themePalette(ColorScheme scheme) {
    const Colors c = colorsFor(scheme);
    QPalette p;
    p.setColor(QPalette::Window, c.window);
    p.setColor(QPalette::WindowText, c.text);
    p.setColor(QPalette::Base, c.base);
    p.setColor(QPalette::AlternateBase, c.alternateBase);
    p.setColor(QPalette::Text, c.text);
    p.setColor(QPalette::PlaceholderText, c.mutedText);
    p.setColor(QPalette::Button, c.button);
    p.setColor(QPalette::ButtonText, c.text);
    p.setColor(QPalette::BrightText, c.danger);
    p.setColor(QPalette::Highlight, c.accent);
    p.setColor(QPalette::HighlightedText, c.onAccent);
    p.setColor(QPalette::Link, c.link);
    p.setColor(QPalette::LinkVisited, c.link);
    p.setColor(QPalette::ToolTipBase, c.tooltip);
    p.setColor(QPalette::ToolTipText, scheme == ColorScheme::Dark ? c.text : c.base);
    p.setColor(QPalette::Light, c.hover.lighter(110));
    p.setColor(QPalette::Midlight, c.hover);
    p.setColor(QPalette::Mid, c.border);
    p.setColor(QPalette::Dark, c.border.darker(130));
    p.setColor(QPalette::Shadow, QColor(0, 0, 0, scheme == ColorScheme::Dark ? 160 : 60));

    QColor disabledText = c.mutedText;
    disabledText.setAlpha(150);
    for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, disabledText);
    p.setColor(QPalette::Disabled, QPalette::Highlight, c.border);
    p.setColor(QPalette::Disabled, QPalette::Button, c.window);
    p.setColor(QPalette::Disabled, QPalette::Base, c.window);
    return p;
}

QString themeStyleSheet(ColorScheme scheme) {
    const Colors c = colorsFor(scheme);
    QColor accentDisabled = c.accent;
    accentDisabled.setAlpha(110);
    QColor focusRing = c.accent;
    QString sheet = QStringLiteral(R"(
QToolTip { color: @tooltipText; background: @tooltip; border: none; padding: 5px 8px;
           border-radius: 6px; }

QPushButton { background: @button; color: @text; border: 1px solid @border; border-radius: 8px;
              padding: 7px 16px; min-height: 18px; }
QPushButton:hover { background: @hover; }
QPushButton:pressed { background: @pressed; }
QPushButton:disabled { color: @muted; background: @window; }
QPushButton:focus { border-color: @focus; }
QPushButton[primary="true"] { background: @accent; color: @onAccent; border-color: @accent;
                              font-weight: 600; }
QPushButton[primary="true"]:hover { background: @accentHover; border-color: @accentHover; }
QPushButton[primary="true"]:pressed { background: @accentPressed; }
QPushButton[primary="true"]:disabled { background: @accentDisabled; border-color: transparent; }
QPushButton[danger="true"], QToolButton[danger="true"] { background: @danger; color: #ffffff;
                             border: 1px solid @danger; font-weight: 600; }
QPushButton[danger="true"]:hover, QToolButton[danger="true"]:hover { background: @dangerHover; }

QToolButton { background: transparent; color: @text; border: 1px solid transparent;
              border-radius: 8px; padding: 6px; }
QToolButton:hover { background: @hover; }
QToolButton:pressed, QToolButton:checked { background: @pressed; }

QLineEdit, QComboBox, QSpinBox { background: @base; color: @text; border: 1px solid @border;
                                 border-radius: 8px; padding: 6px 10px; min-height: 20px;
                                 selection-background-color: @accent;
                                 selection-color: @onAccent; }
QLineEdit:focus, QComboBox:focus, QSpinBox:focus { border: 1px solid @focus; }
QLineEdit:disabled, QComboBox:disabled { color: @muted; background: @window; }
QComboBox::drop-down { border: none; width: 28px; }
QComboBox::down-arrow { image: url(:/icons/chevron-down.svg); width: 16px; height: 16px; }
QComboBox QAbstractItemView { background: @base; color: @text; border: 1px solid @border;
                              selection-background-color: @accent;
                              selection-color: @onAccent; outline: none; }

QCheckBox { spacing: 8px; color: @text; }
QCheckBox::indicator { width: 16px; height: 16px; border: 1px solid @checkBorder;
                       border-radius: 4px; background: @base; }
QCheckBox::indicator:hover { border-color: @accent; }
QCheckBox::indicator:checked { background: @accent; border-color: @accent;
                               image: url(:/icons/check.svg); }
QCheckBox::indicator:disabled { background: @window; border-color: @border; }
QCheckBox::indicator:checked:disabled { background: @accentDisabled; }

QFrame[card="true"] { background: @card; border: 1px solid @border; border-radius: 12px; }
QLabel[title="true"] { font-size: 18pt; font-weight: 600; }
QLabel[heading="true"] { font-size: 11pt; font-weight: 600; }
QLabel[hint="true"] { color: @muted; }
QLabel[error="true"] { background: @errorBg; color: @errorText; border: 1px solid @errorBorder;
                       border-radius: 8px; padding: 8px 12px; }
QLabel[banner="true"] { background: @bannerBg; color: @bannerText; border-radius: 8px;
                        padding: 8px 12px; }

QProgressBar { background: @track; border: none; border-radius: 4px; max-height: 8px;
               text-align: center; color: transparent; }
QProgressBar::chunk { background: @accent; border-radius: 4px; }

QListWidget, QTreeWidget, QTableWidget, QTextEdit, QPlainTextEdit {
    background: @base; color: @text; border: 1px solid @border; border-radius: 8px; }
QScrollArea { border: none; background: transparent; }
QDialog { background: @window; }
)");
    const std::pair<const char*, QString> replacements[] = {
        {"@tooltipText", css(scheme == ColorScheme::Dark ? c.text : c.base)},
        {"@tooltip", css(c.tooltip)},
        {"@button", css(c.button)},
        {"@text", css(c.text)},
        {"@checkBorder",
         css(scheme == ColorScheme::Dark ? c.mutedText.darker(130) : c.mutedText.lighter(150))},
        {"@border", css(c.border)},
        {"@hover", css(c.hover)},
        {"@pressed", css(c.pressed)},
        {"@muted", css(c.mutedText)},
        {"@window", css(c.window)},
        {"@focus", css(focusRing)},
        {"@accentHover", css(c.accentHover)},
        {"@accentPressed", css(c.accentPressed)},
        {"@accentDisabled", accentDisabled.name(QColor::HexArgb)},
        {"@accent", css(c.accent)},
        {"@onAccent", css(c.onAccent)},
        {"@dangerHover", css(c.dangerHover)},
        {"@danger", css(c.danger)},
        {"@base", css(c.base)},
        {"@card", css(c.card)},
        {"@errorBg", css(c.errorBackground)},
        {"@errorText", css(c.errorText)},
        {"@errorBorder", css(c.errorBorder)},
        {"@bannerBg", css(c.bannerBackground)},
        {"@bannerText", css(c.bannerText)},
        {"@track", css(c.track)},
    };
    // Longer names first in the table above, so "@accentHover" is not eaten by "@accent".
    for (const auto& [key, value] : replacements)
        sheet.replace(QLatin1String(key), value);
    return sheet;
}

void ensureResources() {
    [[maybe_unused]] static const bool registered = registerAppResources();
}

namespace {
// Programs that link Theme.o get the icons without asking.
[[maybe_unused]] const bool g_resourcesAtStart = (ensureResources(), true);
} // namespace

ColorScheme applyTheme(QApplication& app) {
    ensureResources();
    // Judge before replacing: the palette we read is the desktop's.
    const ColorScheme scheme = chooseColorScheme(QGuiApplication::palette());
    QApplication::setStyle(QStringLiteral("Fusion"));
    QApplication::setPalette(themePalette(scheme));
    app.setStyleSheet(themeStyleSheet(scheme));
    g_current = scheme;
    return scheme;
}

ColorScheme currentColorScheme() {
    return g_current;
}

QIcon themedIcon(const QString& name, const QColor& color) {
    ensureResources();
    QFile file(QStringLiteral(":/icons/%1.svg").arg(name));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QByteArray svg = file.readAll();
    const QColor target =
        color.isValid() ? color : themePalette(g_current).color(QPalette::WindowText);
    svg.replace(kIconNeutralColor, target.name(QColor::HexRgb).toLatin1());
    QSvgRenderer renderer(svg);
    if (!renderer.isValid())
        return {};
    QIcon icon;
    // Pixmaps at the sizes toolbars and buttons use, at 1x and 2x, so nothing is scaled blurry.
    for (int size : {16, 20, 24, 32, 40, 48, 64, 96}) {
        QPixmap pixmap(size, size);
        pixmap.fill(Qt::transparent);
        QPainter painter(&pixmap);
        renderer.render(&painter);
        painter.end();
        icon.addPixmap(pixmap);
    }
    return icon;
}

} // namespace diyuma::app
