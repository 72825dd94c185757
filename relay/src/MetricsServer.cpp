#include "diyuma/relay/MetricsServer.h"

#include <fmt/format.h>
#include <httplib.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace diyuma::relay {

namespace {
/// The host part of an address as getaddrinfo wants it ("127.0.0.1", "::1").
std::string hostOf(const SocketAddress& address) {
    std::string text = address.toString();
    text = text.substr(0, text.rfind(':'));
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
        text = text.substr(1, text.size() - 2);
    return text;
}
} // namespace

MetricsServer::MetricsServer(const MetricsPublisher& publisher, std::string version,
                             std::chrono::seconds staleAfter)
    : m_publisher(publisher), m_version(std::move(version)), m_staleAfter(staleAfter) {}

MetricsServer::~MetricsServer() {
    stop();
}

core::Status MetricsServer::start(const SocketAddress& address) {
    m_server = std::make_unique<httplib::Server>();
    // Two workers: a scraper and a health check at once; more would only cost memory.
    m_server->new_task_queue = [] { return new httplib::ThreadPool(2); };
    // httplib's default adds SO_REUSEPORT, which would let a second relay share the port
    // and answer half the scrapes: SO_REUSEADDR only (restarts need no TIME_WAIT pause).
    m_server->set_socket_options([](int sock) {
        const int yes = 1;
        (void)::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    // Short timeouts and one request per connection: an idle or slow client cannot hold a
    // worker for long, so /healthz stays answerable.
    m_server->set_read_timeout(2, 0);
    m_server->set_write_timeout(2, 0);
    m_server->set_keep_alive_max_count(1);
    m_server->Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
        const auto snapshot = m_publisher.latest();
        if (!snapshot) {
            response.status = 503;
            response.set_content("the relay has not started serving yet\n", "text/plain");
            return;
        }
        response.set_content(formatPrometheus(*snapshot, readProcessStats(), m_version),
                             "text/plain; version=0.0.4; charset=utf-8");
    });
    m_server->Get("/healthz", [this](const httplib::Request&, httplib::Response& response) {
        const auto last = m_publisher.lastPublished();
        if (!m_serving.load(std::memory_order_relaxed) || !last) {
            response.status = 503;
            response.set_content("not serving\n", "text/plain");
            return;
        }
        if (std::chrono::steady_clock::now() - *last > m_staleAfter) {
            response.status = 503;
            response.set_content("the relay's I/O loop has not reported for too long\n",
                                 "text/plain");
            return;
        }
        response.set_content("ok\n", "text/plain");
    });

    const std::string host = hostOf(address);
    int port = address.port();
    bool bound = false;
    if (port == 0) {
        port = m_server->bind_to_any_port(host);
        bound = port > 0;
    } else {
        bound = m_server->bind_to_port(host, port);
    }
    if (!bound) {
        const int error = errno;
        m_server.reset();
        return core::Error{1, fmt::format("cannot serve metrics on {}: {}", address.toString(),
                                          error != 0 ? std::strerror(error) : "bind failed")};
    }
    m_local = address.withPort(static_cast<std::uint16_t>(port));
    m_thread = std::thread([server = m_server.get()] { server->listen_after_bind(); });
    return core::Ok{};
}

void MetricsServer::stop() {
    if (m_server && m_thread.joinable()) {
        // httplib's stop() does nothing until listen_after_bind() has begun: wait for it.
        for (int i = 0; i < 400 && !m_server->is_running(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        m_server->stop();
    }
    if (m_thread.joinable())
        m_thread.join();
    m_server.reset();
}

} // namespace diyuma::relay
