// The relay's operations parts: the Prometheus page, the metrics HTTP endpoint (/metrics,
// /healthz), the journald-friendly, rate-limited log sink, sd_notify through NOTIFY_SOCKET,
// and UdpServer with one IPv4 and one IPv6 socket.

#include "diyuma/relay/Metrics.h"
#include "diyuma/relay/MetricsServer.h"
#include "diyuma/relay/RelayLogSink.h"
#include "diyuma/relay/ServiceNotifier.h"
#include "diyuma/relay/UdpServer.h"

#include "RelayTestHarness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>
#include <cstring>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

using namespace diyuma;
using namespace diyuma::test;

namespace {

/// One HTTP/1.0 GET over a plain TCP socket; returns {status, body} or {0, ""}.
std::pair<int, std::string> httpGet(const relay::SocketAddress& to, const std::string& path) {
    sockaddr_storage address{};
    const auto length = to.toSockaddr(address);
    const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return {0, ""};
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), static_cast<socklen_t>(length)) != 0) {
        ::close(fd);
        return {0, ""};
    }
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: test\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
        ::close(fd);
        return {0, ""};
    }
    std::string response;
    char buffer[4096];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
        response.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    int status = 0;
    if (std::sscanf(response.c_str(), "HTTP/1.%*d %d", &status) != 1)
        return {0, ""};
    const auto bodyAt = response.find("\r\n\r\n");
    return {status, bodyAt == std::string::npos ? "" : response.substr(bodyAt + 4)};
}

/// The value of one sample line ("name{labels} value") in a Prometheus page, or -1.
double sampleValue(const std::string& page, const std::string& series) {
    std::istringstream lines(page);
    for (std::string line; std::getline(lines, line);) {
        if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
            line[series.size()] == ' ')
            return std::stod(line.substr(series.size() + 1));
    }
    return -1;
}

} // namespace

class TestRelayOps : public QObject {
    Q_OBJECT

private slots:
    void prometheusPageFollowsTheConventions() {
        relay::MetricsSnapshot snapshot;
        snapshot.core.datagramsReceived = 10;
        snapshot.core.controlReceived = 3;
        snapshot.core.rtpReceived = 5;
        snapshot.core.rtcpReceived = 1;
        snapshot.core.forwardedPackets = 42;
        snapshot.core.forwardedBytes = 4200;
        snapshot.core.dropped[static_cast<std::size_t>(relay::DropReason::NotJoined)] = 7;
        snapshot.core.dropped[static_cast<std::size_t>(relay::DropReason::RateLimitedMedia)] = 2;
        snapshot.core.errorsSentByCode[static_cast<std::size_t>(wire::ErrorCode::GoingAway)] = 4;
        snapshot.core.conferences = 2;
        snapshot.core.participants = 5;
        snapshot.configReloads = 1;
        relay::ProcessStats process;
        process.cpuSeconds = 1.5;
        process.residentBytes = 1 << 20;
        const auto page = relay::formatPrometheus(snapshot, process, "1.2.3");

        QCOMPARE(sampleValue(page, "diyuma_relay_forwarded_packets_total"), 42.0);
        QCOMPARE(sampleValue(page, "diyuma_relay_forwarded_bytes_total"), 4200.0);
        QCOMPARE(sampleValue(page, "diyuma_relay_received_packets_total{kind=\"rtp\"}"), 5.0);
        QCOMPARE(sampleValue(page, "diyuma_relay_received_packets_total{kind=\"other\"}"), 1.0);
        QCOMPARE(sampleValue(page, "diyuma_relay_dropped_packets_total{reason=\"not_joined\"}"),
                 7.0);
        QCOMPARE(
            sampleValue(page, "diyuma_relay_dropped_packets_total{reason=\"rate_limited_media\"}"),
            2.0);
        QCOMPARE(sampleValue(page, "diyuma_relay_sent_errors_total{code=\"going_away\"}"), 4.0);
        QCOMPARE(sampleValue(page, "diyuma_relay_conferences"), 2.0);
        QCOMPARE(sampleValue(page, "diyuma_relay_participants"), 5.0);
        QCOMPARE(sampleValue(page, "diyuma_relay_config_reloads_total{result=\"ok\"}"), 1.0);
        QCOMPARE(sampleValue(page, "diyuma_relay_process_cpu_seconds_total"), 1.5);
        QCOMPARE(sampleValue(page, "diyuma_relay_process_resident_memory_bytes"), 1048576.0);
        QCOMPARE(sampleValue(page, "diyuma_relay_build_info{version=\"1.2.3\"}"), 1.0);

        // Every line is a comment or a sample of a declared family; counters end in _total;
        // every family has HELP and TYPE once.
        const std::regex sampleLine(
            R"(^(diyuma_relay_[a-z0-9_]+)(\{[a-z_]+="[a-z0-9_.]*"(,[a-z_]+="[a-z0-9_.]*")*\})? [-+0-9.e]+$)");
        const std::regex typeLine(R"(^# TYPE (diyuma_relay_[a-z0-9_]+) (counter|gauge)$)");
        std::map<std::string, std::string> types;
        std::set<std::string> helps;
        std::istringstream lines(page);
        int samples = 0;
        for (std::string line; std::getline(lines, line);) {
            std::smatch m;
            if (line.starts_with("# HELP ")) {
                const auto name = line.substr(7, line.find(' ', 7) - 7);
                QVERIFY2(helps.insert(name).second, line.c_str());
            } else if (std::regex_match(line, m, typeLine)) {
                QVERIFY2(types.emplace(m[1], m[2]).second, line.c_str());
                QCOMPARE(m[1].str().ends_with("_total"), m[2] == "counter");
            } else {
                QVERIFY2(std::regex_match(line, m, sampleLine), line.c_str());
                QVERIFY2(types.contains(m[1]), line.c_str());
                ++samples;
            }
        }
        QCOMPARE(helps.size(), types.size());
        QVERIFY(samples > 40);
    }

