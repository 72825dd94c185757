#include "SettingsDialog.h"

#include "diyuma/devices/AudioDevices.h"

#include "AppSettings.h"
#include "CallController.h"
#include "CameraCapture.h"

#include <QtCore/QSize>
#include <QtCore/QTimer>
#include <QtWidgets/QCheckBox>
#include <QtWidgets/QComboBox>
#include <QtWidgets/QDialogButtonBox>
#include <QtWidgets/QFormLayout>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QLabel>
#include <QtWidgets/QProgressBar>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QVBoxLayout>
#include <algorithm>
#include <cmath>

namespace diyuma::app {

namespace {

constexpr float kMeterFloorDbfs = -60.0F;

QLabel* sectionLabel(const QString& text, QWidget* parent) {
    auto* label = new QLabel(text, parent);
    label->setProperty("heading", true);
    return label;
}

// Fills `combo` with "System default" and `devices`, selecting `chosen`. A remembered device
// that is not connected stays listed (marked) so the choice is visible and not lost.
void fillCombo(QComboBox* combo, const std::vector<devices::DeviceInfo>& devices,
               const QString& chosen) {
    combo->clear();
    combo->addItem(SettingsDialog::tr("System default"), QString());
    for (const auto& device : devices) {
        const QString name = QString::fromStdString(device.name);
        combo->addItem(device.isDefault ? SettingsDialog::tr("%1 (default)").arg(name) : name,
                       name);
    }
    int index = chosen.isEmpty() ? 0 : combo->findData(chosen);
    if (index < 0) {
        combo->addItem(SettingsDialog::tr("%1 (not connected)").arg(chosen), chosen);
        index = combo->count() - 1;
    }
    combo->setCurrentIndex(index);
}

} // namespace

SettingsDialog::SettingsDialog(AppSettings& settings, CallController* controller, QWidget* parent)
    : QDialog(parent), m_settings(settings), m_controller(controller) {
    setObjectName(QStringLiteral("settingsDialog"));
    setWindowTitle(tr("Settings"));
    setMinimumWidth(520);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 20, 24, 20);
    layout->setSpacing(12);

    // Audio.
    layout->addWidget(sectionLabel(tr("Audio"), this));
    auto* form = new QFormLayout;
    form->setHorizontalSpacing(16);
    form->setVerticalSpacing(10);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setLabelAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    m_inputCombo = new QComboBox(this);
    m_inputCombo->setObjectName(QStringLiteral("inputCombo"));
    m_inputCombo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_inputCombo->setMinimumContentsLength(24);
    form->addRow(tr("Microphone"), m_inputCombo);
    m_levelMeter = new QProgressBar(this);
    m_levelMeter->setObjectName(QStringLiteral("levelMeter"));
    m_levelMeter->setRange(0, 100);
    m_levelMeter->setValue(0);
    m_levelMeter->setTextVisible(false);
    m_levelMeter->setToolTip(tr("Input level: speak to see it move"));
    form->addRow(tr("Input level"), m_levelMeter);
    m_outputCombo = new QComboBox(this);
    m_outputCombo->setObjectName(QStringLiteral("outputCombo"));
    m_outputCombo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_outputCombo->setMinimumContentsLength(24);
    auto* outputRow = new QHBoxLayout;
    outputRow->setSpacing(8);
    outputRow->addWidget(m_outputCombo, 1);
    m_testSoundButton = new QPushButton(tr("Play test sound"), this);
    m_testSoundButton->setObjectName(QStringLiteral("testSoundButton"));
    outputRow->addWidget(m_testSoundButton);
    form->addRow(tr("Speaker"), outputRow);
    layout->addLayout(form);

    m_deviceMessage = new QLabel(this);
    m_deviceMessage->setObjectName(QStringLiteral("deviceMessageLabel"));
    m_deviceMessage->setProperty("banner", true);
    m_deviceMessage->setWordWrap(true);
    m_deviceMessage->setTextFormat(Qt::PlainText);
    m_deviceMessage->hide();
    layout->addWidget(m_deviceMessage);

