#include "diyuma/audio/AudioFormat.h"
#include "diyuma/audio/WavFile.h"
#include "diyuma/cli/AudioSources.h"
#include "diyuma/cli/Commands.h"
#include "diyuma/cli/ParticipantLabels.h"
#include "diyuma/cli/Recorder.h"
#include "diyuma/cli/StatsJson.h"
#include "diyuma/cli/StopSignal.h"
#include "diyuma/cli/VideoSources.h"
#include "diyuma/net/UdpTransport.h"
#include "diyuma/session/CallEngine.h"
#include "diyuma/session/RelayErrorMessage.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>

namespace diyuma::cli {

namespace {
using namespace std::chrono_literals;
using TimePoint = core::Clock::TimePoint;

constexpr auto kAudioTick = 10ms;
/// Belt and braces: the session gives up after 3 s of silence from the relay; this bounds a
/// relay that keeps talking without ever letting us in.
constexpr auto kJoinDeadline = 10s;
/// At most this many datagrams are handled between two looks at the clock.
constexpr int kMaxDatagramsPerWake = 64;

class JoinRunner final : public core::ClientSessionListener {
public:
    JoinRunner(const JoinOptions& options, const core::Clock& clock, std::ostream& err)
        : m_options(options), m_clock(clock), m_err(err) {}

    int run();

private:
    void onJoined(const core::JoinInfo& info) override {
        m_joinedAt = m_clock.now();
        m_nextTick = *m_joinedAt;
        m_participantId = info.participantId;
        if (m_options.durationSeconds)
            m_endAt = *m_joinedAt + std::chrono::duration_cast<core::Clock::Duration>(
                                        std::chrono::duration<double>(*m_options.durationSeconds));
    }
    void onRosterChanged(const core::RosterChange& change) override {
        if (change.entry.isSelf)
            return;
        if (change.op == core::wire::RosterOp::Upsert)
            (void)m_labels.assign(change.entry.participantId, change.entry.name);
        else
            m_labels.release(change.entry.participantId);
    }
    void onError(const core::SessionError& error) override { m_sessionError = error; }
    void onRequestRefused(const core::SessionError& error) override { m_sessionError = error; }
    void onConnectionLost(std::string_view reason) override {
        m_connectionLost = std::string(reason);
    }

    int fail(const std::string& message) {
        m_err << "diyuma-cli: error: " << message << '\n' << std::flush;
        return kFailureExitCode;
    }
    void receiveUntil(TimePoint deadline);
    int finish(const std::optional<std::string>& failure);

    const JoinOptions& m_options;
    const core::Clock& m_clock;
    std::ostream& m_err;

    std::unique_ptr<core::LogSink> m_log;
    std::optional<core::UdpTransport> m_transport;
    std::unique_ptr<core::AudioCaptureSource> m_source;
    std::unique_ptr<core::VideoSource> m_videoSource;
    Y4mVideoSource* m_y4m = nullptr; ///< m_videoSource, when it is a file
    ParticipantLabels m_labels;
    std::unique_ptr<Recorder> m_recorder;
    std::unique_ptr<VideoRecorder> m_videoRecorder;
    std::unique_ptr<core::CallEngine> m_engine;
    std::array<std::uint8_t, 2048> m_buffer{};

