#include "CallDetailsDialog.h"

#include "CallUiStyle.h"

#include <QtCore/QLocale>
#include <QtWidgets/QDialogButtonBox>
#include <QtWidgets/QFormLayout>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QTableWidget>
#include <QtWidgets/QVBoxLayout>
#include <algorithm>

namespace diyuma::app {

namespace {
enum Column { Name, Received, Lost, Late, Jitter, Buffer, Concealed, Recovered, ColumnCount };

QString number(std::uint64_t n) {
    return QLocale().toString(static_cast<qulonglong>(n));
}
QString ms(double value) {
    return QLocale().toString(value, 'f', 1);
}
QString pictureSize(int width, int height) {
    return QStringLiteral("%1×%2").arg(width).arg(height);
}

QTableWidget* makeTable(int columns, const QString& objectName, QWidget* parent) {
    auto* table = new QTableWidget(0, columns, parent);
    table->setObjectName(objectName);
    table->verticalHeader()->hide();
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionMode(QAbstractItemView::NoSelection);
    table->setFocusPolicy(Qt::NoFocus);
    table->setShowGrid(false);
    table->setAlternatingRowColors(true);
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    return table;
}

/// Sets the cell's text (and colour) only when it changed: setText() repaints.
void setCell(QTableWidget* table, int row, int col, const QString& text, const QColor& color,
             Qt::Alignment alignment) {
    auto* item = table->item(row, col);
    if (!item) {
        item = new QTableWidgetItem;
        item->setTextAlignment(alignment | Qt::AlignVCenter);
        table->setItem(row, col, item);
    }
    if (item->text() != text)
        item->setText(text);
    if (item->foreground().color() != color)
        item->setForeground(color);
}

QLabel* sectionLabel(const QString& text, QWidget* parent) {
    auto* label = new QLabel(text, parent);
    QFont font = label->font();
    font.setWeight(QFont::DemiBold);
    label->setFont(font);
    return label;
}
} // namespace

CallDetailsDialog::CallDetailsDialog(QWidget* parent) : QDialog(parent) {
    setObjectName(QStringLiteral("callDetailsDialog"));
    setWindowTitle(tr("Connection details"));
    m_clock.start();
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(18, 18, 18, 12);
    layout->setSpacing(10);

    auto* form = new QFormLayout;
    form->setHorizontalSpacing(18);
    form->setVerticalSpacing(6);
    m_rtt = new QLabel(this);
    m_loss = new QLabel(this);
    m_sent = new QLabel(this);
    m_received = new QLabel(this);
    m_uplink = new QLabel(this);
    m_downlink = new QLabel(this);
    m_sentVideo = new QLabel(this);
    m_rtt->setObjectName(QStringLiteral("rttLabel"));
    m_uplink->setObjectName(QStringLiteral("uplinkLabel"));
    m_downlink->setObjectName(QStringLiteral("downlinkLabel"));
    m_sentVideo->setObjectName(QStringLiteral("sentVideoLabel"));
    m_sentVideo->setWordWrap(true);
    for (auto* label : {m_rtt, m_loss, m_sent, m_received, m_uplink, m_downlink, m_sentVideo})
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(tr("Round trip to the relay:"), m_rtt);
    form->addRow(tr("Audio packet loss:"), m_loss);
    form->addRow(tr("Sent:"), m_sent);
    form->addRow(tr("Received:"), m_received);
    form->addRow(tr("Your upload (estimate):"), m_uplink);
    form->addRow(tr("Your download (relay's estimate):"), m_downlink);
    form->addRow(tr("Your video:"), m_sentVideo);
    m_uplink->setToolTip(tr("How fast we can send to the relay, as our congestion control "
                            "measures it"));
    m_downlink->setToolTip(tr("How fast the relay can send to us, as it measures it; it picks "
                              "the size of everyone's video to fit"));
    m_sentVideo->setToolTip(tr("Your camera is sent in up to three sizes; only the sizes "
                               "someone receives and your upload carries are sent"));
    layout->addLayout(form);

    layout->addSpacing(4);
    layout->addWidget(sectionLabel(tr("Audio received"), this));
    m_table = makeTable(ColumnCount, QStringLiteral("statsTable"), this);
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
    layout->addWidget(m_table, 1);

    layout->addSpacing(4);
    layout->addWidget(sectionLabel(tr("Video received"), this));
    m_videoTable = makeTable(VideoColumnCount, QStringLiteral("videoStatsTable"), this);
    m_videoTable->setHorizontalHeaderLabels(
        {tr("Participant"), tr("Picture"), tr("Layer"), tr("Bitrate"), tr("Freezes")});
    m_videoTable->horizontalHeaderItem(VideoPicture)
        ->setToolTip(tr("The size and frame rate of the pictures arriving now"));
    m_videoTable->horizontalHeaderItem(VideoLayer)
        ->setToolTip(tr("Which of the sender's sizes the relay forwards to you, and at which "
                        "frame rate: it follows your download speed and the tile's size"));
    m_videoTable->horizontalHeaderItem(VideoBitrate)
        ->setToolTip(tr("Video received over the last seconds, packet headers included"));
    m_videoTable->horizontalHeaderItem(VideoFreezes)
        ->setToolTip(tr("Pauses in the picture longer than three frames"));
    layout->addWidget(m_videoTable, 1);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    resize(780, 560);
}

QString CallDetailsDialog::bitrateText(double bitsPerSecond) {
    if (bitsPerSecond >= 1e6)
        return tr("%1 Mbit/s").arg(QLocale().toString(bitsPerSecond / 1e6, 'f', 1));
    return tr("%1 kbit/s").arg(QLocale().toString(bitsPerSecond / 1e3, 'f', 0));
}

void CallDetailsDialog::setSnapshot(const core::CallSnapshot& snapshot) {
    const auto& stats = snapshot.stats;
    m_rates.add(m_clock.elapsed(), stats);
    m_rtt->setText(snapshot.rttMs ? tr("%1 ms").arg(ms(*snapshot.rttMs)) : tr("not measured yet"));
    m_loss->setText(tr("%1 % over the last few seconds").arg(ms(snapshot.lossPercent)));
    m_sent->setText(tr("%1 audio packets (%2 kB)%3")
                        .arg(number(stats.audioPacketsSent))
                        .arg(number(stats.audioBytesSent / 1000))
                        .arg(snapshot.muted ? tr(", microphone off") : QString()));
    m_received->setText(tr("%1 datagrams").arg(number(stats.datagramsReceived)));
    m_uplink->setText(stats.uplink.estimate.targetBps > 0
                          ? bitrateText(stats.uplink.estimate.targetBps)
                          : tr("not measured yet"));
    m_downlink->setText(stats.downlink.estimateBps && *stats.downlink.estimateBps > 0
                            ? bitrateText(*stats.downlink.estimateBps)
                            : tr("not measured yet"));
    m_sentVideo->setText(sentVideoText(stats));
    fillAudio(snapshot);
    fillVideo(snapshot);
}

QString CallDetailsDialog::sentVideoText(const core::CallStats& stats) const {
    if (!stats.videoSent || stats.videoSent->layers.empty())
        return tr("not sent");
    QStringList sent;
    QStringList idle;
    for (const auto& layer : stats.videoSent->layers) {
        if (layer.active)
            sent << tr("%1 (%2)").arg(pictureSize(layer.width, layer.height),
                                      bitrateText(layer.bitrateBps));
        else
            idle << pictureSize(layer.width, layer.height);
    }
    if (sent.isEmpty())
        return tr("nothing sent now (nobody receives it, or the camera is off)");
    QString text = tr("sending %1").arg(sent.join(QStringLiteral(", ")));
    if (!idle.isEmpty())
        text += QStringLiteral("; ") + tr("not sent now: %1").arg(idle.join(QStringLiteral(", ")));
    return text;
}

void CallDetailsDialog::fillAudio(const core::CallSnapshot& snapshot) {
    const auto& stats = snapshot.stats;
    m_table->setRowCount(static_cast<int>(stats.remotes.size()));
    const QColor gone = callui::mutedTextColor(palette());
    const QColor text = palette().color(QPalette::Text);
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
        for (int col = 0; col < ColumnCount; ++col)
            setCell(m_table, row, col, cells[col], r.present ? text : gone,
                    col == Name ? Qt::AlignLeft : Qt::AlignRight);
    }
}

