#pragma once
// The call engine: one ClientSession plus the audio pipeline, talking to the world only
// through small interfaces (PacketTransport out, onDatagram() in, AudioCaptureSource,
// AudioPlaybackSink, Clock). diyuma-cli drives it now; the desktop app drives the same object.
//
// Send path (processAudioBlock, every 10 ms):
//   capture 10 ms ─► accumulate 20 ms ─► OpusEncoder ─► RTP (PT 111, random SSRC, random
//   initial sequence and timestamp, timestamp += 960 per frame, marker on the first packet
//   of a talkspurt, i.e. the first one and the first after DTX) ─► PacketTransport
// Receive path:
//   onDatagram ─► classify (wire/Demux.h) ─► control: ClientSession
//                                         └► RTP: SSRC ─► participant (roster) ─►
//                                            that participant's AudioJitterBuffer
//   processAudioBlock: pull 10 ms from every remote participant's jitter buffer ─► Mixer ─►
//   AudioPlaybackSink (per-participant blocks and the mix)
//
// Video (processVideo, see there): picture ─► VideoSender (simulcast: up to three VP8 layers
// of one picture, each its own SSRC announced in the Join with its layer and height; only the
// layers in the relay's LayersWanted that the uplink carries; one pacer) ─► PacketTransport;
// RTP PT 96 by video SSRC ─► that participant's VideoReceiver ─► VideoFrameSink; RTCP
// NACK/PLI naming one of our video SSRCs ─► that layer of our VideoSender.
//
// There is no queue between stages: a captured block is encoded and sent in the same call,
// and a received packet goes straight into its jitter buffer, which alone decides the
// playout delay (latency matters: the target is <= 60 ms mouth to ear).
//
// Thread: single-threaded. One thread (the media thread) makes every call, including those
// into the capture source and playback sink; nothing here locks. A later issue puts
// PortAudio behind SPSC rings in front of AudioCaptureSource/AudioPlaybackSink.

