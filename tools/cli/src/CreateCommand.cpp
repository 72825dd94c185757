#include "diyuma/cli/Commands.h"
#include "diyuma/cli/StopSignal.h"
#include "diyuma/id/InviteLink.h"
#include "diyuma/net/UdpTransport.h"
#include "diyuma/session/ClientSession.h"
#include "diyuma/session/RelayErrorMessage.h"
#include "diyuma/wire/Demux.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <optional>

namespace diyuma::cli {

namespace {
using namespace std::chrono_literals;

class CreateListener final : public core::ClientSessionListener {
public:
    void onCreated(const core::CreatedConference& conference) override { created = conference; }
    void onError(const core::SessionError& e) override { error = e; }

    std::optional<core::CreatedConference> created;
    std::optional<core::SessionError> error;
};
} // namespace

int runCreate(const CreateOptions& options, const core::Clock& clock, std::ostream& out,
              std::ostream& err) {
    auto fail = [&](const std::string& message) {
        err << "diyuma-cli: error: " << message << '\n' << std::flush;
        return kFailureExitCode;
    };
    auto transport = core::UdpTransport::open(options.relay);
    if (!transport)
        return fail(transport.error().message);

    std::unique_ptr<core::LogSink> log;
    if (options.verbose)
        log = std::make_unique<core::StderrLogSink>(core::LogLevel::Debug);
    CreateListener listener;
    core::ClientSession session(clock, *transport, listener, {}, log.get());
    const std::uint32_t flags =
        options.privateView ? static_cast<std::uint32_t>(core::wire::ConferenceFlags::PrivateView)
                            : 0;
    if (auto started = session.startCreate(flags); !started)
        return fail(started.error().message);

    std::array<std::uint8_t, 2048> buffer{};
    while (!listener.created && !listener.error) {
        if (stopRequested())
            return fail("interrupted");
        session.tick();
        if (listener.created || listener.error)
            break;
        auto wait = std::chrono::duration_cast<std::chrono::microseconds>(session.nextTimerAt() -
                                                                          clock.now());
        wait = std::clamp<std::chrono::microseconds>(wait, 0us, 50ms);
        auto r = transport->receive(buffer, wait);
        if (r.status == core::ReceiveStatus::Datagram) {
            auto datagram = std::span<const std::uint8_t>(buffer).first(r.sizeBytes);
            if (core::wire::classify(datagram) == core::wire::PacketKind::Control)
                session.handleControl(datagram);
        }
    }
    if (listener.error)
        return fail(core::relayErrorMessage(*listener.error, options.relay, *transport));

    core::Invite invite;
    invite.relay = options.relay; // the link names the relay as the user gave it
    invite.id = core::ConferenceId(listener.created->conferenceId);
    invite.adminSecret = listener.created->adminSecret;
    out << invite.link() << '\n' << invite.adminLink() << '\n' << std::flush;
    return 0;
}

} // namespace diyuma::cli
