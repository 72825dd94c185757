#pragma once
// A private PulseAudio daemon for tests of the real audio path without a sound card: a
// sound server that keeps real time, two null sinks ("tone_in", whose monitor is the default
// source, and "speaker", the default sink), ALSA's default PCM routed to it through the pulse
// plugin (libasound2-plugins), a tone fed into tone_in with pacat and speaker.monitor
// recorded with parecord.
//
// start() points HOME, XDG_RUNTIME_DIR and PULSE_SERVER of this process at a temporary
// directory (so call it before Pa_Initialize or anything else that reads them), writes
// $HOME/.asoundrc and a client.conf without autospawn (a killed daemon must stay dead), and
// starts `pulseaudio --daemonize=no -n -F script` in its own process group. It runs as root
// with a warning, which is fine. stop() (and the destructor) kill the process groups of the
// daemon and of every helper, so nothing is left behind.
//
// Thread: the test's main thread.

#include <unistd.h>

#include <QtCore/QByteArray>
#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QProcess>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QTemporaryDir>
#include <QtCore/QThread>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <memory>
#include <numbers>
#include <vector>

namespace diyuma::test {

class PulseAudioServer {
public:
    PulseAudioServer() = default;
    ~PulseAudioServer() {
        stopHelpers();
        stopDaemon();
    }
    PulseAudioServer(const PulseAudioServer&) = delete;
    PulseAudioServer& operator=(const PulseAudioServer&) = delete;

    /// Sets up the directories and environment (first call only) and starts the daemon;
    /// false (with error()) when it did not answer `pactl info` within 10 s.
    bool start() {
        if (!m_dir) {
            m_dir = std::make_unique<QTemporaryDir>(QDir::tempPath() + "/diyuma-pulse-XXXXXX");
            if (!m_dir->isValid())
                return fail("cannot create a temporary directory");
            if (!prepareEnvironment())
                return false;
        }
        if (running())
            return true;
        m_daemon = std::make_unique<QProcess>();
        inOwnProcessGroup(*m_daemon);
        m_daemon->setProcessChannelMode(QProcess::MergedChannels);
        m_daemon->setStandardOutputFile(path("pulseaudio.log"), QIODevice::Append);
        // No real-time scheduling: as root it would take SCHED_RR with an RLIMIT_RTTIME
        // watchdog, which on a loaded machine (CI) can kill the daemon between two tests.
        m_daemon->start("pulseaudio", {"--daemonize=no", "--exit-idle-time=-1", "--realtime=no",
                                       "--high-priority=no", "-n", "--log-target=stderr", "-F",
                                       path("default.pa")});
        if (!m_daemon->waitForStarted(5000))
            return fail("cannot start pulseaudio (is the pulseaudio package installed?): " +
                        m_daemon->errorString());
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 10000) {
            if (m_daemon->state() != QProcess::Running)
                return fail("pulseaudio exited: " + log());
            if (runTool("pactl", {"info"}, 2000) == 0)
                return true;
            QThread::msleep(100);
        }
        return fail("pulseaudio did not answer `pactl info` within 10 s: " + log());
    }

    /// SIGKILL to the daemon, as a crash would (no goodbye to its clients). Returns at once
    /// after it has gone.
    void killDaemon() {
        if (!m_daemon)
            return;
        killGroup(*m_daemon, SIGKILL);
        m_daemon->waitForFinished(3000);
        m_daemon.reset();
    }

    /// SIGTERM to the daemon's process group, then SIGKILL if it lingers.
    void stopDaemon() {
        if (!m_daemon)
            return;
        if (m_daemon->state() != QProcess::NotRunning) {
            killGroup(*m_daemon, SIGTERM);
            if (!m_daemon->waitForFinished(3000)) {
                killGroup(*m_daemon, SIGKILL);
                m_daemon->waitForFinished(3000);
            }
        }
        m_daemon.reset();
    }

    [[nodiscard]] bool running() const {
        return m_daemon && m_daemon->state() == QProcess::Running;
    }

    /// Plays a sine (48 kHz mono s16) into tone_in for `seconds`, through pacat; returns at
    /// once. The tone is written to a raw file first. pacat and parecord (below) get 200 ms
    /// buffers: they are the test's instruments, not what is tested, and with 20 ms ones a
    /// loaded machine (CI) put gaps into the tone that the devices under test never saw.
    bool startTone(double frequencyHz, double levelDbfs, int seconds) {
        const double amplitude = 32767.0 * std::pow(10.0, levelDbfs / 20.0);
        std::vector<std::int16_t> samples(static_cast<std::size_t>(seconds) * 48000);
        for (std::size_t i = 0; i < samples.size(); ++i)
            samples[i] = static_cast<std::int16_t>(std::lround(
                amplitude * std::sin(2 * std::numbers::pi * frequencyHz * double(i) / 48000)));
        QFile file(path("tone.raw"));
        if (!file.open(QIODevice::WriteOnly) ||
            file.write(reinterpret_cast<const char*>(samples.data()),
                       static_cast<qint64>(samples.size() * sizeof(std::int16_t))) !=
                static_cast<qint64>(samples.size() * sizeof(std::int16_t)))
            return fail("cannot write " + file.fileName());
        file.close();
        return startHelper(m_pacat, "pacat",
                           {"--playback", "--raw", "--format=s16le", "--rate=48000", "--channels=1",
                            "--device=tone_in", "--latency-msec=200"},
                           path("tone.raw"));
    }