#include "diyuma/audio/AudioFormat.h"
#include "diyuma/audio/AudioJitterBuffer.h"
#include "diyuma/audio/Mixer.h"
#include "diyuma/audio/OpusEncoder.h"
#include "diyuma/net/PacketTransport.h"
#include "diyuma/session/AudioDevice.h"
#include "diyuma/session/CallStats.h"
#include "diyuma/session/ClientSession.h"
#include "diyuma/session/ClientSessionListener.h"
#include "diyuma/session/TransportCongestionControl.h"
#include "diyuma/session/VideoDevice.h"
#include "diyuma/util/Clock.h"
#include "diyuma/util/Log.h"
#include "diyuma/util/Result.h"
#include "diyuma/video/LipSync.h"
#include "diyuma/video/VideoReceiver.h"
#include "diyuma/video/VideoSender.h"
#include "diyuma/wire/RtcpFeedback.h"

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace diyuma::core {

struct CallEngineConfig {
    std::string name;            ///< our display name (1..64 bytes UTF-8)
    int audioBitrateBps = 32000; ///< Opus target bitrate
    JitterBufferConfig jitter;   ///< per remote participant
    SessionTiming session;       ///< retransmission and timeout timing
    /// Send video with this encoder configuration (from a VideoSource set before join()).
    /// Its bitrate is the most the video gets; the uplink estimate may give it less.
    std::optional<Vp8EncoderConfig> sendVideo;
    /// Temporal layers of the video we send (Vp8EncoderConfig::temporalLayers): with 3 the
    /// relay can halve or quarter the frame rate for a receiver without a key frame.
    int temporalLayers = 3;
    /// Simulcast layers of the video we send, at most (1..3; simulcastLayersFor: each half
    /// the size of the one above, down to about 180 lines): 1280x720 goes as 720p, 360p and
    /// 180p. Encoded are only those the relay says anyone receives (LayersWanted) and the
    /// uplink carries. 1: one stream.
    int simulcastLayers = 3;
    /// The uplink bandwidth estimator (transport-wide congestion control with the relay).
    cc::BandwidthEstimatorConfig uplink;
};

class CallEngine final : private ClientSessionListener {
public:
    /// Builds the engine (fails only if the Opus encoder cannot be created or the bitrate is
    /// out of range). `capture` null: we send no audio and announce no stream. `playback`
    /// null: playout is still pulled (for stats) and dropped. `listener` (may be null)
    /// receives the session's notifications after the engine has handled them. Every
    /// reference and pointer must outlive the engine.
    [[nodiscard]] static Result<std::unique_ptr<CallEngine>>
    create(const Clock& clock, PacketTransport& transport, AudioCaptureSource* capture,
           AudioPlaybackSink* playback, ClientSessionListener* listener, CallEngineConfig config,
           LogSink* log = nullptr);

    ~CallEngine() override;
    CallEngine(const CallEngine&) = delete;
    CallEngine& operator=(const CallEngine&) = delete;

    /// Starts joining (Hello, Cookie, Join with admin proof when adminSecret is set).
    /// Errors at once only for invalid parameters; relay errors come through the listener.
    [[nodiscard]] Status join(std::uint64_t conferenceId,
                              std::optional<wire::AdminSecret> adminSecret = std::nullopt);
    /// Sends Leave (if joined) and stops sending media. Idempotent.
    void leave();

    /// One datagram received from the relay (the bytes are only read during the call).
    void onDatagram(std::span<const std::uint8_t> datagram);
    /// Session timers (retransmission, keepalive, connection lost). Call every ~10 ms.
    void tick();
    /// One 10 ms audio tick, to be called every 10 ms on the playout clock once joined
    /// (before that it does nothing): takes one block from the capture source and sends
    /// what it completes, then pulls 10 ms of every remote participant and plays it.
    void processAudioBlock();

    /// Video, to be called often (every loop iteration, at least every 10 ms) once joined:
    /// takes the next picture from the video source when one is due (at the configured frame
    /// rate) and encodes it, sends what the pacer allows, decodes what arrived (handing it to
    /// the video sink) and sends video feedback (NACK, PLI).
    void processVideo();
    /// When processVideo() next has something to do on the send side (TimePoint::max() if
    /// nothing is scheduled); the receive side runs on packets and on the audio tick.
    [[nodiscard]] Clock::TimePoint nextVideoAt() const;
    /// The picture source (needs CallEngineConfig::sendVideo) and the sink for received
    /// pictures; null to stop. Either must outlive the engine or be reset first.
    void setVideoSource(VideoSource* source) { m_videoSource = source; }
    void setVideoSink(VideoFrameSink* sink) { m_videoSink = sink; }

    /// Changes the Opus bitrate; false if the encoder refused it.
    bool setAudioBitrate(int bitrateBps);
    /// Microphone off: captured audio is still read (and its level measured) but nothing is
    /// sent, and the relay is told so that everyone sees us muted. Any time, also before join.
    /// False (nothing changes) for an unmute while the admin does not allow it.
    bool setMuted(bool muted) { return m_session.setMuted(muted); }
    [[nodiscard]] bool muted() const { return m_session.muted(); }
    /// Admins: private view on or off, remove or mute a participant (ClientSession).
    void setPrivateView(bool enabled) { m_session.setPrivateView(enabled); }
    void removeParticipant(std::uint32_t participantId) {
        m_session.removeParticipant(participantId);
    }
    void muteParticipant(std::uint32_t participantId, wire::AdminMute mode) {
        m_session.muteParticipant(participantId, mode);
    }
    /// The largest picture height wanted from each sender (ClientSession::
    /// setVideoSubscription): any time, also before join; none set means no limit.
    void setVideoSubscription(VideoSubscription subscription) {
        m_session.setVideoSubscription(std::move(subscription));
    }
    /// Our own video is sent at most `height` lines tall (VideoSender::setMaxSendHeight; the
    /// app's data saver): any time during the call; layers made at the start only.
    void setMaxSendHeight(int height) {
        if (m_videoSender)
            m_videoSender->setMaxSendHeight(height);
    }
    /// Playout gain for one remote participant, clamped to 0..4 (kept for one who has not
    /// joined yet, so it applies when they come).
    void setParticipantGain(std::uint32_t participantId, float gain);
    /// Echo cancellation etc. on the captured audio (null: none). Must outlive the engine.
    void setAudioProcessor(AudioProcessor* processor) { m_processor = processor; }

    [[nodiscard]] const ClientSession& session() const { return m_session; }
    [[nodiscard]] bool joined() const { return m_session.joined(); }
    /// Our audio SSRC (chosen at random when the engine is built).
    [[nodiscard]] std::uint32_t audioSsrc() const { return m_ssrc; }
    /// A snapshot of everything counted so far.
    [[nodiscard]] CallStats stats() const;

private:
    struct Remote {
        std::uint32_t participantId = 0;
        std::string name;
        std::optional<std::uint32_t> audioSsrc;
        std::unique_ptr<AudioJitterBuffer> jitter;
        JitterBufferStats carried; ///< counts of jitter buffers replaced after an SSRC change
        std::array<std::int16_t, kBlockSamples> block{};
        double delaySumMs = 0;
        std::uint64_t delayBlocks = 0;
        float levelDbfs = -100.0F;
        std::unique_ptr<VideoReceiver> video;
        std::optional<VideoReceiveStats> videoCarried; ///< of a replaced video stream
        LipSync sync; ///< their audio and video, from their sender reports
    };

    CallEngine(const Clock& clock, PacketTransport& transport, AudioCaptureSource* capture,
               AudioPlaybackSink* playback, ClientSessionListener* listener,
               CallEngineConfig config, LogSink* log, OpusEncoder encoder,
               std::unique_ptr<VideoSender> videoSender);

    // ClientSessionListener (the engine listens to its own session, then forwards).
    void onCreated(const CreatedConference& conference) override;
    void onJoined(const JoinInfo& info) override;
    void onRosterChanged(const RosterChange& change) override;
    void onError(const SessionError& error) override;
    void onConnectionLost(std::string_view reason) override;
    void onConferenceFlagsChanged(std::uint32_t flags) override;
    void onRequestRefused(const SessionError& error) override;
    void onMutedByAdmin(bool muted, bool locked) override;

    void handleRtp(std::span<const std::uint8_t> datagram);
    void handleRtcp(std::span<const std::uint8_t> datagram);
    void updateRemoteVideo(Remote& remote, std::optional<std::uint32_t> videoSsrc);
    void captureAndSend(std::int64_t tickUnixMs);
    void encodeAndSendFrame();
    void playout(std::int64_t tickUnixMs);
    void upsertRemote(const RosterEntry& entry);
    void removeRemote(std::uint32_t participantId);
    void rebuildSsrcMap();
    [[nodiscard]] RemoteAudioStats remoteStats(const Remote& remote) const;
    void log(LogLevel level, std::string_view text);

    const Clock& m_clock;
    /// Every datagram leaves through it: it numbers RTP for the uplink estimate.
    TransportCongestionControl m_transport;
    AudioCaptureSource* m_capture;
    AudioPlaybackSink* m_playback;
    ClientSessionListener* m_listener;
    CallEngineConfig m_config;
    LogSink* m_log;
    ClientSession m_session;
    AudioProcessor* m_processor = nullptr;
    std::unordered_map<std::uint32_t, float> m_gains; ///< by participant ID; absent = 1

    // Send path.
    std::optional<OpusEncoder> m_encoder;
    std::uint32_t m_ssrc = 0;
    std::uint16_t m_rtpSequence = 0;
    std::uint32_t m_rtpTimestamp = 0;
    bool m_talkspurtStart = true; ///< next packet opens a talkspurt (marker bit)
    std::uint64_t m_encoderFailures = 0;
    std::array<std::int16_t, kFrameSamples> m_frame{};
    std::size_t m_frameFill = 0;
    std::array<std::uint8_t, wire::kMaxDatagramBytes> m_opusBuffer{};
    std::array<std::uint8_t, wire::kMaxDatagramBytes> m_packetBuffer{};
    /// Audio sender reports (lip sync at the receivers): the RTP timestamp and capture time
    /// of the latest frame encoded, and when the next report is due.
    std::uint32_t m_reportRtp = 0;
    std::int64_t m_reportCaptureUnixMs = 0;
    std::optional<Clock::TimePoint> m_nextAudioReportAt;
    void sendAudioReportIfDue(Clock::TimePoint now);
    /// Audio first, the rest of the uplink estimate to video (every kAdaptInterval).
    void adaptToUplink(Clock::TimePoint now);
    std::optional<Clock::TimePoint> m_nextAdaptAt;
    int m_audioBitrateBps = 0;     ///< what adaptToUplink set (0: the configured one)
    int m_expectedLossPercent = 0; ///< what adaptToUplink told Opus (0: its default)
    std::optional<Clock::TimePoint> m_nextHistoryAt;
    std::vector<EstimateSample> m_uplinkHistory;
    std::uint64_t m_receiveReportsSeen = 0;
    std::vector<EstimateSample> m_downlinkHistory;
    /// What arrived from the relay (UDP payload bytes), measured once a second.
    std::uint64_t m_bytesReceivedInSecond = 0;
    std::optional<Clock::TimePoint> m_receivedSecondStart;
    std::vector<EstimateSample> m_receivedHistory;
    void onSenderReport(const wire::SenderReport& report);

    // Video.
    std::unique_ptr<VideoSender> m_videoSender;
    VideoSource* m_videoSource = nullptr;
    VideoFrameSink* m_videoSink = nullptr;
    VideoFrame m_capturedPicture;
    std::optional<Clock::TimePoint> m_nextVideoFrameAt;

    // Receive path.
    std::map<std::uint32_t, Remote> m_remotes; ///< by participant ID, ordered for playout
    std::unordered_map<std::uint32_t, std::uint32_t> m_ssrcToParticipant; ///< audio
    std::unordered_map<std::uint32_t, std::uint32_t> m_videoSsrcToParticipant;
    std::vector<RemoteAudioStats> m_departed;
    Mixer m_mixer;
    std::vector<ParticipantAudioBlock> m_blocks;
    std::vector<std::span<const std::int16_t>> m_mixInputs;
    std::array<std::int16_t, kBlockSamples> m_mix{};

    CallStats m_stats; ///< counters only; the rest is filled by stats()
};

} // namespace diyuma::core
