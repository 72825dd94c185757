#pragma once
// Starting the real programs (diyuma-relay, diyuma-cli, diyuma-netsim) from integration tests.
// The build tree is found through DIYUMA_BIN_DIR, which tests/CMakeLists.txt sets.

#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
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

/// A program that prints the address it bound (HOST:PORT) as its first line on stdout:
/// diyuma-relay and diyuma-netsim.
class AddressedProcess {
public:
    ~AddressedProcess() { stop(); }

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
    /// Everything it wrote on stderr (complete after stop()).
    [[nodiscard]] QByteArray stderrText() const { return m_stderr; }
    /// Its stderr so far, while it runs: what the event loop (or a waitFor* call) has read
    /// from the pipe, without waiting.
    QByteArray stderrSoFar() {
        if (m_process)
            m_stderr += m_process->readAllStandardError();
        return m_stderr;
    }

protected:
    /// Starts `program args`; false (with the reason in error()) if it did not report its
    /// address within 5 s. `label` names it in the error.
    bool startProgram(const QString& program, const QStringList& args, const QString& label) {
        m_process = std::make_unique<QProcess>();
        m_process->setProcessChannelMode(QProcess::SeparateChannels);
        m_process->start(program, args);
        if (!m_process->waitForStarted(5000)) {
            m_error = label + " did not start: " + m_process->errorString();
            return false;
        }
        QElapsedTimer timer;
        timer.start();
        while (!m_process->canReadLine() && timer.elapsed() < 5000)
            m_process->waitForReadyRead(100);
        if (!m_process->canReadLine()) {
            m_error = label + " printed no address; stderr: " + m_process->readAllStandardError();
            return false;
        }
        m_address = QString::fromUtf8(m_process->readLine()).trimmed();
        return m_address.contains(':');
    }

private:
    std::unique_ptr<QProcess> m_process;
    QString m_address;
    QString m_error;
    QByteArray m_stderr;
};

/// The real relay on 127.0.0.1 with a port the kernel picks.
class RelayProcess : public AddressedProcess {
public:
    /// Where the relay listens (a fixed port lets a test restart it at the same address).
    QString listen = QStringLiteral("127.0.0.1:0");

    /// Starts the relay; false (with the reason in error()) if it did not report its address
    /// within 5 s.
    bool start(const QStringList& extraArgs = {}) {
        return startProgram(relayPath(), QStringList{"--listen", listen} + extraArgs, "relay");
    }
};

/// The real diyuma-netsim impairment proxy in front of a target (one line of JSON stats on
/// stderr when it stops).
class NetsimProcess : public AddressedProcess {
public:
    /// Starts `diyuma-netsim --listen 127.0.0.1:0 --target TARGET ARGS...`.
    bool start(const QString& target, const QStringList& args) {
        return startProgram(netsimPath(),
                            QStringList{"--listen", "127.0.0.1:0", "--target", target} + args,
                            "netsim");
    }
};

/// A JSON file's top-level object (empty if it cannot be read or parsed).
inline QJsonObject loadJsonObject(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

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
