#pragma once
// Connection details of the running call: the relay round trip, loss and what we sent, and a
// table with each participant we heard (packets received and lost, jitter, jitter-buffer
// delay, concealed and FEC-recovered frames), from CallSnapshot::stats. Non-modal; the call
// page feeds it every snapshot while it is open.
//
// Thread: GUI thread only.

#include "diyuma/session/CallRunner.h"

#include <QtWidgets/QDialog>

class QLabel;
class QTableWidget;

namespace diyuma::app {

class CallDetailsDialog : public QDialog {
    Q_OBJECT
public:
    explicit CallDetailsDialog(QWidget* parent = nullptr);

    void setSnapshot(const core::CallSnapshot& snapshot);

private:
    QLabel* m_rtt;
    QLabel* m_loss;
    QLabel* m_sent;
    QLabel* m_received;
    QTableWidget* m_table;
};

} // namespace diyuma::app
