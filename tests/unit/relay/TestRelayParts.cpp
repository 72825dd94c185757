// The relay's small parts: addresses, rate limiter, cookies, stats JSON.

#include "diyuma/relay/CookieMinter.h"
#include "diyuma/relay/RateLimiter.h"
#include "diyuma/relay/RelayStats.h"
#include "diyuma/relay/SocketAddress.h"

#include "FakeClock.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtTest/QtTest>
#include <unordered_set>

using namespace diyuma;
using relay::SocketAddress;

class TestRelayParts : public QObject {
    Q_OBJECT
private slots:
    void parsesAndPrintsAddresses() {
        auto v4 = SocketAddress::parse("127.0.0.1:40123");
        QVERIFY(v4);
        QCOMPARE(v4->family(), SocketAddress::Family::V4);
        QCOMPARE(v4->port(), std::uint16_t{40123});
        QCOMPARE(QString::fromStdString(v4->toString()), QString("127.0.0.1:40123"));
        QVERIFY(*v4 == SocketAddress::v4(0x7F000001, 40123));

        auto v6 = SocketAddress::parse("[::1]:0");
        QVERIFY(v6);
        QCOMPARE(v6->family(), SocketAddress::Family::V6);
        QCOMPARE(QString::fromStdString(v6->toString()), QString("[::1]:0"));
        QCOMPARE(QString::fromStdString(SocketAddress::parse("[::]:47400")->toString()),
                 QString("[::]:47400"));

        for (const char* bad :
             {"", "127.0.0.1", "127.0.0.1:", ":80", "127.0.0.1:65536", "127.0.0.1:-1", "::1:80",
              "[::1]80", "[::1", "localhost:80", "1.2.3:80", "127.0.0.1:80x", "[zz::1]:5"})
            QVERIFY2(!SocketAddress::parse(bad), bad);
    }

