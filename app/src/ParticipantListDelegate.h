#pragma once
// Draws one row of the call screen's participants list: an initials avatar, the name ("You"
// marked), an "Admin" badge and a muted icon. The item's data (roles below) is set by CallPage;
// the display text alone ("Anna (You)") stays readable for accessibility and tests.
//
// Thread: GUI thread only.

#include <QtWidgets/QStyledItemDelegate>

namespace diyuma::app {

namespace participant_roles {
inline constexpr int Id = Qt::UserRole + 1;       ///< quint32 participant ID
inline constexpr int Name = Qt::UserRole + 2;     ///< QString display name (without "You")
inline constexpr int Self = Qt::UserRole + 3;     ///< bool: this is us
inline constexpr int Admin = Qt::UserRole + 4;    ///< bool
inline constexpr int Muted = Qt::UserRole + 5;    ///< bool: their microphone is off
inline constexpr int Speaking = Qt::UserRole + 6; ///< bool
} // namespace participant_roles

class ParticipantListDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

} // namespace diyuma::app