    void processStatsAreRead() {
        const auto stats = relay::readProcessStats();
        QVERIFY(stats.residentBytes > 0);
        QVERIFY(stats.virtualBytes >= stats.residentBytes);
        QVERIFY(stats.openFds >= 3);
        QVERIFY(stats.threads >= 1);
        const double nowS = static_cast<double>(std::time(nullptr));
        QVERIFY2(stats.startTimeSeconds > nowS - 3600 && stats.startTimeSeconds <= nowS + 1,
                 std::to_string(stats.startTimeSeconds).c_str());
    }

    void metricsServerServesTheLatestSnapshotAndHealth() {
        relay::MetricsPublisher publisher;
        relay::MetricsServer server(publisher, "9.9.9", std::chrono::seconds(1));
        QVERIFY(server.start(*relay::SocketAddress::parse("127.0.0.1:0")).ok());
        const auto at = server.localAddress();
        QVERIFY(at.port() != 0);

        QCOMPARE(httpGet(at, "/metrics").first, 503); // nothing published yet
        QCOMPARE(httpGet(at, "/healthz").first, 503);

        relay::MetricsSnapshot snapshot;
        snapshot.core.forwardedPackets = 17;
        publisher.publish(snapshot);
        auto [status, body] = httpGet(at, "/metrics");
        QCOMPARE(status, 200);
        QCOMPARE(sampleValue(body, "diyuma_relay_forwarded_packets_total"), 17.0);
        QCOMPARE(httpGet(at, "/healthz").first, 503); // not serving yet
        server.setServing(true);
        auto health = httpGet(at, "/healthz");
        QCOMPARE(health.first, 200);
        QCOMPARE(health.second, std::string("ok\n"));
        QCOMPARE(httpGet(at, "/other").first, 404);

        snapshot.core.forwardedPackets = 18;
        publisher.publish(snapshot);
        QCOMPARE(
            sampleValue(httpGet(at, "/metrics").second, "diyuma_relay_forwarded_packets_total"),
            18.0);

        // A relay thread that stops publishing is unhealthy after staleAfter (1 s here).
        std::this_thread::sleep_for(std::chrono::milliseconds(1300));
        QCOMPARE(httpGet(at, "/healthz").first, 503);
        publisher.publish(snapshot);
        QCOMPARE(httpGet(at, "/healthz").first, 200);
        server.setServing(false);
        QCOMPARE(httpGet(at, "/healthz").first, 503);

        server.stop();
        QCOMPARE(httpGet(at, "/healthz").first, 0); // nobody listens any more
    }

