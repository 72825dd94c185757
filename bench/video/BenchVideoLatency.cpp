// bench_video_latency: glass-to-glass video latency from a diyuma-cli recording of the test
// pattern. Each recorded frame is decoded and its stamp read back: the capture time the
// sender drew into the picture. The frame's IVF timestamp plus the recording's
// record.start_unix_ms (from the receiver's stats JSON) is when the receiver had it complete
// and decoded. The difference is one glass-to-glass latency: capture → encode → pacer →
// loopback → relay → frame assembly → decode (what a screen adds on top is not included).
// Both clients run on one machine and one clock, so no clock offset enters.
//
//   bench_video_latency RECORDING.ivf RECEIVER_STATS.json [--skip-seconds S]
//
// Prints frames, stamped frames, median, p95, min and max in ms. Figures only.

#include "diyuma/video/TestPattern.h"
#include "diyuma/video/VideoFiles.h"
#include "diyuma/video/Vp8Codec.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

using namespace diyuma::core;

int main(int argc, char** argv) {
    CLI::App app{"Glass-to-glass latency of a recorded test pattern"};
    std::string ivf;
    std::string statsPath;
    double skipSeconds = 1.0;
    app.add_option("RECORDING", ivf, "The receiver's DIR/<sender>.ivf")->required();
    app.add_option("STATS", statsPath, "The receiver's --stats-json file")->required();
    app.add_option("--skip-seconds", skipSeconds, "Leave out the first S s of the recording");
    CLI11_PARSE(app, argc, argv);

    std::ifstream in(statsPath);
    nlohmann::json stats = nlohmann::json::parse(in, nullptr, false);
    if (stats.is_discarded() || !stats["record"]["start_unix_ms"].is_number()) {
        fmt::print(stderr, "{}: no record.start_unix_ms\n", statsPath);
        return 1;
    }
    const auto recordStart = stats["record"]["start_unix_ms"].get<std::int64_t>();
    auto contents = readIvfFile(ivf);
    auto decoder = Vp8Decoder::create();
    if (!contents || !decoder) {
        fmt::print(stderr, "{}\n",
                   contents ? "cannot create the decoder" : contents.error().message);
        return 1;
    }
    VideoFrame picture;
    std::vector<double> latencies;
    std::size_t stamped = 0;
    for (const auto& frame : contents->frames) {
        auto shown = decoder->decode(frame.data, picture);
        if (!shown || !shown.value())
            continue;
        auto stamp = readTestPatternStamp(picture);
        if (!stamp)
            continue;
        ++stamped;
        if (static_cast<double>(frame.timestamp) < skipSeconds * 1000.0)
            continue;
        latencies.push_back(
            static_cast<double>(recordStart + frame.timestamp - stamp->captureUnixMs));
    }
    if (latencies.empty()) {
        fmt::print("frames: {}\nstamped: {}\nlatencies: 0\n", contents->frames.size(), stamped);
        return 1;
    }
    std::sort(latencies.begin(), latencies.end());
    const auto at = [&](double p) {
        return latencies[std::min(
            latencies.size() - 1,
            static_cast<std::size_t>(p * static_cast<double>(latencies.size())))];
    };
    fmt::print("frames: {}\nstamped: {}\nlatencies: {}\nmedian_ms: {:.1f}\np95_ms: {:.1f}\n"
               "min_ms: {:.1f}\nmax_ms: {:.1f}\n",
               contents->frames.size(), stamped, latencies.size(), at(0.5), at(0.95),
               latencies.front(), latencies.back());
    return 0;
}
