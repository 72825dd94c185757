#include "diyuma/cli/StatsJson.h"

#include <nlohmann/json.hpp>

namespace diyuma::cli {

namespace {
nlohmann::json optionalNumber(const std::optional<double>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

/// One track may have several participant IDs (someone who left and came back): counts add
/// up, the momentary figures come from the latest one.
struct Aggregate {
    core::RemoteAudioStats sum;
    std::optional<core::VideoReceiveStats> video;
    std::vector<std::uint32_t> ids;
    bool any = false;
};
/// What the histories count from: sending's start, else the first downlink sample, else the
/// first uplink sample.
std::int64_t historyOrigin(const core::CallStats& stats) {
    if (stats.sendStartUnixMs)
        return *stats.sendStartUnixMs;
    if (!stats.downlink.history.empty())
        return stats.downlink.history.front().unixMs;
    return stats.uplink.history.empty() ? 0 : stats.uplink.history.front().unixMs;
}

/// [ms since `origin`, bit/s] per sample.
nlohmann::json historyJson(const std::vector<core::EstimateSample>& history, std::int64_t origin) {
    nlohmann::json out = nlohmann::json::array();
    for (const core::EstimateSample& sample : history)
        out.push_back({sample.unixMs - origin, sample.bitrateBps});
    return out;
}

/// [ms since the first video packet from them, width, height] for the first decoded size
/// and every change.
nlohmann::json sizesJson(const core::VideoReceiveStats& video) {
    nlohmann::json out = nlohmann::json::array();
    const std::int64_t origin =
        video.firstPacketUnixMs.value_or(video.sizes.empty() ? 0 : video.sizes.front().unixMs);
    for (const core::VideoSizeChange& size : video.sizes)
        out.push_back({size.unixMs - origin, size.width, size.height});
    return out;
}

} // namespace

std::string statsToJson(const core::CallStats& stats, const ParticipantLabels& labels,
                        const StatsContext& context) {
    nlohmann::json root = nlohmann::json::object();
    root["conference_id"] = context.conferenceId;
    root["participant_id"] = context.participantId;
    root["name"] = context.name;
    root["duration_s"] = context.durationSeconds;
    if (stats.sendStartUnixMs)
        root["send"]["start_unix_ms"] = *stats.sendStartUnixMs;
    if (stats.playoutStartUnixMs && context.includeRecordStart)
        root["record"]["start_unix_ms"] = *stats.playoutStartUnixMs;
    root["private_view"] = context.privateView;
    root["relay_rtt_ms"] = optionalNumber(stats.relayRttMs);
    root["relay_rtt_last_ms"] = optionalNumber(stats.relayRttLastMs);
    root["sent"] = {{"audio_packets", stats.audioPacketsSent},
                    {"audio_frames", stats.audioFramesEncoded},
                    {"audio_frames_dtx", stats.audioFramesDtx},
                    {"audio_frames_muted", stats.audioFramesMuted},
                    {"audio_sender_reports", stats.audioSenderReports},
                    {"audio_bytes", stats.audioBytesSent},
                    {"audio_send_failures", stats.audioSendFailures}};
    if (stats.videoSent) {
        const core::VideoSendStats& v = *stats.videoSent;
        root["sent"]["video_frames"] = v.framesEncoded;
        root["sent"]["video_key_frames"] = v.keyFrames;
        root["sent"]["video_packets"] = v.packetsSent;
        root["sent"]["video_bytes"] = v.bytesSent;
        root["sent"]["video_retransmissions"] = v.retransmissions;
        root["sent"]["video_nacks_received"] = v.nacksReceived;
        root["sent"]["video_plis_received"] = v.plisReceived;
        root["sent"]["video_encode_failures"] = v.encodeFailures;
        root["sent"]["video_encode_ms_per_frame"] =
            v.framesEncoded > 0 ? v.encodeMsTotal / static_cast<double>(v.framesEncoded) : 0.0;
        // Simulcast: each layer, lowest first (frames: pictures that layer encoded).
        nlohmann::json layers = nlohmann::json::array();
        for (const core::VideoLayerSendStats& l : v.layers)
            layers.push_back({{"ssrc", l.ssrc},
                              {"width", l.width},
                              {"height", l.height},
                              {"active", l.active},
                              {"bitrate_bps", l.bitrateBps},
                              {"frames", l.framesEncoded},
                              {"key_frames", l.keyFrames},
                              {"packets", l.packetsSent},
                              {"bytes", l.bytesSent},
                              {"retransmissions", l.retransmissions},
                              {"plis_received", l.plisReceived}});
        root["sent"]["video_layers"] = std::move(layers);
    }
    {
        const core::UplinkStats& u = stats.uplink;
        const core::cc::BandwidthEstimate& e = u.estimate;
        root["uplink"] = {
            {"estimate_bps", e.targetBps},
            {"delay_based_bps", e.delayBasedBps},
            {"loss_based_bps", e.lossBasedBps},
            {"acked_bps", e.ackedBps ? nlohmann::json(*e.ackedBps) : nlohmann::json()},
            {"loss_fraction", e.lossFraction},
            {"rtt_ms", static_cast<double>(e.rtt.count()) / 1000.0},
            {"queue_delay_ms", static_cast<double>(e.queueDelay.count()) / 1000.0},
            {"feedbacks", e.feedbacks},
            {"probes_sent", e.probesSent},
            {"probes_succeeded", e.probesSucceeded},
            {"audio_bitrate_bps", u.audioBitrateBps},
            {"audio_expected_loss_percent", u.expectedLossPercent},
            {"video_bitrate_bps",
             u.videoBitrateBps ? nlohmann::json(*u.videoBitrateBps) : nlohmann::json()},
            {"packets_numbered", u.transport.packetsNumbered},
            {"probe_packets_sent", u.transport.probePacketsSent},
            {"feedback_received", u.transport.feedbackReceived},
            {"feedback_malformed", u.transport.feedbackMalformed},
            // [ms since downlink.history_origin_unix_ms, estimate in bit/s], once a second
            {"history", historyJson(u.history, historyOrigin(stats))}};
    }
    {
        const core::DownlinkStats& d = stats.downlink;
        root["downlink"] = {
            {"estimate_bps", d.estimateBps ? nlohmann::json(*d.estimateBps) : nlohmann::json()},
            {"reports", d.reports},
            {"probe_packets_received", stats.probePacketsReceived},
            {"packets_numbered", stats.uplink.transport.downlinkPackets},
            {"feedback_sent", stats.uplink.transport.feedbackSent},
            // [ms since history_origin_unix_ms, the relay's estimate in bit/s], per report
            {"history", historyJson(d.history, historyOrigin(stats))},
            // [ms since history_origin_unix_ms, what arrived in the second before, bit/s]
            {"received_history", historyJson(d.receivedHistory, historyOrigin(stats))},
            // the origin of both (and of uplink.history): Unix ms
            {"history_origin_unix_ms", historyOrigin(stats)}};
    }
    root["received"] = {{"datagrams", stats.datagramsReceived},
                        {"rtp_malformed", stats.rtpMalformed},
                        {"rtp_unknown_ssrc", stats.rtpUnknownSsrc},
                        {"rtp_other_payload_type", stats.rtpOtherPayloadType},
                        {"rtcp", stats.rtcpReceived},
                        {"rtcp_malformed", stats.rtcpMalformed},
                        {"unknown", stats.unknownDatagrams}};

    std::vector<Aggregate> byTrack(labels.tracks().size());
    for (const auto& remote : stats.remotes) { // ordered by participant ID
        auto index = labels.find(remote.participantId);
        if (!index || *index >= byTrack.size())
            continue;
        Aggregate& a = byTrack[*index];
        a.ids.push_back(remote.participantId);
        if (remote.video) {
            if (!a.video)
                a.video = core::VideoReceiveStats{};
            core::accumulate(*a.video, *remote.video);
        }
        if (!a.any) {
            a.sum = remote;
            a.any = true;
            continue;
        }
        a.sum.packetsReceived += remote.packetsReceived;
        a.sum.packetsLost += remote.packetsLost;
        a.sum.packetsLate += remote.packetsLate;
        a.sum.packetsDuplicate += remote.packetsDuplicate;
        a.sum.framesConcealed += remote.framesConcealed;
        a.sum.framesFecRecovered += remote.framesFecRecovered;
        a.sum.jitterMs = remote.jitterMs;
        a.sum.jitterBufferDelayMs = remote.jitterBufferDelayMs;
        a.sum.targetDelayMs = remote.targetDelayMs;
    }
    nlohmann::json remotes = nlohmann::json::object();
    for (std::size_t i = 0; i < byTrack.size(); ++i) {
        const Aggregate& a = byTrack[i];
        if (!a.any)
            continue;
        nlohmann::json entry;
        entry["participant_ids"] = a.ids;
        if (i < context.trackFiles.size() && context.trackFiles[i])
            entry["file"] = *context.trackFiles[i];
        entry["audio"] = {{"packets_received", a.sum.packetsReceived},
                          {"packets_lost", a.sum.packetsLost},
                          {"packets_concealed", a.sum.framesConcealed},
                          {"packets_late", a.sum.packetsLate},
                          {"packets_duplicate", a.sum.packetsDuplicate},
                          {"frames_fec_recovered", a.sum.framesFecRecovered},
                          {"jitter_ms", a.sum.jitterMs},
                          {"jitter_buffer_delay_ms", a.sum.jitterBufferDelayMs},
                          {"target_delay_ms", a.sum.targetDelayMs}};
        if (i < context.videoFiles.size() && context.videoFiles[i])
            entry["video_file"] = *context.videoFiles[i];
        if (a.video) {
            const core::VideoReceiveStats& v = *a.video;
            entry["video"] = {
                {"frames_received", v.assembly.framesAssembled},
                {"frames_decoded", v.framesDecoded},
                {"key_frames", v.assembly.keyFrames},
                {"nacks", v.assembly.nacksSent},
                {"plis", v.assembly.keyFrameRequests},
                {"freezes", v.freezes},
                {"longest_freeze_ms", v.longestFreezeMs},
                {"av_sync_hold_ms", v.syncHoldMs},
                {"width", v.width},
                {"height", v.height},
                {"packets_received", v.assembly.packetsReceived},
                {"packets_recovered", v.assembly.packetsRecovered},
                {"packets_duplicate", v.assembly.packetsDuplicate},
                {"frames_dropped", v.assembly.framesDropped},
                {"decode_failures", v.decodeFailures},
                {"bytes_received", v.bytesReceived},
                {"rtp_bytes_received", v.rtpBytesReceived},
                {"receive_span_ms", v.receiveSpanMs},
                {"bitrate_bps", v.receivedBitrateBps()},
                {"start_unix_ms",
                 v.firstPacketUnixMs ? nlohmann::json(*v.firstPacketUnixMs) : nlohmann::json()},
                {"layer_switches", v.layerSwitches},
                {"sizes", sizesJson(v)},
                {"decode_ms_per_frame", v.framesDecoded > 0
                                            ? v.decodeMsTotal / static_cast<double>(v.framesDecoded)
                                            : 0.0}};
        }
        remotes[labels.tracks()[i].jsonKey] = std::move(entry);
    }
    root["remote"] = std::move(remotes);
    return root.dump(2) + "\n";
}

} // namespace diyuma::cli
