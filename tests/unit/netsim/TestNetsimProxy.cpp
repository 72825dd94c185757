// diyuma-netsim's proxy on real loopback sockets (a plain UDP socket stands in for the relay
// and echoes), and its command line: one upstream address per client, replies routed back,
// impairments per direction, order kept under jitter, the client limit, what is still
// scheduled at a stop; argument errors are one line with exit code 2.

#include "diyuma/netsim/CommandLine.h"
#include "diyuma/netsim/Proxy.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QtTest/QtTest>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace diyuma;
using namespace diyuma::netsim;
using namespace std::chrono_literals;

namespace {

/// A non-blocking UDP socket on 127.0.0.1 with a kernel-chosen port.
class Socket {
public:
    Socket() {
        m_fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        const Endpoint any = *Endpoint::resolve("127.0.0.1:0");
        if (::bind(m_fd, any.sockaddrPtr(), static_cast<socklen_t>(any.sockaddrLength())) != 0)
            qFatal("bind failed");
        sockaddr_storage bound{};
        socklen_t length = sizeof bound;
        ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&bound), &length);
        m_address = Endpoint::fromSockaddr(reinterpret_cast<const sockaddr*>(&bound), length);
    }
    ~Socket() { ::close(m_fd); }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    [[nodiscard]] const Endpoint& address() const { return m_address; }

    void sendTo(const Endpoint& to, const std::string& text) const {
        (void)::sendto(m_fd, text.data(), text.size(), 0, to.sockaddrPtr(),
                       static_cast<socklen_t>(to.sockaddrLength()));
    }

    struct Received {
        std::string text;
        Endpoint from;
    };
    /// The next datagram, waiting up to `timeout`.
    [[nodiscard]] std::optional<Received> receive(std::chrono::milliseconds timeout) const {
        pollfd p{m_fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0)
            return std::nullopt;
        std::vector<char> buffer(2048);
        sockaddr_storage from{};
        socklen_t length = sizeof from;
        const ssize_t got = ::recvfrom(m_fd, buffer.data(), buffer.size(), 0,
                                       reinterpret_cast<sockaddr*>(&from), &length);
        if (got < 0)
            return std::nullopt;
        return Received{std::string(buffer.data(), static_cast<std::size_t>(got)),
                        Endpoint::fromSockaddr(reinterpret_cast<const sockaddr*>(&from), length)};
    }
    /// Everything that arrives until nothing has for `quiet`.
    [[nodiscard]] std::vector<Received> receiveAll(std::chrono::milliseconds quiet) const {
        std::vector<Received> all;
        while (auto r = receive(quiet))
            all.push_back(std::move(*r));
        return all;
    }

private:
    int m_fd = -1;
    Endpoint m_address;
};

/// A proxy in front of `target`, running on its own thread.
class RunningProxy {
public:
    RunningProxy(const Endpoint& target, ProxyConfig config = {}) {
        config.listen = *Endpoint::resolve("127.0.0.1:0");
        config.target = target;
        auto opened = Proxy::open(config, m_clock);
        if (!opened)
            qFatal("%s", opened.error().message.c_str());
        m_proxy = std::move(*opened);
        m_thread = std::thread([this] { m_ran = m_proxy->run().ok(); });
    }
    ~RunningProxy() { stop(); }
    RunningProxy(const RunningProxy&) = delete;
    RunningProxy& operator=(const RunningProxy&) = delete;

    /// Stops the proxy and returns its final stats.
    NetsimStats stop() {
        if (m_thread.joinable()) {
            m_proxy->requestStop();
            m_thread.join();
        }
        return m_proxy->stats();
    }
    [[nodiscard]] const Endpoint& address() const { return m_proxy->localAddress(); }
    [[nodiscard]] bool ran() const { return m_ran; }

private:
    core::SystemClock m_clock;
    std::unique_ptr<Proxy> m_proxy;
    std::thread m_thread;
    bool m_ran = false;
};

/// Every datagram in was sent on or dropped for one reason.
bool balanced(const DirectionStats& d) {
    return d.in + d.duplicated == d.out + d.droppedTotal();
}

