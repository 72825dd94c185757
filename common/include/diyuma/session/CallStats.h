#pragma once
// A snapshot of a call's statistics (CallEngine::stats()). Plain values, copyable, so the app
// can publish it as a latest-value snapshot for a GUI timer.

#include "diyuma/session/TransportCongestionControl.h"
#include "diyuma/video/VideoReceiver.h"
#include "diyuma/video/VideoSender.h"
#include "diyuma/wire/Control.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace diyuma::core {

/// Receive statistics of one remote participant's audio.
struct RemoteAudioStats {
    std::uint32_t participantId = 0;
    std::string name;
    bool present = true;               ///< false once the participant left (final figures)
    std::uint64_t packetsReceived = 0; ///< accepted by the jitter buffer (no duplicates)
    std::uint64_t packetsLost = 0;
    std::uint64_t packetsLate = 0;
    std::uint64_t packetsDuplicate = 0;
    std::uint64_t framesConcealed = 0; ///< 20 ms frames made up by packet-loss concealment
    std::uint64_t framesFecRecovered = 0;
    double jitterMs = 0;            ///< RFC 3550 interarrival jitter
    double jitterBufferDelayMs = 0; ///< mean buffered audio over the blocks played
    double targetDelayMs = 0;       ///< the jitter buffer's current target
    float levelDbfs = -100.0F;      ///< playout level now (peak-hold of 10 ms RMS, in dBFS)
    /// Their video, if they sent any (counts of a replaced stream included).
    std::optional<VideoReceiveStats> video;
};

/// One point of an estimate over time.
struct EstimateSample {
    std::int64_t unixMs = 0;
    int bitrateBps = 0;
};

/// Our uplink to the relay: the estimator's view and what the encoders were given.
struct UplinkStats {
    cc::BandwidthEstimate estimate;
    int audioBitrateBps = 0;
    int expectedLossPercent = 0; ///< what Opus was told (its FEC amount)
    std::optional<int> videoBitrateBps;
    TransportCcStats transport;
    std::vector<EstimateSample> history; ///< the target, once a second
};

/// Our downlink from the relay, as the relay estimates it (ReceiveReport, about once a second).
struct DownlinkStats {
    std::optional<std::uint32_t> estimateBps;
    std::uint64_t reports = 0;
    /// Per sender, what we get of their video, as the latest report says (PROTOCOL.md 4.17:
    /// Forwarding with the simulcast and temporal layer, PausedBandwidth, PrivateView,
    /// NotSubscribed, NoVideo); empty before the first report.
    std::vector<wire::ReceiveEntry> senders;
    std::vector<EstimateSample> history; ///< one sample per report
    /// What arrived from the relay (all datagrams, UDP payload), in bit/s, once a second.
    std::vector<EstimateSample> receivedHistory;
};

struct CallStats {
    /// Wall-clock time (Clock::unixMs) of the tick that took the first captured block, i.e.
    /// when sample 0 of the sent audio was captured. Unset until something was captured.
    std::optional<std::int64_t> sendStartUnixMs;
    /// Wall-clock time of the tick that produced the first playout block: sample 0 of
    /// everything handed to the AudioPlaybackSink. Unset until the first block.
    std::optional<std::int64_t> playoutStartUnixMs;
    std::optional<double> relayRttMs;     ///< smoothed
    std::optional<double> relayRttLastMs; ///< latest sample

    std::uint64_t audioBlocksCaptured = 0;
    std::uint64_t audioFramesEncoded = 0;
    std::uint64_t audioFramesDtx = 0; ///< encoded as "nothing to send" (not sent)
    std::uint64_t audioPacketsSent = 0;
    std::uint64_t audioBytesSent = 0;     ///< RTP bytes including the header
    std::uint64_t audioSendFailures = 0;  ///< encoder errors and transport drops
    std::uint64_t audioSenderReports = 0; ///< RTCP SRs of our audio (lip sync at the others)
    std::uint64_t playoutBlocks = 0;
    std::uint64_t audioFramesMuted = 0;      ///< 20 ms frames not sent because the mic was off
    float captureLevelDbfs = -100.0F;        ///< our microphone now (after processing, before mute)
    std::optional<VideoSendStats> videoSent; ///< set when we send video
    UplinkStats uplink;
    DownlinkStats downlink;

    std::uint64_t datagramsReceived = 0;
    std::uint64_t rtpMalformed = 0;
    std::uint64_t rtpUnknownSsrc = 0; ///< SSRC not in the roster (or our own)
    std::uint64_t rtpOtherPayloadType = 0;
    std::uint64_t probePacketsReceived = 0; ///< the relay probing our downlink (PT 127)
    std::uint64_t rtcpReceived = 0;         ///< RTCP datagrams (video feedback, sender reports)
    std::uint64_t rtcpMalformed = 0;
    std::uint64_t unknownDatagrams = 0; ///< first byte matches no protocol

    /// Everyone heard during the call, present or departed, ordered by participant ID.
    std::vector<RemoteAudioStats> remotes;
};

} // namespace diyuma::core
