#include "MainWindow.h"

#include "AppSettings.h"
#include "CallController.h"
#include "CallPage.h"
#include "HomePage.h"
#include "SettingsDialog.h"
#include "SingleInstance.h"

#include <QtCore/QTimer>
#include <QtGui/QCloseEvent>
#include <QtWidgets/QApplication>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QStackedWidget>

namespace diyuma::app {

namespace {

QString describeRequest(const core::CallRequest& request) {
    const QString relay = QString::fromStdString(request.relay.toString());
    return request.mode == core::CallRequest::Mode::CreateAndJoin
               ? MainWindow::tr("Starting a conference on %1\u2026").arg(relay)
               : MainWindow::tr("Joining the conference through %1\u2026").arg(relay);
}

} // namespace

MainWindow::MainWindow(AppSettings& settings, QWidget* parent)
    : QMainWindow(parent), m_settings(settings) {
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(tr("Diyuma Conference"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/diyuma.svg")));
    resize(960, 680);
    setMinimumSize(640, 520);

    m_controller = new CallController(m_settings, this);
    m_stack = new QStackedWidget(this);
    m_home = new HomePage(m_settings, m_stack);
    m_call = new CallPage(*m_controller, m_settings, m_stack);
    m_stack->addWidget(m_home);
    m_stack->addWidget(m_call);
    m_stack->setCurrentWidget(m_home);
    setCentralWidget(m_stack);

    connect(m_home, &HomePage::startRequested, this, &MainWindow::startCall);
    connect(m_home, &HomePage::joinRequested, this, &MainWindow::startCall);
    connect(m_home, &HomePage::cancelRequested, m_controller, &CallController::leave);
    connect(m_home, &HomePage::settingsRequested, this, &MainWindow::openSettings);
    connect(m_call, &CallPage::leaveRequested, m_controller, &CallController::leave);
    connect(m_call, &CallPage::settingsRequested, this, &MainWindow::openSettings);

    connect(m_controller, &CallController::joined, this, &MainWindow::onJoined);
    connect(m_controller, &CallController::ended, this, &MainWindow::onEnded);
    connect(m_controller, &CallController::failed, this,
            [this](const QString& message) { m_home->showError(message); });
}

MainWindow::~MainWindow() = default;

void MainWindow::setRunOverrides(const QString& name, const QString& relay) {
    if (!name.isEmpty())
        m_home->setNameOverride(name);
    if (!relay.isEmpty())
        m_home->setRelayOverride(relay);
}

void MainWindow::acceptLaunchesFrom(SingleInstance& instance) {
    connect(&instance, &SingleInstance::activateRequested, this, &MainWindow::activate);
    connect(&instance, &SingleInstance::linkReceived, this, &MainWindow::joinFromText);
}

void MainWindow::startCall(const core::CallRequest& request) {
    QString error;
    if (!m_controller->start(request, &error)) {
        m_home->showError(error);
        return;
    }
    m_home->setBusy(true, describeRequest(request));
}

void MainWindow::onJoined() {
    m_home->setBusy(false);
    m_stack->setCurrentWidget(m_call);
}

void MainWindow::onEnded() {
    m_home->setBusy(false);
    m_stack->setCurrentWidget(m_home);
    if (m_quitting) {
        QApplication::quit();
        return;
    }
    if (!m_pendingJoin.isEmpty()) {
        const QString text = std::exchange(m_pendingJoin, QString());
        // After the current call's signals have run their course.
        QTimer::singleShot(0, this, [this, text] { joinFromText(text); });
    }
}

void MainWindow::activate() {
    if (isMinimized())
        showNormal();
    else
        show();
    raise();
    activateWindow();
}

void MainWindow::joinFromText(const QString& text) {
    activate();
    if (m_quitting)
        return;
    if (m_controller->inCall() || m_home->isBusy()) {
        const auto answer = QMessageBox::question(
            this, tr("Leave the current call?"),
            tr("You are in a call. Leave it and join the other conference?\n\n%1").arg(text),
            QMessageBox::Yes | QMessageBox::No, QMessageBox::No);
        if (answer != QMessageBox::Yes || m_quitting)
            return;
        if (m_controller->inCall() || m_home->isBusy()) {
            m_pendingJoin = text; // joined once the call has ended
            m_controller->leave();
            return;
        }
        // The call ended while the question was open: join now, not after some later call.
    }
    if (m_settingsDialog)
        m_settingsDialog->close(); // the call takes the microphone the dialog's meter holds
    m_stack->setCurrentWidget(m_home);
    m_home->setJoinText(text);
    m_home->submitJoin();
}

void MainWindow::openSettings() {
    if (m_settingsDialog) {
        m_settingsDialog->raise();
        m_settingsDialog->activateWindow();
        return;
    }
    // A fresh dialog each time: it re-enumerates the audio devices when it is created.
    m_settingsDialog = new SettingsDialog(m_settings, m_controller, this);
    m_settingsDialog->setAttribute(Qt::WA_DeleteOnClose);
    m_settingsDialog->open();
}

void MainWindow::leaveAndQuit() {
    if (m_quitting)
        return;
    m_quitting = true;
    m_pendingJoin.clear();
    if (m_settingsDialog)
        m_settingsDialog->close();
    if (!m_controller->inCall() && !m_home->isBusy()) {
        QApplication::quit();
        return;
    }
    m_controller->leave();
    // ended() quits as soon as the call is over; this guard quits when the relay is silent.
    QTimer::singleShot(kQuitGuard, qApp, &QApplication::quit);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (m_quitting || (!m_controller->inCall() && !m_home->isBusy())) {
        event->accept();
        if (m_quitting)
            return;
        QApplication::quit();
        return;
    }
    // Leave first; the window goes when the call has ended (or the guard fires).
    event->ignore();
    leaveAndQuit();
}

} // namespace diyuma::app