EarlyExit parseError(const std::vector<std::string>& args) {
    auto parsed = parseCommandLine(args);
    if (auto* early = std::get_if<EarlyExit>(&parsed))
        return *early;
    return EarlyExit{-1, {}, "parsed"};
}

} // namespace

class TestNetsimProxy : public QObject {
    Q_OBJECT
private slots:
    void eachClientGetsItsOwnUpstreamAddress() {
        Socket relay;
        RunningProxy proxy(relay.address());
        Socket alice;
        Socket bob;
        for (int i = 0; i < 5; ++i) {
            alice.sendTo(proxy.address(), "A" + std::to_string(i));
            bob.sendTo(proxy.address(), "B" + std::to_string(i));
        }
        const auto atRelay = relay.receiveAll(300ms);
        QCOMPARE(atRelay.size(), 10u);
        std::optional<Endpoint> aliceUpstream;
        std::optional<Endpoint> bobUpstream;
        for (const auto& r : atRelay) {
            QVERIFY(!(r.from == alice.address()) && !(r.from == bob.address()));
            QVERIFY(!(r.from == proxy.address()));
            auto& upstream = r.text[0] == 'A' ? aliceUpstream : bobUpstream;
            if (upstream)
                QVERIFY2(*upstream == r.from, "one client, one upstream address");
            upstream = r.from;
            relay.sendTo(r.from, "re:" + r.text);
        }
        QVERIFY(aliceUpstream && bobUpstream && !(*aliceUpstream == *bobUpstream));

        for (auto* client : {&alice, &bob}) {
            const auto replies = client->receiveAll(300ms);
            QCOMPARE(replies.size(), 5u);
            const char own = client == &alice ? 'A' : 'B';
            for (const auto& r : replies) {
                QVERIFY2(r.text.rfind(std::string("re:") + own, 0) == 0, r.text.c_str());
                QVERIFY(r.from == proxy.address());
            }
        }
        const NetsimStats stats = proxy.stop();
        QVERIFY(proxy.ran());
        QCOMPARE(stats.clients, 2u);
        QCOMPARE(stats.up.in, 10u);
        QCOMPARE(stats.up.out, 10u);
        QCOMPARE(stats.down.in, 10u);
        QCOMPARE(stats.down.out, 10u);
    }

    void impairmentsApplyPerDirection() {
        Socket relay;
        ProxyConfig config;
        config.down.lossProbability = 1.0; // --direction down --loss 100
        RunningProxy proxy(relay.address(), config);
        Socket client;
        for (int i = 0; i < 20; ++i)
            client.sendTo(proxy.address(), "x" + std::to_string(i));
        const auto atRelay = relay.receiveAll(300ms);
        QCOMPARE(atRelay.size(), 20u);
        for (const auto& r : atRelay)
            relay.sendTo(r.from, "re:" + r.text);
        QVERIFY(client.receiveAll(300ms).empty());
        const NetsimStats stats = proxy.stop();
        QCOMPARE(stats.up.out, 20u);
        QCOMPARE(stats.down.in, 20u);
        QCOMPARE(stats.down.droppedLoss, 20u);
        QCOMPARE(stats.down.out, 0u);
        QVERIFY(balanced(stats.up) && balanced(stats.down));
        const std::string json = statsToJson(stats);
        QVERIFY2(json.find(R"("down":{"in":20,"out":0,"dropped":{"loss":20,)") != std::string::npos,
                 json.c_str());
        QVERIFY(json.find('\n') == std::string::npos);
    }

