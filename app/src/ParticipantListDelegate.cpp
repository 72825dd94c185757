#include "ParticipantListDelegate.h"

#include "CallUiStyle.h"

#include <QtGui/QPainter>
#include <QtWidgets/QApplication>

namespace diyuma::app {

namespace {
constexpr int kAvatar = 30;
constexpr int kPad = 10;
constexpr int kIcon = 18;
} // namespace

QSize ParticipantListDelegate::sizeHint(const QStyleOptionViewItem& option,
                                        const QModelIndex& /*index*/) const {
    return {200, std::max(kAvatar, option.fontMetrics.height()) + 14};
}

void ParticipantListDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                                    const QModelIndex& index) const {
    namespace roles = participant_roles;
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);

    // Background (selection and hover) from the style, without its text and icon.
    opt.text.clear();
    opt.icon = QIcon();
    const QWidget* widget = option.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget);

    const QString name = index.data(roles::Name).toString();
    const bool self = index.data(roles::Self).toBool();
    const bool admin = index.data(roles::Admin).toBool();
    const bool muted = index.data(roles::Muted).toBool();
    const bool speaking = index.data(roles::Speaking).toBool();
    const QRect r = option.rect.adjusted(kPad, 0, -kPad, 0);

    const QRectF avatar(r.left(), r.center().y() - kAvatar / 2.0 + 1, kAvatar, kAvatar);
    if (speaking) {
        painter->setPen(QPen(callui::speakingColor(), 2.0));
        painter->setBrush(Qt::NoBrush);
        painter->drawEllipse(avatar.adjusted(-2, -2, 2, 2));
    }
    painter->drawPixmap(
        avatar.topLeft(),
        callui::avatarPixmap(name, kAvatar, painter->device()->devicePixelRatioF()));

    // Right side first (icons and badge), then the name elided into what is left.
    int right = r.right();
    if (muted) {
        const QRect iconRect(right - kIcon, r.center().y() - kIcon / 2 + 1, kIcon, kIcon);
        callui::tintedIcon(QStringLiteral("mic-off"), callui::dangerColor(), kIcon)
            .paint(painter, iconRect);
        right -= kIcon + 8;
    }
    QFont badgeFont = option.font;
    badgeFont.setPointSizeF(badgeFont.pointSizeF() * 0.85);
    badgeFont.setWeight(QFont::DemiBold);
    if (admin) {
        const QFontMetrics bfm(badgeFont);
        const QString badge = tr("Admin");
        const int w = bfm.horizontalAdvance(badge) + 12;
        const QRectF pill(right - w, r.center().y() - (bfm.height() + 2) / 2.0 + 1, w,
                          bfm.height() + 2);
        // The window's palette: the list's own has a transparent Window (stylesheet), which
        // would read as "dark".
        const QPalette pal = widget ? widget->window()->palette() : option.palette;
        QColor fill = pal.color(QPalette::Active, QPalette::Highlight);
        fill.setAlphaF(0.18F);
        painter->setPen(Qt::NoPen);
        painter->setBrush(fill);
        painter->drawRoundedRect(pill, pill.height() / 2, pill.height() / 2);
        painter->setFont(badgeFont);
        const QColor accent = pal.color(QPalette::Active, QPalette::Highlight);
        painter->setPen(callui::isDark(pal) ? accent.lighter(150) : accent.darker(130));
        painter->drawText(pill, Qt::AlignCenter, badge);
        right -= w + 8;
    }

    const int textLeft = static_cast<int>(avatar.right()) + 10;
    QFont nameFont = option.font;
    if (self)
        nameFont.setWeight(QFont::DemiBold);
    painter->setFont(nameFont);
    const QFontMetrics fm(nameFont);
    const QString label = self ? tr("%1 (You)").arg(name) : name;
    const bool selected = option.state & QStyle::State_Selected;
    painter->setPen(option.palette.color(selected ? QPalette::HighlightedText : QPalette::Text));
    painter->drawText(QRect(textLeft, r.top(), std::max(0, right - textLeft), r.height()),
                      Qt::AlignVCenter | Qt::AlignLeft,
                      fm.elidedText(label, Qt::ElideRight, std::max(0, right - textLeft)));
    painter->restore();
}

} // namespace diyuma::app
