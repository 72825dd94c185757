#pragma once
// The connection-quality indicator of the call screen: three bars coloured by the relay round
// trip time and the audio packet loss (green: good, amber: fair, red: poor, grey: not known
// yet), with "RTT 12 ms, loss 0.0 %" as tooltip. Clicking it opens the details dialog.
//
// Thread: GUI thread only.

#include <QtWidgets/QAbstractButton>
#include <optional>

namespace diyuma::app {

enum class ConnectionQuality { Unknown, Poor, Fair, Good };

/// Good: RTT < 150 ms and loss < 1 %; fair: RTT < 400 ms and loss < 5 %; else poor.
[[nodiscard]] ConnectionQuality connectionQuality(std::optional<double> rttMs, double lossPercent);

class QualityIndicator : public QAbstractButton {
    Q_OBJECT
public:
    explicit QualityIndicator(QWidget* parent = nullptr);

    void setFigures(std::optional<double> rttMs, double lossPercent);
    ConnectionQuality quality() const { return m_quality; }

    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    ConnectionQuality m_quality = ConnectionQuality::Unknown;
};

} // namespace diyuma::app
