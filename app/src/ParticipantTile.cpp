#include "ParticipantTile.h"

#include "CallUiStyle.h"

#include <QtGui/QContextMenuEvent>
#include <QtGui/QPainter>
#include <QtGui/QPainterPath>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QLabel>
#include <QtWidgets/QMenu>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QSlider>
#include <QtWidgets/QToolButton>
#include <QtWidgets/QWidgetAction>
#include <algorithm>
#include <cmath>

namespace diyuma::app {

namespace {
constexpr qreal kRadius = 14.0;
constexpr int kMargin = 12;
constexpr int kMaxVolumePercent = 200;
} // namespace

ParticipantTile::ParticipantTile(quint32 participantId, bool isSelf, QWidget* parent)
    : QWidget(parent), m_participantId(participantId), m_isSelf(isSelf) {
    setObjectName(QStringLiteral("tile-%1").arg(participantId));
    setAttribute(Qt::WA_Hover);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    if (!m_isSelf)
        buildVolumeMenu();
}

void ParticipantTile::buildVolumeMenu() {
    m_volumeMenu = new QMenu(this);
    auto* box = new QWidget(m_volumeMenu);
    auto* row = new QHBoxLayout(box);
    row->setContentsMargins(12, 8, 12, 8);
    auto* caption = new QLabel(tr("Volume"), box);
    m_volumeSlider = new QSlider(Qt::Horizontal, box);
    m_volumeSlider->setObjectName(QStringLiteral("volumeSlider"));
    m_volumeSlider->setRange(0, kMaxVolumePercent);
    m_volumeSlider->setValue(100);
    m_volumeSlider->setMinimumWidth(160);
    m_volumeSlider->setAccessibleName(tr("Volume of this participant"));
    auto* value = new QLabel(QStringLiteral("100 %"), box);
    value->setMinimumWidth(value->fontMetrics().horizontalAdvance(QStringLiteral("200 %")));
    row->addWidget(caption);
    row->addWidget(m_volumeSlider, 1);
    row->addWidget(value);
    auto* action = new QWidgetAction(m_volumeMenu);
    action->setDefaultWidget(box);
    m_volumeMenu->addAction(action);
    m_volumeMenu->addSeparator();
    auto* silence = m_volumeMenu->addAction(tr("Silence for me"));
    auto* reset = m_volumeMenu->addAction(tr("Reset volume"));

    connect(m_volumeSlider, &QSlider::valueChanged, this, [this, value](int percent) {
        value->setText(QStringLiteral("%1 %").arg(percent));
        const float gain = static_cast<float>(percent) / 100.0F;
        if (std::abs(gain - m_volume) < 0.001F)
            return;
        m_volume = gain;
        updateVolumeButton();
        update();
        emit volumeChanged(m_participantId, gain);
    });
    connect(silence, &QAction::triggered, this, [this] { m_volumeSlider->setValue(0); });
    connect(reset, &QAction::triggered, this, [this] { m_volumeSlider->setValue(100); });

    // The admin's part (hidden until setAdminActionsVisible).
    m_adminActions << m_volumeMenu->addSeparator();
    auto addAdmin = [this](const QString& text, const char* name, AdminAction action) {
        auto* item = m_volumeMenu->addAction(text);
        item->setObjectName(QString::fromLatin1(name));
        connect(item, &QAction::triggered, this, [this, action] {
            if (action == AdminAction::Remove &&
                QMessageBox::question(
                    this, tr("Remove %1?").arg(m_name),
                    tr("Remove %1 from the conference? They cannot come back with the invite "
                       "link for 10 minutes.")
                        .arg(m_name),
                    QMessageBox::Yes | QMessageBox::Cancel,
                    QMessageBox::Cancel) != QMessageBox::Yes)
                return;
            emit adminActionRequested(m_participantId, action);
        });
        m_adminActions << item;
    };
    addAdmin(tr("Mute for everyone"), "adminMuteAction", AdminAction::Mute);
    addAdmin(tr("Mute and keep muted"), "adminMuteLockedAction", AdminAction::MuteLocked);
    addAdmin(tr("Allow to unmute"), "adminAllowUnmuteAction", AdminAction::AllowUnmute);
    addAdmin(tr("Remove from the conference…"), "adminRemoveAction", AdminAction::Remove);
    for (auto* item : m_adminActions)
        item->setVisible(false);

    m_volumeButton = new QToolButton(this);
    m_volumeButton->setObjectName(QStringLiteral("volumeButton"));
    m_volumeButton->setAutoRaise(true);
    m_volumeButton->setToolTip(tr("Volume"));
    m_volumeButton->setCursor(Qt::PointingHandCursor);
    m_volumeButton->setIconSize(QSize(18, 18));
    connect(m_volumeButton, &QToolButton::clicked, this, [this] {
        m_volumeMenu->popup(m_volumeButton->mapToGlobal(QPoint(0, m_volumeButton->height())));
    });
    updateVolumeButton();
}

void ParticipantTile::setAdminActionsVisible(bool visible) {
    for (auto* item : m_adminActions)
        item->setVisible(visible);
}

void ParticipantTile::updateVolumeButton() {
    if (!m_volumeButton)
        return;
    const QColor color = callui::mutedTextColor(palette());
    m_volumeButton->setIcon(callui::tintedIcon(QStringLiteral("speaker"), color, 18));
    const int percent = static_cast<int>(std::lround(m_volume * 100.0F));
    m_volumeButton->setText(percent == 100 ? QString() : QStringLiteral("%1 %").arg(percent));
    m_volumeButton->setToolButtonStyle(percent == 100 ? Qt::ToolButtonIconOnly
                                                      : Qt::ToolButtonTextBesideIcon);
    m_volumeButton->adjustSize();
    // Always visible when the volume is not the default, so nobody forgets a silenced person.
    m_volumeButton->setVisible(m_hovered || percent != 100);
    m_volumeButton->move(width() - m_volumeButton->width() - 8, 8);
}

void ParticipantTile::setDisplayName(const QString& name) {
    if (name == m_name)
        return;
    m_name = name;
    setAccessibleName(m_isSelf ? tr("%1 (you)").arg(name) : name);
    update();
}

void ParticipantTile::setAdmin(bool admin) {
    if (admin == m_admin)
        return;
    m_admin = admin;
    update();
}

void ParticipantTile::setMuted(bool muted) {
    if (muted == m_muted)
        return;
    m_muted = muted;
    update();
}

void ParticipantTile::setSpeaking(bool speaking, float levelDbfs) {
    // Repaint only for visible changes (the level ring moves in 1 dB steps).
    const bool changed =
        speaking != m_speaking || std::abs(std::round(levelDbfs) - std::round(m_levelDbfs)) >= 1.0F;
    m_speaking = speaking;
    m_levelDbfs = levelDbfs;
    if (changed)
        update();
}

void ParticipantTile::setVolume(float gain) {
    if (m_isSelf || std::abs(gain - m_volume) < 0.001F)
        return;
    m_volume = gain;
    if (m_volumeSlider) {
        const QSignalBlocker block(m_volumeSlider);
        m_volumeSlider->setValue(static_cast<int>(std::lround(gain * 100.0F)));
    }
    updateVolumeButton();
}

void ParticipantTile::setVideo(const QImage& picture) {
    if (picture.isNull() && m_video.isNull())
        return;
    m_video = picture;
    update();
}

void ParticipantTile::setVideoCaption(const QString& caption, CaptionTone tone) {
    if (caption == m_videoCaption && tone == m_captionTone)
        return;
    m_videoCaption = caption;
    m_captionTone = tone;
    if (!hasVideo())
        update();
}

QSize ParticipantTile::sizeHint() const {
    return {320, 200};
}

QSize ParticipantTile::minimumSizeHint() const {
    return {180, 130};
}

QRectF ParticipantTile::avatarRect() const {
    const QRectF area = QRectF(rect()).adjusted(kMargin, kMargin, -kMargin, -kMargin - 28);
    const qreal diameter = std::clamp(std::min(area.width(), area.height()) * 0.62, 40.0, 132.0);
    return QRectF(area.center().x() - diameter / 2, area.center().y() - diameter / 2, diameter,
                  diameter);
}

void ParticipantTile::paintEvent(QPaintEvent* /*event*/) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    const QRectF box = QRectF(rect()).adjusted(1.5, 1.5, -1.5, -1.5);

