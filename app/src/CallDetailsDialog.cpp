#include "CallDetailsDialog.h"

#include "CallUiStyle.h"

#include <QtCore/QLocale>
#include <QtWidgets/QDialogButtonBox>
#include <QtWidgets/QFormLayout>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QTableWidget>
#include <QtWidgets/QVBoxLayout>

namespace diyuma::app {

namespace {
enum Column { Name, Received, Lost, Late, Jitter, Buffer, Concealed, Recovered, ColumnCount };

QString number(std::uint64_t n) {
    return QLocale().toString(static_cast<qulonglong>(n));
}
QString ms(double value) {
    return QLocale().toString(value, 'f', 1);
}
} // namespace

CallDetailsDialog::CallDetailsDialog(QWidget* parent) : QDialog(parent) {
    setObjectName(QStringLiteral("callDetailsDialog"));
    setWindowTitle(tr("Connection details"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(18, 18, 18, 12);
    layout->setSpacing(14);

    auto* form = new QFormLayout;
    form->setHorizontalSpacing(18);
    form->setVerticalSpacing(6);
    m_rtt = new QLabel(this);
    m_loss = new QLabel(this);
    m_sent = new QLabel(this);
    m_received = new QLabel(this);
    for (auto* label : {m_rtt, m_loss, m_sent, m_received})
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(tr("Round trip to the relay:"), m_rtt);
    form->addRow(tr("Audio packet loss:"), m_loss);
    form->addRow(tr("Sent:"), m_sent);
    form->addRow(tr("Received:"), m_received);
    layout->addLayout(form);

    m_table = new QTableWidget(0, ColumnCount, this);
    m_table->setObjectName(QStringLiteral("statsTable"));
    m_table->setHorizontalHeaderLabels({tr("Participant"), tr("Received"), tr("Lost"), tr("Late"),
                                        tr("Jitter (ms)"), tr("Buffer (ms)"), tr("Concealed"),
                                        tr("FEC recovered")});
    m_table->horizontalHeaderItem(Received)->setToolTip(tr("Audio packets received"));
    m_table->horizontalHeaderItem(Lost)->setToolTip(tr("Audio packets lost"));
    m_table->horizontalHeaderItem(Late)->setToolTip(tr("Packets that arrived too late to play"));
    m_table->horizontalHeaderItem(Jitter)->setToolTip(tr("Interarrival jitter (RFC 3550)"));
    m_table->horizontalHeaderItem(Buffer)->setToolTip(tr("Mean jitter-buffer delay"));
    m_table->horizontalHeaderItem(Concealed)->setToolTip(
        tr("20 ms frames made up by packet-loss concealment"));
    m_table->horizontalHeaderItem(Recovered)->setToolTip(
        tr("20 ms frames recovered from forward error correction"));
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->setFocusPolicy(Qt::NoFocus);
    m_table->setShowGrid(false);
    m_table->setAlternatingRowColors(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(Name, QHeaderView::Stretch);
    layout->addWidget(m_table, 1);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    resize(760, 360);
}

void CallDetailsDialog::setSnapshot(const core::CallSnapshot& snapshot) {
    const auto& stats = snapshot.stats;
    m_rtt->setText(snapshot.rttMs ? tr("%1 ms").arg(ms(*snapshot.rttMs)) : tr("not measured yet"));
    m_loss->setText(tr("%1 % over the last few seconds").arg(ms(snapshot.lossPercent)));
    m_sent->setText(tr("%1 audio packets (%2 kB)%3")
                        .arg(number(stats.audioPacketsSent))
                        .arg(number(stats.audioBytesSent / 1000))
                        .arg(snapshot.muted ? tr(", microphone off") : QString()));
    m_received->setText(tr("%1 datagrams").arg(number(stats.datagramsReceived)));

    m_table->setRowCount(static_cast<int>(stats.remotes.size()));
    const QColor gone = callui::mutedTextColor(palette());
    for (int row = 0; row < static_cast<int>(stats.remotes.size()); ++row) {
        const auto& r = stats.remotes[static_cast<std::size_t>(row)];
        const QString name = QString::fromStdString(r.name);
        const QString cells[ColumnCount] = {r.present ? name : tr("%1 (left)").arg(name),
                                            number(r.packetsReceived),
                                            number(r.packetsLost),
                                            number(r.packetsLate),
                                            ms(r.jitterMs),
                                            ms(r.jitterBufferDelayMs),
                                            number(r.framesConcealed),
                                            number(r.framesFecRecovered)};
        for (int col = 0; col < ColumnCount; ++col) {
            auto* item = m_table->item(row, col);
            if (!item) {
                item = new QTableWidgetItem;
                item->setTextAlignment(col == Name ? Qt::AlignLeft | Qt::AlignVCenter
                                                   : Qt::AlignRight | Qt::AlignVCenter);
                m_table->setItem(row, col, item);
            }
            if (item->text() != cells[col])
                item->setText(cells[col]);
            item->setForeground(r.present ? palette().color(QPalette::Text) : gone);
        }
    }
}

} // namespace diyuma::app
