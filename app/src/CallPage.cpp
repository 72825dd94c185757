#include "CallPage.h"

#include "diyuma/video/PictureConvert.h"

#include "AppSettings.h"
#include "CallController.h"
#include "CallDetailsDialog.h"
#include "CallUiStyle.h"
#include "ParticipantListDelegate.h"
#include "ParticipantTile.h"
#include "PushToTalkFilter.h"
#include "QualityIndicator.h"
#include "TileGrid.h"
#include "TileSubscription.h"
#include "VideoHub.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QPointer>
#include <QtCore/QTimer>
#include <QtGui/QClipboard>
#include <QtGui/QGuiApplication>
#include <QtGui/QKeySequence>
#include <QtGui/QShortcut>
#include <QtWidgets/QApplication>
#include <QtWidgets/QFrame>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QLabel>
#include <QtWidgets/QListWidget>
#include <QtWidgets/QMenu>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QScrollArea>
#include <QtWidgets/QToolButton>
#include <QtWidgets/QVBoxLayout>
#include <cmath>
#include <map>
#include <span>
#include <vector>

namespace diyuma::app {

namespace {

constexpr int kCopiedFeedbackMs = 2000;
constexpr int kRecoveredBannerMs = 5000;
/// Tiles look for new pictures this often (the senders' 30 fps).
constexpr int kVideoPollMs = 33;
/// A remote tile without a new picture for this long goes back to the avatar (camera off,
/// left private view, or the stream stalled).
constexpr qint64 kVideoStaleMs = 1500;

/// `picture` as an image for a tile of `tile` pixels: scaled down to what the tile shows
/// (never up: the painter does that smoothly), mirrored for the self-view.
QImage imageFor(const core::VideoFrame& picture, QSizeF tile, bool mirror) {
    const double scale =
        std::min(1.0, std::max(tile.width() / picture.width(), tile.height() / picture.height()));
    const int w = std::max(1, static_cast<int>(std::lround(picture.width() * scale)));
    const int h = std::max(1, static_cast<int>(std::lround(picture.height() * scale)));
    QImage image(w, h, QImage::Format_RGB32);
    const std::span<std::uint8_t> bits(image.bits(), static_cast<std::size_t>(image.sizeInBytes()));
    if (!core::i420ToRgb32(picture, bits, w, h, static_cast<std::size_t>(image.bytesPerLine()),
                           mirror))
        return {};
    return image;
}

QString rgba(QColor c, double alpha) {
    return QStringLiteral("rgba(%1,%2,%3,%4)")
        .arg(c.red())
        .arg(c.green())
        .arg(c.blue())
        .arg(alpha, 0, 'f', 2);
}

QString duration(qint64 ms) {
    const qint64 s = ms / 1000;
    if (s >= 3600)
        return QStringLiteral("%1:%2:%3")
            .arg(s / 3600)
            .arg((s / 60) % 60, 2, 10, QLatin1Char('0'))
            .arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2")
        .arg(s / 60, 2, 10, QLatin1Char('0'))
        .arg(s % 60, 2, 10, QLatin1Char('0'));
}

/// A banner across the page: a message and an optional close button.
class Banner : public QFrame {
public:
    Banner(const QString& objectName, bool closable, QWidget* parent) : QFrame(parent) {
        setObjectName(objectName);
        auto* row = new QHBoxLayout(this);
        row->setContentsMargins(14, 8, 8, 8);
        m_text = new QLabel(this);
        m_text->setWordWrap(true);
        m_text->setObjectName(objectName + QStringLiteral("Text"));
        row->addWidget(m_text, 1);
        if (closable) {
            auto* close = new QToolButton(this);
            close->setText(QStringLiteral("✕"));
            close->setAutoRaise(true);
            close->setToolTip(CallPage::tr("Dismiss"));
            connect(close, &QToolButton::clicked, this, &QWidget::hide);
            row->addWidget(close);
        }
        hide();
    }
    void show(const QString& text) {
        m_text->setText(text);
        QFrame::show();
    }
    QString text() const { return m_text->text(); }

private:
    QLabel* m_text;
};

} // namespace

class CallPage::Private {
public:
    Private(CallPage* owner, CallController& callController, AppSettings& appSettings)
        : q(owner), controller(callController), settings(appSettings) {}

    CallPage* q;
    CallController& controller;
    AppSettings& settings;

    QLabel* conferenceId = nullptr;
    QLabel* privateBadge = nullptr;
    QLabel* adminBadge = nullptr;
    QLabel* durationLabel = nullptr;
    QualityIndicator* quality = nullptr;
    QToolButton* peopleButton = nullptr;
    QToolButton* settingsButton = nullptr;
    Banner* reconnectBanner = nullptr;
    Banner* deviceBanner = nullptr;
    TileGrid* grid = nullptr;
    QLabel* aloneHint = nullptr;
    QWidget* sidePanel = nullptr;
    QLabel* peopleTitle = nullptr;
    QListWidget* list = nullptr;
    QWidget* bottomBar = nullptr;
    QPushButton* muteButton = nullptr;
    QPushButton* cameraButton = nullptr;
    QToolButton* privateToggle = nullptr;
    Banner* privateBanner = nullptr;
    Banner* adminMuteBanner = nullptr;
    QToolButton* copyLinkButton = nullptr;
    QMenu* copyMenu = nullptr;
    QPushButton* leaveButton = nullptr;
    QLabel* pttHint = nullptr;
    QPointer<CallDetailsDialog> details;
    PushToTalkFilter* ptt = nullptr;

