#pragma once
// The home screen: display name and relay (both remembered), "Start new conference" with the
// private-view option, and one field taking a conference ID or a pasted invite link.
//
// The page checks what was typed before anything is sent and says what is wrong in its error
// box; a valid request goes out as startRequested()/joinRequested() with a ready
// core::CallRequest. While the main window connects, setBusy(true) shows progress and a
// Cancel button (cancelRequested()); failures come back through showError().
//
// Widgets tests find by object name: nameEdit, relayEdit, privateViewCheck, startButton,
// joinEdit, joinButton, errorLabel, busyPanel, busyLabel, cancelButton, settingsButton.
//
// Thread: GUI thread only.

#include "diyuma/session/CallRunner.h"

#include <QtWidgets/QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QToolButton;

namespace diyuma::app {

class AppSettings;

class HomePage : public QWidget {
    Q_OBJECT
public:
    explicit HomePage(AppSettings& settings, QWidget* parent = nullptr);
    ~HomePage() override;

    /// Shows `name` (from --name) for this run; it is remembered only if the person edits it.
    void setNameOverride(const QString& name);
    /// Shows `relay` (from --relay) for this run; remembered only if the person edits it.
    void setRelayOverride(const QString& relay);
    /// Puts a conference ID or link into the join field.
    void setJoinText(const QString& text);

    /// Checks the fields and emits joinRequested() (true) or shows what is wrong (false).
    bool submitJoin();
    /// Checks the fields and emits startRequested() (true) or shows what is wrong (false).
    bool submitStart();

    /// Busy: fields and buttons disabled, `status` and a Cancel button shown.
    void setBusy(bool busy, const QString& status = {});
    [[nodiscard]] bool isBusy() const { return m_busy; }

    /// Shows a message in the error box (empty hides it).
    void showError(const QString& message);
    void clearError() { showError({}); }
    [[nodiscard]] QString errorText() const;

signals:
    void startRequested(const diyuma::core::CallRequest& request);
    void joinRequested(const diyuma::core::CallRequest& request);
    void cancelRequested();
    void settingsRequested();

private:
    /// The checked name (trimmed) or nullopt after showing why not.
    std::optional<std::string> checkedName();
    std::optional<core::RelayAddress> checkedRelay();
    /// Remembers the name (and the relay when it came from the relay field) unless they came
    /// from the command line.
    void remember(const core::CallRequest& request, bool relayFromField);

    AppSettings& m_settings;
    QLineEdit* m_nameEdit = nullptr;
    QLineEdit* m_relayEdit = nullptr;
    QCheckBox* m_privateViewCheck = nullptr;
    QPushButton* m_startButton = nullptr;
    QLineEdit* m_joinEdit = nullptr;
    QPushButton* m_joinButton = nullptr;
    QLabel* m_errorLabel = nullptr;
    QWidget* m_busyPanel = nullptr;
    QLabel* m_busyLabel = nullptr;
    QPushButton* m_cancelButton = nullptr;
    QToolButton* m_settingsButton = nullptr;
    QList<QWidget*> m_inputs; ///< disabled while busy
    bool m_busy = false;
    bool m_nameFromOverride = false;  ///< the name field shows --name, not what is remembered
    bool m_relayFromOverride = false; ///< the relay field shows --relay
};

} // namespace diyuma::app
