// bench_erle: echo cancellation figures of both processing backends on the synthetic echo
// scenario (EchoScenario.h). Prints a Markdown table; never passes or fails on a figure.
// Run through bench/aec/run.sh; docs/PERFORMANCE.md "Echo cancellation" has the results.
#include "diyuma/audio/WavFile.h"
#include "diyuma/devices/AudioProcessing.h"

#include "EchoScenario.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {

using diyuma::devices::AudioProcessingBackend;
using diyuma::devices::AudioProcessingOptions;

struct Row {
    AudioProcessingBackend backend;
    bool aec;
    bool ns;
    bool agc;
};

std::string onOff(const Row& r) {
    std::string s;
    s += r.aec ? "AEC" : "---";
    s += r.ns ? " NS" : " --";
    s += r.agc ? " AGC" : " ---";
    return s;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"Echo cancellation benchmark: ERLE, convergence, near-end level, CPU"};
    diyuma::bench::EchoScenarioConfig config;
    int reportedDelayMs = -1;
    int speexTailMs = AudioProcessingOptions{}.echoTailMs;
    std::string saveDir;
    bool curve = false;
    int repeat = 3;
    app.add_option("--delay-ms", config.echoDelayMs, "echo path delay")->capture_default_str();
    app.add_option("--room-ms", config.roomResponseMs, "room response length (60 dB decay)")
        ->capture_default_str();
    app.add_option("--erl-db", config.echoReturnLossDb, "echo return loss")->capture_default_str();
    app.add_option("--noise-dbfs", config.noiseRmsDbfs, "microphone noise RMS")
        ->capture_default_str();
    app.add_option("--seed", config.seed, "room response and noise seed")->capture_default_str();
    app.add_option("--reported-delay-ms", reportedDelayMs,
                   "device delay given to the processors (default: the true delay)");
    app.add_option("--speex-tail-ms", speexTailMs, "Speex filter length after the delay")
        ->capture_default_str();
    app.add_option("--save-dir", saveDir, "write far.wav, mic.wav and one WAV per row here");
    app.add_option("--repeat", repeat, "runs per row; CPU is the least of them")
        ->capture_default_str()
        ->check(CLI::Range(1, 100));
    app.add_flag("--curve", curve, "also print each row's ERLE per 0.5 s of far-end-only");
    CLI11_PARSE(app, argc, argv);
    if (reportedDelayMs < 0) {
        reportedDelayMs = config.echoDelayMs;
    }

    auto scenario = diyuma::bench::makeSpeechEchoScenario(config);
    if (!scenario) {
        std::fprintf(stderr, "bench_erle: %s\n", scenario.error().message.c_str());
        return 1;
    }
    const auto& s = scenario.value();
    std::printf("# scenario: echo delay %d ms, room %d ms, ERL %.1f dB, speech %.1f dBFS RMS, "
                "noise %.1f dBFS; far-only %.1f s, double talk %.1f s, near-only %.1f s; "
                "ERLE from %.1f s; seed %u\n",
                config.echoDelayMs, config.roomResponseMs, config.echoReturnLossDb,
                config.speechRmsDbfs, config.noiseRmsDbfs, config.farOnlySeconds,
                config.doubleTalkSeconds, config.nearOnlySeconds, config.erleFromSeconds,
                config.seed);
    std::printf("# processors: reported device delay %d ms, speex tail %d ms; %zu blocks of "
                "10 ms per run\n",
                reportedDelayMs, speexTailMs, s.blocks());
    if (!saveDir.empty()) {
        std::filesystem::create_directories(saveDir);
        if (auto w = diyuma::core::WavWriter::create(saveDir + "/far.wav")) {
            static_cast<void>(w->append(s.far));
        }
        if (auto w = diyuma::core::WavWriter::create(saveDir + "/mic.wav")) {
            static_cast<void>(w->append(s.mic));
        }
    }

    const std::vector<Row> rows = {
        {AudioProcessingBackend::WebRtc, true, true, true},
        {AudioProcessingBackend::WebRtc, true, true, false},
        {AudioProcessingBackend::WebRtc, true, false, false},
        {AudioProcessingBackend::WebRtc, false, true, true},
        {AudioProcessingBackend::Speex, true, true, true},
        {AudioProcessingBackend::Speex, true, true, false},
        {AudioProcessingBackend::Speex, true, false, false},
        {AudioProcessingBackend::Speex, false, true, true},
    };
    std::printf("\n| backend | stages | ERLE dB | converged s | near-only dB | double-talk near "
                "dB | lag ms | CPU us/block | CPU %% of real time |\n");
    std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const Row& r : rows) {
        AudioProcessingOptions options;
        options.echoCancellation = r.aec;
        options.noiseSuppression = r.ns;
        options.gainControl = r.agc;
        options.deviceDelayMs = reportedDelayMs;
        options.echoTailMs = speexTailMs;
        // A fresh processor per run, so every run converges from scratch; the output is the
        // same each time (both libraries are deterministic), the CPU time is not: keep the
        // least, the run least disturbed by other processes on the shared machine.
        std::vector<std::int16_t> out;
        double cpu = 0;
        for (int i = 0; i < repeat; ++i) {
            auto processor = diyuma::devices::makeAudioProcessor(r.backend, options);
            if (!processor) {
                std::fprintf(stderr, "bench_erle: %s\n", processor.error().message.c_str());
                return 1;
            }
            double runCpu = 0;
            out = diyuma::bench::runProcessor(*processor.value(), s, &runCpu);
            cpu = i == 0 ? runCpu : std::min(cpu, runCpu);
        }
        const auto m = diyuma::bench::measureEcho(s, out, cpu);
        char converged[32];
        if (m.convergenceSeconds >= 0) {
            std::snprintf(converged, sizeof converged, "%.1f", m.convergenceSeconds);
        } else {
            std::snprintf(converged, sizeof converged, "never");
        }
        std::printf("| %s | %s | %.1f | %s | %+.1f | %+.1f | %.1f | %.0f | %.2f |\n",
                    std::string(diyuma::devices::backendName(r.backend)).c_str(), onOff(r).c_str(),
                    m.erleDb, converged, m.nearOnlyChangeDb, m.doubleTalkChangeDb,
                    m.outputLagSamples / 48.0, m.cpuMicrosPerBlock,
                    m.cpuMicrosPerBlock / 10000.0 * 100.0);
        if (curve) {
            std::printf("|   ERLE per 0.5 s:");
            for (double e : m.windowErleDb) {
                std::printf(" %.0f", e);
            }
            std::printf(" |\n");
        }
        std::fflush(stdout);
        if (!saveDir.empty()) {
            std::string name = std::string(diyuma::devices::backendName(r.backend)) + "-" +
                               (r.aec ? "aec" : "noaec") + (r.ns ? "-ns" : "") +
                               (r.agc ? "-agc" : "") + ".wav";
            if (auto w = diyuma::core::WavWriter::create(saveDir + "/" + name)) {
                static_cast<void>(w->append(out));
            }
        }
    }
    return 0;
}
