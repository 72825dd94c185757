#pragma once
// The window: a stack of the home screen and the call screen, the CallController that runs
// calls, and the settings dialog. It follows the controller: joined() shows the call screen,
// ended() the home screen, failed(message) shows the message on the home screen.
//
// Links from the command line and from later launches (SingleInstance) arrive through
// joinFromText(); during a call it asks before leaving for the new conference.
// leaveAndQuit() (window closed, SIGINT/SIGTERM) leaves the call and quits within
// kQuitGuard even when the relay never answers.
//
// Thread: GUI thread only.

#include <QtCore/QPointer>
#include <QtWidgets/QMainWindow>
#include <chrono>

class QStackedWidget;

namespace diyuma::core {
struct CallRequest;
}

namespace diyuma::app {

class AppSettings;
class CallController;
class CallPage;
class HomePage;
class SettingsDialog;
class SingleInstance;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    /// Quitting never waits longer than this for the call to end.
    static constexpr std::chrono::milliseconds kQuitGuard{1500};

    /// `settings` must outlive the window.
    explicit MainWindow(AppSettings& settings, QWidget* parent = nullptr);
    ~MainWindow() override;

    HomePage& homePage() { return *m_home; }
    CallController& controller() { return *m_controller; }

    /// --name / --relay for this run (not remembered); empty strings are ignored.
    void setRunOverrides(const QString& name, const QString& relay);
    /// Serves later launches through `instance`: an activation raises the window, a link goes
    /// to joinFromText(). `instance` must outlive the window or be destroyed first.
    void acceptLaunchesFrom(SingleInstance& instance);

public slots:
    /// Joins the conference named by `text` (ID or invite link). In a call it first asks
    /// whether to leave it. Invalid text is explained on the home screen.
    void joinFromText(const QString& text);
    /// Shows, raises and activates the window (a later launch asked for it).
    void activate();
    /// Leaves the call (if any) and quits the application within kQuitGuard.
    void leaveAndQuit();
    void openSettings();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void startCall(const diyuma::core::CallRequest& request);
    void onJoined();
    void onEnded();

    AppSettings& m_settings;
    CallController* m_controller = nullptr;
    QStackedWidget* m_stack = nullptr;
    HomePage* m_home = nullptr;
    CallPage* m_call = nullptr;
    QPointer<SettingsDialog> m_settingsDialog;
    QString m_pendingJoin; ///< joined once the current call has ended
    bool m_quitting = false;
};

} // namespace diyuma::app
