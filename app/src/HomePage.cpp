#include "HomePage.h"

#include "AppOptions.h"
#include "AppSettings.h"
#include "Theme.h"

#include <QtGui/QIcon>
#include <QtWidgets/QCheckBox>
#include <QtWidgets/QFrame>
#include <QtWidgets/QGridLayout>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QProgressBar>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QScrollArea>
#include <QtWidgets/QToolButton>
#include <QtWidgets/QVBoxLayout>

namespace diyuma::app {

namespace {

constexpr int kContentWidth = 760;

QLabel* makeLabel(const QString& text, const char* property, QWidget* parent) {
    auto* label = new QLabel(text, parent);
    if (property)
        label->setProperty(property, true);
    label->setWordWrap(true);
    return label;
}

QFrame* makeCard(const QString& objectName, QWidget* parent) {
    auto* card = new QFrame(parent);
    card->setObjectName(objectName);
    card->setProperty("card", true);
    return card;
}

} // namespace

HomePage::HomePage(AppSettings& settings, QWidget* parent) : QWidget(parent), m_settings(settings) {
    setObjectName(QStringLiteral("homePage"));

    // Everything sits in a centred column of fixed width inside a scroll area, so a small
    // window scrolls instead of squashing the fields.
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto* canvas = new QWidget(scroll);
    canvas->setObjectName(QStringLiteral("homeCanvas"));
    scroll->setWidget(canvas);
    scroll->viewport()->setAutoFillBackground(false);
    canvas->setAutoFillBackground(false);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);

    auto* canvasLayout = new QHBoxLayout(canvas);
    canvasLayout->setContentsMargins(24, 16, 24, 24);
    auto* column = new QWidget(canvas);
    column->setMaximumWidth(kContentWidth);
    canvasLayout->addStretch(1);
    canvasLayout->addWidget(column, 100);
    canvasLayout->addStretch(1);
    auto* layout = new QVBoxLayout(column);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(16);

    // Top bar: settings on the right.
    auto* topBar = new QHBoxLayout;
    topBar->addStretch(1);
    m_settingsButton = new QToolButton(column);
    m_settingsButton->setObjectName(QStringLiteral("settingsButton"));
    m_settingsButton->setIcon(themedIcon(QStringLiteral("settings")));
    m_settingsButton->setIconSize(QSize(22, 22));
    m_settingsButton->setText(tr("Settings"));
    m_settingsButton->setToolTip(tr("Audio devices, sounds and language"));
    m_settingsButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    topBar->addWidget(m_settingsButton);
    layout->addLayout(topBar);
    // The rest sits in the middle of the window, a little above centre.
    layout->addStretch(2);

    // Header: the mark, the name and one line on what it does.
    auto* header = new QHBoxLayout;
    header->setSpacing(16);
    auto* logo = new QLabel(column);
    logo->setPixmap(QIcon(QStringLiteral(":/icons/diyuma.svg")).pixmap(QSize(64, 64)));
    logo->setFixedSize(64, 64);
    header->addWidget(logo, 0, Qt::AlignVCenter);
    auto* titles = new QVBoxLayout;
    titles->setSpacing(2);
    auto* title = makeLabel(tr("Diyuma Conference"), "title", column);
    title->setObjectName(QStringLiteral("titleLabel"));
    titles->addWidget(title);
    titles->addWidget(
        makeLabel(tr("Start a conference, share the link, and talk."), "hint", column));
    header->addLayout(titles, 1);
    layout->addLayout(header);
    layout->addSpacing(8);

    // You: name and relay.
    auto* profileCard = makeCard(QStringLiteral("profileCard"), column);
    auto* profile = new QGridLayout(profileCard);
    profile->setContentsMargins(20, 18, 20, 20);
    profile->setHorizontalSpacing(16);
    profile->setVerticalSpacing(6);
    auto* nameLabel = makeLabel(tr("Your name"), "heading", profileCard);
    m_nameEdit = new QLineEdit(profileCard);
    m_nameEdit->setObjectName(QStringLiteral("nameEdit"));
    m_nameEdit->setPlaceholderText(tr("How the others see you"));
    nameLabel->setBuddy(m_nameEdit);
    auto* relayLabel = makeLabel(tr("Relay server"), "heading", profileCard);
    m_relayEdit = new QLineEdit(profileCard);
    m_relayEdit->setObjectName(QStringLiteral("relayEdit"));
    m_relayEdit->setPlaceholderText(AppSettings::defaultRelay());
    m_relayEdit->setToolTip(tr("HOST:PORT of the relay that carries the call. An invite link "
                               "names its own relay."));
    relayLabel->setBuddy(m_relayEdit);
    profile->addWidget(nameLabel, 0, 0);
    profile->addWidget(relayLabel, 0, 1);
    profile->addWidget(m_nameEdit, 1, 0);
    profile->addWidget(m_relayEdit, 1, 1);
    profile->setColumnStretch(0, 3);
    profile->setColumnStretch(1, 2);
    layout->addWidget(profileCard);

