// The real diyuma-relay as a service: readiness through NOTIFY_SOCKET (as systemd's
// Type=notify sees it), a SIGHUP that changes a limit while a call goes on, SIGTERM that
// tells joined clients the relay is going away and exits at once, and config file errors.

#include "diyuma/id/ConferenceId.h"
#include "diyuma/wire/Control.h"

#include "Processes.h"

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>
#include <array>
#include <optional>

using namespace diyuma;
namespace wire = diyuma::core::wire;
using diyuma::test::cliPath;
using diyuma::test::createConference;
using diyuma::test::relayPath;
using diyuma::test::runCli;
using diyuma::test::startCli;

namespace {

/// The relay started by hand (environment, config file), reading its stderr as it goes.
class ServiceRelay {
public:
    ~ServiceRelay() {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(2000);
        }
    }
    bool start(const QStringList& args, const QProcessEnvironment& env = systemEnv()) {
        m_process.setProcessEnvironment(env);
        m_process.start(relayPath(), args);
        if (!m_process.waitForStarted(5000))
            return false;
        QElapsedTimer timer;
        timer.start();
        while (!m_process.canReadLine() && timer.elapsed() < 5000 &&
               m_process.state() == QProcess::Running)
            m_process.waitForReadyRead(100);
        if (!m_process.canReadLine())
            return false;
        m_address = QString::fromUtf8(m_process.readLine()).trimmed();
        return m_address.contains(':');
    }
    static QProcessEnvironment systemEnv() {
        auto env = QProcessEnvironment::systemEnvironment();
        env.remove("NOTIFY_SOCKET");
        env.remove("JOURNAL_STREAM");
        return env;
    }
    void signal(int number) { ::kill(static_cast<pid_t>(m_process.processId()), number); }
    /// Waits until stderr contains `text` (what was read so far counts).
    bool waitForLog(const QByteArray& text, int timeoutMs = 5000) {
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < timeoutMs) {
            m_stderr += m_process.readAllStandardError();
            if (m_stderr.contains(text))
                return true;
            m_process.waitForReadyRead(50);
        }
        return false;
    }
    QProcess& process() { return m_process; }
    QString address() const { return m_address; }
    quint16 port() const { return static_cast<quint16>(m_address.section(':', -1).toUInt()); }
    QByteArray stderrText() {
        m_stderr += m_process.readAllStandardError();
        return m_stderr;
    }

private:
    QProcess m_process;
    QString m_address;
    QByteArray m_stderr;
};

/// A bare protocol client on a UDP socket: Hello, Join, then read what comes.
class RawClient {
public:
    explicit RawClient(quint16 port) {
        m_fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::connect(m_fd, reinterpret_cast<sockaddr*>(&to), sizeof to);
    }
    ~RawClient() { ::close(m_fd); }

    void send(const wire::ControlMessage& message) {
        std::array<std::uint8_t, wire::kMaxDatagramBytes> buffer{};
        auto bytes = wire::encodeControl(message, buffer);
        if (std::holds_alternative<wire::HelloMsg>(message.body)) {
            std::vector<std::uint8_t> padded(bytes.begin(), bytes.end());
            padded.resize(std::max<std::size_t>(padded.size(), 64), 0);
            (void)::send(m_fd, padded.data(), padded.size(), 0);
            return;
        }
        (void)::send(m_fd, bytes.data(), bytes.size(), 0);
    }
    /// The next control message of type T within timeoutMs (others are skipped).
    template <typename T>
    std::optional<T> receive(int timeoutMs = 2000) {
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < timeoutMs) {
            pollfd p{m_fd, POLLIN, 0};
            if (::poll(&p, 1, 50) != 1)
                continue;
            const auto n = ::recv(m_fd, m_buffer.data(), m_buffer.size(), 0);
            if (n <= 0)
                continue;
            wire::ControlMessage message;
            if (wire::parseControl(std::span(m_buffer.data(), static_cast<std::size_t>(n)),
                                   message) != wire::ParseError::None)
                continue;
            if (std::holds_alternative<T>(message.body))
                return std::get<T>(message.body);
        }
        return std::nullopt;
    }
    /// Hello, Join; true if Joined came back.
    bool join(std::uint64_t conferenceId, std::string_view name) {
        send(wire::ControlMessage{1, wire::HelloMsg{}});
        const auto cookie = receive<wire::CookieMsg>();
        if (!cookie)
            return false;
        wire::JoinMsg join;
        join.cookie = cookie->cookie;
        join.conferenceId = conferenceId;
        join.name = name;
        send(wire::ControlMessage{2, join});
        return receive<wire::JoinedMsg>().has_value();
    }

