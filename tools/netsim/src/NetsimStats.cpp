#include "diyuma/netsim/NetsimStats.h"

#include <nlohmann/json.hpp>

namespace diyuma::netsim {

void DirectionStats::addModel(const ImpairmentCounters& counters) {
    droppedLoss += counters.droppedLoss;
    droppedBurst += counters.droppedBurst;
    droppedQueue += counters.droppedQueue;
    duplicated += counters.duplicated;
    reordered += counters.reordered;
}

std::uint64_t DirectionStats::droppedTotal() const {
    return droppedLoss + droppedBurst + droppedQueue + droppedSendError + droppedTooManyClients +
           droppedShutdown;
}

namespace {
nlohmann::ordered_json toJson(const DirectionStats& d) {
    return {{"in", d.in},
            {"out", d.out},
            {"dropped",
             {{"loss", d.droppedLoss},
              {"burst_loss", d.droppedBurst},
              {"queue", d.droppedQueue},
              {"send_error", d.droppedSendError},
              {"too_many_clients", d.droppedTooManyClients},
              {"shutdown", d.droppedShutdown}}},
            {"duplicated", d.duplicated},
            {"reordered", d.reordered}};
}
} // namespace

std::string statsToJson(const NetsimStats& stats) {
    const nlohmann::ordered_json root = {{"up", toJson(stats.up)},
                                         {"down", toJson(stats.down)},
                                         {"clients", stats.clients},
                                         {"seed", stats.seed}};
    return root.dump();
}

} // namespace diyuma::netsim