    void convertsToAndFromSockaddr() {
        for (const char* text : {"10.1.2.3:9", "[2001:db8::7]:65535"}) {
            auto a = SocketAddress::parse(text);
            QVERIFY(a);
            sockaddr_storage storage{};
            const auto length = a->toSockaddr(storage);
            QVERIFY(length > 0);
            auto back = SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&storage), length);
            QVERIFY(back == *a);
        }
        sockaddr_storage unknown{};
        unknown.ss_family = AF_UNIX;
        QVERIFY(!SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&unknown), sizeof unknown)
                     .isValid());
        sockaddr_in shortOne{};
        shortOne.sin_family = AF_INET;
        QVERIFY(!SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&shortOne), 4).isValid());
    }

    void hashesDistinguishAddresses() {
        std::unordered_set<SocketAddress, relay::SocketAddressHash> set;
        for (std::uint32_t ip = 0; ip < 200; ++ip)
            for (std::uint16_t port = 1; port <= 50; ++port)
                set.insert(SocketAddress::v4(ip, port));
        QCOMPARE(set.size(), std::size_t{10000});
        QVERIFY(set.contains(SocketAddress::v4(7, 7)));
        QVERIFY(!set.contains(SocketAddress::v4(7, 70)));
    }

    void rateLimiterRefillsAndIsBounded() {
        test::FakeClock clock;
        relay::RateLimiter limiter({2.0, 4.0}, 3);
        const auto a = SocketAddress::v4(1, 1);
        int allowed = 0;
        for (int i = 0; i < 10; ++i)
            allowed += limiter.allow(a.withPort(static_cast<std::uint16_t>(i)), clock.now());
        QCOMPARE(allowed, 4);
        clock.advance(std::chrono::seconds(1));
        allowed = 0;
        for (int i = 0; i < 10; ++i)
            allowed += limiter.allow(a, clock.now());
        QCOMPARE(allowed, 2);
        // IPv6 hosts in one /64 share a bucket.
        std::array<std::uint8_t, 16> ip{0x20, 0x01, 0x0d, 0xb8};
        auto v6a = SocketAddress::v6(ip, 1);
        ip[15] = 9;
        auto v6b = SocketAddress::v6(ip, 2);
        QVERIFY(relay::RateLimiter::keyOf(v6a) == relay::RateLimiter::keyOf(v6b));
        // IPv4 hosts seen through a dual-stack socket do not share one bucket.
        auto m1 = SocketAddress::parse("[::ffff:10.0.0.1]:5");
        auto m2 = SocketAddress::parse("[::ffff:10.0.0.2]:5");
        QVERIFY(m1->isV4Mapped() && !v6a.isV4Mapped());
        QVERIFY(!(relay::RateLimiter::keyOf(*m1) == relay::RateLimiter::keyOf(*m2)));
        QVERIFY(relay::RateLimiter::keyOf(*m1) == relay::RateLimiter::keyOf(m1->withPort(9)));
        // Bounded map: the 4th IP goes to the shared overflow bucket.
        QVERIFY(limiter.allow(SocketAddress::v4(2, 1), clock.now()));
        QVERIFY(limiter.allow(SocketAddress::v4(3, 1), clock.now()));
        QCOMPARE(limiter.size(), std::size_t{3});
        QVERIFY(limiter.allow(SocketAddress::v4(4, 1), clock.now()));
        QCOMPARE(limiter.size(), std::size_t{3});
        clock.advance(std::chrono::seconds(10));
        limiter.prune(clock.now());
        QCOMPARE(limiter.size(), std::size_t{0});
        // Unlimited.
        relay::RateLimiter open({0.0, 0.0}, 1);
        for (int i = 0; i < 1000; ++i)
            QVERIFY(open.allow(a, clock.now()));
    }

    void cookiesAreBoundToAddressAndTime() {
        test::FakeClock clock;
        relay::CookieMinter::Secret secret{};
        secret.fill(3);
        relay::CookieMinter minter(secret, std::chrono::seconds(60));
        const auto a = SocketAddress::v4(0x7F000001, 1000);
        auto cookie = minter.mint(a, clock.now());
        QVERIFY(minter.check(cookie, a, clock.now()));
        QVERIFY(!minter.check(cookie, a.withPort(1001), clock.now()));
        QVERIFY(!minter.check(cookie, SocketAddress::v4(0x7F000002, 1000), clock.now()));
        // Another relay secret (a restart) rejects it.
        relay::CookieMinter other(std::chrono::seconds(60));
        QVERIFY(!other.check(cookie, a, clock.now()));
        // Layout: issuedAt (u32 seconds) first.
        QCOMPARE(cookie[3], std::uint8_t{1}); // FakeClock starts at 1 s
        clock.advance(std::chrono::seconds(60));
        QVERIFY(minter.check(cookie, a, clock.now()));
        clock.advance(std::chrono::seconds(1));
        QVERIFY(!minter.check(cookie, a, clock.now()));
        // A stamp from the future is rejected too.
        auto future = minter.mint(a, clock.now() + std::chrono::seconds(5));
        QVERIFY(!minter.check(future, a, clock.now()));
    }

    void statsJsonHasEveryReason() {
        relay::RelayStats stats;
        stats.dropped[static_cast<std::size_t>(relay::DropReason::BadProof)] = 3;
        stats.malformedControl[static_cast<std::size_t>(core::wire::ParseError::BadField)] = 2;
        stats.errorsSentByCode[static_cast<std::size_t>(core::wire::ErrorCode::BadProof)] = 3;
        stats.forwardedPackets = 99;
        relay::UdpServerStats io;
        io.datagramsSent = 7;
        const auto text = relay::statsToJson(stats, &io);
        QVERIFY(text.find('\n') == std::string::npos);
        const auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(text));
        QVERIFY(doc.isObject());
        const auto root = doc.object();
        const auto dropped = root["dropped"].toObject();
        QCOMPARE(dropped["bad_proof"].toInt(), 3);
        QCOMPARE(dropped["total"].toInt(), 3);
        QCOMPARE(dropped["malformed_control_by_error"].toObject()["bad_field"].toInt(), 2);
        for (std::size_t i = 0; i < relay::kDropReasonCount; ++i)
            QVERIFY(dropped.contains(
                QString::fromUtf8(relay::toString(static_cast<relay::DropReason>(i)).data())));
        QCOMPARE(root["sent"].toObject()["errors"].toObject()["bad_proof"].toInt(), 3);
        QCOMPARE(root["forwarded"].toObject()["packets"].toInt(), 99);
        QCOMPARE(root["io"].toObject()["datagrams_sent"].toInt(), 7);
        QVERIFY(!QJsonDocument::fromJson(QByteArray::fromStdString(relay::statsToJson(stats)))
                     .object()
                     .contains("io"));
    }
};

QTEST_GUILESS_MAIN(TestRelayParts)
#include "TestRelayParts.moc"