    void metricsServerBindErrorIsOneLine() {
        relay::MetricsPublisher publisher;
        relay::MetricsServer first(publisher, "1");
        QVERIFY(first.start(*relay::SocketAddress::parse("127.0.0.1:0")).ok());
        relay::MetricsServer second(publisher, "1");
        const auto started = second.start(first.localAddress());
        QVERIFY(!started.ok());
        QVERIFY2(started.error().message.find(first.localAddress().toString()) != std::string::npos,
                 started.error().message.c_str());
    }

    void logSinkWritesJournalPrioritiesOrLevels() {
        FakeClock clock;
        std::vector<std::string> lines;
        relay::RelayLogSink journal(clock, core::LogLevel::Debug,
                                    relay::RelayLogSink::Format::Journal,
                                    [&](std::string_view line) { lines.emplace_back(line); });
        journal.log(core::LogCategory::Relay, core::LogLevel::Info, "hello");
        journal.log(core::LogCategory::Net, core::LogLevel::Warning, "two\nlines");
        journal.log(core::LogCategory::Relay, core::LogLevel::Error, "bad");
        journal.log(core::LogCategory::Relay, core::LogLevel::Debug, "detail");
        QCOMPARE(lines, (std::vector<std::string>{"<6>relay: hello\n", "<4>net: two lines\n",
                                                  "<3>relay: bad\n", "<7>relay: detail\n"}));

        lines.clear();
        relay::RelayLogSink plain(clock, core::LogLevel::Info, relay::RelayLogSink::Format::Plain,
                                  [&](std::string_view line) { lines.emplace_back(line); });
        plain.log(core::LogCategory::Relay, core::LogLevel::Debug, "hidden");
        plain.log(core::LogCategory::Relay, core::LogLevel::Info, "shown");
        plain.setLevel(core::LogLevel::Debug); // a reload
        plain.log(core::LogCategory::Relay, core::LogLevel::Debug, "now shown");
        QCOMPARE(lines,
                 (std::vector<std::string>{"info relay: shown\n", "debug relay: now shown\n"}));
    }

    void logSinkRateLimitsPerCategory() {
        FakeClock clock;
        std::vector<std::string> lines;
        relay::RelayLogSink sink(
            clock, core::LogLevel::Debug, relay::RelayLogSink::Format::Journal,
            [&](std::string_view line) { lines.emplace_back(line); }, 10.0, 5.0);
        for (int i = 0; i < 50; ++i)
            sink.log(core::LogCategory::Relay, core::LogLevel::Info, "again");
        QCOMPARE(lines.size(), std::size_t{5}); // the burst
        QCOMPARE(sink.suppressedTotal(), std::uint64_t{45});
        // Another category has its own budget.
        sink.log(core::LogCategory::Net, core::LogLevel::Info, "other");
        QCOMPARE(lines.back(), std::string("<6>net: other\n"));
        // After a while one line passes, preceded by the count of what was cut.
        clock.advance(std::chrono::milliseconds(100));
        sink.log(core::LogCategory::Relay, core::LogLevel::Info, "later");
        QCOMPARE(lines.size(), std::size_t{8});
        QCOMPARE(lines[6], std::string("<4>relay: 45 log lines suppressed (rate limit)\n"));
        QCOMPARE(lines[7], std::string("<6>relay: later\n"));
    }