    std::map<quint32, ParticipantTile*> tiles;
    /// What each tile last showed (by participant ID).
    struct TileVideo {
        std::uint64_t seen = 0;
        QElapsedTimer since; ///< the last new picture
        core::VideoFrame picture;
    };
    std::map<quint32, TileVideo> videos;
    QTimer videoTimer;
    QElapsedTimer callClock;
    QTimer durationTimer;
    QTimer copiedTimer;
    QTimer recoveredTimer;
    bool styling = false;
    bool privateNoticeShown = false;

    void build();
    void applyStyle();
    void sync();
    void syncList(const std::vector<const core::CallParticipant*>& people);
    void updateMuteButton();
    void updateCameraButton();
    void updateVideo();
    /// Why `p`'s tile shows no picture, and how loudly to say it.
    std::pair<QString, ParticipantTile::CaptionTone>
    captionFor(const core::CallParticipant& p) const;
    /// Tells the controller how large each remote tile is on screen (the relay then sends
    /// the picture size that fits: CallController::setTileViews).
    void reportTiles();
    void updateHeader();
    void copyLink(bool admin);
    void clear();
    void openDetails();
};

void CallPage::Private::build() {
    auto* root = new QVBoxLayout(q);
    root->setContentsMargins(0, 0, 0, 0);
    root->setSpacing(0);

    // Header: conference ID, badges, call duration | quality, people, settings.
    auto* header = new QWidget(q);
    header->setObjectName(QStringLiteral("callHeader"));
    auto* headerRow = new QHBoxLayout(header);
    headerRow->setContentsMargins(18, 10, 12, 10);
    headerRow->setSpacing(10);
    auto* caption = new QLabel(tr("Conference"), header);
    caption->setObjectName(QStringLiteral("conferenceCaption"));
    conferenceId = new QLabel(header);
    conferenceId->setObjectName(QStringLiteral("conferenceIdLabel"));
    conferenceId->setTextInteractionFlags(Qt::TextSelectableByMouse);
    conferenceId->setToolTip(tr("The conference ID: others can join with it"));
    QFont idFont = conferenceId->font();
    idFont.setPointSizeF(idFont.pointSizeF() * 1.25);
    idFont.setWeight(QFont::DemiBold);
    idFont.setLetterSpacing(QFont::PercentageSpacing, 104);
    conferenceId->setFont(idFont);
    privateBadge = new QLabel(tr("Private view"), header);
    privateBadge->setObjectName(QStringLiteral("privateViewBadge"));
    privateBadge->setToolTip(tr("Private view: only the admin sees everyone's video; the others "
                                "see only the admin's."));
    privateBadge->hide();
    privateToggle = new QToolButton(header);
    privateToggle->setObjectName(QStringLiteral("privateViewToggle"));
    privateToggle->setCheckable(true);
    privateToggle->setText(tr("Private view"));
    privateToggle->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    privateToggle->setCursor(Qt::PointingHandCursor);
    privateToggle->setToolTip(tr("Private view: only you (the admin) see everyone's video; the "
                                 "others see only yours. Click to switch."));
    privateToggle->setIconSize(QSize(18, 18));
    privateToggle->hide();
    adminBadge = new QLabel(tr("You are admin"), header);
    adminBadge->setObjectName(QStringLiteral("adminBadge"));
    adminBadge->hide();
    durationLabel = new QLabel(header);
    durationLabel->setObjectName(QStringLiteral("durationLabel"));
    durationLabel->setToolTip(tr("Time in this call"));
    quality = new QualityIndicator(header);
    peopleButton = new QToolButton(header);
    peopleButton->setObjectName(QStringLiteral("peopleButton"));
    peopleButton->setCheckable(true);
    peopleButton->setChecked(true);
    peopleButton->setAutoRaise(true);
    peopleButton->setToolTip(tr("Show or hide the participants list"));
    peopleButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    settingsButton = new QToolButton(header);
    settingsButton->setObjectName(QStringLiteral("settingsButton"));
    settingsButton->setAutoRaise(true);
    settingsButton->setToolTip(tr("Settings: devices, push-to-talk, sounds"));
    for (auto* b : {peopleButton, settingsButton})
        b->setIconSize(QSize(20, 20));
    for (auto* badge : {privateBadge, adminBadge}) {
        QFont small = badge->font();
        small.setPointSizeF(small.pointSizeF() * 0.85);
        badge->setFont(small);
        badge->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);
        badge->setFixedHeight(22);
    }
    headerRow->addWidget(caption);
    headerRow->addWidget(conferenceId);
    headerRow->addSpacing(4);
    headerRow->addWidget(privateBadge, 0, Qt::AlignVCenter);
    headerRow->addWidget(adminBadge, 0, Qt::AlignVCenter);
    headerRow->addWidget(privateToggle, 0, Qt::AlignVCenter);
    headerRow->addStretch(1);
    headerRow->addWidget(durationLabel);
    headerRow->addSpacing(4);
    headerRow->addWidget(quality);
    headerRow->addWidget(peopleButton);
    headerRow->addWidget(settingsButton);
    root->addWidget(header);