    // Start and join side by side.
    auto* actions = new QHBoxLayout;
    actions->setSpacing(16);

    auto* startCard = makeCard(QStringLiteral("startCard"), column);
    auto* start = new QVBoxLayout(startCard);
    start->setContentsMargins(20, 18, 20, 20);
    start->setSpacing(10);
    start->addWidget(makeLabel(tr("New conference"), "heading", startCard));
    start->addWidget(
        makeLabel(tr("You get an invite link to send to the others."), "hint", startCard));
    m_privateViewCheck = new QCheckBox(tr("Private view"), startCard);
    m_privateViewCheck->setObjectName(QStringLiteral("privateViewCheck"));
    m_privateViewCheck->setToolTip(
        tr("Only you, the admin, see everyone's video; the others see only yours."));
    start->addWidget(m_privateViewCheck);
    auto* privateViewHint = makeLabel(
        tr("Only you see everyone's video; the others see only yours."), "hint", startCard);
    privateViewHint->setObjectName(QStringLiteral("privateViewHint"));
    privateViewHint->setIndent(26); // under the check box's text, not its box
    start->addWidget(privateViewHint);
    start->addStretch(1);
    m_startButton = new QPushButton(tr("Start new conference"), startCard);
    m_startButton->setObjectName(QStringLiteral("startButton"));
    m_startButton->setProperty("primary", true);
    m_startButton->setCursor(Qt::PointingHandCursor);
    start->addWidget(m_startButton);
    actions->addWidget(startCard, 1);

    auto* joinCard = makeCard(QStringLiteral("joinCard"), column);
    auto* join = new QVBoxLayout(joinCard);
    join->setContentsMargins(20, 18, 20, 20);
    join->setSpacing(10);
    join->addWidget(makeLabel(tr("Join a conference"), "heading", joinCard));
    join->addWidget(
        makeLabel(tr("Paste an invite link or type the conference ID."), "hint", joinCard));
    m_joinEdit = new QLineEdit(joinCard);
    m_joinEdit->setObjectName(QStringLiteral("joinEdit"));
    m_joinEdit->setPlaceholderText(tr("7HKQ-2M9X-4DRA or diyuma://\u2026"));
    join->addWidget(m_joinEdit);
    join->addStretch(1);
    m_joinButton = new QPushButton(tr("Join"), joinCard);
    m_joinButton->setObjectName(QStringLiteral("joinButton"));
    m_joinButton->setCursor(Qt::PointingHandCursor);
    join->addWidget(m_joinButton);
    actions->addWidget(joinCard, 1);
    layout->addLayout(actions);

    // What went wrong, and progress while connecting.
    m_errorLabel = makeLabel({}, "error", column);
    m_errorLabel->setObjectName(QStringLiteral("errorLabel"));
    m_errorLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_errorLabel->setTextFormat(Qt::PlainText);
    m_errorLabel->hide();
    layout->addWidget(m_errorLabel);

    m_busyPanel = makeCard(QStringLiteral("busyPanel"), column);
    auto* busy = new QHBoxLayout(m_busyPanel);
    busy->setContentsMargins(16, 10, 10, 10);
    busy->setSpacing(12);
    auto* spinner = new QProgressBar(m_busyPanel);
    spinner->setRange(0, 0); // indeterminate
    spinner->setFixedWidth(96);
    spinner->setTextVisible(false);
    busy->addWidget(spinner);
    m_busyLabel = new QLabel(m_busyPanel);
    m_busyLabel->setObjectName(QStringLiteral("busyLabel"));
    m_busyLabel->setTextFormat(Qt::PlainText);
    busy->addWidget(m_busyLabel, 1);
    m_cancelButton = new QPushButton(tr("Cancel"), m_busyPanel);
    m_cancelButton->setObjectName(QStringLiteral("cancelButton"));
    busy->addWidget(m_cancelButton);
    m_busyPanel->hide();
    layout->addWidget(m_busyPanel);
    layout->addStretch(3);

    m_inputs = {m_nameEdit,    m_relayEdit, m_privateViewCheck,
                m_startButton, m_joinEdit,  m_joinButton};
    setTabOrder(m_nameEdit, m_relayEdit);
    setTabOrder(m_relayEdit, m_privateViewCheck);
    setTabOrder(m_privateViewCheck, m_startButton);
    setTabOrder(m_startButton, m_joinEdit);
    setTabOrder(m_joinEdit, m_joinButton);

    m_nameEdit->setText(m_settings.displayName());
    m_relayEdit->setText(m_settings.relay());
    m_privateViewCheck->setChecked(m_settings.privateViewByDefault());

