#pragma once
// The app's look: the Fusion style with a tuned light or dark palette, a small style sheet
// (rounded controls, one accent colour, roomier spacing) and icons coloured for the palette.
//
// Qt 6.4 has no QStyleHints::colorScheme, so the scheme is judged from the palette the
// platform gave us before we replace it: a dark window colour means a dark desktop.
// DIYUMA_COLOR_SCHEME=light|dark in the environment overrides the judgement.
//
// Dynamic properties the style sheet knows (set them before the widget is shown):
//   QPushButton/QToolButton "primary"=true  the accent button of a screen
//   QPushButton/QToolButton "danger"=true   red (leave, hang up)
//   QFrame "card"=true                      a raised panel with rounded corners
//   QLabel "hint"=true                      secondary text; "title"=true a heading
//   QLabel "error"=true                     an error box (red tint); "banner"=true a notice
// Icons: ":/icons/<name>.svg" draw their neutral parts in kIconNeutralColor (readable on
// light and dark); themedIcon() recolours that to the palette's text colour.
//
// Thread: GUI thread only.

#include <QtCore/QString>
#include <QtGui/QColor>
#include <QtGui/QIcon>
#include <QtGui/QPalette>

class QApplication;

namespace diyuma::app {

enum class ColorScheme { Light, Dark };

/// The neutral stroke colour of our SVG icons (themedIcon() replaces it).
inline constexpr const char* kIconNeutralColor = "#6B778C";

/// Dark when the window colour is darker than its text (or, failing that, below mid-grey).
[[nodiscard]] ColorScheme judgeColorScheme(const QPalette& systemPalette);
/// DIYUMA_COLOR_SCHEME if set to light/dark, else judgeColorScheme(systemPalette).
[[nodiscard]] ColorScheme chooseColorScheme(const QPalette& systemPalette);

/// Our palette for a scheme (window, base, text, the accent as Highlight, links...).
[[nodiscard]] QPalette themePalette(ColorScheme scheme);
/// The accent colour (buttons, focus, links) for a scheme.
[[nodiscard]] QColor accentColor(ColorScheme scheme);
/// Style sheet on top of Fusion + themePalette().
[[nodiscard]] QString themeStyleSheet(ColorScheme scheme);

/// Registers the app's compiled resources (:/icons/...) once; safe to call again. diyuma_app is
/// a static library, so something must refer to them (this file also does it at start-up).
void ensureResources();

/// Judges the scheme from the application's current palette and applies style, palette and
/// style sheet. Returns the scheme used. Call once, after the QApplication exists.
ColorScheme applyTheme(QApplication& app);
/// The scheme applyTheme() chose (Light before it ran).
[[nodiscard]] ColorScheme currentColorScheme();

/// ":/icons/<name>.svg" with its neutral stroke recoloured to `color` (default: the current
/// palette's text colour), so icons stay crisp on light and dark windows. Red and accent parts
/// keep their colours.
[[nodiscard]] QIcon themedIcon(const QString& name, const QColor& color = {});

} // namespace diyuma::app