    auto* bannerBox = new QVBoxLayout;
    bannerBox->setContentsMargins(14, 0, 14, 0);
    bannerBox->setSpacing(6);
    reconnectBanner = new Banner(QStringLiteral("reconnectBanner"), false, q);
    deviceBanner = new Banner(QStringLiteral("deviceBanner"), true, q);
    privateBanner = new Banner(QStringLiteral("privateViewBanner"), true, q);
    adminMuteBanner = new Banner(QStringLiteral("adminMuteBanner"), true, q);
    bannerBox->addWidget(reconnectBanner);
    bannerBox->addWidget(adminMuteBanner);
    bannerBox->addWidget(privateBanner);
    bannerBox->addWidget(deviceBanner);
    root->addLayout(bannerBox);

    // Middle: the tiles (scrolling when there are many) and the participants list.
    auto* middle = new QHBoxLayout;
    middle->setContentsMargins(14, 10, 14, 10);
    middle->setSpacing(12);
    auto* scroll = new QScrollArea(q);
    scroll->setObjectName(QStringLiteral("tileScroll"));
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidgetResizable(true);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    grid = new TileGrid(scroll);
    grid->setObjectName(QStringLiteral("tileGrid"));
    scroll->setWidget(grid);
    scroll->viewport()->setAutoFillBackground(false);
    aloneHint = new QLabel(tr("You are the only one here. Copy the invite link and send it to "
                              "the people you want to talk to."),
                           grid);
    aloneHint->setObjectName(QStringLiteral("aloneHint"));
    aloneHint->setWordWrap(true);
    aloneHint->setAlignment(Qt::AlignCenter);
    grid->setFooter(aloneHint);
    middle->addWidget(scroll, 1);

    sidePanel = new QFrame(q);
    sidePanel->setObjectName(QStringLiteral("sidePanel"));
    auto* side = new QVBoxLayout(sidePanel);
    side->setContentsMargins(10, 12, 10, 10);
    side->setSpacing(8);
    peopleTitle = new QLabel(sidePanel);
    peopleTitle->setObjectName(QStringLiteral("peopleTitle"));
    QFont titleFont = peopleTitle->font();
    titleFont.setWeight(QFont::DemiBold);
    peopleTitle->setFont(titleFont);
    list = new QListWidget(sidePanel);
    list->setObjectName(QStringLiteral("participantList"));
    list->setItemDelegate(new ParticipantListDelegate(list));
    list->setFrameShape(QFrame::NoFrame);
    list->setSelectionMode(QAbstractItemView::NoSelection);
    list->setFocusPolicy(Qt::NoFocus);
    list->setUniformItemSizes(true);
    list->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    side->addWidget(peopleTitle);
    side->addWidget(list, 1);
    sidePanel->setFixedWidth(250);
    middle->addWidget(sidePanel);
    root->addLayout(middle, 1);

    // Bottom bar: [push-to-talk hint]   [Mute] [Copy invite link] [Leave]   [spacer]
    bottomBar = new QWidget(q);
    bottomBar->setObjectName(QStringLiteral("bottomBar"));
    auto* bottom = new QHBoxLayout(bottomBar);
    bottom->setContentsMargins(18, 10, 18, 16);
    bottom->setSpacing(12);
    pttHint = new QLabel(bottomBar);
    pttHint->setObjectName(QStringLiteral("pttHint"));
    muteButton = new QPushButton(bottomBar);
    muteButton->setObjectName(QStringLiteral("muteButton"));
    muteButton->setCheckable(true);
    muteButton->setCursor(Qt::PointingHandCursor);
    cameraButton = new QPushButton(bottomBar);
    cameraButton->setObjectName(QStringLiteral("cameraButton"));
    cameraButton->setCheckable(true);
    cameraButton->setCursor(Qt::PointingHandCursor);
    copyLinkButton = new QToolButton(bottomBar);
    copyLinkButton->setObjectName(QStringLiteral("copyLinkButton"));
    copyLinkButton->setText(tr("Copy invite link"));
    copyLinkButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    copyLinkButton->setCursor(Qt::PointingHandCursor);
    copyLinkButton->setToolTip(tr("Copy the link others can join with"));
    copyMenu = new QMenu(copyLinkButton);
    copyMenu->setObjectName(QStringLiteral("copyLinkMenu"));
    auto* copyInvite = copyMenu->addAction(tr("Copy invite link"));
    auto* copyAdmin = copyMenu->addAction(tr("Copy admin link"));
    copyAdmin->setObjectName(QStringLiteral("copyAdminLinkAction"));
    copyAdmin->setToolTip(tr("Whoever opens the admin link joins as admin: share it with care"));
    leaveButton = new QPushButton(tr("Leave"), bottomBar);
    leaveButton->setObjectName(QStringLiteral("leaveButton"));
    leaveButton->setCursor(Qt::PointingHandCursor);
    leaveButton->setToolTip(tr("Leave the conference"));
    for (auto* b : std::initializer_list<QAbstractButton*>{muteButton, cameraButton, copyLinkButton,
                                                           leaveButton})
        b->setIconSize(QSize(20, 20));
    // The hint on the left and an equal stretch on the right keep the buttons centred.
    bottom->addWidget(pttHint, 1);
    bottom->addWidget(muteButton);
    bottom->addWidget(cameraButton);
    bottom->addWidget(copyLinkButton);
    bottom->addWidget(leaveButton);
    bottom->addStretch(1);
    root->addWidget(bottomBar);

