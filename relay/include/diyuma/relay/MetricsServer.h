#pragma once
// The relay's HTTP endpoint (--metrics ADDR:PORT), on its own thread (cpp-httplib):
//   GET /metrics  the Prometheus text format (formatPrometheus of the latest snapshot)
//   GET /healthz  200 "ok" while the relay serves and its I/O thread published within
//                 `staleAfter`; 503 with the reason otherwise (starting, stopping, stuck)
// Anything else is 404. It never touches the relay's own state: only the MetricsPublisher.
//
// Thread: start()/stop()/setServing() from the main thread; the handlers run on the
// server's own threads (two workers).

#include "diyuma/relay/Metrics.h"
#include "diyuma/relay/SocketAddress.h"
#include "diyuma/util/Result.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace diyuma::relay {

class MetricsServer {
public:
    /// `publisher` must outlive the server.
    MetricsServer(const MetricsPublisher& publisher, std::string version,
                  std::chrono::seconds staleAfter = std::chrono::seconds(10));
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    /// Binds `address` (port 0: any) and starts serving on a thread. One-line error naming
    /// the address if it cannot bind.
    [[nodiscard]] core::Status start(const SocketAddress& address);
    /// Stops the thread (idempotent).
    void stop();
    /// The bound address (with the real port) after start().
    [[nodiscard]] SocketAddress localAddress() const { return m_local; }
    /// Whether /healthz may say 200 (set once the relay serves, cleared when it stops).
    void setServing(bool serving) { m_serving.store(serving, std::memory_order_relaxed); }

private:
    const MetricsPublisher& m_publisher;
    std::string m_version;
    std::chrono::seconds m_staleAfter;
    std::unique_ptr<httplib::Server> m_server;
    std::thread m_thread;
    SocketAddress m_local;
    std::atomic<bool> m_serving{false};
};

} // namespace diyuma::relay
