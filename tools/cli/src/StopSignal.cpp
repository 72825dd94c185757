#include "diyuma/cli/StopSignal.h"

#include <csignal>

namespace diyuma::cli {

namespace {
// A signal handler may only touch a lock-free atomic or a volatile sig_atomic_t.
volatile std::sig_atomic_t g_stop = 0;

extern "C" void onStopSignal(int) {
    g_stop = 1;
}
} // namespace

void installStopSignalHandlers() {
    struct sigaction action {};
    action.sa_handler = onStopSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; // no SA_RESTART: let ppoll return EINTR at once
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

bool stopRequested() {
    return g_stop != 0;
}

void clearStopRequest() {
    g_stop = 0;
}

} // namespace diyuma::cli
