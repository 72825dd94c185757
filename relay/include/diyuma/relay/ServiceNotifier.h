#pragma once
// Tells the service manager how the relay is doing (sd_notify(3), libsystemd): READY=1 once
// the sockets are bound, STATUS= lines, RELOADING=1 around a config reload, STOPPING=1 at
// shutdown. Without NOTIFY_SOCKET (not started by systemd with Type=notify) every call is a
// no-op, so the relay behaves the same by hand.
//
// Thread: any (sd_notify opens, sends and closes a socket per call; nothing is shared).

#include <string_view>

namespace diyuma::relay {

class ServiceNotifier {
public:
    /// Whether NOTIFY_SOCKET is set (a service manager listens).
    [[nodiscard]] static bool enabled();
    /// READY=1 plus a STATUS= line.
    static void ready(std::string_view status);
    static void status(std::string_view status);
    /// RELOADING=1 (with MONOTONIC_USEC, as systemd 253+ wants), then call ready() after.
    static void reloading();
    static void stopping(std::string_view status);
};

} // namespace diyuma::relay
