#include "QualityIndicator.h"

#include "CallUiStyle.h"

#include <QtGui/QPainter>

namespace diyuma::app {

ConnectionQuality connectionQuality(std::optional<double> rttMs, double lossPercent) {
    if (!rttMs)
        return ConnectionQuality::Unknown;
    if (*rttMs < 150.0 && lossPercent < 1.0)
        return ConnectionQuality::Good;
    if (*rttMs < 400.0 && lossPercent < 5.0)
        return ConnectionQuality::Fair;
    return ConnectionQuality::Poor;
}

QualityIndicator::QualityIndicator(QWidget* parent) : QAbstractButton(parent) {
    setObjectName(QStringLiteral("qualityIndicator"));
    setCursor(Qt::PointingHandCursor);
    setFocusPolicy(Qt::TabFocus);
    setAttribute(Qt::WA_Hover);
    setAccessibleName(tr("Connection quality"));
    setFigures(std::nullopt, 0.0);
}

void QualityIndicator::setFigures(std::optional<double> rttMs, double lossPercent) {
    const auto quality = connectionQuality(rttMs, lossPercent);
    const QString tip =
        rttMs ? tr("RTT %1 ms, loss %2 %").arg(qRound(*rttMs)).arg(lossPercent, 0, 'f', 1)
              : tr("Measuring the connection…");
    const QString full = tip + QLatin1Char('\n') + tr("Click for details");
    if (full != toolTip())
        setToolTip(full);
    if (quality != m_quality) {
        m_quality = quality;
        update();
    }
}

QSize QualityIndicator::sizeHint() const {
    return {36, 30};
}

void QualityIndicator::paintEvent(QPaintEvent* /*event*/) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    if (underMouse() || isDown()) {
        QColor hover = pal.color(QPalette::WindowText);
        hover.setAlphaF(0.08F);
        p.setPen(Qt::NoPen);
        p.setBrush(hover);
        p.drawRoundedRect(QRectF(rect()), 6, 6);
    }
    if (hasFocus()) {
        p.setPen(QPen(pal.color(QPalette::Active, QPalette::Highlight), 1.5));
        p.setBrush(Qt::NoBrush);
        p.drawRoundedRect(QRectF(rect()).adjusted(1, 1, -1, -1), 6, 6);
    }
    int lit = 0;
    QColor color = callui::mutedTextColor(pal);
    switch (m_quality) {
    case ConnectionQuality::Good:
        lit = 3;
        color = callui::goodColor();
        break;
    case ConnectionQuality::Fair:
        lit = 2;
        color = callui::warningColor();
        break;
    case ConnectionQuality::Poor:
        lit = 1;
        color = callui::dangerColor();
        break;
    case ConnectionQuality::Unknown:
        break;
    }
    QColor off = pal.color(QPalette::WindowText);
    off.setAlphaF(0.18F);
    const qreal barWidth = 5;
    const qreal gap = 3;
    const qreal total = 3 * barWidth + 2 * gap;
    const qreal x0 = (width() - total) / 2.0;
    const qreal bottom = height() / 2.0 + 8;
    for (int i = 0; i < 3; ++i) {
        const qreal h = 6 + 5 * i;
        p.setPen(Qt::NoPen);
        p.setBrush(i < lit ? color : off);
        p.drawRoundedRect(QRectF(x0 + i * (barWidth + gap), bottom - h, barWidth, h), 1.5, 1.5);
    }
}

} // namespace diyuma::app