    m_echoCheck = new QCheckBox(tr("Echo cancellation and noise suppression"), this);
    m_echoCheck->setObjectName(QStringLiteral("echoCancellationCheck"));
    m_echoCheck->setToolTip(tr("Keeps the others from hearing themselves through your speakers"));
    layout->addWidget(m_echoCheck);

    // Video.
    layout->addSpacing(6);
    layout->addWidget(sectionLabel(tr("Video"), this));
    auto* videoForm = new QFormLayout;
    videoForm->setHorizontalSpacing(16);
    videoForm->setVerticalSpacing(10);
    videoForm->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_cameraCombo = new QComboBox(this);
    m_cameraCombo->setObjectName(QStringLiteral("cameraCombo"));
    m_cameraCombo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_cameraCombo->setMinimumContentsLength(24);
    videoForm->addRow(tr("Camera"), m_cameraCombo);
    m_videoSizeCombo = new QComboBox(this);
    m_videoSizeCombo->setObjectName(QStringLiteral("videoSizeCombo"));
    m_videoSizeCombo->addItem(tr("Standard (640 × 360)"), QSize(640, 360));
    m_videoSizeCombo->addItem(tr("HD (1280 × 720)"), QSize(1280, 720));
    videoForm->addRow(tr("Quality"), m_videoSizeCombo);
    layout->addLayout(videoForm);
    m_dataSaverCheck = new QCheckBox(tr("Data saver: video at most 640 × 360"), this);
    m_dataSaverCheck->setObjectName(QStringLiteral("dataSaverCheck"));
    m_dataSaverCheck->setToolTip(
        tr("For slow or metered connections: the others' video is received at most at "
           "640 × 360, and yours is sent at most at 640 × 360 (never in HD)."));
    layout->addWidget(m_dataSaverCheck);
    m_videoHint = new QLabel(tr("Camera and quality take effect in the next call. Data saver "
                                "takes effect at once, for the video you receive and the "
                                "video you send."),
                             this);
    m_videoHint->setObjectName(QStringLiteral("videoHintLabel"));
    m_videoHint->setProperty("hint", true);
    m_videoHint->setWordWrap(true);
    layout->addWidget(m_videoHint);

    // Calls.
    layout->addSpacing(6);
    layout->addWidget(sectionLabel(tr("Calls"), this));
    m_pushToTalkCheck = new QCheckBox(tr("Push to talk (hold Space to speak)"), this);
    m_pushToTalkCheck->setObjectName(QStringLiteral("pushToTalkCheck"));
    layout->addWidget(m_pushToTalkCheck);
    m_soundsCheck = new QCheckBox(tr("Play a sound when someone joins or leaves"), this);
    m_soundsCheck->setObjectName(QStringLiteral("joinLeaveSoundsCheck"));
    layout->addWidget(m_soundsCheck);

    // Language.
    layout->addSpacing(6);
    layout->addWidget(sectionLabel(tr("Language"), this));
    auto* languageRow = new QHBoxLayout;
    m_languageCombo = new QComboBox(this);
    m_languageCombo->setObjectName(QStringLiteral("languageCombo"));
    m_languageCombo->addItem(tr("System language"), QString());
    // Language names in their own language, so that a person can find theirs.
    m_languageCombo->addItem(QStringLiteral("English"), QStringLiteral("en"));
    m_languageCombo->addItem(QStringLiteral("Русский"), QStringLiteral("ru"));
    languageRow->addWidget(m_languageCombo);
    auto* restartHint = new QLabel(tr("Takes effect after a restart."), this);
    restartHint->setProperty("hint", true);
    languageRow->addWidget(restartHint, 1);
    layout->addLayout(languageRow);

