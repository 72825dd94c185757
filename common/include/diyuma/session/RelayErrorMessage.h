#pragma once
// One line for a person when a create or join failed: the relay's own reason, or for a relay
// that never answered, its address and whether anything listens there.

#include "diyuma/id/InviteLink.h"
#include "diyuma/net/UdpTransport.h"
#include "diyuma/session/SessionTypes.h"

#include <string>

namespace diyuma::core {

[[nodiscard]] std::string relayErrorMessage(const SessionError& error, const RelayAddress& relay,
                                            const UdpTransport& transport);

} // namespace diyuma::core
