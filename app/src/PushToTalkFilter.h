#pragma once
// Push-to-talk: while enabled, holding Space anywhere in the call page's window opens the
// microphone and releasing it closes it again. An application event filter rather than a
// QShortcut, so that Space still types a space in text fields (line edits, spin boxes,
// editable combo boxes, anything taking text input) and is not turned into button clicks.
// Losing the window's focus while Space is held counts as releasing it.
//
// Thread: GUI thread only.

#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <functional>

class QWidget;

namespace diyuma::app {

class PushToTalkFilter : public QObject {
    Q_OBJECT
public:
    /// `page`: only key events for widgets in page's window count.
    PushToTalkFilter(QWidget* page, QObject* parent = nullptr);

    /// Asked on every Space press: whether push-to-talk applies now (setting on, in a call).
    void setEnabledCheck(std::function<bool()> check) { m_enabled = std::move(check); }
    bool talking() const { return m_talking; }
    /// Forgets a held key without signalling (the call ended).
    void reset() { m_talking = false; }

signals:
    void talkingChanged(bool talking);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void setTalking(bool talking);

    QPointer<QWidget> m_page;
    std::function<bool()> m_enabled;
    bool m_talking = false;
};

/// Whether `widget` takes typed text (Space must reach it).
[[nodiscard]] bool takesTextInput(const QWidget* widget);

} // namespace diyuma::app