    if (hasVideo()) {
        paintVideo(p, box);
    } else {
        // Card.
        p.setPen(Qt::NoPen);
        p.setBrush(callui::tileColor(pal));
        p.drawRoundedRect(box, kRadius, kRadius);

        // Avatar, with a ring that grows with the level while speaking.
        const QRectF avatar = avatarRect();
        if (m_speaking) {
            const qreal loudness = std::clamp((m_levelDbfs + 60.0F) / 60.0F, 0.0F, 1.0F);
            const qreal ring = 3.0 + 9.0 * loudness;
            QColor halo = callui::speakingColor();
            halo.setAlphaF(0.35F);
            p.setBrush(halo);
            p.drawEllipse(avatar.adjusted(-ring, -ring, ring, ring));
        }
        p.setBrush(callui::avatarColor(m_name));
        p.drawEllipse(avatar);
        QFont big = font();
        big.setBold(true);
        big.setPixelSize(std::max(12, static_cast<int>(avatar.height() * 0.38)));
        p.setFont(big);
        p.setPen(Qt::white);
        p.drawText(avatar, Qt::AlignCenter, callui::initials(m_name));

        // Why there is no picture, between the avatar and the name.
        if (!m_videoCaption.isEmpty() && box.height() > 150) {
            QFont small = font();
            small.setPointSizeF(small.pointSizeF() * 0.85);
            const bool warning = m_captionTone == CaptionTone::Warning;
            if (warning)
                small.setWeight(QFont::DemiBold);
            p.setFont(small);
            const QFontMetrics sfm(small);
            const QRectF line(box.left() + kMargin, avatar.bottom() + 8, box.width() - 2 * kMargin,
                              sfm.height());
            const QString text =
                sfm.elidedText(m_videoCaption, Qt::ElideRight, static_cast<int>(line.width()) - 20);
            if (warning) { // a tinted pill, so it reads as news rather than a state
                const QColor warn = callui::warningColor();
                const qreal w = sfm.horizontalAdvance(text) + 20;
                const QRectF pill(line.center().x() - w / 2, line.top() - 3, w, line.height() + 6);
                QColor fill = warn;
                fill.setAlphaF(callui::isDark(pal) ? 0.25F : 0.18F);
                p.setPen(Qt::NoPen);
                p.setBrush(fill);
                p.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2);
                p.setPen(callui::isDark(pal) ? warn.lighter(130) : warn.darker(160));
            } else {
                p.setPen(callui::mutedTextColor(pal));
            }
            p.drawText(line, Qt::AlignHCenter | Qt::AlignTop, text);
        }
    }

    paintNameRow(p, box);

    // The frame on top of everything: green while speaking.
    p.setBrush(Qt::NoBrush);
    p.setPen(QPen(m_speaking ? callui::speakingColor() : callui::tileBorderColor(pal),
                  m_speaking ? 3.0 : 1.0));
    p.drawRoundedRect(box, kRadius, kRadius);
}