    ptt = new PushToTalkFilter(q, q);
    QObject::connect(ptt, &PushToTalkFilter::talkingChanged, q, [this](bool talking) {
        controller.setMuted(!talking);
        updateMuteButton();
    });
    qApp->installEventFilter(ptt);

    auto* muteShortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_D), q);
    muteShortcut->setContext(Qt::WindowShortcut);
    QObject::connect(muteShortcut, &QShortcut::activated, q, [this] {
        if (!settings.pushToTalk() && controller.inCall())
            controller.setMuted(!controller.muted());
    });
    QObject::connect(muteButton, &QPushButton::clicked, q, [this] {
        if (!settings.pushToTalk())
            controller.setMuted(!controller.muted());
        updateMuteButton();
    });
    QObject::connect(cameraButton, &QPushButton::clicked, q, [this] {
        controller.setCameraOn(!controller.cameraOn());
        updateCameraButton();
    });
    QObject::connect(privateToggle, &QToolButton::clicked, q, [this](bool on) {
        controller.setPrivateView(on);
        // The relay's announcement decides; until then the button shows the wish.
    });
    QObject::connect(copyLinkButton, &QToolButton::clicked, q, [this] { copyLink(false); });
    QObject::connect(copyInvite, &QAction::triggered, q, [this] { copyLink(false); });
    QObject::connect(copyAdmin, &QAction::triggered, q, [this] { copyLink(true); });
    QObject::connect(leaveButton, &QPushButton::clicked, q, &CallPage::leaveRequested);
    QObject::connect(settingsButton, &QToolButton::clicked, q, &CallPage::settingsRequested);
    QObject::connect(peopleButton, &QToolButton::toggled, sidePanel, &QWidget::setVisible);
    QObject::connect(quality, &QualityIndicator::clicked, q, [this] { openDetails(); });

    durationTimer.setInterval(1000);
    QObject::connect(&durationTimer, &QTimer::timeout, q,
                     [this] { durationLabel->setText(duration(callClock.elapsed())); });
    copiedTimer.setSingleShot(true);
    QObject::connect(&copiedTimer, &QTimer::timeout, q,
                     [this] { copyLinkButton->setText(tr("Copy invite link")); });
    videoTimer.setInterval(kVideoPollMs);
    QObject::connect(&videoTimer, &QTimer::timeout, q, [this] { updateVideo(); });
    recoveredTimer.setSingleShot(true);
    QObject::connect(&recoveredTimer, &QTimer::timeout, deviceBanner, &QWidget::hide);
}

