#include "SingleInstance.h"

#include <unistd.h>

#include <QtCore/QByteArray>
#include <QtCore/QEventLoop>
#include <QtCore/QStringDecoder>
#include <QtCore/QTimer>
#include <QtCore/QVariant>
#include <QtNetwork/QLocalServer>
#include <QtNetwork/QLocalSocket>

namespace diyuma::app {

namespace {

const QByteArray kMagic = QByteArrayLiteral("DIYUMA/1 ");
const QByteArray kActivate = QByteArrayLiteral("ACTIVATE");
const QByteArray kOpen = QByteArrayLiteral("OPEN ");
const QByteArray kReply = QByteArrayLiteral("OK\n");

} // namespace

QString SingleInstance::defaultServerName() {
    // The uid, not the login name: it is always there and never needs escaping.
    return QStringLiteral("diyuma-%1").arg(::getuid());
}

SingleInstance::SingleInstance(QString serverName, QObject* parent)
    : QObject(parent), m_serverName(std::move(serverName)) {}

SingleInstance::~SingleInstance() = default;

bool SingleInstance::sendToRunning(const QString& linkOrId, std::chrono::milliseconds timeout) {
    QByteArray request = kMagic;
    const QString text = linkOrId.trimmed();
    if (text.isEmpty()) {
        request += kActivate;
    } else {
        // A link never holds a line break; flattening keeps the request one line whatever
        // was passed.
        QString flat = text;
        flat.replace(QLatin1Char('\n'), QLatin1Char(' '));
        flat.replace(QLatin1Char('\r'), QLatin1Char(' '));
        request += kOpen + flat.toUtf8();
    }
    request += '\n';
    if (request.size() > kMaxRequestBytes)
        return false;

    // A local event loop rather than waitFor*(): the answer needs the other side's event loop,
    // which may be this thread's (tests run both ends in one process).
    QLocalSocket socket;
    QEventLoop loop;
    QByteArray reply;
    connect(&socket, &QLocalSocket::connected, &loop, [&] { socket.write(request); });
    connect(&socket, &QLocalSocket::readyRead, &loop, [&] {
        reply += socket.readAll();
        if (reply.contains('\n') || reply.size() > kReply.size())
            loop.quit();
    });
    connect(&socket, &QLocalSocket::disconnected, &loop, &QEventLoop::quit);
    connect(&socket, &QLocalSocket::errorOccurred, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeout, &loop, &QEventLoop::quit);
    socket.connectToServer(m_serverName);
    if (socket.state() != QLocalSocket::UnconnectedState)
        loop.exec(QEventLoop::ExcludeUserInputEvents);
    if (socket.isOpen())
        reply += socket.readAll();
    socket.abort();
    return reply == kReply;
}

bool SingleInstance::listen(QString* error) {
    if (m_server)
        return m_server->isListening();
    // Ask first: with socket options set, QLocalServer binds a temporary path and renames it
    // into place, which would silently replace a running instance's socket.
    {
        QLocalSocket probe;
        probe.connectToServer(m_serverName);
        const bool someoneThere = probe.waitForConnected(500);
        probe.abort();
        if (someoneThere) {
            if (error)
                *error = tr("another instance is already listening on %1").arg(m_serverName);
            return false;
        }
    }
    // Nobody answered: whatever socket file is there was left by a crashed instance.
    QLocalServer::removeServer(m_serverName);
    m_server = new QLocalServer(this);
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    if (!m_server->listen(m_serverName)) {
        if (error)
            *error = m_server->errorString();
        delete m_server;
        m_server = nullptr;
        return false;
    }
    connect(m_server, &QLocalServer::newConnection, this, &SingleInstance::onNewConnection);
    return true;
}

bool SingleInstance::isListening() const {
    return m_server && m_server->isListening();
}

void SingleInstance::onNewConnection() {
    while (QLocalSocket* socket = m_server->nextPendingConnection()) {
        connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QLocalSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        // A client that never finishes its line is dropped.
        QTimer::singleShot(kRequestTimeout, socket, [socket] { socket->abort(); });
    }
}

void SingleInstance::onReadyRead(QLocalSocket* socket) {
    if (socket->property("diyuma.done").toBool()) {
        socket->readAll(); // one request per connection; the rest is ignored
        return;
    }
    if (!socket->canReadLine()) {
        if (socket->bytesAvailable() > kMaxRequestBytes)
            socket->abort();
        return;
    }
    QByteArray line = socket->readLine(kMaxRequestBytes + 1);
    if (line.size() > kMaxRequestBytes || !line.endsWith('\n') || !line.startsWith(kMagic)) {
        socket->abort();
        return;
    }
    line.chop(1);
    if (line.endsWith('\r'))
        line.chop(1);
    const QByteArray body = line.mid(kMagic.size());

    enum class Request { Activate, Open } request;
    QString text;
    if (body == kActivate) {
        request = Request::Activate;
    } else if (body.startsWith(kOpen)) {
        // Reject bytes that are not UTF-8 instead of showing replacement characters.
        QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
        text = decoder(body.mid(kOpen.size()));
        text = text.trimmed();
        if (decoder.hasError() || text.isEmpty()) {
            socket->abort();
            return;
        }
        request = Request::Open;
    } else {
        socket->abort();
        return;
    }
    socket->setProperty("diyuma.done", true);
    socket->write(kReply);
    socket->flush();
    socket->disconnectFromServer();
    if (request == Request::Activate)
        Q_EMIT activateRequested();
    else
        Q_EMIT linkReceived(text);
}

} // namespace diyuma::app