    layout->addStretch(1);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->button(QDialogButtonBox::Close)->setIcon(QIcon()); // text buttons, as elsewhere
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    m_echoCheck->setChecked(m_settings.echoCancellation());
    m_pushToTalkCheck->setChecked(m_settings.pushToTalk());
    m_soundsCheck->setChecked(m_settings.joinLeaveSounds());
    m_languageCombo->setCurrentIndex(std::max(0, m_languageCombo->findData(m_settings.language())));

    fillDevices();
    fillCameras();
    m_videoSizeCombo->setCurrentIndex(
        std::max(0, m_videoSizeCombo->findData(m_settings.videoSize())));
    m_dataSaverCheck->setChecked(m_settings.dataSaver());

    connect(m_echoCheck, &QCheckBox::toggled, &m_settings, &AppSettings::setEchoCancellation);
    connect(m_pushToTalkCheck, &QCheckBox::toggled, &m_settings, &AppSettings::setPushToTalk);
    connect(m_soundsCheck, &QCheckBox::toggled, &m_settings, &AppSettings::setJoinLeaveSounds);
    connect(m_languageCombo, &QComboBox::currentIndexChanged, this,
            [this] { m_settings.setLanguage(m_languageCombo->currentData().toString()); });
    connect(m_inputCombo, &QComboBox::currentIndexChanged, this, [this] {
        m_settings.setInputDevice(m_inputCombo->currentData().toString());
        if (isVisible())
            openMeterDevice();
    });
    connect(m_outputCombo, &QComboBox::currentIndexChanged, this,
            [this] { m_settings.setOutputDevice(m_outputCombo->currentData().toString()); });
    connect(m_cameraCombo, &QComboBox::currentIndexChanged, this,
            [this] { m_settings.setVideoSource(m_cameraCombo->currentData().toString()); });
    connect(m_videoSizeCombo, &QComboBox::currentIndexChanged, this,
            [this] { m_settings.setVideoSize(m_videoSizeCombo->currentData().toSize()); });
    connect(m_dataSaverCheck, &QCheckBox::toggled, &m_settings, &AppSettings::setDataSaver);
    connect(m_testSoundButton, &QPushButton::clicked, this, [this] {
        if (m_controller)
            m_controller->playTestSound();
    });

    m_meterTimer = new QTimer(this);
    m_meterTimer->setInterval(50);
    connect(m_meterTimer, &QTimer::timeout, this, &SettingsDialog::updateMeter);
    m_meterTimer->start();
    if (m_controller) {
        // A call that starts while the dialog is open takes the microphone: the meter follows
        // the call's level from then on.
        connect(m_controller, &CallController::joined, this, [this] { closeMeterDevice(); });
        connect(m_controller, &CallController::ended, this, [this] {
            if (isVisible())
                openMeterDevice();
        });
    }
}

SettingsDialog::~SettingsDialog() {
    closeMeterDevice();
}

int SettingsDialog::meterValue(float levelDbfs) {
    if (!std::isfinite(levelDbfs) || levelDbfs <= kMeterFloorDbfs)
        return 0;
    if (levelDbfs >= 0.0F)
        return 100;
    return static_cast<int>(std::lround((levelDbfs - kMeterFloorDbfs) / -kMeterFloorDbfs * 100));
}

void SettingsDialog::showEvent(QShowEvent* event) {
    QDialog::showEvent(event);
    fillCameras(); // a camera plugged in since
    if (!m_meterDevice)
        openMeterDevice();
}

void SettingsDialog::hideEvent(QHideEvent* event) {
    // A closed dialog must not keep the microphone open.
    closeMeterDevice();
    QDialog::hideEvent(event);
}

void SettingsDialog::showDeviceMessage(const QString& message) {
    m_deviceMessage->setText(message);
    m_deviceMessage->setVisible(!message.isEmpty());
}

