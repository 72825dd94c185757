#include "diyuma/session/CallEngine.h"

#include "diyuma/audio/Goertzel.h"
#include "diyuma/crypto/Random.h"
#include "diyuma/wire/Demux.h"
#include "diyuma/wire/RtcpFeedback.h"
#include "diyuma/wire/Rtp.h"
#include "diyuma/wire/TransportFeedback.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <utility>

namespace diyuma::core {

namespace {
/// Samples kept of each history (uplink, downlink, received): ten hours of one a second.
constexpr std::size_t kHistoryMax = 36'000;

/// Without video, the uplink only has to carry Opus: no probing towards megabits.
cc::BandwidthEstimatorConfig uplinkConfig(const CallEngineConfig& config) {
    cc::BandwidthEstimatorConfig out = config.uplink;
    if (!config.sendVideo)
        out.maxBitrateBps = std::min(out.maxBitrateBps, 300'000);
    return out;
}
void addCounts(JitterBufferStats& into, const JitterBufferStats& from) {
    into.packetsReceived += from.packetsReceived;
    into.packetsLost += from.packetsLost;
    into.packetsLate += from.packetsLate;
    into.packetsDuplicate += from.packetsDuplicate;
    into.framesConcealed += from.framesConcealed;
    into.framesFecRecovered += from.framesFecRecovered;
}

constexpr int kMinBitrateBps = 6000;
constexpr int kMaxBitrateBps = 510000;
constexpr float kMaxGain = 4.0F;
constexpr std::int64_t kBlockMs = 10;
/// Audio sender reports, as often as video's (VideoSenderConfig::senderReportInterval).
constexpr auto kAudioReportInterval = std::chrono::seconds(1);
/// Level meters: a 10 ms RMS, held and then falling this much per block (30 dB/100 ms).
constexpr float kLevelFallDbPerBlock = 3.0F;

void updateLevel(float& levelDbfs, std::span<const std::int16_t> block) {
    const auto now = static_cast<float>(rmsDbfs(block));
    levelDbfs = std::max(now, std::max(levelDbfs - kLevelFallDbPerBlock, -100.0F));
}

/// out = in * gain, saturated; gain 1 copies nothing.
void applyGain(std::span<std::int16_t> block, float gain) {
    if (gain == 1.0F)
        return;
    for (auto& sample : block) {
        const float scaled = static_cast<float>(sample) * gain;
        sample = static_cast<std::int16_t>(std::clamp(scaled, -32768.0F, 32767.0F));
    }
}
} // namespace

Result<std::unique_ptr<CallEngine>>
CallEngine::create(const Clock& clock, PacketTransport& transport, AudioCaptureSource* capture,
                   AudioPlaybackSink* playback, ClientSessionListener* listener,
                   CallEngineConfig config, LogSink* log) {
    if (config.audioBitrateBps < kMinBitrateBps || config.audioBitrateBps > kMaxBitrateBps)
        return Error{static_cast<int>(SessionErrorCode::InvalidArguments),
                     fmt::format("audio bitrate {} bps is out of range ({}..{})",
                                 config.audioBitrateBps, kMinBitrateBps, kMaxBitrateBps)};
    auto encoder = OpusEncoder::create(config.audioBitrateBps);
    if (!encoder)
        return encoder.error();
    std::unique_ptr<VideoSender> videoSender;
    if (config.sendVideo) {
        VideoSenderConfig video;
        video.encoder = *config.sendVideo;
        video.encoder.temporalLayers = config.temporalLayers;
        // Simulcast: the picture in up to three sizes, each its own stream with a random
        // SSRC of its own (the audio SSRC is then chosen apart from them all).
        for (const SimulcastLayerSize& size :
             simulcastLayersFor(video.encoder.width, video.encoder.height, video.encoder.bitrateBps,
                                config.simulcastLayers)) {
            VideoLayerConfig layer{0, size.width, size.height, size.bitrateBps};
            const auto taken = [&video](std::uint32_t ssrc) {
                return std::any_of(video.layers.begin(), video.layers.end(),
                                   [ssrc](const VideoLayerConfig& l) { return l.ssrc == ssrc; });
            };
            do
                layer.ssrc = randomU32();
            while (layer.ssrc == 0 || taken(layer.ssrc));
            video.layers.push_back(layer);
        }
        auto sender = VideoSender::create(clock, video);
        if (!sender)
            return sender.error();
        videoSender = std::move(sender.value());
    }
    return std::unique_ptr<CallEngine>(
        new CallEngine(clock, transport, capture, playback, listener, std::move(config), log,
                       std::move(encoder.value()), std::move(videoSender)));
}

CallEngine::CallEngine(const Clock& clock, PacketTransport& transport, AudioCaptureSource* capture,
                       AudioPlaybackSink* playback, ClientSessionListener* listener,
                       CallEngineConfig config, LogSink* log, OpusEncoder encoder,
                       std::unique_ptr<VideoSender> videoSender)
    : m_clock(clock), m_transport(clock, transport, uplinkConfig(config)), m_capture(capture),
      m_playback(playback), m_listener(listener), m_config(std::move(config)), m_log(log),
      m_session(clock, m_transport, *this, m_config.session, log), m_encoder(std::move(encoder)),
      m_videoSender(std::move(videoSender)) {
    // Random SSRC and random initial sequence number and timestamp (RFC 3550 section 5.1):
    // makes known-plaintext attacks on later encryption harder and keeps SSRCs apart.
    do
        m_ssrc = randomU32();
    while (m_ssrc == 0 || (m_videoSender && m_videoSender->hasSsrc(m_ssrc)));
    m_rtpSequence = static_cast<std::uint16_t>(randomU32());
    m_rtpTimestamp = randomU32();
    m_transport.setFeedbackSsrc(m_ssrc);
}

CallEngine::~CallEngine() = default;

Status CallEngine::join(std::uint64_t conferenceId, std::optional<wire::AdminSecret> adminSecret) {
    JoinParams params;
    params.conferenceId = conferenceId;
    params.adminSecret = adminSecret;
    params.name = m_config.name;
    if (m_capture != nullptr)
        params.streams.push_back(wire::StreamInfo{m_ssrc, wire::MediaKind::Audio, 0});
    if (m_videoSender) {
        // Every simulcast layer, lowest first, with its layer number and picture height.
        for (std::size_t k = 0; k < m_videoSender->layerCount(); ++k) {
            const VideoLayerConfig& layer = m_videoSender->layer(k);
            params.streams.push_back(wire::StreamInfo{layer.ssrc, wire::MediaKind::Video,
                                                      static_cast<std::uint8_t>(k),
                                                      static_cast<std::uint16_t>(layer.height)});
        }
    }
    return m_session.startJoin(std::move(params));
}

void CallEngine::leave() {
    m_session.leave();
}

bool CallEngine::setAudioBitrate(int bitrateBps) {
    if (bitrateBps < kMinBitrateBps || bitrateBps > kMaxBitrateBps)
        return false;
    return m_encoder->setBitrate(bitrateBps);
}

void CallEngine::tick() {
    m_session.tick();
    if (!m_session.joined())
        return;
    m_transport.sendFeedback();
    // The relay's report on our downlink, about once a second: kept as its history.
    if (m_session.receiveReports() != m_receiveReportsSeen && m_session.lastReceiveReport()) {
        m_receiveReportsSeen = m_session.receiveReports();
        if (m_downlinkHistory.size() < kHistoryMax)
            m_downlinkHistory.push_back(
                {m_clock.unixMs(), static_cast<int>(m_session.lastReceiveReport()->downlinkBps)});
    }
    // What we received, once a second (next to the relay's estimate of what we can receive).
    const auto now = m_clock.now();
    if (!m_receivedSecondStart) {
        m_receivedSecondStart = now;
        m_bytesReceivedInSecond = 0;
    } else if (now - *m_receivedSecondStart >= std::chrono::seconds(1)) {
        const double seconds = std::chrono::duration<double>(now - *m_receivedSecondStart).count();
        if (m_receivedHistory.size() < kHistoryMax)
            m_receivedHistory.push_back(
                {m_clock.unixMs(),
                 static_cast<int>(static_cast<double>(m_bytesReceivedInSecond) * 8.0 / seconds)});
        m_bytesReceivedInSecond = 0;
        m_receivedSecondStart = now;
    }
}

// ---------------------------------------------------------------------------------------------
// Receive path

void CallEngine::onDatagram(std::span<const std::uint8_t> datagram) {
    ++m_stats.datagramsReceived;
    m_bytesReceivedInSecond += datagram.size();
    switch (wire::classify(datagram)) {
    case wire::PacketKind::Control:
        m_session.handleControl(datagram);
        break;
    case wire::PacketKind::Rtp:
        m_session.noteDatagramFromRelay();
        handleRtp(datagram);
        break;
    case wire::PacketKind::Rtcp:
        m_session.noteDatagramFromRelay();
        ++m_stats.rtcpReceived;
        handleRtcp(datagram);
        break;
    case wire::PacketKind::Unknown:
        ++m_stats.unknownDatagrams;
        break;
    }
}

void CallEngine::handleRtp(std::span<const std::uint8_t> datagram) {
    if (!m_session.joined())
        return;
    wire::RtpPacketView rtp;
    wire::RtpExtensions extensions;
    if (wire::parseRtp(datagram, rtp) != wire::ParseError::None ||
        wire::parseRtpExtensions(rtp, datagram, extensions) != wire::ParseError::None) {
        ++m_stats.rtpMalformed;
        return;
    }
    if (extensions.transportSequence) // the relay's number, for our downlink estimate
        m_transport.onDownlinkPacket(*extensions.transportSequence);
    if (rtp.payloadType == wire::kProbePayloadType) {
        ++m_stats.probePacketsReceived;
        return;
    }
    if (rtp.payloadType == wire::kVp8PayloadType) {
        auto owner = m_videoSsrcToParticipant.find(rtp.ssrc);
        auto remote = owner == m_videoSsrcToParticipant.end() ? m_remotes.end()
                                                              : m_remotes.find(owner->second);
        if (remote == m_remotes.end() || !remote->second.video) {
            ++m_stats.rtpUnknownSsrc;
            return;
        }
        Remote& r = remote->second;
        r.video->onRtp(rtp, datagram.size());
        if (rtp.marker) // a frame may be complete: show it now, not at the next tick
            r.video->poll(m_transport, m_videoSink, r.participantId, r.name, &r.sync);
        return;
    }
    if (rtp.payloadType != wire::kOpusPayloadType) {
        ++m_stats.rtpOtherPayloadType;
        return;
    }
    auto it = m_ssrcToParticipant.find(rtp.ssrc);
    if (it == m_ssrcToParticipant.end()) {
        // Not (yet) in the roster: its upsert is still on the way, or a stray stream.
        ++m_stats.rtpUnknownSsrc;
        return;
    }
    auto remote = m_remotes.find(it->second);
    if (remote == m_remotes.end() || !remote->second.jitter) {
        ++m_stats.rtpUnknownSsrc;
        return;
    }
    remote->second.jitter->insert(rtp.sequence, rtp.timestamp, rtp.payload);
}

void CallEngine::handleRtcp(std::span<const std::uint8_t> datagram) {
    wire::RtcpHeaderView first;
    if (wire::parseRtcpCompound(datagram, first) != wire::ParseError::None) {
        ++m_stats.rtcpMalformed;
        return;
    }
    wire::RtcpReader reader(datagram);
    wire::RtcpPacket packet;
    while (reader.next(packet)) {
        if (wire::SenderReport report; wire::parseSenderReport(packet, report)) {
            onSenderReport(report);
            continue;
        }
        if (wire::isTransportFeedback(packet)) { // from the relay, about our uplink
            (void)m_transport.onFeedback(packet);
            continue;
        }
        if (!m_videoSender)
            continue; // feedback for others' streams (the relay passes it on to everyone)
        wire::FeedbackSsrcs ssrcs;
        if (!(wire::isNack(packet) || wire::isPli(packet)) ||
            !wire::parseFeedbackSsrcs(packet, ssrcs) || !m_videoSender->hasSsrc(ssrcs.media))
            continue; // the relay passes on feedback meant for others' streams too
        // The media SSRC names the simulcast layer: its key frame, its cache.
        if (wire::isPli(packet))
            (void)m_videoSender->onPli(ssrcs.media);
        else
            (void)wire::forEachNackedSequence(packet, [this, &ssrcs](std::uint16_t sequence) {
                (void)m_videoSender->onNack(ssrcs.media, sequence);
            });
    }
}

void CallEngine::onSenderReport(const wire::SenderReport& report) {
    const std::int64_t unixMs = wire::unixMsFromNtp(report.ntpTimestamp);
    if (auto audio = m_ssrcToParticipant.find(report.ssrc); audio != m_ssrcToParticipant.end()) {
        if (auto remote = m_remotes.find(audio->second); remote != m_remotes.end())
            remote->second.sync.onAudioSenderReport(report.rtpTimestamp, unixMs);
        return;
    }
    if (auto video = m_videoSsrcToParticipant.find(report.ssrc);
        video != m_videoSsrcToParticipant.end()) {
        if (auto remote = m_remotes.find(video->second); remote != m_remotes.end())
            remote->second.sync.onVideoSenderReport(report.rtpTimestamp, unixMs);
    }
}

// ---------------------------------------------------------------------------------------------
// Video tick

void CallEngine::processVideo() {
    if (!m_session.joined())
        return;
    const auto now = m_clock.now();
    // The layers anyone receives (the relay's LayersWanted; all until the first one).
    if (m_videoSender)
        m_videoSender->setLayersWanted(m_session.layersWanted().value_or(0xFF));
    if (m_videoSender && m_videoSource != nullptr) {
        const auto interval = std::chrono::duration_cast<Clock::Duration>(
            std::chrono::duration<double>(1.0 / std::max(1, m_config.sendVideo->frameRate)));
        if (!m_nextVideoFrameAt)
            m_nextVideoFrameAt = now;
        if (now >= *m_nextVideoFrameAt) {
            if (m_videoSource->readFrame(m_capturedPicture))
                m_videoSender->sendFrame(m_capturedPicture);
            // Frames sit on a fixed grid; after a stall the grid restarts instead of bursting.
            *m_nextVideoFrameAt += interval;
            if (*m_nextVideoFrameAt < now)
                m_nextVideoFrameAt = now + interval;
        }
    }
    adaptToUplink(now);
    if (m_videoSender) // what the uplink and our cap allow, for the relay (LayersAvailable)
        m_session.setLayersAvailable(m_videoSender->layersAvailable());
    m_transport.sendProbes();
    if (m_videoSender)
        m_videoSender->flush(m_transport);
    const auto rtt = m_session.smoothedRttMs();
    for (auto& [id, remote] : m_remotes) {
        if (!remote.video)
            continue;
        if (rtt)
            remote.video->setRtt(std::chrono::duration_cast<Clock::Duration>(
                std::chrono::duration<double, std::milli>(*rtt)));
        remote.video->poll(m_transport, m_videoSink, id, remote.name, &remote.sync);
    }
}

Clock::TimePoint CallEngine::nextVideoAt() const {
    if (!m_videoSender || !m_session.joined())
        return Clock::TimePoint::max();
    Clock::TimePoint next = std::min(m_videoSender->nextSendAt(), m_transport.nextProbeAt());
    if (m_videoSource != nullptr)
        next = std::min(next, m_nextVideoFrameAt.value_or(m_clock.now()));
    return next;
}

// ---------------------------------------------------------------------------------------------
// Audio tick

void CallEngine::adaptToUplink(Clock::TimePoint now) {
    constexpr auto kAdaptInterval = std::chrono::milliseconds(200);
    constexpr auto kHistoryInterval = std::chrono::seconds(1);
    if (m_nextAdaptAt && now < *m_nextAdaptAt)
        return;
    m_nextAdaptAt = now + kAdaptInterval;
    const cc::BandwidthEstimate e = m_transport.uplinkEstimate();
    if (e.feedbacks == 0)
        return; // no feedback (yet): the configured rates stand
    if (!m_nextHistoryAt || now >= *m_nextHistoryAt) {
        m_nextHistoryAt = now + kHistoryInterval;
        if (m_uplinkHistory.size() < kHistoryMax)
            m_uplinkHistory.push_back({m_clock.unixMs(), e.targetBps});
    }
    // Audio first. The configured Opus rate while the uplink has room for it, less on a thin
    // one; more (up to 64 kbit/s) when packets are lost, to pay for the in-band FEC, whose
    // amount follows the loss the relay reports.
    const int configured = m_config.audioBitrateBps;
    const int lossPercent = static_cast<int>(std::lround(e.lossFraction * 100.0));
    int audio = configured;
    if (e.targetBps < 100'000)
        audio = std::min(configured, 16'000);
    else if (e.targetBps < 160'000)
        audio = std::min(configured, 24'000);
    else if (lossPercent >= 5)
        audio = std::min(64'000, configured + 16'000);
    if (m_encoder) {
        if (audio != m_audioBitrateBps && m_encoder->setBitrate(audio))
            m_audioBitrateBps = audio;
        const int expectedLoss = std::clamp(lossPercent + 2, 3, 30);
        if (expectedLoss != m_expectedLossPercent &&
            m_encoder->setExpectedLossPercent(expectedLoss))
            m_expectedLossPercent = expectedLoss;
    }
    // Video gets the rest (RTCP and headers are in the estimate; keep a little for them),
    // never more than its layers' nominal rates together and never under 50 kbit/s. The
    // sender shares it among its simulcast layers bottom-up and switches the top ones off
    // and on (with a hold) as it shrinks and grows: it is told at every step.
    if (m_videoSender) {
        constexpr int kHeadroomBps = 20'000;
        const int video =
            std::clamp(e.targetBps - audio - kHeadroomBps, 50'000, m_videoSender->maxBitrateBps());
        (void)m_videoSender->setBitrate(video);
    }
}

void CallEngine::processAudioBlock() {
    if (!m_session.joined())
        return;
    // One wall-clock reading per tick: the capture and the playout timestamps of the same
    // tick are then the same number, so send and record times line up exactly.
    const std::int64_t tickUnixMs = m_clock.unixMs();
    adaptToUplink(m_clock.now());
    if (m_capture != nullptr)
        captureAndSend(tickUnixMs);
    playout(tickUnixMs);
}

void CallEngine::captureAndSend(std::int64_t tickUnixMs) {
    auto block = std::span(m_frame).subspan(m_frameFill, kBlockSamples);
    if (!m_capture->readBlock(block))
        std::fill(block.begin(), block.end(), std::int16_t{0});
    if (m_processor != nullptr)
        m_processor->processCapture(block);
    updateLevel(m_stats.captureLevelDbfs, block);
    if (!m_stats.sendStartUnixMs)
        m_stats.sendStartUnixMs = tickUnixMs;
    ++m_stats.audioBlocksCaptured;
    m_frameFill += kBlockSamples;
    if (m_frameFill == kFrameSamples) {
        // The frame's first sample was captured two blocks before this tick's end.
        m_reportRtp = m_rtpTimestamp;
        m_reportCaptureUnixMs = tickUnixMs - 2 * kBlockMs;
        encodeAndSendFrame();
        m_frameFill = 0;
        sendAudioReportIfDue(m_clock.now());
    }
}

void CallEngine::sendAudioReportIfDue(Clock::TimePoint now) {
    if (m_stats.audioPacketsSent == 0)
        return; // nothing to map yet
    if (m_nextAudioReportAt && now < *m_nextAudioReportAt)
        return;
    wire::SenderReport report{m_ssrc, wire::ntpFromUnixMs(m_reportCaptureUnixMs), m_reportRtp,
                              static_cast<std::uint32_t>(m_stats.audioPacketsSent),
                              static_cast<std::uint32_t>(m_stats.audioBytesSent)};
    const auto bytes = wire::writeSenderReport(report, m_packetBuffer);
    if (!bytes.empty() && m_transport.send(bytes) == SendStatus::Sent)
        ++m_stats.audioSenderReports;
    m_nextAudioReportAt = now + kAudioReportInterval;
}

void CallEngine::encodeAndSendFrame() {
    const std::uint32_t frameTimestamp = m_rtpTimestamp;
    m_rtpTimestamp += static_cast<std::uint32_t>(kFrameSamples); // RTP time runs through DTX
    if (m_session.muted()) {
        // Like DTX: nothing leaves, RTP time goes on, and the next packet opens a talkspurt.
        ++m_stats.audioFramesMuted;
        m_talkspurtStart = true;
        return;
    }
    ++m_stats.audioFramesEncoded;
    const auto maxPayload =
        std::span(m_opusBuffer).first(m_opusBuffer.size() - wire::kRtpHeaderBytes);
    const int bytes = m_encoder->encode(m_frame, maxPayload);
    if (bytes < 0) {
        if (std::has_single_bit(++m_encoderFailures)) // logged at 1, 2, 4, 8...
            log(LogLevel::Warning,
                fmt::format("opus encoder failed on a frame ({} so far)", m_encoderFailures));
        ++m_stats.audioSendFailures;
        return;
    }
    if (bytes <= 2) {
        // DTX: the encoder says this frame is not worth sending (RFC 7587 section 3.1.3).
        ++m_stats.audioFramesDtx;
        m_talkspurtStart = true;
        return;
    }
    wire::RtpHeaderFields header;
    header.marker = m_talkspurtStart;
    header.payloadType = wire::kOpusPayloadType;
    header.sequence = m_rtpSequence;
    header.timestamp = frameTimestamp;
    header.ssrc = m_ssrc;
    header.extensions.transportSequence = 0; // numbered by m_transport on the way out
    auto packet =
        wire::writeRtp(header, maxPayload.first(static_cast<std::size_t>(bytes)), m_packetBuffer);
    if (packet.empty()) {
        ++m_stats.audioSendFailures;
        return;
    }
    ++m_rtpSequence; // per packet sent, so receivers see no false gaps during DTX
    m_talkspurtStart = false;
    if (m_transport.send(packet) == SendStatus::Sent) {
        ++m_stats.audioPacketsSent;
        m_stats.audioBytesSent += packet.size();
    } else {
        ++m_stats.audioSendFailures;
    }
}

void CallEngine::setParticipantGain(std::uint32_t participantId, float gain) {
    m_gains[participantId] = std::clamp(gain, 0.0F, kMaxGain);
}

void CallEngine::playout(std::int64_t tickUnixMs) {
    if (!m_stats.playoutStartUnixMs)
        m_stats.playoutStartUnixMs = tickUnixMs;
    ++m_stats.playoutBlocks;
    m_blocks.clear();
    m_mixInputs.clear();
    for (auto& [id, remote] : m_remotes) {
        PullResult result = PullResult::Silence;
        if (remote.jitter) {
            result = remote.jitter->pull(remote.block);
            // Also through DTX and mute: the sender's RTP time runs on, and so does P.
            if (const auto played = remote.jitter->playoutTimestamp())
                remote.sync.onAudioPlayed(*played, m_clock.now());
            if (result != PullResult::Silence) {
                remote.delaySumMs += remote.jitter->stats().currentDelayMs;
                ++remote.delayBlocks;
            }
        } else {
            remote.block.fill(0);
        }
        updateLevel(remote.levelDbfs, remote.block);
        if (auto gain = m_gains.find(id); gain != m_gains.end())
            applyGain(remote.block, gain->second);
        m_blocks.push_back(ParticipantAudioBlock{id, remote.name, remote.block, result});
        m_mixInputs.emplace_back(remote.block);
    }
    if (m_mixInputs.empty())
        m_mix.fill(0);
    else
        m_mixer.mix(m_mixInputs, m_mix);
    if (m_processor != nullptr)
        m_processor->analyzePlayout(m_mix);
    if (m_playback != nullptr)
        m_playback->playBlock(m_blocks, m_mix);
}

// ---------------------------------------------------------------------------------------------
// Session events

void CallEngine::onCreated(const CreatedConference& conference) {
    if (m_listener != nullptr)
        m_listener->onCreated(conference);
}

void CallEngine::onJoined(const JoinInfo& info) {
    if (m_listener != nullptr)
        m_listener->onJoined(info);
}

void CallEngine::onRosterChanged(const RosterChange& change) {
    if (!change.entry.isSelf) {
        if (change.op == wire::RosterOp::Upsert)
            upsertRemote(change.entry);
        else
            removeRemote(change.entry.participantId);
        rebuildSsrcMap();
    }
    if (m_listener != nullptr)
        m_listener->onRosterChanged(change);
}

void CallEngine::onError(const SessionError& error) {
    if (m_listener != nullptr)
        m_listener->onError(error);
}

void CallEngine::onConferenceFlagsChanged(std::uint32_t flags) {
    if (m_listener != nullptr)
        m_listener->onConferenceFlagsChanged(flags);
}

void CallEngine::onRequestRefused(const SessionError& error) {
    if (m_listener != nullptr)
        m_listener->onRequestRefused(error);
}

void CallEngine::onMutedByAdmin(bool muted, bool locked) {
    if (m_listener != nullptr)
        m_listener->onMutedByAdmin(muted, locked);
}

void CallEngine::onConnectionLost(std::string_view reason) {
    if (m_listener != nullptr)
        m_listener->onConnectionLost(reason);
}

void CallEngine::upsertRemote(const RosterEntry& entry) {
    Remote& remote = m_remotes[entry.participantId];
    remote.participantId = entry.participantId;
    remote.name = entry.name;
    std::optional<std::uint32_t> ssrc;
    std::optional<std::uint32_t> videoSsrc;
    for (const auto& stream : entry.streams) {
        if (stream.kind == wire::MediaKind::Audio && !ssrc)
            ssrc = stream.ssrc;
        if (stream.kind == wire::MediaKind::Video && !videoSsrc)
            videoSsrc = stream.ssrc; // one layer in this version: the first one
    }
    updateRemoteVideo(remote, videoSsrc);
    if (ssrc == remote.audioSsrc && (remote.jitter || !ssrc))
        return;
    // A new or changed audio stream gets a fresh jitter buffer (sequence and timestamp
    // spaces of different SSRCs are unrelated); the old one's counts are kept.
    if (remote.jitter)
        addCounts(remote.carried, remote.jitter->stats());
    remote.audioSsrc = ssrc;
    remote.jitter = ssrc ? std::make_unique<AudioJitterBuffer>(m_clock, m_config.jitter) : nullptr;
}

void CallEngine::updateRemoteVideo(Remote& remote, std::optional<std::uint32_t> videoSsrc) {
    const std::optional<std::uint32_t> current =
        remote.video ? std::optional(remote.video->remoteSsrc()) : std::nullopt;
    if (videoSsrc == current)
        return;
    if (remote.video) {
        if (!remote.videoCarried)
            remote.videoCarried = VideoReceiveStats{};
        accumulate(*remote.videoCarried, remote.video->stats());
        remote.video.reset();
    }
    if (!videoSsrc)
        return;
    // Feedback names our video SSRC if we send video, else our audio SSRC.
    const std::uint32_t local = m_videoSender ? m_videoSender->ssrc() : m_ssrc;
    auto receiver = VideoReceiver::create(m_clock, *videoSsrc, local);
    if (!receiver) {
        log(LogLevel::Warning,
            fmt::format("cannot receive video of {}: {}", remote.name, receiver.error().message));
        return;
    }
    remote.video = std::move(receiver.value());
}

void CallEngine::removeRemote(std::uint32_t participantId) {
    auto it = m_remotes.find(participantId);
    if (it == m_remotes.end())
        return;
    RemoteAudioStats gone = remoteStats(it->second);
    gone.present = false;
    m_departed.push_back(std::move(gone));
    m_remotes.erase(it);
}

void CallEngine::rebuildSsrcMap() {
    m_ssrcToParticipant.clear();
    for (const auto& [id, remote] : m_remotes) {
        // Our own SSRC is never mapped: the relay does not echo, and a remote that announced
        // the same SSRC (a 2^-32 collision) would be indistinguishable.
        if (remote.audioSsrc && *remote.audioSsrc != m_ssrc)
            m_ssrcToParticipant[*remote.audioSsrc] = id;
    }
    m_videoSsrcToParticipant.clear();
    for (const auto& [id, remote] : m_remotes) {
        if (remote.video && (!m_videoSender || !m_videoSender->hasSsrc(remote.video->remoteSsrc())))
            m_videoSsrcToParticipant[remote.video->remoteSsrc()] = id;
    }
}

// ---------------------------------------------------------------------------------------------
// Stats

RemoteAudioStats CallEngine::remoteStats(const Remote& remote) const {
    JitterBufferStats s = remote.carried;
    double jitterMs = 0;
    double targetMs = 0;
    double currentMs = 0;
    if (remote.jitter) {
        const auto now = remote.jitter->stats();
        addCounts(s, now);
        jitterMs = now.jitterMs;
        targetMs = now.targetDelayMs;
        currentMs = now.currentDelayMs;
    }
    RemoteAudioStats out;
    out.participantId = remote.participantId;
    out.name = remote.name;
    out.present = true;
    out.packetsReceived = s.packetsReceived;
    out.packetsLost = s.packetsLost;
    out.packetsLate = s.packetsLate;
    out.packetsDuplicate = s.packetsDuplicate;
    out.framesConcealed = s.framesConcealed;
    out.framesFecRecovered = s.framesFecRecovered;
    out.jitterMs = jitterMs;
    out.targetDelayMs = targetMs;
    out.jitterBufferDelayMs = remote.delayBlocks > 0
                                  ? remote.delaySumMs / static_cast<double>(remote.delayBlocks)
                                  : currentMs;
    out.levelDbfs = remote.levelDbfs;
    if (remote.video || remote.videoCarried) {
        VideoReceiveStats video = remote.videoCarried.value_or(VideoReceiveStats{});
        if (remote.video)
            accumulate(video, remote.video->stats());
        out.video = video;
    }
    return out;
}

CallStats CallEngine::stats() const {
    CallStats out = m_stats;
    out.relayRttMs = m_session.smoothedRttMs();
    out.relayRttLastMs = m_session.lastRttMs();
    if (m_videoSender)
        out.videoSent = m_videoSender->stats();
    out.uplink.estimate = m_transport.uplinkEstimate();
    out.uplink.audioBitrateBps =
        m_audioBitrateBps != 0 ? m_audioBitrateBps : m_config.audioBitrateBps;
    out.uplink.expectedLossPercent =
        m_expectedLossPercent != 0 ? m_expectedLossPercent : OpusEncoder::kDefaultLossPercent;
    if (m_videoSender)
        out.uplink.videoBitrateBps = m_videoSender->bitrateBps();
    out.uplink.transport = m_transport.stats();
    out.uplink.history = m_uplinkHistory;
    if (const auto& report = m_session.lastReceiveReport()) {
        out.downlink.estimateBps = report->downlinkBps;
        out.downlink.senders.assign(report->view().begin(), report->view().end());
    }
    out.downlink.reports = m_session.receiveReports();
    out.downlink.history = m_downlinkHistory;
    out.downlink.receivedHistory = m_receivedHistory;
    out.remotes = m_departed;
    for (const auto& [id, remote] : m_remotes)
        out.remotes.push_back(remoteStats(remote));
    std::stable_sort(out.remotes.begin(), out.remotes.end(),
                     [](const RemoteAudioStats& a, const RemoteAudioStats& b) {
                         return a.participantId < b.participantId;
                     });
    return out;
}

void CallEngine::log(LogLevel level, std::string_view text) {
    if (m_log != nullptr)
        m_log->log(LogCategory::Audio, level, text);
}

} // namespace diyuma::core
