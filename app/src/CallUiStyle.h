#pragma once
// Small look helpers shared by the call screen's widgets: colours derived from the palette
// (so light and dark themes both read well), avatar colours and initials, tinted icons.
//
// Thread: GUI thread only.

#include <QtCore/QString>
#include <QtGui/QColor>
#include <QtGui/QIcon>
#include <QtGui/QPalette>
#include <QtGui/QPixmap>

namespace diyuma::app::callui {

/// True when the palette's window colour is dark (the desktop's dark theme).
[[nodiscard]] bool isDark(const QPalette& palette);
/// `a` moved towards `b` by `t` (0..1).
[[nodiscard]] QColor blend(const QColor& a, const QColor& b, double t);

/// The area behind the tiles, a tile, and a tile's border.
[[nodiscard]] QColor stageColor(const QPalette& palette);
[[nodiscard]] QColor tileColor(const QPalette& palette);
[[nodiscard]] QColor tileBorderColor(const QPalette& palette);
/// Secondary text (hints, figures' labels).
[[nodiscard]] QColor mutedTextColor(const QPalette& palette);

/// Fixed signal colours, chosen to read on light and dark backgrounds alike.
[[nodiscard]] QColor speakingColor();
[[nodiscard]] QColor dangerColor();
[[nodiscard]] QColor warningColor();
[[nodiscard]] QColor goodColor();

/// A stable, pleasant colour per name (avatar background; white initials stay readable).
[[nodiscard]] QColor avatarColor(const QString& name);
/// Up to two letters: first letters of the first and last word ("Anna Lee" → "AL").
[[nodiscard]] QString initials(const QString& name);
/// A round avatar with initials, `size` device-independent pixels.
[[nodiscard]] QPixmap avatarPixmap(const QString& name, int size, qreal devicePixelRatio);

/// An icon from the resources (":/icons/NAME.svg") recoloured to `color`, so monochrome
/// icons follow the palette. A missing icon gives a null icon.
[[nodiscard]] QIcon tintedIcon(const QString& name, const QColor& color, int size = 24);

} // namespace diyuma::app::callui
