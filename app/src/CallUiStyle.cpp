#include "CallUiStyle.h"

#include <QtGui/QFont>
#include <QtGui/QPainter>
#include <QtGui/QPainterPath>
#include <array>
#include <cstdint>

namespace diyuma::app::callui {

bool isDark(const QPalette& palette) {
    return palette.color(QPalette::Window).lightness() < 128;
}

QColor blend(const QColor& a, const QColor& b, double t) {
    auto mix = [t](int x, int y) { return static_cast<int>(x + (y - x) * t + 0.5); };
    return QColor(mix(a.red(), b.red()), mix(a.green(), b.green()), mix(a.blue(), b.blue()),
                  mix(a.alpha(), b.alpha()));
}

QColor stageColor(const QPalette& palette) {
    const QColor window = palette.color(QPalette::Window);
    return isDark(palette) ? window.darker(125) : window.darker(104);
}

QColor tileColor(const QPalette& palette) {
    const QColor window = palette.color(QPalette::Window);
    return isDark(palette) ? window.lighter(135) : palette.color(QPalette::Base);
}

QColor tileBorderColor(const QPalette& palette) {
    return blend(tileColor(palette), palette.color(QPalette::WindowText), 0.12);
}

QColor mutedTextColor(const QPalette& palette) {
    return blend(palette.color(QPalette::WindowText), palette.color(QPalette::Window), 0.4);
}

QColor speakingColor() {
    return QColor(0x2e, 0xb8, 0x6e);
}
QColor dangerColor() {
    return QColor(0xd9, 0x3f, 0x3f);
}
QColor warningColor() {
    return QColor(0xe0, 0x9a, 0x1f);
}
QColor goodColor() {
    return QColor(0x2e, 0xb8, 0x6e);
}

QColor avatarColor(const QString& name) {
    // Mid-saturation hues that keep white initials readable.
    static constexpr std::array<QRgb, 10> kColors = {0x5b6ee1, 0x3a9f8f, 0xc0587e, 0xd0803a,
                                                     0x7d5bd6, 0x3f8fd0, 0x5f9e3f, 0xb5624a,
                                                     0x9a5bb8, 0x3c8aa8};
    // FNV-1a over the UTF-16 code units: the same colour for a name in every run and on every
    // machine (qHash is seeded per process).
    std::uint32_t hash = 2166136261U;
    for (const QChar c : name) {
        hash ^= c.unicode();
        hash *= 16777619U;
    }
    return QColor::fromRgb(kColors[hash % kColors.size()]);
}

QString initials(const QString& name) {
    const auto words = name.simplified().split(' ', Qt::SkipEmptyParts);
    if (words.isEmpty())
        return QStringLiteral("?");
    QString result = words.front().left(1).toUpper();
    if (words.size() > 1)
        result += words.back().left(1).toUpper();
    return result;
}

QPixmap avatarPixmap(const QString& name, int size, qreal devicePixelRatio) {
    QPixmap pixmap(QSize(size, size) * devicePixelRatio);
    pixmap.setDevicePixelRatio(devicePixelRatio);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(avatarColor(name));
    p.drawEllipse(QRectF(0, 0, size, size));
    QFont font = p.font();
    font.setBold(true);
    font.setPixelSize(qMax(8, size * 2 / 5));
    p.setFont(font);
    p.setPen(Qt::white);
    p.drawText(QRectF(0, 0, size, size), Qt::AlignCenter, initials(name));
    return pixmap;
}

QIcon tintedIcon(const QString& name, const QColor& color, int size) {
    const QIcon source(QStringLiteral(":/icons/%1.svg").arg(name));
    if (source.isNull())
        return {};
    QIcon result;
    for (const qreal ratio : {1.0, 2.0}) {
        QPixmap pixmap = source.pixmap(QSize(size, size), ratio);
        if (pixmap.isNull())
            continue;
        QPainter p(&pixmap);
        p.setCompositionMode(QPainter::CompositionMode_SourceIn);
        p.fillRect(pixmap.rect(), color);
        p.end();
        result.addPixmap(pixmap);
    }
    return result;
}

} // namespace diyuma::app::callui
