#include "diyuma/session/RelayErrorMessage.h"

#include <fmt/format.h>

namespace diyuma::core {

std::string relayErrorMessage(const SessionError& error, const RelayAddress& relay,
                              const UdpTransport& transport) {
    if (error.code != SessionErrorCode::RelayDidNotAnswer)
        return error.message;
    const bool refused = transport.counters().refused > 0;
    const std::string resolved = transport.peerAddress() == relay.toString()
                                     ? std::string()
                                     : fmt::format(" ({})", transport.peerAddress());
    return fmt::format("relay {}{} did not answer{}", relay.toString(), resolved,
                       refused ? ": connection refused (nothing listens there)"
                               : " (is it running and reachable?)");
}

} // namespace diyuma::core