void CallPage::Private::applyStyle() {
    // Stylesheets only for what the palette cannot say (pills, the red Leave button); every
    // colour comes from the palette or the fixed signal colours, so light and dark both work.
    if (styling)
        return;
    styling = true;
    const QPalette pal = q->palette();
    const QColor text = pal.color(QPalette::WindowText);
    const QColor tile = callui::tileColor(pal);
    const QColor border = callui::tileBorderColor(pal);
    const QColor danger = callui::dangerColor();
    const QColor warn = callui::warningColor();
    const QColor highlight = pal.color(QPalette::Active, QPalette::Highlight);
    const QColor subtle = callui::mutedTextColor(pal);
    const bool dark = callui::isDark(pal);

    bottomBar->setStyleSheet(
        QStringLiteral(
            "QPushButton#muteButton, QPushButton#cameraButton, QToolButton#copyLinkButton {"
            " background: %1; color: %2; border: 1px solid %3; border-radius: 21px;"
            " padding: 0 18px; min-height: 40px; font-weight: 600; }"
            "QPushButton#muteButton:hover, QPushButton#cameraButton:hover,"
            " QToolButton#copyLinkButton:hover { background: %4; }"
            "QPushButton#muteButton:checked, QPushButton#cameraButton:checked { background: %5;"
            " border-color: %6; color: %7; }"
            "QPushButton#muteButton:disabled { color: %2; }"
            "QPushButton#cameraButton:disabled { color: %10; }"
            "QToolButton#copyLinkButton[popupMode=\"1\"] { padding-right: 34px; }"
            "QToolButton#copyLinkButton::menu-button { border: none; width: 28px;"
            " border-top-right-radius: 21px; border-bottom-right-radius: 21px; }"
            "QPushButton#leaveButton { background: %6; color: white; border: none;"
            " border-radius: 21px; padding: 0 26px; min-height: 42px; font-weight: 600; }"
            "QPushButton#leaveButton:hover { background: %8; }"
            "QPushButton#leaveButton:pressed { background: %9; }"
            "QLabel#pttHint { color: %10; }")
            .arg(tile.name(), text.name(), border.name(), callui::blend(tile, text, 0.06).name(),
                 rgba(danger, dark ? 0.28 : 0.12), danger.name(),
                 dark ? danger.lighter(140).name() : danger.darker(115).name(),
                 danger.lighter(112).name(), danger.darker(115).name())
            .arg(subtle.name()));

    // Half the badges' fixed height: a pill (Qt drops radii larger than that altogether).
    const QString pill = QStringLiteral("border-radius: 11px; padding: 0 10px; font-weight: 600;");
    privateBadge->setStyleSheet(QStringLiteral("background: %1; color: %2; %3")
                                    .arg(rgba(warn, dark ? 0.25 : 0.18),
                                         dark ? warn.lighter(130).name() : warn.darker(150).name(),
                                         pill));
    privateToggle->setStyleSheet(
        QStringLiteral("QToolButton { background: transparent; color: %1; border: 1px solid %2;"
                       " border-radius: 11px; padding: 0 10px; font-weight: 600; min-height: 20px;"
                       " }"
                       "QToolButton:checked { background: %3; color: %4; border-color: %3; }")
            .arg(text.name(), border.name(), rgba(warn, dark ? 0.25 : 0.18),
                 dark ? warn.lighter(130).name() : warn.darker(150).name()));
    for (auto* banner : {privateBanner, adminMuteBanner})
        banner->setStyleSheet(QStringLiteral("QFrame#%4 { background: %1; border: 1px solid %2;"
                                             " border-radius: 10px; } QLabel { color: %3; }")
                                  .arg(rgba(warn, dark ? 0.16 : 0.10), rgba(warn, 0.45),
                                       text.name(), banner->objectName()));
    adminBadge->setStyleSheet(
        QStringLiteral("background: %1; color: %2; %3")
            .arg(rgba(highlight, 0.18),
                 dark ? highlight.lighter(150).name() : highlight.darker(130).name(), pill));
    q->findChild<QLabel*>(QStringLiteral("conferenceCaption"))
        ->setStyleSheet(QStringLiteral("color: %1;").arg(subtle.name()));
    durationLabel->setStyleSheet(QStringLiteral("color: %1;").arg(subtle.name()));
    aloneHint->setStyleSheet(QStringLiteral("color: %1;").arg(subtle.name()));
    peopleTitle->setStyleSheet(QStringLiteral("color: %1;").arg(text.name()));
    sidePanel->setStyleSheet(
        QStringLiteral("QFrame#sidePanel { background: %1; border: 1px solid "
                       "%2; border-radius: 14px; }"
                       "QListWidget { background: transparent; border: none; }")
            .arg(tile.name(), border.name()));
    reconnectBanner->setStyleSheet(
        QStringLiteral("QFrame#reconnectBanner { background: %1; border: 1px solid %2;"
                       " border-radius: 10px; } QLabel { color: %3; }")
            .arg(rgba(warn, dark ? 0.22 : 0.16), rgba(warn, 0.6), text.name()));
    deviceBanner->setStyleSheet(
        QStringLiteral("QFrame#deviceBanner { background: %1; border: 1px solid %2;"
                       " border-radius: 10px; } QLabel { color: %3; }")
            .arg(rgba(danger, dark ? 0.20 : 0.10), rgba(danger, 0.5), text.name()));

    peopleButton->setIcon(callui::tintedIcon(QStringLiteral("people"), text, 20));
    settingsButton->setIcon(callui::tintedIcon(QStringLiteral("settings"), text, 20));
    copyLinkButton->setIcon(callui::tintedIcon(QStringLiteral("link"), text, 20));
    leaveButton->setIcon(callui::tintedIcon(QStringLiteral("phone-hangup"), Qt::white, 20));
    privateToggle->setIcon(callui::tintedIcon(QStringLiteral("eye"), text, 18));
    updateMuteButton();
    updateCameraButton();
    grid->update();
    styling = false;
}

