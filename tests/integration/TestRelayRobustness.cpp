// The relay keeps forwarding between two clients while random and truncated packets are
// thrown at it from other addresses, and it never answers them with more bytes than they sent.

#include "diyuma/audio/Goertzel.h"
#include "diyuma/audio/WavFile.h"
#include "diyuma/wire/Control.h"

#include "Processes.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>
#include <atomic>
#include <random>
#include <thread>

using namespace diyuma;
namespace wire = diyuma::core::wire;
using diyuma::test::RelayProcess;

namespace {
/// Sends garbage from several sockets (several source ports) for `duration`. Every socket
/// always sends datagrams of one fixed length, so any reply it gets must be no larger than
/// that length (the relay must never amplify towards an unvalidated address).
struct GarbageStorm {
    std::uint64_t sent = 0;
    std::uint64_t repliesOverSize = 0;
    std::uint64_t replies = 0;

    void run(quint16 port, std::chrono::milliseconds duration) {
        sockaddr_in relay{};
        relay.sin_family = AF_INET;
        relay.sin_port = htons(port);
        relay.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        constexpr std::size_t kLengths[] = {1,  2,  4,  8,  9,  11,  12,  16,
                                            20, 28, 40, 63, 64, 100, 300, 1200};
        constexpr int kSockets = static_cast<int>(std::size(kLengths));
        int fds[kSockets];
        for (int& fd : fds) {
            fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
            ::connect(fd, reinterpret_cast<sockaddr*>(&relay), sizeof relay);
        }
        std::mt19937 rng(1234);
        std::uint8_t buf[1500];
        std::uint8_t reply[2048];
        auto end = std::chrono::steady_clock::now() + duration;
        while (std::chrono::steady_clock::now() < end) {
            for (int s = 0; s < kSockets; ++s) {
                std::size_t len = kLengths[s];
                for (std::size_t i = 0; i < len; ++i)
                    buf[i] = static_cast<std::uint8_t>(rng());
                switch (rng() % 4) {
                case 0: // looks like a control message of a random type, random version
                    if (len >= 3) {
                        buf[0] = wire::kControlMagic;
                        buf[1] = static_cast<std::uint8_t>(rng() % 3);
                        buf[2] = static_cast<std::uint8_t>(rng() % 14);
                    }
                    break;
                case 1: // looks like RTP or RTCP
                    if (len >= 2) {
                        buf[0] = 0x80;
                        buf[1] = static_cast<std::uint8_t>(rng() % 2 ? 111 : 200);
                    }
                    break;
                case 2: // a Hello (below the anti-amplification minimum on short sockets)
                    if (len >= 3) {
                        buf[0] = wire::kControlMagic;
                        buf[1] = wire::kProtocolVersion;
                        buf[2] = static_cast<std::uint8_t>(wire::MessageType::Hello);
                    }
                    break;
                default: // pure noise
                    break;
                }
                if (::send(fds[s], buf, len, 0) >= 0)
                    ++sent;
                for (;;) {
                    auto n = ::recv(fds[s], reply, sizeof reply, MSG_DONTWAIT);
                    if (n < 0)
                        break;
                    ++replies;
                    if (static_cast<std::size_t>(n) > len)
                        ++repliesOverSize;
                }
            }
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        for (int fd : fds)
            ::close(fd);
    }
};

double levelIn(const QString& path, double hz) {
    auto pcm = core::readAudioFileAs48kMono(path.toStdString());
    if (!pcm || pcm->size() < 48000 * 5)
        return -200.0;
    return core::toneLevelDbfs(std::span(*pcm).subspan(48000 * 2, 48000 * 3), hz);
}
} // namespace

class TestRelayRobustness : public QObject {
    Q_OBJECT
private slots:
    void forwardsWhileUnderGarbage() {
        RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        auto links = test::createConference(relay.address());
        QCOMPARE(links.size(), 2);
        QTemporaryDir dir;
        auto a = test::startCli({"join", links[0], "--name", "A", "--send-audio", "tone:440",
                                 "--record-audio", dir.filePath("A"), "--duration", "6"});
        auto b = test::startCli({"join", links[0], "--name", "B", "--send-audio", "tone:620",
                                 "--record-audio", dir.filePath("B"), "--duration", "6"});
        GarbageStorm storm;
        std::thread thrower([&] { storm.run(relay.port(), std::chrono::milliseconds(5000)); });
        thrower.join();
        QVERIFY(a->waitForFinished(20000));
        QVERIFY(b->waitForFinished(20000));
        QVERIFY2(a->exitCode() == 0, a->readAllStandardError().constData());
        QVERIFY2(b->exitCode() == 0, b->readAllStandardError().constData());
        qInfo("garbage datagrams sent: %llu, replies: %llu", (unsigned long long)storm.sent,
              (unsigned long long)storm.replies);
        QVERIFY(storm.sent > 5000);
        QVERIFY(storm.replies > 0); // Hellos of 64+ bytes get Cookies: the check above ran
        QCOMPARE(storm.repliesOverSize, std::uint64_t{0});

        // Both still heard each other through the storm.
        QVERIFY(levelIn(dir.filePath("A/B.wav"), 620.0) > -20.0);
        QVERIFY(levelIn(dir.filePath("B/A.wav"), 440.0) > -20.0);
        // And the relay is alive and still serves new conferences.
        QVERIFY(relay.running());
        QCOMPARE(test::createConference(relay.address()).size(), 2);
        QCOMPARE(relay.stop(), 0);
    }
};

QTEST_GUILESS_MAIN(TestRelayRobustness)
#include "TestRelayRobustness.moc"