    connect(m_startButton, &QPushButton::clicked, this, &HomePage::submitStart);
    connect(m_joinButton, &QPushButton::clicked, this, &HomePage::submitJoin);
    connect(m_joinEdit, &QLineEdit::returnPressed, this, &HomePage::submitJoin);
    connect(m_cancelButton, &QPushButton::clicked, this, &HomePage::cancelRequested);
    connect(m_settingsButton, &QToolButton::clicked, this, &HomePage::settingsRequested);
    // An edit by the person makes the field theirs again (remembered) and clears an old error.
    connect(m_nameEdit, &QLineEdit::textEdited, this, [this] {
        m_nameFromOverride = false;
        clearError();
    });
    connect(m_relayEdit, &QLineEdit::textEdited, this, [this] {
        m_relayFromOverride = false;
        clearError();
    });
    connect(m_joinEdit, &QLineEdit::textEdited, this, &HomePage::clearError);

    if (m_nameEdit->text().isEmpty())
        m_nameEdit->setFocus();
    else
        m_joinEdit->setFocus();
}

HomePage::~HomePage() = default;

void HomePage::setNameOverride(const QString& name) {
    m_nameEdit->setText(name);
    m_nameFromOverride = true;
}

void HomePage::setRelayOverride(const QString& relay) {
    m_relayEdit->setText(relay);
    m_relayFromOverride = true;
}

void HomePage::setJoinText(const QString& text) {
    m_joinEdit->setText(text.trimmed());
}

std::optional<std::string> HomePage::checkedName() {
    const QString error = InputChecks::checkDisplayName(m_nameEdit->text());
    if (!error.isEmpty()) {
        showError(error);
        m_nameEdit->setFocus();
        return std::nullopt;
    }
    return m_nameEdit->text().trimmed().toStdString();
}

std::optional<core::RelayAddress> HomePage::checkedRelay() {
    QString error;
    auto relay = InputChecks::parseRelay(m_relayEdit->text(), &error);
    if (!relay) {
        showError(error);
        m_relayEdit->setFocus();
    }
    return relay;
}

bool HomePage::submitJoin() {
    if (m_busy)
        return false;
    auto name = checkedName();
    if (!name)
        return false;
    const QString text = m_joinEdit->text().trimmed();
    // A link names its relay; only a bare ID needs the relay field.
    const bool isLink = text.contains(QLatin1String("://"));
    core::RelayAddress relay;
    if (!isLink && !text.isEmpty()) {
        QString idError;
        if (!InputChecks::parseLinkOrId(text, relay, &idError)) {
            showError(idError);
            m_joinEdit->setFocus();
            return false;
        }
        auto checked = checkedRelay();
        if (!checked)
            return false;
        relay = *checked;
    }
    QString error;
    auto invite = InputChecks::parseLinkOrId(text, relay, &error);
    if (!invite) {
        showError(error);
        m_joinEdit->setFocus();
        return false;
    }
    core::CallRequest request;
    request.mode = core::CallRequest::Mode::Join;
    request.relay = invite->relay;
    request.name = *name;
    request.conferenceId = invite->id.value();
    request.adminSecret = invite->adminSecret;
    clearError();
    remember(request, !isLink);
    Q_EMIT joinRequested(request);
    return true;
}

bool HomePage::submitStart() {
    if (m_busy)
        return false;
    auto name = checkedName();
    if (!name)
        return false;
    auto relay = checkedRelay();
    if (!relay)
        return false;
    core::CallRequest request;
    request.mode = core::CallRequest::Mode::CreateAndJoin;
    request.relay = *relay;
    request.name = *name;
    request.privateView = m_privateViewCheck->isChecked();
    clearError();
    remember(request, true);
    m_settings.setPrivateViewByDefault(request.privateView);
    Q_EMIT startRequested(request);
    return true;
}

void HomePage::remember(const core::CallRequest& request, bool relayFromField) {
    // What came from the command line stays for this run only.
    if (!m_nameFromOverride)
        m_settings.setDisplayName(QString::fromStdString(request.name));
    if (relayFromField && !m_relayFromOverride)
        m_settings.setRelay(QString::fromStdString(request.relay.toString()));
}

void HomePage::setBusy(bool busy, const QString& status) {
    m_busy = busy;
    for (QWidget* input : std::as_const(m_inputs))
        input->setEnabled(!busy);
    m_busyLabel->setText(status);
    m_busyPanel->setVisible(busy);
    if (busy)
        m_cancelButton->setFocus();
}

void HomePage::showError(const QString& message) {
    m_errorLabel->setText(message);
    m_errorLabel->setVisible(!message.isEmpty());
}

QString HomePage::errorText() const {
    return m_errorLabel->isHidden() ? QString() : m_errorLabel->text();
}

} // namespace diyuma::app
