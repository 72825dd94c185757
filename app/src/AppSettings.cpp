#include "AppSettings.h"

#include <QtCore/QSettings>
#include <QtCore/QVariant>

namespace diyuma::app {

namespace {

// Keys grouped by topic; renaming one forgets what people chose, so they stay as they are.
const QString kDisplayName = QStringLiteral("profile/displayName");
const QString kRelay = QStringLiteral("connection/relay");
const QString kPrivateView = QStringLiteral("connection/privateViewByDefault");
const QString kInputDevice = QStringLiteral("audio/inputDevice");
const QString kOutputDevice = QStringLiteral("audio/outputDevice");
const QString kVideoSource = QStringLiteral("video/source");
const QString kVideoSize = QStringLiteral("video/size");
const QString kDataSaver = QStringLiteral("video/dataSaver");
const QString kCameraOnAtStart = QStringLiteral("video/cameraOnAtStart");
const QString kEchoCancellation = QStringLiteral("audio/echoCancellation");
const QString kPushToTalk = QStringLiteral("call/pushToTalk");
const QString kJoinLeaveSounds = QStringLiteral("call/joinLeaveSounds");
const QString kLanguage = QStringLiteral("ui/language");

// A QSettings per access: objects on the same file in one process share their data, and the
// destructor writes changes out. Named explicitly (not from QCoreApplication) so that tests and
// the app agree on the file whatever the application object is called.
QSettings store() {
    return QSettings(QSettings::NativeFormat, QSettings::UserScope, QStringLiteral("Diyuma"),
                     QStringLiteral("Diyuma Conference"));
}

template <typename T>
T read(const QString& key, const T& fallback) {
    const QVariant value = store().value(key);
    if (!value.isValid() || !value.canConvert<T>())
        return fallback;
    return value.value<T>();
}

// Writes `value` under `key` and says whether it differed from what was stored. Compared as
// text because the file gives back "true" where a bool went in.
bool write(const QString& key, const QVariant& value) {
    QSettings settings = store();
    if (settings.contains(key) && settings.value(key).toString() == value.toString())
        return false;
    settings.setValue(key, value);
    return true;
}

} // namespace

AppSettings::AppSettings(QObject* parent) : QObject(parent) {}

QString AppSettings::displayName() const {
    return read<QString>(kDisplayName, {});
}

void AppSettings::setDisplayName(const QString& name) {
    if (write(kDisplayName, name))
        Q_EMIT changed();
}

QString AppSettings::relay() const {
    const QString relay = read<QString>(kRelay, {}).trimmed();
    return relay.isEmpty() ? defaultRelay() : relay;
}

void AppSettings::setRelay(const QString& relay) {
    if (write(kRelay, relay.trimmed()))
        Q_EMIT changed();
}

bool AppSettings::privateViewByDefault() const {
    return read<bool>(kPrivateView, false);
}

void AppSettings::setPrivateViewByDefault(bool on) {
    if (write(kPrivateView, on))
        Q_EMIT changed();
}

QString AppSettings::videoSource() const {
    const QString source = read<QString>(kVideoSource, {});
    if (source == QLatin1String("pattern") || source == QLatin1String("none") ||
        !cameraIdOf(source).isEmpty())
        return source;
    return {};
}

QString AppSettings::cameraSource(const QString& id) {
    return QStringLiteral("camera:") + id;
}

QString AppSettings::cameraIdOf(const QString& source) {
    const QLatin1String prefix("camera:");
    return source.startsWith(prefix) ? source.mid(prefix.size()) : QString();
}

void AppSettings::setVideoSource(const QString& source) {
    if (write(kVideoSource, source))
        Q_EMIT changed();
}

QSize AppSettings::videoSize() const {
    return read<QString>(kVideoSize, {}) == QLatin1String("1280x720") ? QSize(1280, 720)
                                                                      : QSize(640, 360);
}

void AppSettings::setVideoSize(QSize size) {
    if (write(kVideoSize, QStringLiteral("%1x%2").arg(size.width()).arg(size.height())))
        Q_EMIT changed();
}

bool AppSettings::dataSaver() const {
    return read<bool>(kDataSaver, false);
}

void AppSettings::setDataSaver(bool on) {
    if (write(kDataSaver, on))
        Q_EMIT changed();
}

bool AppSettings::cameraOnAtStart() const {
    return read<bool>(kCameraOnAtStart, true);
}

void AppSettings::setCameraOnAtStart(bool on) {
    if (write(kCameraOnAtStart, on))
        Q_EMIT changed();
}

QString AppSettings::inputDevice() const {
    return read<QString>(kInputDevice, {});
}

void AppSettings::setInputDevice(const QString& name) {
    if (write(kInputDevice, name))
        Q_EMIT changed();
}

QString AppSettings::outputDevice() const {
    return read<QString>(kOutputDevice, {});
}

void AppSettings::setOutputDevice(const QString& name) {
    if (write(kOutputDevice, name))
        Q_EMIT changed();
}

bool AppSettings::echoCancellation() const {
    return read<bool>(kEchoCancellation, true);
}

void AppSettings::setEchoCancellation(bool on) {
    if (write(kEchoCancellation, on))
        Q_EMIT changed();
}

bool AppSettings::pushToTalk() const {
    return read<bool>(kPushToTalk, false);
}

void AppSettings::setPushToTalk(bool on) {
    if (write(kPushToTalk, on))
        Q_EMIT changed();
}

bool AppSettings::joinLeaveSounds() const {
    return read<bool>(kJoinLeaveSounds, true);
}

void AppSettings::setJoinLeaveSounds(bool on) {
    if (write(kJoinLeaveSounds, on))
        Q_EMIT changed();
}

QString AppSettings::language() const {
    const QString code = read<QString>(kLanguage, {});
    // Anything but a language we ship means "follow the system".
    return code == QLatin1String("en") || code == QLatin1String("ru") ? code : QString();
}

void AppSettings::setLanguage(const QString& code) {
    const QString stored =
        code == QLatin1String("en") || code == QLatin1String("ru") ? code : QString();
    if (write(kLanguage, stored))
        Q_EMIT changed();
}

} // namespace diyuma::app