    void journalFormatIsDetectedFromJournalStream() {
        const QByteArray saved = qgetenv("JOURNAL_STREAM");
        qunsetenv("JOURNAL_STREAM");
        QVERIFY(relay::RelayLogSink::detectFormat() == relay::RelayLogSink::Format::Plain);
        struct stat info {};
        QCOMPARE(::fstat(STDERR_FILENO, &info), 0);
        qputenv("JOURNAL_STREAM", QByteArray::number(static_cast<qulonglong>(info.st_dev)) + ":" +
                                      QByteArray::number(static_cast<qulonglong>(info.st_ino)));
        QVERIFY(relay::RelayLogSink::detectFormat() == relay::RelayLogSink::Format::Journal);
        qputenv("JOURNAL_STREAM", "1:2"); // some other stream: stderr was redirected
        QVERIFY(relay::RelayLogSink::detectFormat() == relay::RelayLogSink::Format::Plain);
        if (saved.isNull())
            qunsetenv("JOURNAL_STREAM");
        else
            qputenv("JOURNAL_STREAM", saved);
    }

    void notifierSpeaksToNotifySocket() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("notify").toStdString();
        const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        QVERIFY(fd >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
        QCOMPARE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        const auto receive = [&] {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 2000) != 1)
                return std::string();
            char buffer[512];
            const auto n = ::recv(fd, buffer, sizeof buffer, 0);
            return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
        };

        qunsetenv("NOTIFY_SOCKET");
        QVERIFY(!relay::ServiceNotifier::enabled());
        relay::ServiceNotifier::ready("nobody listens"); // a no-op, not an error
        qputenv("NOTIFY_SOCKET", QByteArray::fromStdString(path));
        QVERIFY(relay::ServiceNotifier::enabled());
        relay::ServiceNotifier::ready("serving on 1.2.3.4:5");
        QCOMPARE(receive(), std::string("READY=1\nSTATUS=serving on 1.2.3.4:5"));
        relay::ServiceNotifier::reloading();
        const auto reloading = receive();
        QVERIFY2(reloading.starts_with("RELOADING=1\nMONOTONIC_USEC="), reloading.c_str());
        relay::ServiceNotifier::stopping("bye");
        QCOMPARE(receive(), std::string("STOPPING=1\nSTATUS=bye"));
        qunsetenv("NOTIFY_SOCKET");
        ::close(fd);
    }

    void udpServerServesIpv4AndIpv6Sockets() {
        core::SystemClock clock;
        relay::RelayCore core({}, clock);
        relay::UdpServer server(core, clock, nullptr);
        const std::vector<relay::SocketAddress> listen = {
            *relay::SocketAddress::parse("127.0.0.1:0"), *relay::SocketAddress::parse("[::1]:0")};
        const auto opened = server.open(listen);
        if (!opened.ok() && opened.error().message.find("[::1]") != std::string::npos)
            QSKIP("no IPv6 loopback on this machine");
        QVERIFY2(opened.ok(), opened.ok() ? "" : opened.error().message.c_str());
        const auto bound = server.localAddresses();
        QCOMPARE(bound.size(), std::size_t{2});
        QCOMPARE(server.localAddress(), bound[0]);
        std::thread thread([&] { (void)server.run(); });

        // A Hello to each socket is answered from that socket's address.
        for (const auto& to : bound) {
            sockaddr_storage address{};
            const auto length = to.toSockaddr(address);
            const int fd = ::socket(address.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            QVERIFY(fd >= 0);
            QCOMPARE(::connect(fd, reinterpret_cast<sockaddr*>(&address),
                               static_cast<socklen_t>(length)),
                     0);
            const auto hello = helloBytes(5);
            QCOMPARE(::send(fd, hello.data(), hello.size(), 0), static_cast<ssize_t>(hello.size()));
            pollfd p{fd, POLLIN, 0};
            QCOMPARE(::poll(&p, 1, 2000), 1);
            std::uint8_t reply[1500];
            QCOMPARE(::recv(fd, reply, sizeof reply, 0), ssize_t{28}); // a Cookie
            ::close(fd);
        }
        server.requestStop();
        thread.join();

        // Two of one family are refused, with no socket left open.
        relay::UdpServer twice(core, clock, nullptr);
        const std::vector<relay::SocketAddress> two = {*relay::SocketAddress::parse("127.0.0.1:0"),
                                                       *relay::SocketAddress::parse("127.0.0.2:0")};
        QVERIFY(!twice.open(two).ok());
        QVERIFY(twice.localAddresses().empty());
    }
};

QTEST_GUILESS_MAIN(TestRelayOps)
#include "TestRelayOps.moc"
