#pragma once
// The stats JSON diyuma-cli writes at the end of a join (--stats-json):
//
// {
//   "conference_id": "XXXX-XXXX-XXXX", "participant_id": 7, "name": "Alice",
//   "send":   { "start_unix_ms": ... },          // when something was captured and sent
//   "record": { "start_unix_ms": ... },          // sample 0 of every recording (playout start)
//   "private_view": false,                       // the conference's state at the end
//   "relay_rtt_ms": 0.21, "relay_rtt_last_ms": 0.19,   // null before the first Pong
//   "sent": { "audio_packets": ..., "audio_frames": ..., "audio_frames_dtx": ...,
//             "audio_bytes": ... },
//   "received": { "datagrams": ..., "rtp_unknown_ssrc": ..., ... },
//   "remote": { "<display name>": { "participant_ids": [..], "file": "Bob.wav",
//               "audio": { "packets_received", "packets_lost", "packets_concealed",
//                          "packets_late", "packets_duplicate", "frames_fec_recovered",
//                          "jitter_ms", "jitter_buffer_delay_ms", "target_delay_ms" },
//               "video_file": "Bob.ivf",
//               "video": { "frames_received", "frames_decoded", "key_frames", "nacks", "plis",
//                          "freezes", "longest_freeze_ms", "width", "height", "bitrate_bps",
//                          "layer_switches", "sizes", ... } } }
// }
// With --send-video, "sent" also has "video_frames", "video_key_frames", "video_packets",
// "video_bytes", "video_retransmissions", "video_nacks_received", "video_plis_received"
// (totals over the simulcast layers; video_frames counts pictures encoded by any layer) and
// "video_layers": [ { "ssrc", "width", "height", "active", "bitrate_bps", "frames",
// "key_frames", "packets", "bytes", "retransmissions", "plis_received" } ], lowest first.
//
// send.start_unix_ms and record.start_unix_ms come from the same Clock in the same engine
// tick, so (record position / 48000 + record.start) - send.start is mouth-to-ear delay.
// "packets_concealed" counts 20 ms frames made up by loss concealment.
// remote.<name>.video (counts of a replaced stream or an earlier participant ID added up):
//   width, height       the last decoded picture's size
//   frames_decoded      pictures decoded (and shown)
//   freezes             gaps between shown pictures over 3 frame intervals and >= 200 ms;
//   longest_freeze_ms   the longest such gap
//   bytes_received      RTP payload bytes; rtp_bytes_received: whole RTP packets (header,
//                       extensions, payload; no UDP/IP), retransmissions included
//   start_unix_ms       when the first video packet from them arrived (null: none)
//   receive_span_ms     time from the first to the last video packet
//   bitrate_bps         rtp_bytes_received * 8 / receive_span_ms in seconds (0 if no span)
//   layer_switches      how often the decoded picture size changed from one picture to the
//                       next (a simulcast layer switch, as a receiver sees it)
//   sizes               [[ms since start_unix_ms, width, height], ...]: the first decoded
//                       size and each change, at most 64 entries (the first ones)
// Thread: any (pure).

#include "diyuma/cli/ParticipantLabels.h"
#include "diyuma/session/CallStats.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace diyuma::cli {

struct StatsContext {
    std::string conferenceId;
    std::uint32_t participantId = 0;
    std::string name;
    double durationSeconds = 0; ///< from joining to leaving
    bool includeRecordStart = true;
    bool privateView = false; ///< the conference's private view at the end
    std::vector<std::optional<std::string>> trackFiles; ///< by track index: file name, if any
    std::vector<std::optional<std::string>> videoFiles; ///< by track index: .ivf name, if any
};

/// Serializes the stats (pretty-printed, with a trailing newline).
[[nodiscard]] std::string statsToJson(const core::CallStats& stats, const ParticipantLabels& labels,
                                      const StatsContext& context);

} // namespace diyuma::cli
