#include "diyuma/relay/RelayStats.h"

#include <nlohmann/json.hpp>
#include <numeric>

namespace diyuma::relay {

std::string_view toString(DropReason reason) {
    switch (reason) {
    case DropReason::NotJoined:
        return "not_joined";
    case DropReason::MalformedControl:
        return "malformed_control";
    case DropReason::MalformedRtp:
        return "malformed_rtp";
    case DropReason::MalformedRtcp:
        return "malformed_rtcp";
    case DropReason::UnknownKind:
        return "unknown_kind";
    case DropReason::TooLarge:
        return "too_large";
    case DropReason::HelloTooShort:
        return "hello_too_short";
    case DropReason::BadCookie:
        return "bad_cookie";
    case DropReason::RateLimitedHello:
        return "rate_limited_hello";
    case DropReason::RateLimitedRequest:
        return "rate_limited_request";
    case DropReason::UnknownConference:
        return "unknown_conference";
    case DropReason::ConferenceFull:
        return "conference_full";
    case DropReason::BadProof:
        return "bad_proof";
    case DropReason::TooManyConferences:
        return "too_many_conferences";
    case DropReason::UnexpectedControl:
        return "unexpected_control";
    case DropReason::InvalidAddress:
        return "invalid_address";
    case DropReason::RateLimitedMedia:
        return "rate_limited_media";
    case DropReason::RateLimitedControl:
        return "rate_limited_control";
    case DropReason::UnannouncedSsrc:
        return "unannounced_ssrc";
    case DropReason::FeedbackUnroutable:
        return "feedback_unroutable";
    case DropReason::DuplicateSsrc:
        return "duplicate_ssrc";
    case DropReason::RtcpTooManyPackets:
        return "rtcp_too_many_packets";
    case DropReason::Banned:
        return "banned";
    case DropReason::AdminMuted:
        return "admin_muted";
    }
    return "unknown";
}

std::uint64_t RelayStats::droppedTotal() const {
    return std::accumulate(dropped.begin(), dropped.end(), std::uint64_t{0});
}

std::string statsToJson(const RelayStats& s, const UdpServerStats* io) {
    using json = nlohmann::ordered_json;
    json errors = json::object();
    for (std::size_t i = 0; i < kErrorCodeSlots; ++i) {
        if (s.errorsSentByCode[i] != 0)
            errors[std::string(wire::toString(static_cast<wire::ErrorCode>(i)))] =
                s.errorsSentByCode[i];
    }
    json dropped = json::object();
    dropped["total"] = s.droppedTotal();
    for (std::size_t i = 0; i < kDropReasonCount; ++i)
        dropped[std::string(toString(static_cast<DropReason>(i)))] = s.dropped[i];
    json malformed = json::object();
    for (std::size_t i = 1; i < wire::kParseErrorCount; ++i)
        malformed[std::string(wire::toString(static_cast<wire::ParseError>(i)))] =
            s.malformedControl[i];
    dropped["malformed_control_by_error"] = std::move(malformed);

    json out = {
        {"received",
         {{"datagrams", s.datagramsReceived},
          {"bytes", s.bytesReceived},
          {"control", s.controlReceived},
          {"rtp", s.rtpReceived},
          {"rtcp", s.rtcpReceived}}},
        {"forwarded",
         {{"rtp", s.rtpForwarded},
          {"rtcp", s.rtcpForwarded},
          {"packets", s.forwardedPackets},
          {"bytes", s.forwardedBytes}}},
        {"video",
         {{"withheld_private_view", s.videoWithheld},
          {"not_subscribed", s.videoNotSubscribed},
          {"layer_dropped", s.videoLayerDropped},
          {"stream_switches", s.videoStreamSwitches},
          {"nacks_untranslatable", s.nacksUntranslatable},
          {"nacks_of_left_stream", s.nacksOfLeftStream},
          {"streams_off_at_sender", s.videoStreamsOffAtSender},
          {"nacks_received", s.nacksReceived},
          {"retransmissions_sent", s.retransmissionsSent},
          {"retransmissions_limited", s.retransmissionsLimited},
          {"nacks_forwarded", s.nacksForwarded},
          {"plis_forwarded", s.plisForwarded},
          {"plis_coalesced", s.plisCoalesced},
          {"key_frames_requested", s.keyFramesRequested}}},
        {"congestion",
         {{"transport_feedback_sent", s.transportFeedbackSent},
          {"transport_feedback_received", s.transportFeedbackReceived},
          {"probes_received", s.probesReceived},
          {"probes_sent", s.probesSent},
          {"receive_reports_sent", s.receiveReportsSent},
          {"layers_wanted_sent", s.layersWantedSent},
          {"layers_available_received", s.layersAvailableReceived}}},
        {"sent",
         {{"cookie", s.cookiesSent},
          {"created", s.createdSent},
          {"joined", s.joinedSent},
          {"roster", s.rosterSent},
          {"roster_resent", s.rosterResent},
          {"pong", s.pongsSent},
          {"error", s.errorsSent},
          {"errors", std::move(errors)},
          {"control_bytes", s.controlBytesSent}}},
        {"dropped", std::move(dropped)},
        {"events",
         {{"conferences_created", s.conferencesCreated},
          {"create_replays", s.createReplays},
          {"conferences_expired_empty", s.conferencesExpiredEmpty},
          {"conferences_expired_unused", s.conferencesExpiredUnused},
          {"participants_joined", s.participantsJoined},
          {"join_replays", s.joinReplays},
          {"participants_left", s.participantsLeft},
          {"participants_timed_out", s.participantsTimedOut},
          {"participants_roster_overflow", s.participantsRosterOverflow},
          {"participants_moved", s.participantsMoved},
          {"state_saves", s.stateSaves},
          {"state_save_failures", s.stateSaveFailures}}},
        {"conferences", s.conferences},
        {"participants", s.participants},
    };
    if (io != nullptr) {
        out["io"] = {
            {"recv_calls", io->recvCalls},
            {"datagrams_received", io->datagramsReceived},
            {"truncated_receives", io->truncatedReceives},
            {"send_calls", io->sendCalls},
            {"datagrams_sent", io->datagramsSent},
            {"send_would_block", io->sendWouldBlock},
            {"send_errors", io->sendErrors},
            {"timer_ticks", io->timerTicks},
            {"largest_send_batch", io->largestSendBatch},
            {"largest_recv_batch", io->largestRecvBatch},
        };
    }
    return out.dump();
}

} // namespace diyuma::relay
