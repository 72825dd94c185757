#pragma once
// Starting the real programs (diyuma-relay, diyuma-cli) from integration tests.
// The build tree is found through DIYUMA_BIN_DIR, which tests/CMakeLists.txt sets.

#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QProcess>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <memory>

namespace diyuma::test {

inline QString binDir() {
    return qEnvironmentVariable("DIYUMA_BIN_DIR");
}
inline QString relayPath() {
    return binDir() + "/relay/diyuma-relay";
}
inline QString cliPath() {
    return binDir() + "/tools/cli/diyuma-cli";
}
inline QString netsimPath() {
    return binDir() + "/tools/netsim/diyuma-netsim";
}

/// The real relay on 127.0.0.1 with a port the kernel picks (it prints ADDR:PORT first).
class RelayProcess {
public:
    ~RelayProcess() { stop(); }

    /// Where the relay listens (a fixed port lets a test restart it at the same address).
    QString listen = QStringLiteral("127.0.0.1:0");

    /// Starts the relay; returns false (with the reason in error()) if it did not report its
    /// address within 5 s.
    bool start(const QStringList& extraArgs = {}) {
        m_process = std::make_unique<QProcess>();
        m_process->setProcessChannelMode(QProcess::SeparateChannels);
        m_process->start(relayPath(), QStringList{"--listen", listen} + extraArgs);
        if (!m_process->waitForStarted(5000)) {
            m_error = "relay did not start: " + m_process->errorString();
            return false;
        }
        QElapsedTimer timer;
        timer.start();
        while (!m_process->canReadLine() && timer.elapsed() < 5000)
            m_process->waitForReadyRead(100);
        if (!m_process->canReadLine()) {
            m_error = "relay printed no address; stderr: " + m_process->readAllStandardError();
            return false;
        }
        m_address = QString::fromUtf8(m_process->readLine()).trimmed();
        return m_address.contains(':');
    }
    /// SIGTERM, then wait; returns the exit code (or -1 if it had to be killed).
    int stop() {
        if (!m_process || m_process->state() == QProcess::NotRunning)
            return m_process ? m_process->exitCode() : -1;
        m_process->terminate();
        if (!m_process->waitForFinished(3000)) {
            m_process->kill();
            m_process->waitForFinished(1000);
            return -1;
        }
        m_stderr += m_process->readAllStandardError();
        return m_process->exitStatus() == QProcess::NormalExit ? m_process->exitCode() : -1;
    }
    [[nodiscard]] bool running() const {
        return m_process && m_process->state() == QProcess::Running;
    }
    [[nodiscard]] QString address() const { return m_address; }
    [[nodiscard]] quint16 port() const {
        return static_cast<quint16>(m_address.section(':', -1).toUInt());
    }
    [[nodiscard]] QString error() const { return m_error; }
    [[nodiscard]] QByteArray stderrText() const { return m_stderr; }
    /// The relay's log (stderr) so far, while it runs: what the event loop (or a waitFor*
    /// call) has read from the pipe, without waiting.
    QByteArray stderrSoFar() {
        if (m_process)
            m_stderr += m_process->readAllStandardError();
        return m_stderr;
    }

private:
    std::unique_ptr<QProcess> m_process;
    QString m_address;
    QString m_error;
    QByteArray m_stderr;
};

/// The real diyuma-netsim impairment proxy in front of a target (it prints HOST:PORT first,
/// and one line of JSON stats on stderr when it stops).
class NetsimProcess {
public:
    ~NetsimProcess() { stop(); }

    /// Starts `diyuma-netsim --listen 127.0.0.1:0 --target TARGET ARGS...`; returns false
    /// (with the reason in error()) if it did not report its address within 5 s.
    bool start(const QString& target, const QStringList& args) {
        m_process = std::make_unique<QProcess>();
        m_process->setProcessChannelMode(QProcess::SeparateChannels);
        m_process->start(netsimPath(),
                         QStringList{"--listen", "127.0.0.1:0", "--target", target} + args);
        if (!m_process->waitForStarted(5000)) {
            m_error = "netsim did not start: " + m_process->errorString();
            return false;
        }
        QElapsedTimer timer;
        timer.start();
        while (!m_process->canReadLine() && timer.elapsed() < 5000)
            m_process->waitForReadyRead(100);
        if (!m_process->canReadLine()) {
            m_error = "netsim printed no address; stderr: " + m_process->readAllStandardError();
            return false;
        }
        m_address = QString::fromUtf8(m_process->readLine()).trimmed();
        return m_address.contains(':');
    }
    /// SIGTERM, then wait; returns the exit code (or -1 if it had to be killed).
    int stop() {
        if (!m_process || m_process->state() == QProcess::NotRunning)
            return m_process ? m_process->exitCode() : -1;
        m_process->terminate();
        if (!m_process->waitForFinished(3000)) {
            m_process->kill();
            m_process->waitForFinished(1000);
            return -1;
        }
        m_stderr += m_process->readAllStandardError();
        return m_process->exitStatus() == QProcess::NormalExit ? m_process->exitCode() : -1;
    }
    [[nodiscard]] QString address() const { return m_address; }
    [[nodiscard]] QString error() const { return m_error; }
    /// Everything on stderr (after stop()): a start line, then the JSON stats line.
    [[nodiscard]] QByteArray stderrText() const { return m_stderr; }

private:
    std::unique_ptr<QProcess> m_process;
    QString m_address;
    QString m_error;
    QByteArray m_stderr;
};

struct CliResult {
    bool finished = false;
    int exitCode = -1;
    qint64 elapsedMs = 0;
    QByteArray out;
    QByteArray err;
};

/// Runs diyuma-cli to the end (killing it after timeoutMs).
inline CliResult runCli(const QStringList& args, int timeoutMs = 15000) {
    CliResult r;
    QProcess p;
    QElapsedTimer timer;
    timer.start();
    p.start(cliPath(), args);
    r.finished = p.waitForFinished(timeoutMs);
    r.elapsedMs = timer.elapsed();
    if (!r.finished) {
        p.kill();
        p.waitForFinished(1000);
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

/// Starts diyuma-cli without waiting (several clients at once).
inline std::unique_ptr<QProcess> startCli(const QStringList& args) {
    auto p = std::make_unique<QProcess>();
    p->start(cliPath(), args);
    p->waitForStarted(5000);
    return p;
}

/// Creates a conference; returns {invite link, admin link} or empty strings.
inline QStringList createConference(const QString& relayAddress, const QStringList& extra = {}) {
    auto r = runCli(QStringList{"create", "--relay", relayAddress} + extra, 10000);
    if (!r.finished || r.exitCode != 0)
        return {};
    auto lines = QString::fromUtf8(r.out).split('\n', Qt::SkipEmptyParts);
    return lines.size() >= 2 ? lines.mid(0, 2) : QStringList{};
}

} // namespace diyuma::test
