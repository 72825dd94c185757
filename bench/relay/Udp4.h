#pragma once
// Small IPv4 UDP helpers shared by the relay benchmark programs (bench_bare_forwarder and
// bench_relay_load). The benchmark runs on loopback only, so IPv4 is enough; the relay itself
// is not limited to it.
//
// Thread: pure functions and a value type; any thread.

#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace diyuma::bench {

/// Parses "A.B.C.D:PORT" (PORT may be 0). nullopt if malformed.
[[nodiscard]] std::optional<sockaddr_in> parseIpv4Endpoint(std::string_view text);
/// "A.B.C.D:PORT".
[[nodiscard]] std::string toString(const sockaddr_in& address);
/// An endpoint from a host-order IPv4 address and port.
[[nodiscard]] sockaddr_in ipv4Endpoint(std::uint32_t hostOrderIp, std::uint16_t port);
/// A 64-bit key for an endpoint (address and port), for hash maps.
[[nodiscard]] inline std::uint64_t endpointKey(const sockaddr_in& address) {
    return (std::uint64_t{address.sin_addr.s_addr} << 16) | address.sin_port;
}

enum class Blocking { Yes, No };

/// Creates a UDP socket bound to `local`, with SO_RCVBUF/SO_SNDBUF set to `bufferBytes` (the
/// kernel caps it at net.core.rmem_max/wmem_max). Returns the descriptor, or -1 with a one-line
/// message in `error`.
[[nodiscard]] int openUdpSocket(const sockaddr_in& local, int bufferBytes, Blocking blocking,
                                std::string& error);
/// The address a socket is bound to (with the port the kernel picked).
[[nodiscard]] sockaddr_in localEndpoint(int fd);

/// CPU time (user + system) this process has used so far, in seconds.
[[nodiscard]] double processCpuSeconds();

} // namespace diyuma::bench