void CallDetailsDialog::fillVideo(const core::CallSnapshot& snapshot) {
    const auto& stats = snapshot.stats;
    std::vector<const core::CallParticipant*> others;
    for (const auto& p : snapshot.participants)
        if (!p.isSelf)
            others.push_back(&p);
    m_videoTable->setRowCount(static_cast<int>(others.size()));
    const QColor text = palette().color(QPalette::Text);
    const QColor subtle = callui::mutedTextColor(palette());
    const QColor warn =
        callui::isDark(palette()) ? callui::warningColor() : callui::warningColor().darker(150);
    for (int row = 0; row < static_cast<int>(others.size()); ++row) {
        const core::CallParticipant& p = *others[static_cast<std::size_t>(row)];
        const core::VideoReceiveStats* video = nullptr;
        for (const auto& r : stats.remotes)
            if (r.participantId == p.participantId && r.video)
                video = &*r.video;
        const core::wire::ReceiveEntry* entry = nullptr;
        for (const auto& e : stats.downlink.senders)
            if (e.participantId == p.participantId)
                entry = &e;
        const auto rates = m_rates.ratesOf(p.participantId);

        using State = core::wire::ReceiveState;
        QString picture;
        QString layer = QStringLiteral("–");
        QColor color = text;
        const State state = entry                         ? entry->state
                            : p.videoLayerHeights.empty() ? State::NoVideo
                                                          : State::Forwarding;
        switch (state) {
        case State::Forwarding:
            if (video && video->width > 0) {
                picture = pictureSize(video->width, video->height);
                if (rates)
                    picture = tr("%1, %2 fps")
                                  .arg(picture, QLocale().toString(rates->framesPerSecond, 'f', 0));
            } else {
                picture = tr("waiting for the first picture");
                color = subtle;
            }
            if (entry && entry->spatialLayer != core::wire::kNoLayer) {
                const int count =
                    std::max(static_cast<int>(p.videoLayerHeights.size()), entry->spatialLayer + 1);
                const QString rate = entry->temporalLayer >= 2   ? tr("full frame rate")
                                     : entry->temporalLayer == 1 ? tr("half frame rate")
                                                                 : tr("quarter frame rate");
                layer = tr("%1 of %2, %3").arg(entry->spatialLayer + 1).arg(count).arg(rate);
            } else if (entry) {
                layer = tr("starting");
            }
            break;
        case State::PausedBandwidth:
            picture = tr("Paused: your connection is too slow");
            color = warn;
            break;
        case State::PrivateView:
            picture = tr("Not shown: private view");
            color = subtle;
            break;
        case State::NotSubscribed:
            picture = tr("Not requested");
            color = subtle;
            break;
        case State::NoVideo:
            picture = tr("No video");
            color = subtle;
            break;
        }
        QString bitrate = QStringLiteral("–");
        if (rates && state == State::Forwarding)
            bitrate = bitrateText(rates->bitrateBps);
        else if (video && video->receivedBitrateBps() > 0 && state == State::Forwarding)
            bitrate = tr("%1 on average").arg(bitrateText(video->receivedBitrateBps()));
        const QString cells[VideoColumnCount] = {QString::fromStdString(p.name), picture, layer,
                                                 bitrate,
                                                 video ? number(video->freezes) : QString()};
        for (int col = 0; col < VideoColumnCount; ++col)
            setCell(m_videoTable, row, col, cells[col], col == VideoPicture ? color : text,
                    col == VideoName || col == VideoPicture || col == VideoLayer ? Qt::AlignLeft
                                                                                 : Qt::AlignRight);
    }
}

} // namespace diyuma::app