void ParticipantTile::paintVideo(QPainter& p, const QRectF& box) {
    // Fill the tile, cropping what sticks out (as every call app does), rounded corners.
    const QSizeF picture = m_video.size();
    const qreal scale = std::max(box.width() / picture.width(), box.height() / picture.height());
    const QSizeF shown(box.width() / scale, box.height() / scale);
    const QRectF source((picture.width() - shown.width()) / 2,
                        (picture.height() - shown.height()) / 2, shown.width(), shown.height());
    QPainterPath clip;
    clip.addRoundedRect(box, kRadius, kRadius);
    p.save();
    p.setClipPath(clip);
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    p.fillRect(box, Qt::black);
    p.drawImage(box, m_video, source);
    p.restore();
}

void ParticipantTile::paintNameRow(QPainter& p, const QRectF& box) {
    const QPalette pal = palette();
    const bool onVideo = hasVideo();
    // Name row: [mic-off] Name (You) [Admin]     [70 %]
    QFont nameFont = font();
    nameFont.setPointSizeF(nameFont.pointSizeF() * 1.05);
    nameFont.setWeight(QFont::DemiBold);
    const QFontMetrics fm(nameFont);
    const QString label = m_isSelf ? tr("%1 (You)").arg(m_name) : m_name;
    QFont badgeFont = font();
    badgeFont.setPointSizeF(badgeFont.pointSizeF() * 0.85);
    badgeFont.setWeight(QFont::DemiBold);
    const QFontMetrics bfm(badgeFont);
    const QString badge = tr("Admin");
    const int badgeWidth = m_admin ? bfm.horizontalAdvance(badge) + 14 : 0;
    const int iconSize = 20;
    const int rowHeight = std::max(fm.height(), iconSize) + 8;
    const int rowY = static_cast<int>(box.bottom()) - kMargin - rowHeight + 4;
    const int available =
        static_cast<int>(box.width()) - 2 * kMargin - badgeWidth - (m_muted ? iconSize + 8 : 0) - 8;
    const QString elided = fm.elidedText(label, Qt::ElideRight, std::max(20, available));
    const int textWidth = fm.horizontalAdvance(elided);
    const int rowWidth = (m_muted ? iconSize + 6 : 0) + textWidth + (m_admin ? badgeWidth + 8 : 0);
    int x = static_cast<int>(box.center().x()) - rowWidth / 2;
    if (onVideo) { // a dark pill behind the row keeps it readable on any picture
        const QRectF pill(x - 10, rowY + 2, rowWidth + 20, rowHeight - 4);
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(0, 0, 0, 140));
        p.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2);
    }

    if (m_muted) {
        const QRectF circle(x, rowY + (rowHeight - iconSize) / 2.0, iconSize, iconSize);
        p.setPen(Qt::NoPen);
        p.setBrush(callui::dangerColor());
        p.drawEllipse(circle);
        const QIcon micOff = callui::tintedIcon(QStringLiteral("mic-off"), Qt::white, 14);
        micOff.paint(&p, circle.adjusted(3, 3, -3, -3).toRect());
        x += iconSize + 6;
    }
    p.setFont(nameFont);
    p.setPen(onVideo ? QColor(Qt::white) : pal.color(QPalette::WindowText));
    p.drawText(QRect(x, rowY, textWidth + 2, rowHeight), Qt::AlignVCenter | Qt::AlignLeft, elided);
    x += textWidth + 8;
    if (m_admin) {
        const QRectF pill(x, rowY + (rowHeight - bfm.height() - 4) / 2.0, badgeWidth,
                          bfm.height() + 4);
        QColor fill = pal.color(QPalette::Active, QPalette::Highlight);
        fill.setAlphaF(onVideo ? 0.45F : 0.18F);
        p.setPen(Qt::NoPen);
        p.setBrush(fill);
        p.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2);
        p.setFont(badgeFont);
        p.setPen(onVideo || callui::isDark(pal)
                     ? pal.color(QPalette::Active, QPalette::Highlight).lighter(170)
                     : pal.color(QPalette::Active, QPalette::Highlight).darker(130));
        p.drawText(pill, Qt::AlignCenter, badge);
    }
}

void ParticipantTile::contextMenuEvent(QContextMenuEvent* event) {
    if (m_volumeMenu)
        m_volumeMenu->popup(event->globalPos());
}

void ParticipantTile::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    updateVolumeButton();
}

void ParticipantTile::enterEvent(QEnterEvent* event) {
    QWidget::enterEvent(event);
    m_hovered = true;
    updateVolumeButton();
}

void ParticipantTile::leaveEvent(QEvent* event) {
    QWidget::leaveEvent(event);
    m_hovered = false;
    updateVolumeButton();
}

void ParticipantTile::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        updateVolumeButton();
}

} // namespace diyuma::app
