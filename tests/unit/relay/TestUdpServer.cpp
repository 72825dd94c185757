// UdpServer on real loopback sockets: the handshake, forwarding through recvmmsg/sendmmsg
// batches, IPv6, bind errors and a clean stop.

#include "diyuma/relay/UdpServer.h"

#include "RelayTestHarness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QtTest/QtTest>
#include <thread>

using namespace diyuma;
using namespace diyuma::test;

namespace {

/// A relay serving on its own thread.
class RunningRelay {
public:
    explicit RunningRelay(relay::RelayConfig config = {})
        : m_core(config, m_clock), m_server(m_core, m_clock, nullptr) {}
    ~RunningRelay() { stop(); }

    core::Status start(const std::string& listen) {
        auto opened = m_server.open(*SocketAddress::parse(listen));
        if (opened.ok())
            m_thread = std::thread([this] { m_ran = m_server.run().ok(); });
        return opened;
    }
    void stop() {
        m_server.requestStop();
        if (m_thread.joinable())
            m_thread.join();
    }
    [[nodiscard]] SocketAddress address() const { return m_server.localAddress(); }
    [[nodiscard]] const relay::RelayCore& core() const { return m_core; }
    [[nodiscard]] const relay::UdpServer& server() const { return m_server; }
    [[nodiscard]] bool ran() const { return m_ran; }

private:
    core::SystemClock m_clock;
    relay::RelayCore m_core;
    relay::UdpServer m_server;
    std::thread m_thread;
    bool m_ran = false;
};

/// A plain UDP client socket connected to the relay.
class Client {
public:
    explicit Client(const SocketAddress& relayAddress) {
        sockaddr_storage to{};
        const auto length = relayAddress.toSockaddr(to);
        m_fd = ::socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (m_fd >= 0)
            (void)::connect(m_fd, reinterpret_cast<sockaddr*>(&to), static_cast<socklen_t>(length));
    }
    ~Client() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    void send(std::span<const std::uint8_t> bytes) const {
        (void)::send(m_fd, bytes.data(), bytes.size(), 0);
    }
    void send(const wire::ControlMessage& message) const { send(encode(message)); }
    /// The next datagram, or nullopt after `timeoutMs` without one.
    std::optional<std::vector<std::uint8_t>> receive(int timeoutMs = 2000) const {
        pollfd p{m_fd, POLLIN, 0};
        if (::poll(&p, 1, timeoutMs) <= 0)
            return std::nullopt;
        std::vector<std::uint8_t> buffer(2048);
        const auto n = ::recv(m_fd, buffer.data(), buffer.size(), 0);
        if (n < 0)
            return std::nullopt;
        buffer.resize(static_cast<std::size_t>(n));
        return buffer;
    }
    /// Receives until a control message of `type` arrives (others are skipped; roster
    /// changes are acknowledged like a real client does).
    std::optional<wire::ControlMessage> receiveControl(wire::MessageType type,
                                                       std::vector<std::uint8_t>& keep) {
        for (int i = 0; i < 50; ++i) {
            auto bytes = receive();
            if (!bytes)
                return std::nullopt;
            wire::ControlMessage m;
            if (wire::parseControl(*bytes, m) != wire::ParseError::None)
                continue;
            if (auto* roster = std::get_if<wire::RosterMsg>(&m.body))
                send(wire::ControlMessage{1, wire::RosterAckMsg{roster->seq}});
            if (wire::typeOf(m.body) == type) {
                keep = std::move(*bytes);
                (void)wire::parseControl(keep, m); // views into `keep`
                return m;
            }
        }
        return std::nullopt;
    }
    /// Reads until `quietMs` pass without a datagram, acknowledging roster changes; returns
    /// how many RTP packets arrived.
    int drain(int quietMs = 300) {
        int rtp = 0;
        while (auto bytes = receive(quietMs)) {
            if (bytes->size() > 1 && ((*bytes)[0] & 0xC0) == 0x80) {
                ++rtp;
                continue;
            }
            wire::ControlMessage m;
            if (wire::parseControl(*bytes, m) != wire::ParseError::None)
                continue;
            if (auto* roster = std::get_if<wire::RosterMsg>(&m.body))
                send(wire::ControlMessage{1, wire::RosterAckMsg{roster->seq}});
        }
        return rtp;
    }
    wire::Cookie cookie() {
        send(helloBytes(5));
        std::vector<std::uint8_t> keep;
        auto m = receiveControl(wire::MessageType::Cookie, keep);
        return m ? std::get<wire::CookieMsg>(m->body).cookie : wire::Cookie{};
    }
    [[nodiscard]] bool valid() const { return m_fd >= 0; }

private:
    int m_fd = -1;
};

wire::JoinMsg joinMessage(const wire::Cookie& cookie, std::uint64_t id, std::string_view name,
                          std::uint32_t ssrc) {
    wire::JoinMsg join;
    join.cookie = cookie;
    join.conferenceId = id;
    join.name = name;
    join.streams.items[0] = {ssrc, wire::MediaKind::Audio, 0};
    join.streams.count = 1;
    return join;
}

} // namespace

