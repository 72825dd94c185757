#pragma once
// Settings: input and output device, an input level meter, "Play test sound", echo
// cancellation, the camera (or the test pattern, or no video), the video quality and data
// saver (at most 640x360 received and sent, at once also during a call),
// push-to-talk, join/leave sounds and the language. Every change is saved at
// once through AppSettings (there is nothing to confirm), so the test sound and the meter
// already use the device just picked.
//
// Device lists: each time the dialog opens PortAudio is re-enumerated
// (AudioSystem::reinitialize(), skipped while a call holds open streams). The meter reads a
// CaptureDevice the dialog opens itself when no call runs, else the call's own microphone level
// from the snapshot. A device list that cannot be read leaves "System default" and a message.
//
// The camera list is read from Qt Multimedia each time the dialog opens; video choices apply
// to the next call, but for data saver's receive limit, which a running call applies at once.
//
// Object names: inputCombo, outputCombo, levelMeter, testSoundButton, echoCancellationCheck,
// cameraCombo, videoSizeCombo, dataSaverCheck, videoHintLabel, pushToTalkCheck,
// joinLeaveSoundsCheck, languageCombo, deviceMessageLabel.
//
// Thread: GUI thread only.

#include <QtWidgets/QDialog>
#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QTimer;

namespace diyuma::devices {
class CaptureDevice;
}

namespace diyuma::app {

class AppSettings;
class CallController;

class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    /// `controller` may be null (no audio at all: only the other settings are offered).
    SettingsDialog(AppSettings& settings, CallController* controller, QWidget* parent = nullptr);
    ~SettingsDialog() override;

    /// Maps a level in dBFS to the meter's 0..100 (-60 dBFS and below is empty).
    [[nodiscard]] static int meterValue(float levelDbfs);

protected:
    void showEvent(QShowEvent* event) override;
    void hideEvent(QHideEvent* event) override;

private:
    void fillDevices();
    void fillCameras();
    void openMeterDevice();
    void closeMeterDevice();
    void updateMeter();
    void showDeviceMessage(const QString& message);

    AppSettings& m_settings;
    CallController* m_controller;
    QComboBox* m_inputCombo = nullptr;
    QComboBox* m_outputCombo = nullptr;
    QProgressBar* m_levelMeter = nullptr;
    QPushButton* m_testSoundButton = nullptr;
    QLabel* m_deviceMessage = nullptr;
    QCheckBox* m_echoCheck = nullptr;
    QComboBox* m_cameraCombo = nullptr;
    QComboBox* m_videoSizeCombo = nullptr;
    QCheckBox* m_dataSaverCheck = nullptr;
    QLabel* m_videoHint = nullptr;
    QCheckBox* m_pushToTalkCheck = nullptr;
    QCheckBox* m_soundsCheck = nullptr;
    QComboBox* m_languageCombo = nullptr;
    QTimer* m_meterTimer = nullptr;
    std::unique_ptr<devices::CaptureDevice> m_meterDevice;
};

} // namespace diyuma::app
