#pragma once
// One app per user: the first instance listens on a local socket; a later launch hands its
// invite link (or just "show yourself") to it and exits.
//
// Protocol (one connection, one request, UTF-8 lines of at most kMaxRequestBytes):
//     client: "DIYUMA/1 ACTIVATE\n"  or  "DIYUMA/1 OPEN <link or ID>\n"
//     server: "OK\n" once it has accepted the request, then closes.
// Anything else (garbage, an overlong line, silence for kRequestTimeout) closes the connection
// without a signal. The socket is user-only (QLocalServer::UserAccessOption).
//
// Thread: GUI thread only (needs the event loop for the server; sendToRunning() blocks for at
// most its timeout).

#include <QtCore/QObject>
#include <QtCore/QString>
#include <chrono>

class QLocalServer;
class QLocalSocket;

namespace diyuma::app {

class SingleInstance : public QObject {
    Q_OBJECT
public:
    static constexpr qint64 kMaxRequestBytes = 8192;
    static constexpr std::chrono::milliseconds kRequestTimeout{3000};

    /// The per-user server name, "diyuma-<uid>" (the socket lives in the temp folder).
    [[nodiscard]] static QString defaultServerName();

    explicit SingleInstance(QString serverName, QObject* parent = nullptr);
    ~SingleInstance() override;

    /// Hands `linkOrId` (empty: just activate) to a running instance and waits for its "OK".
    /// False when no instance is running (or it did not answer within `timeout`).
    [[nodiscard]] bool sendToRunning(const QString& linkOrId,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(2));

    /// Becomes the running instance. A socket file left by a crashed instance (nobody answers
    /// on it) is removed first. False with a reason in `error` when listening fails.
    [[nodiscard]] bool listen(QString* error = nullptr);
    [[nodiscard]] bool isListening() const;
    [[nodiscard]] QString serverName() const { return m_serverName; }

signals:
    /// A later launch without a link: raise the window.
    void activateRequested();
    /// A later launch with a link or ID (not yet checked: the receiver validates it).
    void linkReceived(const QString& linkOrId);

private:
    void onNewConnection();
    void onReadyRead(QLocalSocket* socket);

    QString m_serverName;
    QLocalServer* m_server = nullptr;
};

} // namespace diyuma::app
