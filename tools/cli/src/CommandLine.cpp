#include "diyuma/cli/CommandLine.h"

#include "diyuma/video/VideoFrame.h"
#include "diyuma/wire/Limits.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

namespace diyuma::cli {

namespace {
constexpr int kMinBitrateBps = 6000;
constexpr int kMaxBitrateBps = 510000;
constexpr double kMaxDurationSeconds = 366.0 * 24 * 3600;

EarlyExit usageError(std::string_view message) {
    // CLI11 messages can span lines; we promise one.
    std::string line(message);
    std::replace(line.begin(), line.end(), '\n', ' ');
    return EarlyExit{
        kUsageExitCode, {}, fmt::format("diyuma-cli: error: {} (see diyuma-cli --help)\n", line)};
}

std::optional<double> parseNumber(std::string_view text) {
    double value = 0;
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || !std::isfinite(value))
        return std::nullopt;
    return value;
}
} // namespace

std::optional<AudioInput> parseAudioInput(const std::string& text, std::string& error) {
    AudioInput input;
    constexpr std::string_view kTone = "tone:";
    if (text.rfind(kTone, 0) == 0) {
        auto hz = parseNumber(std::string_view(text).substr(kTone.size()));
        if (!hz || *hz <= 0 || *hz >= 24000) {
            error = fmt::format("--send-audio {}: the tone frequency must be a number of Hz "
                                "between 0 and 24000",
                                text);
            return std::nullopt;
        }
        input.kind = AudioInput::Kind::Tone;
        input.toneHz = *hz;
        return input;
    }
    if (text.empty()) {
        error = "--send-audio needs a file name or tone:FREQ";
        return std::nullopt;
    }
    input.kind = AudioInput::Kind::File;
    input.path = text;
    return input;
}

bool parseVideoSize(const std::string& text, int& width, int& height, std::string& error) {
    const std::size_t x = text.find_first_of("xX");
    auto w =
        x == std::string::npos ? std::nullopt : parseNumber(std::string_view(text).substr(0, x));
    auto h =
        x == std::string::npos ? std::nullopt : parseNumber(std::string_view(text).substr(x + 1));
    const auto valid = [](std::optional<double> v, int max) {
        return v && *v >= 16 && *v <= max && std::floor(*v) == *v && static_cast<int>(*v) % 2 == 0;
    };
    if (!valid(w, core::kMaxVideoWidth) || !valid(h, core::kMaxVideoHeight)) {
        error = fmt::format("--video-size {}: want WIDTHxHEIGHT, even numbers from 16x16 to "
                            "{}x{}",
                            text, core::kMaxVideoWidth, core::kMaxVideoHeight);
        return false;
    }
    width = static_cast<int>(*w);
    height = static_cast<int>(*h);
    return true;
}

