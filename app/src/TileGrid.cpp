#include "TileGrid.h"

#include "CallUiStyle.h"

#include <QtGui/QPainter>
#include <algorithm>
#include <cmath>

namespace diyuma::app {

namespace {
constexpr int kPad = 16;
constexpr int kSpacing = 14;
constexpr double kAspect = 16.0 / 9.0; // the shape of the video
constexpr int kMinTileWidth = 200;
constexpr int kMaxTileWidth = 960;
constexpr int kFooterWidth = 420;

int tileWidthFor(int count, int columns, QSize area, int spacing) {
    const int rows = (count + columns - 1) / columns;
    const double byWidth = (area.width() - (columns - 1) * spacing) / double(columns);
    const double byHeight = (area.height() - (rows - 1) * spacing) / double(rows) * kAspect;
    return static_cast<int>(std::min(byWidth, byHeight));
}
} // namespace

TileGrid::TileGrid(QWidget* parent) : QWidget(parent) {}

int TileGrid::bestColumns(int count, QSize area, int spacing) {
    int best = 1;
    int bestWidth = -1;
    for (int columns = 1; columns <= std::max(1, count); ++columns) {
        const int w = tileWidthFor(count, columns, area, spacing);
        if (w > bestWidth) {
            bestWidth = w;
            best = columns;
        }
    }
    return best;
}

void TileGrid::setTiles(std::vector<QWidget*> tiles) {
    m_tiles = std::move(tiles);
    for (auto* tile : m_tiles)
        tile->show();
    relayout();
}

void TileGrid::setFooter(QWidget* footer) {
    m_footer = footer;
    relayout();
}

void TileGrid::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    relayout();
}

void TileGrid::paintEvent(QPaintEvent* /*event*/) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(callui::stageColor(palette()));
    p.drawRoundedRect(QRectF(rect()), 16, 16);
}

void TileGrid::relayout() {
    if (m_laying)
        return;
    m_laying = true;
    const QRect area = rect().adjusted(kPad, kPad, -kPad, -kPad);
    const bool footerShown = m_footer && !m_footer->isHidden();
    const int footerWidth = std::min(kFooterWidth, std::max(100, area.width()));
    const int footerHeight = footerShown ? m_footer->heightForWidth(footerWidth) : 0;
    const int footerSpace = footerShown ? std::max(footerHeight, 0) + kSpacing * 2 : 0;

    const int count = static_cast<int>(m_tiles.size());
    if (count > 0) {
        const QSize tilesArea(area.width(), std::max(1, area.height() - footerSpace));
        const int columns = bestColumns(count, tilesArea, kSpacing);
        const int rows = (count + columns - 1) / columns;
        const int w = std::clamp(tileWidthFor(count, columns, tilesArea, kSpacing), kMinTileWidth,
                                 kMaxTileWidth);
        const int h = static_cast<int>(w / kAspect);
        const int blockHeight = rows * h + (rows - 1) * kSpacing;
        int y = area.top() + std::max(0, (area.height() - blockHeight - footerSpace) / 2);
        for (int row = 0; row < rows; ++row) {
            const int inRow = std::min(columns, count - row * columns);
            const int rowWidth = inRow * w + (inRow - 1) * kSpacing;
            int x = area.left() + (area.width() - rowWidth) / 2;
            for (int i = 0; i < inRow; ++i) {
                m_tiles[static_cast<std::size_t>(row * columns + i)]->setGeometry(x, y, w, h);
                x += w + kSpacing;
            }
            y += h + kSpacing;
        }
        if (footerShown)
            m_footer->setGeometry(area.left() + (area.width() - footerWidth) / 2, y + kSpacing,
                                  footerWidth, footerHeight);
    } else if (footerShown) {
        m_footer->setGeometry(area.left() + (area.width() - footerWidth) / 2,
                              area.center().y() - footerHeight / 2, footerWidth, footerHeight);
    }
    // Scroll instead of squeezing tiles below their minimum size: ask for the height the
    // tiles need at their minimum width (not at the current size, or it could never shrink).
    int minimumContent = footerSpace;
    if (count > 0) {
        const int columns =
            std::clamp((area.width() + kSpacing) / (kMinTileWidth + kSpacing), 1, count);
        const int rows = (count + columns - 1) / columns;
        minimumContent += rows * static_cast<int>(kMinTileWidth / kAspect) + (rows - 1) * kSpacing;
    }
    setMinimumHeight(minimumContent + 2 * kPad);
    m_laying = false;
}

} // namespace diyuma::app
