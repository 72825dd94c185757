#pragma once
// What the proxy did, per direction, and its one-line JSON form (printed to stderr at exit):
//
//   {"up":{"in":N,"out":N,"dropped":{"loss":N,"burst_loss":N,"queue":N,"send_error":N,
//    "too_many_clients":N,"shutdown":N},"duplicated":N,"reordered":N},"down":{...},
//    "clients":N,"seed":N}
//
// in + duplicated = out + the sum of dropped: every datagram that came in was sent on, or
// dropped for exactly one reason ("shutdown": still scheduled when the proxy stopped).
//
// Thread: plain values; any thread.

#include "diyuma/netsim/ImpairmentModel.h"

#include <cstdint>
#include <string>

namespace diyuma::netsim {

struct DirectionStats {
    std::uint64_t in = 0;  ///< datagrams received
    std::uint64_t out = 0; ///< datagrams sent on (copies included)
    std::uint64_t droppedLoss = 0;
    std::uint64_t droppedBurst = 0;
    std::uint64_t droppedQueue = 0;
    std::uint64_t droppedSendError = 0;      ///< sendto failed (buffer full, ICMP error, ...)
    std::uint64_t droppedTooManyClients = 0; ///< from a new client beyond the client limit
                                             ///< (or whose upstream socket failed)
    std::uint64_t droppedShutdown = 0;       ///< still scheduled at exit
    std::uint64_t duplicated = 0;
    std::uint64_t reordered = 0;

    /// Adds a model's decisions (loss, queue, duplicates, reordering) to these counters.
    void addModel(const ImpairmentCounters& counters);
    [[nodiscard]] std::uint64_t droppedTotal() const;
};

struct NetsimStats {
    DirectionStats up;
    DirectionStats down;
    std::uint64_t clients = 0; ///< client addresses seen (each got its own upstream socket)
    std::uint64_t seed = 0;
};

/// The stats as one line of JSON (no newline).
[[nodiscard]] std::string statsToJson(const NetsimStats& stats);

} // namespace diyuma::netsim