    void delayedDatagramsKeepTheirOrder() {
        // 60 ms +- 20 ms and every datagram twice: nothing arrives before 40 ms (a lower
        // bound, so a loaded machine cannot break it), and the copies come in order.
        Socket relay;
        ProxyConfig config;
        config.up.delay = 60ms;
        config.up.jitter = 20ms;
        config.up.duplicateProbability = 1.0;
        RunningProxy proxy(relay.address(), config);
        Socket client;
        const auto sent = std::chrono::steady_clock::now();
        for (int i = 0; i < 50; ++i)
            client.sendTo(proxy.address(), std::to_string(i));
        const auto first = relay.receive(2000ms);
        const auto waited = std::chrono::steady_clock::now() - sent;
        QVERIFY(first);
        QVERIFY2(waited >= 40ms, qPrintable(QString::number(waited.count())));
        auto rest = relay.receiveAll(300ms);
        rest.insert(rest.begin(), *first);
        QCOMPARE(rest.size(), 100u);
        for (std::size_t i = 0; i < rest.size(); ++i)
            QCOMPARE(rest[i].text, std::to_string(i / 2));
        const NetsimStats stats = proxy.stop();
        QCOMPARE(stats.up.duplicated, 50u);
        QCOMPARE(stats.up.out, 100u);
        QVERIFY(balanced(stats.up));
    }

    void clientsBeyondTheLimitAreDropped() {
        Socket relay;
        ProxyConfig config;
        config.maxClients = 1;
        RunningProxy proxy(relay.address(), config);
        Socket first;
        Socket second;
        first.sendTo(proxy.address(), "first");
        QVERIFY(relay.receive(1000ms));
        second.sendTo(proxy.address(), "second");
        QVERIFY(!relay.receive(200ms));
        const NetsimStats stats = proxy.stop();
        QCOMPARE(stats.clients, 1u);
        QCOMPARE(stats.up.droppedTooManyClients, 1u);
        QVERIFY(balanced(stats.up));
    }

    void scheduledDatagramsAreCountedAtStop() {
        Socket relay;
        ProxyConfig config;
        config.up.delay = 10s;
        RunningProxy proxy(relay.address(), config);
        Socket client;
        for (int i = 0; i < 3; ++i)
            client.sendTo(proxy.address(), "late");
        // The datagrams are in the proxy's socket before the stop request, so the loop sees
        // both in one round and reads them before it leaves.
        const NetsimStats stats = proxy.stop();
        QCOMPARE(stats.up.in, 3u);
        QCOMPARE(stats.up.droppedShutdown, 3u);
        QVERIFY(balanced(stats.up));
    }