void CallPage::Private::updateMuteButton() {
    const bool pushToTalk = settings.pushToTalk();
    const bool muted = controller.muted();
    const QPalette pal = q->palette();
    const QColor iconColor =
        muted ? (callui::isDark(pal) ? callui::dangerColor().lighter(140) : callui::dangerColor())
              : pal.color(QPalette::WindowText);
    muteButton->setChecked(muted);
    muteButton->setIcon(callui::tintedIcon(
        muted ? QStringLiteral("mic-off") : QStringLiteral("mic"), iconColor, 20));
    if (pushToTalk) {
        muteButton->setText(muted ? tr("Hold Space to talk") : tr("Talking"));
        muteButton->setEnabled(false);
        muteButton->setToolTip(tr("Push-to-talk is on (Settings): the microphone is open while "
                                  "you hold Space"));
        pttHint->setText(tr("Push-to-talk"));
    } else if (controller.unmuteLocked()) {
        muteButton->setText(tr("Muted by the admin"));
        muteButton->setEnabled(false);
        muteButton->setToolTip(tr("The admin muted you; you can unmute once the admin allows it"));
        pttHint->clear();
    } else {
        muteButton->setText(muted ? tr("Unmute") : tr("Mute"));
        muteButton->setEnabled(true);
        muteButton->setToolTip(muted ? tr("Turn the microphone on (Ctrl+D)")
                                     : tr("Turn the microphone off (Ctrl+D)"));
        pttHint->clear();
    }
}

void CallPage::Private::updateCameraButton() {
    const bool available = controller.inCall() && controller.sendsVideo();
    const bool on = available && controller.cameraOn();
    const QPalette pal = q->palette();
    const QColor iconColor =
        !available ? callui::mutedTextColor(pal)
        : on       ? pal.color(QPalette::WindowText)
             : (callui::isDark(pal) ? callui::dangerColor().lighter(140) : callui::dangerColor());
    cameraButton->setEnabled(available);
    cameraButton->setChecked(available && !on);
    cameraButton->setIcon(callui::tintedIcon(
        on ? QStringLiteral("camera") : QStringLiteral("camera-off"), iconColor, 20));
    cameraButton->setText(!available ? tr("No video") : on ? tr("Stop video") : tr("Start video"));
    const QString notice = controller.videoNotice();
    cameraButton->setToolTip(!available
                                 ? (notice.isEmpty() ? tr("This call is audio-only") : notice)
                             : on ? tr("Turn your camera off")
                                  : tr("Turn your camera on"));
}

std::pair<QString, ParticipantTile::CaptionTone>
CallPage::Private::captionFor(const core::CallParticipant& p) const {
    using Tone = ParticipantTile::CaptionTone;
    const auto& snap = controller.snapshot();
    if (p.isSelf) {
        if (!controller.sendsVideo())
            return {settings.videoSource() == QLatin1String("none") ? tr("Video off in Settings")
                                                                    : tr("No camera"),
                    Tone::Quiet};
        return {controller.cameraOn() ? QString() : tr("Camera off"), Tone::Quiet};
    }
    if (snap.privateView && !snap.admin && !p.admin)
        return {tr("Video only for the admin"), Tone::Quiet};
    // The relay's word on what we get of them (ReceiveReport, about once a second).
    for (const auto& entry : snap.stats.downlink.senders)
        if (entry.participantId == p.participantId &&
            entry.state == core::wire::ReceiveState::PausedBandwidth)
            return {tr("Video paused: your connection is too slow"), Tone::Warning};
    return {tr("No video"), Tone::Quiet};
}

void CallPage::Private::reportTiles() {
    if (!controller.inCall())
        return;
    const bool minimised = q->window()->isMinimized();
    std::vector<TileView> views;
    for (const auto& [id, tile] : tiles) {
        if (tile->isSelf())
            continue;
        const QSizeF size = QSizeF(tile->size()) * tile->devicePixelRatioF();
        views.push_back({id, static_cast<int>(std::ceil(size.width())),
                         static_cast<int>(std::ceil(size.height())),
                         !minimised && tile->isVisible() && !tile->visibleRegion().isEmpty()});
    }
    controller.setTileViews(std::move(views));
}

void CallPage::Private::updateVideo() {
    VideoHub& hub = controller.video();
    const auto& snap = controller.snapshot();
    for (auto& [id, tile] : tiles) {
        TileVideo& state = videos[id];
        // In private view a member gets no other member's video: their tile goes back to the
        // avatar as soon as the relay says so, not after the stale timeout.
        if (snap.privateView && !snap.admin && !tile->isSelf() && !tile->isAdmin()) {
            tile->setVideo(QImage());
            continue;
        }
        const bool got = tile->isSelf() ? hub.self().fetchIfNewer(state.seen, state.picture)
                                        : hub.fetchIfNewer(id, state.seen, state.picture);
        if (got) {
            state.since.start();
            tile->setVideo(
                imageFor(state.picture, tile->size() * tile->devicePixelRatioF(), tile->isSelf()));
        } else if (tile->hasVideo() &&
                   ((tile->isSelf() && !controller.cameraOn()) ||
                    (state.since.isValid() && state.since.elapsed() > kVideoStaleMs))) {
            tile->setVideo(QImage());
        }
    }
    std::erase_if(videos, [this](const auto& item) { return !tiles.contains(item.first); });
}