class TestUdpServer : public QObject {
    Q_OBJECT
private slots:
    void answersHelloWithCookie() {
        RunningRelay relay;
        auto started = relay.start("127.0.0.1:0");
        QVERIFY2(started.ok(), started.ok() ? "" : started.error().message.c_str());
        QVERIFY(relay.address().port() != 0);
        Client client(relay.address());
        const auto hello = helloBytes(0x1234, 64);
        client.send(hello);
        auto reply = client.receive();
        QVERIFY(reply);
        QCOMPARE(reply->size(), std::size_t{28});
        wire::ControlMessage m;
        QVERIFY(wire::parseControl(*reply, m) == wire::ParseError::None);
        QCOMPARE(m.requestId, 0x1234u);
        // A short Hello gets nothing.
        client.send(helloBytes(1, 40));
        QVERIFY(!client.receive(300));
        relay.stop();
        QVERIFY(relay.ran());
        QCOMPARE(relay.core().stats().cookiesSent, std::uint64_t{1});
        QCOMPARE(relay.core().stats().drops(relay::DropReason::HelloTooShort), std::uint64_t{1});
        QVERIFY(relay.server().stats().datagramsSent >= 1);
    }

    void forwardsBetweenParticipants() {
        RunningRelay relay;
        QVERIFY(relay.start("127.0.0.1:0").ok());
        Client creator(relay.address());
        creator.send(wire::ControlMessage{7, wire::CreateMsg{creator.cookie(), 0}});
        std::vector<std::uint8_t> keep;
        auto created = creator.receiveControl(wire::MessageType::Created, keep);
        QVERIFY(created);
        const auto id = std::get<wire::CreatedMsg>(created->body).conferenceId;

        Client a(relay.address());
        Client b(relay.address());
        Client c(relay.address());
        std::uint32_t ssrc = 1;
        for (Client* client : {&a, &b, &c}) {
            client->send(wire::ControlMessage{8, joinMessage(client->cookie(), id, "P", ssrc++)});
            QVERIFY(client->receiveControl(wire::MessageType::Joined, keep));
        }
        // Let roster traffic settle (every change acknowledged, so no resends are pending).
        for (Client* client : {&a, &b, &c})
            QCOMPARE(client->drain(), 0);

        constexpr int kPackets = 200;
        for (int i = 0; i < kPackets; ++i)
            a.send(rtpBytes(1, static_cast<std::uint16_t>(i), 160));
        QCOMPARE(b.drain(), kPackets);
        QCOMPARE(c.drain(), kPackets);
        QCOMPARE(a.drain(), 0);
        relay.stop();
        QCOMPARE(relay.core().stats().rtpForwarded, std::uint64_t{kPackets});
        QCOMPARE(relay.core().stats().forwardedPackets, std::uint64_t{2 * kPackets});
        QVERIFY(relay.server().stats().datagramsSent >= 2 * kPackets);
        QCOMPARE(relay.server().stats().sendErrors, std::uint64_t{0});
    }

    void servesIpv6() {
        RunningRelay relay;
        auto started = relay.start("[::1]:0");
        if (!started.ok())
            QSKIP("no IPv6 loopback here");
        QCOMPARE(relay.address().family(), SocketAddress::Family::V6);
        Client client(relay.address());
        QVERIFY(client.valid());
        client.send(helloBytes(9, 100));
        auto reply = client.receive();
        QVERIFY(reply);
        QCOMPARE(reply->size(), std::size_t{28});
    }

    void bindConflictIsAClearError() {
        RunningRelay first;
        QVERIFY(first.start("127.0.0.1:0").ok());
        core::SystemClock clock;
        relay::RelayCore core({}, clock);
        relay::UdpServer second(core, clock, nullptr);
        auto opened = second.open(first.address());
        QVERIFY(!opened.ok());
        const auto& message = opened.error().message;
        QVERIFY2(message.find(first.address().toString()) != std::string::npos, message.c_str());
        QVERIFY2(message.find('\n') == std::string::npos, message.c_str());
        QVERIFY(!second.run().ok()); // not open
    }

    void stopsWhenAsked() {
        RunningRelay relay;
        QVERIFY(relay.start("127.0.0.1:0").ok());
        std::this_thread::sleep_for(std::chrono::milliseconds(120));
        relay.stop(); // joins the thread: returns only if run() returned
        QVERIFY(relay.ran());
        QVERIFY(relay.server().stats().timerTicks >= 1);
    }
};

QTEST_GUILESS_MAIN(TestUdpServer)
#include "TestUdpServer.moc"