std::optional<std::uint16_t> parseMaxHeight(const std::string& text, std::string& error) {
    unsigned value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end || value > 0xFFFF) {
        error = fmt::format("--max-receive-height {}: want a whole number of lines from 0 (no "
                            "video) to 65535",
                            text);
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

ParsedCommandLine parseCommandLine(const std::vector<std::string>& args) {
    CLI::App app{"Diyuma Conference headless client: create a conference, or join one, send a "
                 "tone or a sound file and a test pattern or video file, record what you hear "
                 "and see, and write stats as JSON.",
                 "diyuma-cli"};
    app.require_subcommand(1);

    std::string createRelay;
    bool privateView = false;
    bool createVerbose = false;
    auto* create = app.add_subcommand("create", "Create a conference; print the invite link "
                                                "and then the admin link");
    create->add_option("--relay", createRelay, "Relay address HOST:PORT (named in the links)")
        ->required();
    create->add_flag("--private-view", privateView,
                     "Only the admin sees everyone's video (enforced by the relay)");
    create->add_flag("-v,--verbose", createVerbose, "Log what happens to stderr");

    std::string link;
    std::string joinRelay;
    std::string name;
    std::string sendAudio;
    std::string recordDir;
    std::string statsJson;
    double duration = 0;
    int bitrate = kDefaultBitrateBps;
    bool joinVerbose = false;
    auto* join = app.add_subcommand(
        "join", "Join a conference, send audio in real time, record what you hear");
    join->add_option("LINK_OR_ID", link, "Invite or admin link (diyuma://...), or a bare ID")
        ->required();
    auto* relayOpt = join->add_option("--relay", joinRelay,
                                      "Relay HOST:PORT (needed for a bare ID; overrides the "
                                      "link's relay)");
    join->add_option("--name", name, "Display name (1 to 64 bytes)")->required();
    auto* sendOpt = join->add_option(
        "--send-audio", sendAudio,
        "FILE (any WAV/FLAC/AIFF, sent once, then silence) or tone:FREQ (sine at -12 dBFS); "
        "without it nothing is sent");
    auto* recordOpt = join->add_option("--record-audio", recordDir,
                                       "Write DIR/<participant>.wav and DIR/mix.wav");
    auto* durationOpt = join->add_option(
        "--duration", duration, "Seconds to stay after joining (default: until SIGINT/SIGTERM)");
    auto* statsOpt = join->add_option("--stats-json", statsJson, "Write stats as JSON at the end");
    join->add_option("--bitrate", bitrate, "Opus bitrate in bit/s (6000..510000, default 32000)");
    join->add_flag("-v,--verbose", joinVerbose, "Log what happens to stderr");
    std::string sendVideo;
    std::string videoSize;
    std::string recordVideo;
    int videoFps = 30;
    int videoBitrate = 0;
    auto* sendVideoOpt = join->add_option(
        "--send-video", sendVideo,
        "pattern (moving test pattern with frame number and capture time) or FILE.y4m "
        "(looped); without it no video is sent");
    auto* sizeOpt = join->add_option("--video-size", videoSize,
                                     "Test pattern size WIDTHxHEIGHT (default 640x360)");
    join->add_option("--video-fps", videoFps, "Frames per second to send (1..60, default 30)");
    auto* videoBitrateOpt = join->add_option(
        "--video-bitrate", videoBitrate,
        "VP8 bitrate in bit/s (default from the size: ~500 kbit/s at 360p, 1.5 Mbit/s at 720p)");
    std::vector<std::string> privateViewChanges;
    join->add_option("--set-private-view", privateViewChanges,
                     "on@SECONDS or off@SECONDS: switch private view that long after joining "
                     "(admin link only; repeatable)");
    std::vector<std::string> adminActions;
    join->add_option("--admin", adminActions,
                     "ACTION:NAME@SECONDS: mute, mute-locked (may not unmute), allow-unmute or "
                     "remove the participant called NAME that long after joining (admin link "
                     "only; repeatable)");
    std::string maxReceiveHeight;
    auto* maxHeightOpt = join->add_option(
        "--max-receive-height", maxReceiveHeight,
        "Largest picture height (lines, 0..65535) to receive from every sender: the relay "
        "forwards the highest layer up to it; 0 = no video at all (default: no limit)");
    maxHeightOpt->type_name("N");
    auto* recordVideoOpt = join->add_option(
        "--record-video", recordVideo,
        "Write each remote participant's received VP8 frames to DIR/<participant>.ivf");

    // CLI11 takes a reversed vector.
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
            std::ostringstream out;
            std::ostringstream err;
            app.exit(e, out, err);
            return EarlyExit{0, out.str(), err.str()};
        }
        return usageError(e.what());
    }

    if (create->parsed()) {
        CreateOptions options;
        auto relay = core::parseRelayAddress(createRelay);
        if (!relay)
            return usageError(relay.error().message);
        options.relay = relay.value();
        options.privateView = privateView;
        options.verbose = createVerbose;
        return options;
    }

    JoinOptions options;
    options.verbose = joinVerbose;
    std::optional<core::RelayAddress> relay;
    if (relayOpt->count() > 0) {
        auto parsed = core::parseRelayAddress(joinRelay);
        if (!parsed)
            return usageError(parsed.error().message);
        relay = parsed.value();
    }
    auto invite = core::parseInvite(link, relay.value_or(core::RelayAddress{}));
    if (!invite)
        return usageError(invite.error().message);
    options.invite = invite.value();
    if (relay)
        options.invite.relay = *relay; // an explicit --relay wins over the link's
    if (name.empty() || name.size() > core::wire::kMaxNameBytes)
        return usageError(
            fmt::format("--name must be 1 to {} bytes long", core::wire::kMaxNameBytes));
    if (std::any_of(name.begin(), name.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; }))
        return usageError("--name must not contain control characters");
    options.name = name;
    if (sendOpt->count() > 0) {
        std::string error;
        auto input = parseAudioInput(sendAudio, error);
        if (!input)
            return usageError(error);
        options.sendAudio = *input;
    }
    if (recordOpt->count() > 0) {
        if (recordDir.empty())
            return usageError("--record-audio needs a folder");
        options.recordDir = recordDir;
    }
    if (durationOpt->count() > 0) {
        if (!std::isfinite(duration) || duration <= 0 || duration > kMaxDurationSeconds)
            return usageError("--duration must be a positive number of seconds");
        options.durationSeconds = duration;
    }
    if (statsOpt->count() > 0) {
        if (statsJson.empty())
            return usageError("--stats-json needs a file name");
        options.statsJson = statsJson;
    }
    if (sendVideoOpt->count() > 0) {
        if (sendVideo == "pattern") {
            options.sendVideo.kind = VideoInput::Kind::Pattern;
        } else if (sendVideo.empty()) {
            return usageError("--send-video needs pattern or a .y4m file");
        } else {
            options.sendVideo.kind = VideoInput::Kind::Y4m;
            options.sendVideo.path = sendVideo;
        }
    }
    if (sizeOpt->count() > 0) {
        if (options.sendVideo.kind == VideoInput::Kind::Y4m)
            return usageError("--video-size is for the test pattern; a .y4m file has its own size");
        std::string error;
        if (!parseVideoSize(videoSize, options.sendVideo.width, options.sendVideo.height, error))
            return usageError(error);
    }
    if (videoFps < 1 || videoFps > 60)
        return usageError("--video-fps must be between 1 and 60");
    options.sendVideo.frameRate = videoFps;
    if (videoBitrateOpt->count() > 0) {
        if (videoBitrate < 50'000 || videoBitrate > 20'000'000)
            return usageError("--video-bitrate must be between 50000 and 20000000 bit/s");
        options.sendVideo.bitrateBps = videoBitrate;
    }
    if (maxHeightOpt->count() > 0) {
        std::string error;
        const auto height = parseMaxHeight(maxReceiveHeight, error);
        if (!height)
            return usageError(error);
        options.maxReceiveHeight = *height;
    }
    if (recordVideoOpt->count() > 0) {
        if (recordVideo.empty())
            return usageError("--record-video needs a folder");
        options.recordVideoDir = recordVideo;
    }
    for (const auto& change : privateViewChanges) {
        const std::size_t at = change.find('@');
        const std::string state = change.substr(0, at);
        const auto seconds = at == std::string::npos
                                 ? std::nullopt
                                 : parseNumber(std::string_view(change).substr(at + 1));
        if ((state != "on" && state != "off") || !seconds || *seconds < 0 ||
            *seconds > kMaxDurationSeconds)
            return usageError(fmt::format(
                "--set-private-view {}: want on@SECONDS or off@SECONDS (seconds after joining)",
                change));
        options.privateViewChanges.emplace_back(state == "on", *seconds);
    }
    if (!options.privateViewChanges.empty() && !options.invite.adminSecret)
        return usageError("--set-private-view needs the admin link (the one with ?admin=)");
    for (const auto& text : adminActions) {
        constexpr std::array<std::pair<std::string_view, AdminAction::Kind>, 4> kKinds{{
            {"mute", AdminAction::Kind::Mute},
            {"mute-locked", AdminAction::Kind::MuteLocked},
            {"allow-unmute", AdminAction::Kind::AllowUnmute},
            {"remove", AdminAction::Kind::Remove},
        }};
        const std::size_t colon = text.find(':');
        const std::size_t at = text.rfind('@');
        const auto kind = std::find_if(kKinds.begin(), kKinds.end(), [&](const auto& k) {
            return k.first == std::string_view(text).substr(0, colon);
        });
        const bool shaped = colon != std::string::npos && at != std::string::npos && at > colon + 1;
        const auto seconds =
            shaped ? parseNumber(std::string_view(text).substr(at + 1)) : std::nullopt;
        if (kind == kKinds.end() || !seconds || *seconds < 0 || *seconds > kMaxDurationSeconds)
            return usageError(fmt::format("--admin {}: want ACTION:NAME@SECONDS with ACTION mute, "
                                          "mute-locked, allow-unmute or remove",
                                          text));
        options.adminActions.push_back(
            AdminAction{kind->second, text.substr(colon + 1, at - colon - 1), *seconds});
    }
    if (!options.adminActions.empty() && !options.invite.adminSecret)
        return usageError("--admin needs the admin link (the one with ?admin=)");
    if (bitrate < kMinBitrateBps || bitrate > kMaxBitrateBps)
        return usageError(fmt::format("--bitrate must be between {} and {} bit/s", kMinBitrateBps,
                                      kMaxBitrateBps));
    options.bitrateBps = bitrate;
    return options;
}

} // namespace diyuma::cli