    void commandLineBuildsTheConfig() {
        auto parsed = parseCommandLine({"--target",        "127.0.0.1:47400",
                                        "--listen",        "127.0.0.1:0",
                                        "--seed",          "9",
                                        "--loss",          "5",
                                        "--burst-loss",    "2,25",
                                        "--delay",         "40",
                                        "--jitter",        "10.5",
                                        "--reorder",       "1",
                                        "--reorder-delay", "15",
                                        "--rate",          "64",
                                        "--queue",         "80",
                                        "--duplicate",     "0.5",
                                        "--direction",     "up"});
        QVERIFY(std::holds_alternative<ProxyConfig>(parsed));
        const auto& c = std::get<ProxyConfig>(parsed);
        QCOMPARE(c.target.toString(), std::string("127.0.0.1:47400"));
        QCOMPARE(c.seed, 9u);
        QCOMPARE(c.up.lossProbability, 0.05);
        QVERIFY(c.up.burstLoss);
        QCOMPARE(c.up.burstLoss->goodToBad, 0.02);
        QCOMPARE(c.up.burstLoss->badToGood, 0.25);
        QCOMPARE(c.up.delay, Clock::Duration(40ms));
        QCOMPARE(c.up.jitter, Clock::Duration(10500));
        QCOMPARE(c.up.reorderProbability, 0.01);
        QCOMPARE(c.up.reorderDelay, Clock::Duration(15ms));
        QCOMPARE(c.up.rateBitsPerSecond, 64'000u);
        QCOMPARE(c.up.queueLimit, Clock::Duration(80ms));
        QCOMPARE(c.up.duplicateProbability, 0.005);
        QVERIFY(!c.down.impairs()); // --direction up leaves the replies alone
        QCOMPARE(describe(c.down), std::string("none"));

        auto stepped = parseCommandLine(
            {"--target", "127.0.0.1:9", "--rate-at", "30:0", "--rate-at", "10:300.5"});
        QVERIFY(std::holds_alternative<ProxyConfig>(stepped));
        const auto& steps = std::get<ProxyConfig>(stepped).down.rateSchedule;
        QCOMPARE(steps.size(), std::size_t{2}); // sorted by time
        QCOMPARE(steps[0].at, Clock::Duration(10s));
        QCOMPARE(steps[0].bitsPerSecond, std::uint64_t{300'500});
        QCOMPARE(steps[1].at, Clock::Duration(30s));
        QCOMPARE(steps[1].bitsPerSecond, std::uint64_t{0});
        QVERIFY(describe(std::get<ProxyConfig>(stepped).down).find("300.5 kbit/s from 10 s") !=
                std::string::npos);

        auto both = parseCommandLine({"--target", "[::1]:5", "--loss", "1"});
        QVERIFY(std::holds_alternative<ProxyConfig>(both));
        QVERIFY(std::get<ProxyConfig>(both).up.impairs());
        QVERIFY(std::get<ProxyConfig>(both).down.impairs());
        QCOMPARE(std::get<ProxyConfig>(both).target.toString(), std::string("[::1]:5"));
    }

    void badArgumentsAreOneLineErrors_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("no target") << QStringList{"--loss", "5"} << "--target";
        QTest::newRow("loss over 100")
            << QStringList{"--target", "127.0.0.1:1", "--loss", "101"} << "--loss";
        QTest::newRow("loss not a number")
            << QStringList{"--target", "127.0.0.1:1", "--loss", "lots"} << "--loss";
        QTest::newRow("burst one value")
            << QStringList{"--target", "127.0.0.1:1", "--burst-loss", "2"} << "--burst-loss";
        QTest::newRow("burst never ends")
            << QStringList{"--target", "127.0.0.1:1", "--burst-loss", "2,0"} << "--burst-loss";
        QTest::newRow("bad direction")
            << QStringList{"--target", "127.0.0.1:1", "--direction", "sideways"} << "--direction";
        QTest::newRow("queue without rate")
            << QStringList{"--target", "127.0.0.1:1", "--queue", "50"} << "--queue";
        QTest::newRow("target without port") << QStringList{"--target", "127.0.0.1"} << "--target";
        QTest::newRow("rate-at without colon")
            << QStringList{"--target", "127.0.0.1:1", "--rate-at", "10"} << "--rate-at";
        QTest::newRow("rate-at negative")
            << QStringList{"--target", "127.0.0.1:1", "--rate-at", "-1:300"} << "--rate-at";
        QTest::newRow("rate-at junk")
            << QStringList{"--target", "127.0.0.1:1", "--rate-at", "10:3x"} << "--rate-at";
        QTest::newRow("target port 0") << QStringList{"--target", "127.0.0.1:0"} << "--target";
        QTest::newRow("listen not an address")
            << QStringList{"--target", "127.0.0.1:1", "--listen", "::1:5"} << "--listen";
        QTest::newRow("unknown option")
            << QStringList{"--target", "127.0.0.1:1", "--lossy", "5"} << "--lossy";
    }

    void badArgumentsAreOneLineErrors() {
        QFETCH(QStringList, args);
        QFETCH(QString, mentions);
        std::vector<std::string> argv;
        for (const auto& a : args)
            argv.push_back(a.toStdString());
        const EarlyExit e = parseError(argv);
        QCOMPARE(e.exitCode, kUsageExitCode);
        QVERIFY2(e.err.rfind("diyuma-netsim: error: ", 0) == 0, e.err.c_str());
        QCOMPARE(std::count(e.err.begin(), e.err.end(), '\n'), 1);
        QVERIFY2(e.err.find(mentions.toStdString()) != std::string::npos, e.err.c_str());
    }

    void helpNamesEveryOption() {
        const EarlyExit e = parseError({"--help"});
        QCOMPARE(e.exitCode, 0);
        for (const char* option : {"--listen", "--target", "--seed", "--loss", "--burst-loss",
                                   "--delay", "--jitter", "--reorder", "--reorder-delay", "--rate",
                                   "--rate-at", "--queue", "--duplicate", "--direction"})
            QVERIFY2(e.out.find(option) != std::string::npos, option);
        QVERIFY(e.out.find("Gilbert-Elliott") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestNetsimProxy)
#include "TestNetsimProxy.moc"
