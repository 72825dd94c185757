#pragma once
// diyuma-cli's command line (CLI11), parsed and validated into plain option structs:
//
//   diyuma-cli create --relay HOST:PORT [--private-view]
//   diyuma-cli join LINK_OR_ID [--relay HOST:PORT] --name NAME
//              [--send-audio FILE | --send-audio tone:FREQ] [--record-audio DIR]
//              [--duration SECONDS] [--stats-json FILE] [--bitrate BPS]
//              [--send-video pattern | --send-video FILE.y4m] [--video-size WxH]
//              [--video-fps N] [--video-bitrate BPS] [--record-video DIR]
//              [--set-private-view on@SECONDS | off@SECONDS ...]   (admin links only)
//              [--admin mute|mute-locked|allow-unmute|remove:NAME@SECONDS ...]  (admin links)
//
// Everything that can be checked without the network or files is checked here, so bad
// arguments fail at once with one line.
// Thread: any (pure).

#include "diyuma/id/InviteLink.h"

#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace diyuma::cli {

/// What to send in a join.
struct AudioInput {
    enum class Kind { None, Tone, File };
    Kind kind = Kind::None;
    double toneHz = 0; ///< Kind::Tone: a sine at toneLevelDbfs
    std::string path;  ///< Kind::File: any file readAudioFileAs48kMono reads
};
inline constexpr double kToneLevelDbfs = -12.0;

/// What video to send in a join.
struct VideoInput {
    enum class Kind { None, Pattern, Y4m };
    Kind kind = Kind::None;
    std::string path; ///< Kind::Y4m
    int width = 640;  ///< Kind::Pattern (a Y4M file has its own size)
    int height = 360;
    int frameRate = 30;
    int bitrateBps = 0; ///< 0: chosen from the picture size
};
inline constexpr int kDefaultBitrateBps = 32000;

struct CreateOptions {
    core::RelayAddress relay;
    bool privateView = false;
    bool verbose = false;
};

/// An admin action on a participant (found by display name when it is due).
struct AdminAction {
    enum class Kind { Mute, MuteLocked, AllowUnmute, Remove };
    Kind kind = Kind::Mute;
    std::string name;
    double seconds = 0; ///< after joining
};

struct JoinOptions {
    core::Invite invite; ///< relay, ID and, from an admin link, the admin secret
    std::string name;
    AudioInput sendAudio;
    VideoInput sendVideo;
    std::optional<std::filesystem::path> recordDir;
    std::optional<std::filesystem::path> recordVideoDir;
    /// Private view switches (admins): on or off at this many seconds after joining, in
    /// the order given.
    std::vector<std::pair<bool, double>> privateViewChanges;
    /// Admin actions, in the order given (each at its time after joining).
    std::vector<AdminAction> adminActions;
    std::optional<double> durationSeconds; ///< unset: until SIGINT/SIGTERM
    std::optional<std::filesystem::path> statsJson;
    /// --max-receive-height: the largest picture height wanted from every sender (0: no
    /// video); unset: no limit, and no Subscribe is sent.
    std::optional<std::uint16_t> maxReceiveHeight;
    int bitrateBps = kDefaultBitrateBps;
    bool verbose = false;
};

/// Help output or an argument error: print and exit with exitCode.
struct EarlyExit {
    int exitCode = 0;
    std::string out; ///< for stdout (help)
    std::string err; ///< for stderr: one line "diyuma-cli: error: ..." (with '\n')
};

using ParsedCommandLine = std::variant<CreateOptions, JoinOptions, EarlyExit>;

/// Exit code for bad arguments.
inline constexpr int kUsageExitCode = 2;

/// Parses the arguments after the program name.
[[nodiscard]] ParsedCommandLine parseCommandLine(const std::vector<std::string>& args);

/// Parses "WxH" (each 16..kMaxVideoWidth/Height, even).
[[nodiscard]] bool parseVideoSize(const std::string& text, int& width, int& height,
                                  std::string& error);

/// Parses a picture height for --max-receive-height: a whole number 0..65535.
[[nodiscard]] std::optional<std::uint16_t> parseMaxHeight(const std::string& text,
                                                          std::string& error);

/// Parses "tone:FREQ" or a file name.
[[nodiscard]] std::optional<AudioInput> parseAudioInput(const std::string& text,
                                                        std::string& error);

} // namespace diyuma::cli
