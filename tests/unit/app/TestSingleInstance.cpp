// SingleInstance: a second launch hands its link to the first (both in this process, with a
// server name of their own), garbage on the socket is ignored, a stale socket file is taken
// over, and a running instance is never stolen from.

#include "SingleInstance.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <QtCore/QTemporaryDir>
#include <QtNetwork/QLocalServer>
#include <QtNetwork/QLocalSocket>
#include <QtTest/QSignalSpy>
#include <QtTest/QtTest>
#include <cstring>

using diyuma::app::SingleInstance;

class TestSingleInstance : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    int m_counter = 0;

    // A full path keeps each test's socket apart from any real instance and other tests.
    QString uniqueName() { return m_dir.filePath(QStringLiteral("instance-%1").arg(++m_counter)); }

    // Sends raw bytes and says whether the server closed the connection without a reply.
    static bool closedWithoutReply(const QString& name, const QByteArray& bytes) {
        QLocalSocket socket;
        socket.connectToServer(name);
        if (!socket.waitForConnected(1000))
            return false;
        socket.write(bytes);
        socket.flush();
        QByteArray reply;
        QElapsedTimer timer;
        timer.start();
        while (socket.state() == QLocalSocket::ConnectedState && timer.elapsed() < 5000) {
            QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
            reply += socket.readAll();
        }
        reply += socket.readAll();
        return socket.state() != QLocalSocket::ConnectedState && reply.isEmpty();
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void defaultNameIsPerUser() {
        const QString name = SingleInstance::defaultServerName();
        QVERIFY(name.startsWith(QLatin1String("diyuma-")));
        QVERIFY(name.contains(QString::number(::getuid())));
    }

    void noRunningInstance() {
        SingleInstance lonely(uniqueName());
        QElapsedTimer timer;
        timer.start();
        QVERIFY(!lonely.sendToRunning(QStringLiteral("7HKQ-2M9X-4DRA")));
        QVERIFY(!lonely.isListening());
    }

    void secondLaunchHandsItsLinkToTheFirst() {
        const QString name = uniqueName();
        SingleInstance first(name);
        QVERIFY(first.listen());
        QVERIFY(first.isListening());
        QSignalSpy links(&first, &SingleInstance::linkReceived);
        QSignalSpy activations(&first, &SingleInstance::activateRequested);

        SingleInstance second(name);
        const QString link = QStringLiteral("diyuma://relay.example.org:47400/7HKQ-2M9X-4DRA");
        QVERIFY(second.sendToRunning(QStringLiteral("  ") + link));
        QCOMPARE(links.count(), 1);
        QCOMPARE(links.at(0).at(0).toString(), link);
        QCOMPARE(activations.count(), 0);

        SingleInstance third(name);
        QVERIFY(third.sendToRunning(QString()));
        QCOMPARE(activations.count(), 1);
        QCOMPARE(links.count(), 1);

        // Non-ASCII survives (a name in a later version, an IDN host).
        QVERIFY(third.sendToRunning(QStringLiteral("diyuma://пример.рф/7HKQ-2M9X-4DRA")));
        QCOMPARE(links.count(), 2);
        QCOMPARE(links.at(1).at(0).toString(), QStringLiteral("diyuma://пример.рф/7HKQ-2M9X-4DRA"));
    }

    void aRunningInstanceIsNotStolenFrom() {
        const QString name = uniqueName();
        SingleInstance first(name);
        QVERIFY(first.listen());
        SingleInstance second(name);
        QString error;
        QVERIFY(!second.listen(&error));
        QVERIFY(!error.isEmpty());
        QSignalSpy links(&first, &SingleInstance::linkReceived);
        QVERIFY(SingleInstance(name).sendToRunning(QStringLiteral("7HKQ-2M9X-4DRA")));
        QCOMPARE(links.count(), 1);
    }

    void garbageIsIgnored_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("not our protocol") << QByteArray("GET / HTTP/1.0\r\n\r\n");
        QTest::newRow("unknown command") << QByteArray("DIYUMA/1 EXPLODE\n");
        QTest::newRow("other version") << QByteArray("DIYUMA/2 ACTIVATE\n");
        QTest::newRow("empty link") << QByteArray("DIYUMA/1 OPEN   \n");
        QTest::newRow("not UTF-8") << QByteArray("DIYUMA/1 OPEN \xff\xfe\x80\n");
        QTest::newRow("binary") << QByteArray("\x00\x01\x02\x03\n", 5);
        QTest::newRow("overlong line")
            << (QByteArray("DIYUMA/1 OPEN ") +
                QByteArray(SingleInstance::kMaxRequestBytes + 10, 'A') + '\n');
        QTest::newRow("endless line") << QByteArray(SingleInstance::kMaxRequestBytes * 3, 'x');
    }
    void garbageIsIgnored() {
        QFETCH(QByteArray, bytes);
        const QString name = uniqueName();
        SingleInstance first(name);
        QVERIFY(first.listen());
        QSignalSpy links(&first, &SingleInstance::linkReceived);
        QSignalSpy activations(&first, &SingleInstance::activateRequested);
        QVERIFY(closedWithoutReply(name, bytes));
        QCOMPARE(links.count(), 0);
        QCOMPARE(activations.count(), 0);
        // Still serving afterwards.
        QVERIFY(SingleInstance(name).sendToRunning(QStringLiteral("7HKQ-2M9X-4DRA")));
        QCOMPARE(links.count(), 1);
    }

    void aSilentClientIsDropped() {
        const QString name = uniqueName();
        SingleInstance first(name);
        QVERIFY(first.listen());
        QLocalSocket silent;
        silent.connectToServer(name);
        QVERIFY(silent.waitForConnected(1000));
        QTRY_VERIFY_WITH_TIMEOUT(silent.state() == QLocalSocket::UnconnectedState,
                                 int(SingleInstance::kRequestTimeout.count()) + 2000);
    }

    void staleSocketFileIsTakenOver() {
        const QString name = uniqueName();
        // What a crashed instance leaves: a socket file nobody listens on.
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        QVERIFY(fd >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        const QByteArray path = QFile::encodeName(name);
        QVERIFY(static_cast<std::size_t>(path.size()) < sizeof address.sun_path);
        std::memcpy(address.sun_path, path.constData(), static_cast<std::size_t>(path.size()));
        QCOMPARE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        ::close(fd);
        QVERIFY(QFile::exists(name));

        QVERIFY(!SingleInstance(name).sendToRunning(QString()));
        SingleInstance revived(name);
        QString error;
        QVERIFY2(revived.listen(&error), qPrintable(error));
        QSignalSpy activations(&revived, &SingleInstance::activateRequested);
        QVERIFY(SingleInstance(name).sendToRunning(QString()));
        QCOMPARE(activations.count(), 1);
    }
};

QTEST_GUILESS_MAIN(TestSingleInstance)
#include "TestSingleInstance.moc"