void CallPage::Private::updateHeader() {
    const auto& snap = controller.snapshot();
    conferenceId->setText(snap.invite ? QString::fromStdString(snap.invite->id.toString())
                                      : QString());
    const bool joined = snap.invite.has_value() && controller.inCall();
    privateBadge->setVisible(snap.privateView && joined && !snap.admin);
    adminBadge->setVisible(snap.admin && joined);
    privateToggle->setVisible(snap.admin && joined);
    if (!privateToggle->isDown())
        privateToggle->setChecked(snap.privateView);
    // Non-admins are told once per switch to private view; closing the banner hides it.
    const bool tellMember = snap.privateView && joined && !snap.admin;
    if (tellMember && !privateNoticeShown) {
        privateBanner->show(tr("This conference is in private view: only the admin sees "
                               "everyone's video. You see the admin's video, and only the admin "
                               "sees yours."));
        privateNoticeShown = true;
    } else if (!tellMember) {
        privateBanner->hide();
        privateNoticeShown = false;
    }
    const bool canCopyAdmin = !controller.adminInviteLink().isEmpty();
    const auto mode = canCopyAdmin ? QToolButton::MenuButtonPopup : QToolButton::DelayedPopup;
    if (copyLinkButton->popupMode() != mode ||
        (copyLinkButton->menu() != nullptr) != canCopyAdmin) {
        copyLinkButton->setMenu(canCopyAdmin ? copyMenu : nullptr);
        copyLinkButton->setPopupMode(mode);
        // The stylesheet keys on popupMode: make it look again.
        copyLinkButton->style()->unpolish(copyLinkButton);
        copyLinkButton->style()->polish(copyLinkButton);
    }
    copyLinkButton->setEnabled(!controller.inviteLink().isEmpty());
    quality->setFigures(snap.rttMs, snap.lossPercent);
}

void CallPage::Private::sync() {
    const auto& snap = controller.snapshot();
    // Ourselves first, then the others in the order they joined (participant IDs rise).
    std::vector<const core::CallParticipant*> people;
    for (const auto& p : snap.participants)
        if (p.isSelf)
            people.push_back(&p);
    for (const auto& p : snap.participants)
        if (!p.isSelf)
            people.push_back(&p);

    bool membersChanged = false;
    std::map<quint32, ParticipantTile*> kept;
    for (const auto* p : people) {
        auto it = tiles.find(p->participantId);
        ParticipantTile* tile = nullptr;
        if (it == tiles.end()) {
            tile = new ParticipantTile(p->participantId, p->isSelf, grid);
            QObject::connect(
                tile, &ParticipantTile::volumeChanged, q,
                [this](quint32 id, float gain) { controller.setParticipantVolume(id, gain); });
            QObject::connect(tile, &ParticipantTile::adminActionRequested, q,
                             [this](quint32 id, ParticipantTile::AdminAction action) {
                                 using A = ParticipantTile::AdminAction;
                                 using M = core::wire::AdminMute;
                                 switch (action) {
                                 case A::Mute:
                                     controller.muteParticipant(id, M::Mute);
                                     break;
                                 case A::MuteLocked:
                                     controller.muteParticipant(id, M::MuteLocked);
                                     break;
                                 case A::AllowUnmute:
                                     controller.muteParticipant(id, M::Allow);
                                     break;
                                 case A::Remove:
                                     controller.removeParticipant(id);
                                     break;
                                 }
                             });
            membersChanged = true;
        } else {
            tile = it->second;
            tiles.erase(it);
        }
        kept[p->participantId] = tile;
        tile->setDisplayName(QString::fromStdString(p->name));
        tile->setAdmin(p->admin);
        tile->setMuted(p->isSelf ? controller.muted() || p->muted : p->muted);
        tile->setSpeaking(p->speaking && !(p->isSelf && controller.muted()), p->levelDbfs);
        tile->setVolume(p->volume);
        const auto [caption, tone] = captionFor(*p);
        tile->setVideoCaption(caption, tone);
        tile->setAdminActionsVisible(snap.admin && !p->isSelf);
    }
    for (auto& [id, tile] : tiles) {
        delete tile;
        membersChanged = true;
    }
    tiles = std::move(kept);
    if (membersChanged) {
        std::vector<QWidget*> order;
        for (const auto* p : people)
            order.push_back(tiles.at(p->participantId));
        grid->setTiles(order);
    }
    const bool alone = people.size() == 1;
    if (aloneHint->isHidden() == alone) {
        aloneHint->setVisible(alone);
        grid->relayout();
    }
    syncList(people);
    updateHeader();
    reportTiles();
    if (details && details->isVisible())
        details->setSnapshot(snap);
}

void CallPage::Private::syncList(const std::vector<const core::CallParticipant*>& people) {
    namespace roles = participant_roles;
    peopleTitle->setText(tr("People · %1").arg(people.size()));
    peopleButton->setText(QString::number(people.size()));
    bool sameOrder = list->count() == static_cast<int>(people.size());
    for (int i = 0; sameOrder && i < list->count(); ++i)
        sameOrder = list->item(i)->data(roles::Id).toUInt() ==
                    people[static_cast<std::size_t>(i)]->participantId;
    if (!sameOrder) {
        list->clear();
        for (const auto* p : people) {
            auto* item = new QListWidgetItem(list);
            item->setData(roles::Id, p->participantId);
            item->setData(roles::Self, p->isSelf);
        }
    }
    for (int i = 0; i < list->count(); ++i) {
        const auto* p = people[static_cast<std::size_t>(i)];
        auto* item = list->item(i);
        const QString name = QString::fromStdString(p->name);
        const bool muted = p->isSelf ? controller.muted() || p->muted : p->muted;
        QString text = p->isSelf ? tr("%1 (You)").arg(name) : name;
        if (p->admin)
            text += QStringLiteral(" · ") + tr("admin");
        if (muted)
            text += QStringLiteral(" · ") + tr("muted");
        // Only what changed: setData() repaints the row.
        auto set = [item](int role, const QVariant& value) {
            if (item->data(role) != value)
                item->setData(role, value);
        };
        set(Qt::DisplayRole, text);
        set(roles::Name, name);
        set(roles::Admin, p->admin);
        set(roles::Muted, muted);
        set(roles::Speaking, p->speaking && !muted);
    }
}

