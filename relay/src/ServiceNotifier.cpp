#include "diyuma/relay/ServiceNotifier.h"

#include <fmt/format.h>
#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <ctime>
#include <string>

namespace diyuma::relay {

namespace {
void notify(const std::string& text) {
    // Failure to notify is not the relay's problem: systemd would time out and say so.
    (void)sd_notify(0, text.c_str());
}
std::string oneLine(std::string_view text) {
    std::string line(text);
    for (char& c : line) {
        if (c == '\n')
            c = ' ';
    }
    return line;
}
} // namespace

bool ServiceNotifier::enabled() {
    return std::getenv("NOTIFY_SOCKET") != nullptr;
}

void ServiceNotifier::ready(std::string_view status) {
    notify(fmt::format("READY=1\nSTATUS={}", oneLine(status)));
}

void ServiceNotifier::status(std::string_view status) {
    notify(fmt::format("STATUS={}", oneLine(status)));
}

void ServiceNotifier::reloading() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const auto us = static_cast<long long>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000;
    notify(fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS=reloading the configuration", us));
}

void ServiceNotifier::stopping(std::string_view status) {
    notify(fmt::format("STOPPING=1\nSTATUS={}", oneLine(status)));
}

} // namespace diyuma::relay
