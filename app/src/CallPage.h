#pragma once
// The call screen: one tile per participant (ourselves included) with name, muted icon,
// speaking highlight and volume; the participants list; mute (Ctrl+D) or push-to-talk
// (hold Space), leave, "Copy invite link", the conference ID, the connection-quality
// indicator with a details view, the "reconnecting" banner and device problems.
// All state comes from CallController; the page holds no call logic.
//
// Thread: GUI thread only.

#include <QtWidgets/QWidget>
#include <memory>

namespace diyuma::app {

class AppSettings;
class CallController;

class CallPage : public QWidget {
    Q_OBJECT
public:
    CallPage(CallController& controller, AppSettings& settings, QWidget* parent = nullptr);
    ~CallPage() override;

signals:
    /// The person pressed Leave (the main window calls controller.leave()).
    void leaveRequested();
    /// The person asked for the settings dialog.
    void settingsRequested();

protected:
    void changeEvent(QEvent* event) override;

private:
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace diyuma::app