void CallPage::Private::copyLink(bool admin) {
    const QString link = admin ? controller.adminInviteLink() : controller.inviteLink();
    if (link.isEmpty())
        return;
    QGuiApplication::clipboard()->setText(link);
    copyLinkButton->setText(admin ? tr("Admin link copied") : tr("Link copied"));
    copiedTimer.start(kCopiedFeedbackMs);
}

void CallPage::Private::clear() {
    for (auto& [id, tile] : tiles)
        delete tile;
    tiles.clear();
    grid->setTiles({});
    list->clear();
    reconnectBanner->hide();
    deviceBanner->hide();
    privateBanner->hide();
    adminMuteBanner->hide();
    privateNoticeShown = false;
    privateToggle->hide();
    videoTimer.stop();
    videos.clear();
    updateCameraButton();
    durationTimer.stop();
    durationLabel->clear();
    conferenceId->clear();
    privateBadge->hide();
    adminBadge->hide();
    ptt->reset();
    if (details)
        details->close();
    quality->setFigures(std::nullopt, 0.0);
}

void CallPage::Private::openDetails() {
    if (!details) {
        details = new CallDetailsDialog(q);
        details->setAttribute(Qt::WA_DeleteOnClose);
    }
    details->setSnapshot(controller.snapshot());
    details->show();
    details->raise();
    details->activateWindow();
}

CallPage::CallPage(CallController& controller, AppSettings& settings, QWidget* parent)
    : QWidget(parent), d(std::make_unique<Private>(this, controller, settings)) {
    setObjectName(QStringLiteral("callPage"));
    d->build();
    d->applyStyle();

    connect(&controller, &CallController::joined, this, [this](bool rejoined) {
        d->reconnectBanner->hide();
        if (!rejoined) {
            d->callClock.start();
            d->durationLabel->setText(duration(0));
            d->durationTimer.start();
        }
        d->updateMuteButton();
        d->updateCameraButton();
        d->videoTimer.start();
        d->sync();
        // Keyboard focus on the main control, not on whatever comes first in the tab chain.
        if (!rejoined && d->muteButton->isEnabled())
            d->muteButton->setFocus(Qt::OtherFocusReason);
    });
    connect(&controller, &CallController::rosterChanged, this, [this] { d->sync(); });
    connect(&controller, &CallController::snapshotUpdated, this, [this] { d->sync(); });
    connect(&controller, &CallController::mutedChanged, this, [this] {
        d->updateMuteButton();
        d->sync();
    });
    connect(&controller, &CallController::mutedByAdmin, this, [this](bool muted, bool locked) {
        d->adminMuteBanner->show(
            locked  ? tr("The admin muted you. You can unmute once the admin allows it.")
            : muted ? tr("The admin muted you. You can unmute yourself when you want to speak.")
                    : tr("The admin allows you to unmute again."));
        d->updateMuteButton();
        d->sync();
    });
    connect(&controller, &CallController::cameraChanged, this, [this] {
        d->updateCameraButton();
        d->sync();
    });
    connect(&controller, &CallController::reconnecting, this, [this](const QString& reason) {
        d->reconnectBanner->show(reason.isEmpty()
                                     ? tr("Reconnecting… The connection to the relay was lost.")
                                     : tr("Reconnecting… %1").arg(reason));
    });
    connect(&controller, &CallController::deviceProblem, this, [this](const QString& message) {
        d->recoveredTimer.stop();
        d->deviceBanner->show(message);
    });
    connect(&controller, &CallController::deviceRecovered, this, [this](const QString& message) {
        d->deviceBanner->show(message);
        d->recoveredTimer.start(kRecoveredBannerMs);
    });
    connect(&controller, &CallController::ended, this, [this] { d->clear(); });
    connect(&settings, &AppSettings::changed, this, [this] {
        if (d->settings.pushToTalk() && d->controller.inCall() && !d->ptt->talking())
            d->controller.setMuted(true);
        d->updateMuteButton();
    });
    d->ptt->setEnabledCheck(
        [this] { return d->settings.pushToTalk() && d->controller.inCall() && isVisible(); });
    d->updateMuteButton();
    d->sync();
}

CallPage::~CallPage() = default;

void CallPage::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        d->applyStyle();
}

} // namespace diyuma::app
