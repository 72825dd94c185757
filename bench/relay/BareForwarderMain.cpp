// bench_bare_forwarder: the ceiling of the relay benchmark (bench/relay/run.sh). Prints the
// bound ADDR:PORT as its first stdout line, like diyuma-relay, forwards until SIGTERM/SIGINT,
// then prints its counters on stderr.

#include "BareForwarder.h"
#include "Udp4.h"

#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <string>

namespace {

std::atomic<bool> g_stop{false};

extern "C" void onStopSignal(int) {
    g_stop.store(true, std::memory_order_relaxed);
}

} // namespace

int main(int argc, char** argv) {
    std::string listenText = "127.0.0.1:0";
    diyuma::bench::BareForwarderConfig config;

    CLI::App app{"bench_bare_forwarder: recvmmsg + sendmmsg to the other group members, nothing "
                 "else (the ceiling for diyuma-relay)."};
    app.add_option("--listen", listenText, "IPv4 ADDR:PORT; port 0 picks a free port")
        ->capture_default_str();
    app.add_option("--recv-batch", config.recvBatch, "Datagrams per recvmmsg")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{1024}));
    app.add_option("--socket-buffer", config.socketBufferBytes, "SO_RCVBUF/SO_SNDBUF bytes")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    const auto listen = diyuma::bench::parseIpv4Endpoint(listenText);
    if (!listen) {
        std::fprintf(stderr, "bench_bare_forwarder: error: --listen '%s' is not A.B.C.D:PORT\n",
                     listenText.c_str());
        return 2;
    }
    diyuma::bench::BareForwarder forwarder(config);
    std::string error;
    if (!forwarder.open(*listen, error)) {
        std::fprintf(stderr, "bench_bare_forwarder: error: %s\n", error.c_str());
        return 1;
    }
    std::printf("%s\n", diyuma::bench::toString(forwarder.localAddress()).c_str());
    std::fflush(stdout);

    // No SA_RESTART: the signal interrupts the blocking recvmmsg at once.
    struct sigaction action {};
    action.sa_handler = onStopSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);

    forwarder.run(g_stop);

    const auto& s = forwarder.stats();
    std::fprintf(stderr,
                 "bench_bare_forwarder: received=%llu forwarded=%llu registrations=%llu "
                 "unknown_source=%llu send_failures=%llu recv_calls=%llu send_calls=%llu "
                 "cpu_s=%.3f\n",
                 static_cast<unsigned long long>(s.received),
                 static_cast<unsigned long long>(s.forwarded),
                 static_cast<unsigned long long>(s.registrations),
                 static_cast<unsigned long long>(s.unknownSource),
                 static_cast<unsigned long long>(s.sendFailures),
                 static_cast<unsigned long long>(s.recvCalls),
                 static_cast<unsigned long long>(s.sendCalls), diyuma::bench::processCpuSeconds());
    return 0;
}
