#pragma once
// Lays out the call screen's participant tiles: rows and columns chosen so the tiles are as
// large as possible at 16:9 (the shape of the video), the last row centred, a footer (the "you are
// alone" hint) below them, on a rounded "stage" background. When the tiles do not fit at their
// minimum size the widget asks for more height (it sits in a scroll area).
//
// Thread: GUI thread only.

#include <QtWidgets/QWidget>
#include <vector>

namespace diyuma::app {

class TileGrid : public QWidget {
    Q_OBJECT
public:
    explicit TileGrid(QWidget* parent = nullptr);

    /// The tiles in display order (children of this widget; ownership stays with the caller).
    void setTiles(std::vector<QWidget*> tiles);
    /// A widget shown centred below the tiles while it is visible (not owned).
    void setFooter(QWidget* footer);

    /// Places the tiles and the footer again (also after the footer was shown or hidden).
    void relayout();

    /// Columns for `count` tiles in `area` with `spacing` (exposed for tests).
    [[nodiscard]] static int bestColumns(int count, QSize area, int spacing);

protected:
    void resizeEvent(QResizeEvent* event) override;
    void paintEvent(QPaintEvent* event) override;

private:
    std::vector<QWidget*> m_tiles;
    QWidget* m_footer = nullptr;
    bool m_laying = false;
};

} // namespace diyuma::app
