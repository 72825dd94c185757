#pragma once
// Connection details of the running call, from CallSnapshot::stats: the relay round trip,
// loss and what we sent; our uplink (our own estimate), our downlink (the relay's estimate,
// ReceiveReport) and which of our video layers are being sent; a table with each participant
// we heard (packets received and lost, jitter, jitter-buffer delay, concealed and
// FEC-recovered frames) and one with the video we get from each (the picture size and frame
// rate, the simulcast layer and temporal layer the relay forwards, or why nothing comes:
// paused because our connection is too slow, private view, none sent; the bitrate over the
// last seconds; freezes). Non-modal; the call page feeds it every snapshot while it is open.
//
// Object names: rttLabel, uplinkLabel, downlinkLabel, sentVideoLabel, statsTable (audio),
// videoStatsTable (columns VideoColumn).
//
// Thread: GUI thread only.

#include "diyuma/session/CallRunner.h"

#include "VideoRateMeter.h"

#include <QtCore/QElapsedTimer>
#include <QtWidgets/QDialog>

class QLabel;
class QTableWidget;

namespace diyuma::app {

class CallDetailsDialog : public QDialog {
    Q_OBJECT
public:
    enum VideoColumn {
        VideoName,
        VideoPicture,
        VideoLayer,
        VideoBitrate,
        VideoFreezes,
        VideoColumnCount
    };

    explicit CallDetailsDialog(QWidget* parent = nullptr);

    void setSnapshot(const core::CallSnapshot& snapshot);

    /// "850 kbit/s", "1.4 Mbit/s" (localised).
    [[nodiscard]] static QString bitrateText(double bitsPerSecond);

private:
    void fillAudio(const core::CallSnapshot& snapshot);
    void fillVideo(const core::CallSnapshot& snapshot);
    QString sentVideoText(const core::CallStats& stats) const;

    QLabel* m_rtt;
    QLabel* m_loss;
    QLabel* m_sent;
    QLabel* m_received;
    QLabel* m_uplink;
    QLabel* m_downlink;
    QLabel* m_sentVideo;
    QTableWidget* m_table;
    QTableWidget* m_videoTable;
    VideoRateMeter m_rates;
    QElapsedTimer m_clock;
};

} // namespace diyuma::app