    std::optional<TimePoint> m_joinedAt;
    std::optional<TimePoint> m_endAt;
    TimePoint m_nextTick{};
    std::uint32_t m_participantId = 0;
    std::size_t m_nextPrivateViewChange = 0; ///< index into options.privateViewChanges
    std::size_t m_nextAdminAction = 0;       ///< index into options.adminActions
    void runAdminAction(const AdminAction& action);
    std::optional<core::SessionError> m_sessionError;
    std::optional<std::string> m_connectionLost;
};

int JoinRunner::run() {
    if (m_options.verbose)
        m_log = std::make_unique<core::StderrLogSink>(core::LogLevel::Debug);

    // Files first: a broken WAV or an unwritable folder fails before any network traffic.
    switch (m_options.sendAudio.kind) {
    case AudioInput::Kind::None:
        break; // listen only: nothing is sent, no stream announced
    case AudioInput::Kind::Tone:
        m_source = std::make_unique<ToneSource>(m_options.sendAudio.toneHz, kToneLevelDbfs);
        break;
    case AudioInput::Kind::File: {
        auto samples = core::readAudioFileAs48kMono(m_options.sendAudio.path);
        if (!samples)
            return fail(samples.error().message);
        m_source = std::make_unique<PcmSource>(std::move(samples.value()));
        break;
    }
    }
    std::optional<core::Vp8EncoderConfig> video;
    const VideoInput& sendVideo = m_options.sendVideo;
    if (sendVideo.kind != VideoInput::Kind::None) {
        video.emplace();
        video->width = sendVideo.width;
        video->height = sendVideo.height;
        if (sendVideo.kind == VideoInput::Kind::Y4m) {
            auto reader = core::Y4mReader::open(sendVideo.path);
            if (!reader)
                return fail(reader.error().message);
            video->width = reader->width();
            video->height = reader->height();
            auto source = std::make_unique<Y4mVideoSource>(m_clock, std::move(reader.value()));
            m_y4m = source.get();
            m_videoSource = std::move(source);
        } else {
            m_videoSource =
                std::make_unique<PatternVideoSource>(m_clock, sendVideo.width, sendVideo.height);
        }
        video->frameRate = sendVideo.frameRate;
        video->bitrateBps = sendVideo.bitrateBps > 0
                                ? sendVideo.bitrateBps
                                : core::defaultVideoBitrateBps(video->width, video->height);
    }
    if (m_options.recordDir) {
        auto recorder = Recorder::create(*m_options.recordDir, m_labels);
        if (!recorder)
            return fail(recorder.error().message);
        m_recorder = std::move(recorder.value());
    }
    if (m_options.recordVideoDir) {
        auto recorder = VideoRecorder::create(*m_options.recordVideoDir, m_labels, [this] {
            return m_engine ? m_engine->stats().playoutStartUnixMs : std::nullopt;
        });
        if (!recorder)
            return fail(recorder.error().message);
        m_videoRecorder = std::move(recorder.value());
    }

    auto transport = core::UdpTransport::open(m_options.invite.relay);
    if (!transport)
        return fail(transport.error().message);
    m_transport.emplace(std::move(transport.value()));

    core::CallEngineConfig config;
    config.name = m_options.name;
    config.audioBitrateBps = m_options.bitrateBps;
    config.sendVideo = video;
    auto engine = core::CallEngine::create(m_clock, *m_transport, m_source.get(), m_recorder.get(),
                                           this, config, m_log.get());
    if (!engine)
        return fail(engine.error().message);
    m_engine = std::move(engine.value());
    m_engine->setVideoSource(m_videoSource.get());
    m_engine->setVideoSink(m_videoRecorder.get());
    if (m_options.maxReceiveHeight) {
        core::VideoSubscription subscription;
        subscription.defaultMaxHeight = *m_options.maxReceiveHeight;
        m_engine->setVideoSubscription(std::move(subscription));
    }
    if (auto started = m_engine->join(m_options.invite.id.value(), m_options.invite.adminSecret);
        !started)
        return fail(started.error().message);

    const TimePoint startedAt = m_clock.now();
    for (;;) {
        if (stopRequested()) {
            if (!m_joinedAt) {
                m_engine->leave();
                return fail("interrupted before joining");
            }
            return finish(std::nullopt);
        }
        if (m_sessionError)
            return fail(
                core::relayErrorMessage(*m_sessionError, m_options.invite.relay, *m_transport));
        if (m_connectionLost)
            return finish(m_connectionLost);
        if (!m_joinedAt && m_clock.now() - startedAt > kJoinDeadline) {
            m_engine->leave();
            return fail("the relay did not let us join within 10 s");
        }

        TimePoint now = m_clock.now();
        if (m_joinedAt) {
            if (m_endAt && now >= *m_endAt && m_nextTick >= *m_endAt)
                return finish(std::nullopt);
            // Ticks sit on absolute times (joinedAt + k * 10 ms), so lateness of one wake-up
            // never accumulates into drift; after a stall the missed ticks run back to back.
            while (m_nextPrivateViewChange < m_options.privateViewChanges.size()) {
                const auto& [on, seconds] = m_options.privateViewChanges[m_nextPrivateViewChange];
                if (now < *m_joinedAt + std::chrono::duration_cast<core::Clock::Duration>(
                                            std::chrono::duration<double>(seconds)))
                    break;
                m_engine->setPrivateView(on);
                ++m_nextPrivateViewChange;
            }
            while (m_nextAdminAction < m_options.adminActions.size()) {
                const auto& action = m_options.adminActions[m_nextAdminAction];
                if (now < *m_joinedAt + std::chrono::duration_cast<core::Clock::Duration>(
                                            std::chrono::duration<double>(action.seconds)))
                    break;
                runAdminAction(action);
                ++m_nextAdminAction;
            }
            while (now >= m_nextTick && (!m_endAt || m_nextTick < *m_endAt)) {
                m_engine->processAudioBlock();
                m_nextTick += kAudioTick;
            }
            m_engine->processVideo();
            if (m_recorder && m_recorder->error())
                return finish(m_recorder->error());
            if (m_videoRecorder && m_videoRecorder->error())
                return finish(m_videoRecorder->error());
            if (m_y4m && m_y4m->error())
                return finish(m_y4m->error());
        }
        m_engine->tick();

        TimePoint deadline = std::min(m_engine->session().nextTimerAt(), now + 50ms);
        if (m_joinedAt) {
            deadline = std::min({deadline, m_nextTick, m_engine->nextVideoAt()});
            if (m_endAt)
                deadline = std::min(deadline, *m_endAt);
        }
        receiveUntil(deadline);
    }
}

void JoinRunner::runAdminAction(const AdminAction& action) {
    const auto& roster = m_engine->session().roster();
    const auto target = std::find_if(roster.begin(), roster.end(), [&](const auto& entry) {
        return !entry.second.isSelf && entry.second.name == action.name;
    });
    if (target == roster.end()) {
        std::fprintf(stderr, "diyuma-cli: --admin: nobody called \"%s\" is in the conference\n",
                     action.name.c_str());
        return;
    }
    const std::uint32_t id = target->first;
    switch (action.kind) {
    case AdminAction::Kind::Mute:
        m_engine->muteParticipant(id, core::wire::AdminMute::Mute);
        break;
    case AdminAction::Kind::MuteLocked:
        m_engine->muteParticipant(id, core::wire::AdminMute::MuteLocked);
        break;
    case AdminAction::Kind::AllowUnmute:
        m_engine->muteParticipant(id, core::wire::AdminMute::Allow);
        break;
    case AdminAction::Kind::Remove:
        m_engine->removeParticipant(id);
        break;
    }
}

void JoinRunner::receiveUntil(TimePoint deadline) {
    auto wait = std::chrono::duration_cast<std::chrono::microseconds>(deadline - m_clock.now());
    wait = std::clamp<std::chrono::microseconds>(wait, 0us, 50ms);
    for (int i = 0; i < kMaxDatagramsPerWake; ++i) {
        auto r = m_transport->receive(m_buffer, i == 0 ? wait : 0us);
        if (r.status == core::ReceiveStatus::Datagram)
            m_engine->onDatagram(std::span<const std::uint8_t>(m_buffer).first(r.sizeBytes));
        else if (r.status != core::ReceiveStatus::Truncated)
            return; // timeout, signal, ICMP error: back to the loop
    }
}

int JoinRunner::finish(const std::optional<std::string>& failure) {
    const TimePoint leftAt = m_clock.now();
    m_engine->leave();
    if (m_recorder)
        m_recorder->finish();
    if (m_videoRecorder)
        m_videoRecorder->finish();
    std::optional<std::string> problem = failure;
    if (!problem && m_recorder && m_recorder->error())
        problem = m_recorder->error();
    if (!problem && m_videoRecorder && m_videoRecorder->error())
        problem = m_videoRecorder->error();

    if (m_options.statsJson) {
        StatsContext context;
        context.conferenceId = m_options.invite.id.toString();
        context.participantId = m_participantId;
        context.name = m_options.name;
        context.durationSeconds =
            m_joinedAt ? std::chrono::duration<double>(leftAt - *m_joinedAt).count() : 0.0;
        context.includeRecordStart = true;
        context.privateView =
            (m_engine->session().conferenceFlags() &
             static_cast<std::uint32_t>(core::wire::ConferenceFlags::PrivateView)) != 0;
        for (std::size_t i = 0; i < m_labels.tracks().size(); ++i) {
            std::optional<std::string> file;
            if (m_recorder)
                if (auto path = m_recorder->fileOf(i))
                    file = path->filename().string();
            context.trackFiles.push_back(file);
            std::optional<std::string> videoFile;
            if (m_videoRecorder)
                if (auto path = m_videoRecorder->fileOf(i))
                    videoFile = path->filename().string();
            context.videoFiles.push_back(videoFile);
        }
        const std::string json = statsToJson(m_engine->stats(), m_labels, context);
        std::ofstream out(*m_options.statsJson, std::ios::binary | std::ios::trunc);
        out << json;
        out.close();
        if (!out && !problem)
            problem = fmt::format("cannot write stats to {}", m_options.statsJson->string());
    }
    if (problem)
        return fail(*problem);
    return 0;
}
} // namespace

int runJoin(const JoinOptions& options, const core::Clock& clock, std::ostream& err) {
    JoinRunner runner(options, clock, err);
    return runner.run();
}

} // namespace diyuma::cli
