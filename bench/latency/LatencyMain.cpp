// bench_latency_clicks: the file half of the mouth-to-ear latency benchmark
// (bench/latency/run.sh, docs/PERFORMANCE.md).
//   generate OUT.wav            writes the chirp track the talker sends
//   analyze ...                 finds the chirps in the listener's recording, lines them up
//                               with the stats' wall-clock times and prints the latencies
//   summarize FILE...           pools the latencies several analyze runs wrote
// Prints figures as "key: value" lines; never judges them.

#include "diyuma/audio/WavFile.h"

#include "ClickTrack.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace diyuma;

std::optional<std::vector<std::int16_t>> readWav(const std::string& path) {
    auto samples = core::readAudioFileAs48kMono(path);
    if (!samples) {
        std::fprintf(stderr, "bench_latency_clicks: error: %s\n", samples.error().message.c_str());
        return std::nullopt;
    }
    return std::move(*samples);
}

std::optional<double> readUnixMs(const std::string& path, const char* section,
                                 nlohmann::json* whole = nullptr) {
    std::ifstream file(path);
    if (!file) {
        std::fprintf(stderr, "bench_latency_clicks: error: cannot open %s\n", path.c_str());
        return std::nullopt;
    }
    try {
        const auto json = nlohmann::json::parse(file);
        if (whole != nullptr)
            *whole = json;
        return json.at(section).at("start_unix_ms").get<double>();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_latency_clicks: error: %s: no %s.start_unix_ms (%s)\n",
                     path.c_str(), section, e.what());
        return std::nullopt;
    }
}

void printQuantiles(const std::vector<double>& latencies) {
    const auto print = [&](const char* key, double p) {
        if (const auto q = bench::quantile(latencies, p))
            std::printf("%s: %.1f\n", key, *q);
        else
            std::printf("%s: n/a\n", key);
    };
    print("latency_min_ms", 0.0);
    print("latency_median_ms", 0.5);
    print("latency_p95_ms", 0.95);
    print("latency_max_ms", 1.0);
}

int generate(const std::string& out, const bench::ClickTrackConfig& config) {
    const auto samples = bench::makeClickTrack(config);
    auto writer = core::WavWriter::create(out);
    if (!writer || !writer->append(samples)) {
        std::fprintf(stderr, "bench_latency_clicks: error: cannot write %s\n", out.c_str());
        return 1;
    }
    writer->close();
    std::printf("wrote %s: %.1f s, %zu chirps of %.1f ms every %.0f ms from %.0f ms\n", out.c_str(),
                config.durationS, bench::findOnsets(samples).size(), config.chirpMs,
                config.periodMs, config.firstClickMs);
    return 0;
}

struct AnalyzeOptions {
    std::string sent;
    std::string recording;
    std::string talkerStats;
    std::string listenerStats;
    std::string talkerName = "talker";
    std::string latenciesOut;
    double maxLatencyMs = 450;
    bench::OnsetConfig onset;
};

int analyze(const AnalyzeOptions& o) {
    const auto sent = readWav(o.sent);
    const auto recording = readWav(o.recording);
    nlohmann::json listenerJson;
    const auto sendStart = readUnixMs(o.talkerStats, "send");
    const auto recordStart = readUnixMs(o.listenerStats, "record", &listenerJson);
    if (!sent || !recording || !sendStart || !recordStart)
        return 1;
    const auto sentOnsets = bench::findOnsets(*sent, o.onset);
    const auto heardOnsets = bench::findOnsets(*recording, o.onset);
    const auto matches =
        bench::matchClicks(sentOnsets, *sendStart, heardOnsets, *recordStart, o.maxLatencyMs);
    std::vector<double> latencies;
    for (const auto& m : matches)
        latencies.push_back(m.latencyMs());

    std::printf("clicks_sent: %zu\n", sentOnsets.size());
    std::printf("onsets_in_recording: %zu\n", heardOnsets.size());
    std::printf("clicks_found: %zu\n", matches.size());
    printQuantiles(latencies);
    std::printf("latencies_ms:");
    for (const auto& m : matches)
        std::printf(" %.1f", m.latencyMs());
    std::printf("\n");
    // The listener's own view of the stream, for context (keys as diyuma-cli writes them).
    try {
        const auto& audio = listenerJson.at("remote").at(o.talkerName).at("audio");
        for (const char* key : {"jitter_buffer_delay_ms", "target_delay_ms", "jitter_ms",
                                "packets_lost", "packets_concealed", "packets_late"})
            if (audio.contains(key) && audio.at(key).is_number())
                std::printf("listener_%s: %.6g\n", key, audio.at(key).get<double>());
    } catch (const std::exception&) {
        // Older or newer stats shapes simply print less.
    }
    if (!o.latenciesOut.empty()) {
        std::ofstream out(o.latenciesOut);
        for (const double latency : latencies)
            out << latency << '\n';
    }
    return 0;
}

int summarize(const std::vector<std::string>& files) {
    std::vector<double> latencies;
    for (const auto& path : files) {
        std::ifstream in(path);
        for (double value = 0; in >> value;)
            latencies.push_back(value);
    }
    std::printf("runs: %zu\n", files.size());
    std::printf("clicks_found: %zu\n", latencies.size());
    printQuantiles(latencies);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"bench_latency_clicks: chirp track and mouth-to-ear latency analysis "
                 "(docs/PERFORMANCE.md)."};
    app.require_subcommand(1);

    std::string out;
    bench::ClickTrackConfig track;
    auto* gen = app.add_subcommand("generate", "Write the chirp track (48 kHz mono WAV)");
    gen->add_option("out", out, "Output WAV")->required();
    gen->add_option("--duration", track.durationS, "Seconds")->capture_default_str();
    gen->add_option("--period-ms", track.periodMs, "Time between chirps")->capture_default_str();
    gen->add_option("--first-ms", track.firstClickMs, "Onset of the first chirp")
        ->capture_default_str();
    gen->add_option("--chirp-ms", track.chirpMs, "Chirp length")->capture_default_str();

    AnalyzeOptions a;
    auto* ana = app.add_subcommand("analyze", "Find the chirps in a recording; print latencies");
    ana->add_option("--sent", a.sent, "The WAV the talker sent")->required();
    ana->add_option("--recording", a.recording, "The listener's recording of the talker")
        ->required();
    ana->add_option("--talker-stats", a.talkerStats, "Talker's --stats-json (send.start_unix_ms)")
        ->required();
    ana->add_option("--listener-stats", a.listenerStats,
                    "Listener's --stats-json (record.start_unix_ms)")
        ->required();
    ana->add_option("--talker-name", a.talkerName, "The talker's key in the listener's stats")
        ->capture_default_str();
    ana->add_option("--max-latency-ms", a.maxLatencyMs, "Longest latency a match may have")
        ->capture_default_str();
    ana->add_option("--threshold", a.onset.thresholdFraction, "Onset: fraction of the peak")
        ->capture_default_str();
    ana->add_option("--latencies-out", a.latenciesOut, "Also write the latencies, one per line");

    std::vector<std::string> files;
    auto* sum = app.add_subcommand("summarize", "Pool latencies written by analyze");
    sum->add_option("files", files, "Files from --latencies-out")->required();

    CLI11_PARSE(app, argc, argv);
    if (gen->parsed())
        return generate(out, track);
    if (ana->parsed())
        return analyze(a);
    return summarize(files);
}
