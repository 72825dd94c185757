#include "PushToTalkFilter.h"

#include <QtGui/QKeyEvent>
#include <QtWidgets/QAbstractSpinBox>
#include <QtWidgets/QApplication>
#include <QtWidgets/QComboBox>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QPlainTextEdit>
#include <QtWidgets/QTextEdit>
#include <QtWidgets/QWidget>

namespace diyuma::app {

bool takesTextInput(const QWidget* widget) {
    if (!widget)
        return false;
    if (qobject_cast<const QLineEdit*>(widget) || qobject_cast<const QAbstractSpinBox*>(widget))
        return true;
    if (const auto* edit = qobject_cast<const QTextEdit*>(widget))
        return !edit->isReadOnly();
    if (const auto* edit = qobject_cast<const QPlainTextEdit*>(widget))
        return !edit->isReadOnly();
    if (const auto* combo = qobject_cast<const QComboBox*>(widget))
        return combo->isEditable();
    return widget->testAttribute(Qt::WA_InputMethodEnabled);
}

PushToTalkFilter::PushToTalkFilter(QWidget* page, QObject* parent)
    : QObject(parent), m_page(page) {}

void PushToTalkFilter::setTalking(bool talking) {
    if (talking == m_talking)
        return;
    m_talking = talking;
    emit talkingChanged(talking);
}

bool PushToTalkFilter::eventFilter(QObject* watched, QEvent* event) {
    const auto type = event->type();
    if (type == QEvent::ApplicationDeactivate ||
        (type == QEvent::WindowDeactivate && m_page && watched == m_page->window())) {
        setTalking(false);
        return false;
    }
    if (type != QEvent::KeyPress && type != QEvent::KeyRelease)
        return false;
    const auto* key = static_cast<QKeyEvent*>(event);
    if (key->key() != Qt::Key_Space || !m_page)
        return false;
    const auto* target = qobject_cast<QWidget*>(watched);
    if (!target || target->window() != m_page->window())
        return false;

    if (type == QEvent::KeyRelease) {
        if (!m_talking)
            return false;
        if (!key->isAutoRepeat())
            setTalking(false);
        return true;
    }
    // A press: only when push-to-talk applies, no modifier is held and no text field has focus.
    if (key->modifiers() & ~Qt::KeypadModifier)
        return false;
    if (!m_enabled || !m_enabled())
        return false;
    if (takesTextInput(QApplication::focusWidget()))
        return false;
    if (!key->isAutoRepeat())
        setTalking(true);
    return true;
}

} // namespace diyuma::app