private:
    int m_fd = -1;
    std::array<std::uint8_t, 2048> m_buffer{};
};

std::uint64_t conferenceIdOf(const QString& link) {
    const auto id = core::ConferenceId::parse(link.section('/', -1).toStdString());
    return id ? id->value() : 0;
}

QJsonObject readJson(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

void writeFile(const QString& path, const QByteArray& text) {
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(text);
}

} // namespace

class TestRelayService : public QObject {
    Q_OBJECT

private slots:
    void readinessGoesToNotifySocket() {
        QTemporaryDir dir;
        const QByteArray path = dir.filePath("notify").toUtf8();
        const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        QVERIFY(fd >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, path.constData(), sizeof address.sun_path - 1);
        QCOMPARE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        const auto receive = [&](int timeoutMs) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, timeoutMs) != 1)
                return QByteArray();
            char buffer[1024];
            const auto n = ::recv(fd, buffer, sizeof buffer, 0);
            return n > 0 ? QByteArray(buffer, static_cast<int>(n)) : QByteArray();
        };

        auto env = ServiceRelay::systemEnv();
        env.insert("NOTIFY_SOCKET", QString::fromUtf8(path));
        ServiceRelay relay;
        QVERIFY(relay.start({"--listen", "127.0.0.1:0"}, env));
        // READY=1 comes once the socket is bound: by now it is, and it says where.
        const auto ready = receive(5000);
        QVERIFY2(ready.startsWith("READY=1\nSTATUS=serving on " + relay.address().toUtf8()),
                 ready.constData());
        // And the relay answers right away.
        RawClient client(relay.port());
        client.send(wire::ControlMessage{1, wire::HelloMsg{}});
        QVERIFY(client.receive<wire::CookieMsg>());

        relay.signal(SIGHUP);
        QVERIFY2(receive(3000).startsWith("RELOADING=1\n"), "no RELOADING=1");
        QVERIFY2(receive(3000).startsWith("READY=1\n"), "no READY=1 after the reload");

        relay.signal(SIGTERM);
        QVERIFY2(receive(3000).startsWith("STOPPING=1\n"), "no STOPPING=1");
        QVERIFY(relay.process().waitForFinished(3000));
        QCOMPARE(relay.process().exitCode(), 0);
        ::close(fd);
    }

    void sighupChangesALimitWithoutDroppingTheCall() {
        QTemporaryDir dir;
        const QString config = dir.filePath("relay.toml");
        writeFile(config, "log_level = \"info\"\n[limits]\nmax_participants = 2\n");
        ServiceRelay relay;
        QVERIFY(relay.start({"--config", config, "--listen", "127.0.0.1:0"}));
        const auto links = createConference(relay.address());
        QCOMPARE(links.size(), 2);

        // Two people talk for 6 s.
        const QString statsA = dir.filePath("a.json");
        const QString statsB = dir.filePath("b.json");
        auto a = startCli({"join", links[0], "--name", "A", "--send-audio", "tone:440",
                           "--duration", "6", "--stats-json", statsA});
        auto b = startCli({"join", links[0], "--name", "B", "--send-audio", "tone:660",
                           "--duration", "6", "--stats-json", statsB});
        QVERIFY(relay.waitForLog("participant 2"));

        // A third is refused: the conference is full.
        auto refused = runCli({"join", links[0], "--name", "C", "--duration", "1"});
        QVERIFY(refused.finished);
        QVERIFY2(refused.exitCode != 0, refused.err.constData());
        QVERIFY2(refused.err.contains("full"), refused.err.constData());

        // Raise the limit in the file and reload; the third gets in during the same call.
        writeFile(config, "log_level = \"info\"\n[limits]\nmax_participants = 3\n");
        relay.signal(SIGHUP);
        QVERIFY(
            relay.waitForLog("configuration reloaded: max_conferences=1000 max_participants=3"));
        auto third = runCli({"join", links[0], "--name", "C", "--duration", "1"});
        QVERIFY(third.finished);
        QVERIFY2(third.exitCode == 0, third.err.constData());

        // A bad file on reload is reported and changes nothing.
        writeFile(config, "[limits]\nmax_participants = \"three\"\n");
        relay.signal(SIGHUP);
        QVERIFY(relay.waitForLog("reload failed, keeping the running settings"));
        QVERIFY(relay.process().state() == QProcess::Running);

        // The two in the call never noticed: both ran to the end and heard each other the
        // whole time (6 s of 20 ms packets is 300; allow for join and leave edges).
        QVERIFY(a->waitForFinished(15000));
        QVERIFY(b->waitForFinished(15000));
        QCOMPARE(a->exitCode(), 0);
        QCOMPARE(b->exitCode(), 0);
        const auto heardByA = readJson(statsA)["remote"]
                                  .toObject()["B"]
                                  .toObject()["audio"]
                                  .toObject()["packets_received"]
                                  .toInteger();
        const auto heardByB = readJson(statsB)["remote"]
                                  .toObject()["A"]
                                  .toObject()["audio"]
                                  .toObject()["packets_received"]
                                  .toInteger();
        QVERIFY2(heardByA >= 250, QByteArray::number(heardByA).constData());
        QVERIFY2(heardByB >= 250, QByteArray::number(heardByB).constData());
        QVERIFY(!relay.stderrText().contains("timed out"));
    }

    void sigtermTellsClientsAndExitsAtOnce() {
        ServiceRelay relay;
        QVERIFY(relay.start({"--listen", "127.0.0.1:0"}));
        const auto links = createConference(relay.address());
        QCOMPARE(links.size(), 2);
        const auto id = conferenceIdOf(links[0]);
        QVERIFY(id != 0);
        RawClient first(relay.port());
        RawClient second(relay.port());
        QVERIFY(first.join(id, "first"));
        QVERIFY(second.join(id, "second"));

        QElapsedTimer timer;
        timer.start();
        relay.signal(SIGTERM);
        for (auto* client : {&first, &second}) {
            const auto error = client->receive<wire::ErrorMsg>(2000);
            QVERIFY(error);
            QVERIFY(error->code == wire::ErrorCode::GoingAway);
        }
        QVERIFY(relay.process().waitForFinished(3000));
        // "Within a second", with room for a loaded CI machine.
        QVERIFY2(timer.elapsed() < 2500, QByteArray::number(timer.elapsed()).constData());
        QCOMPARE(relay.process().exitStatus(), QProcess::NormalExit);
        QCOMPARE(relay.process().exitCode(), 0);
        QVERIFY(relay.stderrText().contains("told 2 participants the relay is going away"));
    }

    void badConfigIsOneLineAndExitOne() {
        QTemporaryDir dir;
        const QString config = dir.filePath("relay.toml");
        writeFile(config, "[limits]\nmax_participants = 3\nmax_conferencez = 4\n");
        QProcess relay;
        relay.start(relayPath(), {"--config", config, "--listen", "127.0.0.1:0"});
        QVERIFY(relay.waitForFinished(5000));
        QCOMPARE(relay.exitCode(), 1);
        const QByteArray err = relay.readAllStandardError();
        QCOMPARE(err, "diyuma-relay: error: " + config.toUtf8() +
                          ":3: limits.max_conferencez: unknown key (see docs/OPERATIONS.md or "
                          "man diyuma-relay)\n");
        QVERIFY(relay.readAllStandardOutput().isEmpty());

        relay.start(relayPath(), {"--config", dir.filePath("missing.toml")});
        QVERIFY(relay.waitForFinished(5000));
        QCOMPARE(relay.exitCode(), 1);
        QVERIFY(relay.readAllStandardError().contains("No such file or directory"));

        // --check-config: the flag wins over the file, and a good file says so.
        writeFile(config, "[limits]\nmax_participants = 3\n");
        relay.start(relayPath(), {"--config", config, "--max-participants", "7", "--check-config"});
        QVERIFY(relay.waitForFinished(5000));
        QCOMPARE(relay.exitCode(), 0);
        QVERIFY(relay.readAllStandardOutput().contains("max_participants=7"));
    }
};

QTEST_GUILESS_MAIN(TestRelayService)
#include "TestRelayService.moc"