    /// Records speaker.monitor (48 kHz mono s16) into a WAV file until stopRecording().
    bool startRecording(const QString& wavPath) {
        return startHelper(m_parecord, "parecord",
                           {"--device=speaker.monitor", "--file-format=wav", "--format=s16le",
                            "--rate=48000", "--channels=1", "--latency-msec=200", wavPath},
                           {});
    }

    /// SIGINT so that parecord finishes the WAV header, then waits.
    void stopRecording() { stopHelper(m_parecord, SIGINT); }
    void stopTone() { stopHelper(m_pacat, SIGTERM); }
    void stopHelpers() {
        stopRecording();
        stopTone();
    }

    /// Runs pactl with `args`; returns its exit code (-1 when it did not finish in time).
    int pactl(const QStringList& args, QByteArray* output = nullptr) {
        return runTool("pactl", args, 5000, output);
    }

    [[nodiscard]] QString path(const QString& name) const { return m_dir->filePath(name); }
    [[nodiscard]] QString error() const { return m_error; }
    [[nodiscard]] QString log() const {
        QFile f(path("pulseaudio.log"));
        return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll().right(2000)) : "";
    }

private:
    bool fail(const QString& message) {
        m_error = message;
        return false;
    }

    bool prepareEnvironment() {
        const QString home = path("home");
        const QString runtime = path("run");
        if (!QDir().mkpath(home + "/.config/pulse") || !QDir().mkpath(runtime))
            return fail("cannot create the HOME and XDG_RUNTIME_DIR directories");
        QFile::setPermissions(runtime, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        // Everything reading these (libpulse inside ALSA's pulse plugin, pactl, pacat) must
        // see them before it starts: set them in this process, children inherit them.
        qputenv("HOME", home.toUtf8());
        qputenv("XDG_RUNTIME_DIR", runtime.toUtf8());
        qputenv("PULSE_SERVER", ("unix:" + runtime + "/pulse/native").toUtf8());
        qunsetenv("ALSA_CONFIG_PATH");
        return writeFile(home + "/.asoundrc",
                         "pcm.!default { type pulse }\nctl.!default { type pulse }\n") &&
               writeFile(home + "/.config/pulse/client.conf", "autospawn = no\n") &&
               writeFile(path("default.pa"),
                         "load-module module-native-protocol-unix\n"
                         "load-module module-null-sink sink_name=tone_in rate=48000 channels=1\n"
                         "load-module module-null-sink sink_name=speaker rate=48000 channels=1\n"
                         "set-default-source tone_in.monitor\n"
                         "set-default-sink speaker\n");
    }

    bool writeFile(const QString& file, const QByteArray& text) {
        QFile f(file);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(text) != text.size())
            return fail("cannot write " + file);
        return true;
    }

    static void inOwnProcessGroup(QProcess& process) {
        // A group of its own: stop() can signal the program and anything it started.
        process.setChildProcessModifier([] { ::setpgid(0, 0); });
    }

    static void killGroup(QProcess& process, int signal) {
        const qint64 pid = process.processId();
        if (pid > 0)
            ::kill(-static_cast<pid_t>(pid), signal);
    }

    bool startHelper(std::unique_ptr<QProcess>& slot, const QString& program,
                     const QStringList& args, const QString& stdinFile) {
        stopHelper(slot, SIGTERM);
        slot = std::make_unique<QProcess>();
        inOwnProcessGroup(*slot);
        slot->setProcessChannelMode(QProcess::MergedChannels);
        slot->setStandardOutputFile(path(program + ".log"), QIODevice::Append);
        if (!stdinFile.isEmpty())
            slot->setStandardInputFile(stdinFile);
        slot->start(program, args);
        if (!slot->waitForStarted(5000))
            return fail("cannot start " + program + ": " + slot->errorString());
        return true;
    }

    static void stopHelper(std::unique_ptr<QProcess>& slot, int signal) {
        if (!slot)
            return;
        if (slot->state() != QProcess::NotRunning) {
            killGroup(*slot, signal);
            if (!slot->waitForFinished(3000)) {
                killGroup(*slot, SIGKILL);
                slot->waitForFinished(3000);
            }
        }
        slot.reset();
    }

    int runTool(const QString& program, const QStringList& args, int timeoutMs,
                QByteArray* output = nullptr) {
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(program, args);
        if (!p.waitForFinished(timeoutMs)) {
            p.kill();
            p.waitForFinished(1000);
            return -1;
        }
        if (output)
            *output = p.readAll();
        return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_daemon;
    std::unique_ptr<QProcess> m_pacat;
    std::unique_ptr<QProcess> m_parecord;
    QString m_error;
};

} // namespace diyuma::test