void SettingsDialog::fillDevices() {
    const QSignalBlocker blockInput(m_inputCombo);
    const QSignalBlocker blockOutput(m_outputCombo);
    std::vector<devices::DeviceInfo> inputs;
    std::vector<devices::DeviceInfo> outputs;
    devices::AudioSystem* system = m_controller ? m_controller->audioSystem() : nullptr;
    if (!system) {
        showDeviceMessage(tr("Audio devices are not available: the sound system could not be "
                             "started. Calls still work, without sound."));
    } else {
        bool readable = true;
        // PortAudio sees new devices only after a restart, which a running call's streams
        // forbid: then the list is the one from when the call started.
        if (!m_controller->inCall()) {
            const auto status = system->reinitialize();
            if (!status) {
                readable = false;
                showDeviceMessage(tr("The list of audio devices could not be read: %1")
                                      .arg(QString::fromStdString(status.error().message)));
            }
        }
        if (readable) {
            inputs = system->inputDevices();
            outputs = system->outputDevices();
            if (inputs.empty() && outputs.empty())
                showDeviceMessage(tr("No audio devices were found. Check that a microphone or "
                                     "speaker is connected."));
        }
    }
    fillCombo(m_inputCombo, inputs, m_settings.inputDevice());
    fillCombo(m_outputCombo, outputs, m_settings.outputDevice());
    m_testSoundButton->setEnabled(system != nullptr);
}

void SettingsDialog::fillCameras() {
    const QSignalBlocker block(m_cameraCombo);
    m_cameraCombo->clear();
    const auto cameras = CameraCapture::cameras();
    const QString chosen = m_settings.videoSource();
    m_cameraCombo->addItem(cameras.isEmpty() ? tr("System default (no camera found)")
                                             : tr("System default"),
                           QString());
    for (const auto& camera : cameras)
        m_cameraCombo->addItem(camera.description(),
                               AppSettings::cameraSource(QString::fromUtf8(camera.id())));
    m_cameraCombo->addItem(tr("Test pattern (a moving picture)"), QStringLiteral("pattern"));
    m_cameraCombo->addItem(tr("No video"), QStringLiteral("none"));
    int index = m_cameraCombo->findData(chosen);
    if (const QString missing = AppSettings::cameraIdOf(chosen); index < 0 && !missing.isEmpty()) {
        // A remembered camera that is not plugged in: keep the choice, say so.
        m_cameraCombo->insertItem(1, tr("%1 (not connected)").arg(missing), chosen);
        index = 1;
    }
    m_cameraCombo->setCurrentIndex(std::max(0, index));
}

void SettingsDialog::openMeterDevice() {
    closeMeterDevice();
    if (!m_controller || m_controller->inCall())
        return;
    devices::AudioSystem* system = m_controller->audioSystem();
    if (!system)
        return;
    auto capture = devices::CaptureDevice::open(*system, m_settings.inputDevice().toStdString());
    if (!capture) {
        showDeviceMessage(tr("The microphone could not be opened: %1")
                              .arg(QString::fromStdString(capture.error().message)));
        return;
    }
    m_meterDevice = std::move(capture.value());
}

void SettingsDialog::closeMeterDevice() {
    m_meterDevice.reset();
    if (m_levelMeter)
        m_levelMeter->setValue(0);
}

void SettingsDialog::updateMeter() {
    float level = -100.0F;
    if (m_meterDevice) {
        if (m_meterDevice->status() == devices::DeviceStatus::Failed) {
            showDeviceMessage(tr("The microphone stopped working: %1")
                                  .arg(QString::fromStdString(m_meterDevice->lastError())));
            closeMeterDevice();
            return;
        }
        level = m_meterDevice->levelDbfs();
    } else if (m_controller && m_controller->inCall()) {
        const auto& participants = m_controller->snapshot().participants;
        const auto self = std::find_if(participants.begin(), participants.end(),
                                       [](const auto& p) { return p.isSelf; });
        if (self != participants.end())
            level = self->levelDbfs;
    }
    m_levelMeter->setValue(meterValue(level));
}

} // namespace diyuma::app
