#pragma once
// A synthetic echo scenario for measuring microphone processing (bench_erle and
// tests/unit/processing): two speech tracks made by espeak-ng at run time, an echo path (delay
// + decaying room response + attenuation) and a little noise, laid out as
//
//     |<-- far end only -->|<-- double talk -->|<-- near end only -->|
//     far:  speech ........ speech ............ silence .............
//     mic:  echo + noise .. echo + near + noise near + noise ........
//
// and the figures taken from a processor's output: ERLE, convergence time, near-end level
// change, CPU time per block.
//
// Thread: plain functions on values; any thread. synthesizeSpeech() runs a child process.

#include "diyuma/session/AudioDevice.h"
#include "diyuma/util/Result.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace diyuma::bench {

/// Error::code values of this module.
enum class ScenarioErrorCode {
    Synthesis = 1, ///< espeak-ng missing or failed, or its output unreadable
    BadConfig = 2, ///< a section or the echo path does not fit the speech given
};

struct EchoScenarioConfig {
    int echoDelayMs = 90;           ///< far end played → first echo sample in the microphone
    int roomResponseMs = 150;       ///< length of the decaying room response (60 dB decay)
    double echoReturnLossDb = 10.0; ///< far-end level minus echo level in the microphone
    double speechRmsDbfs = -24.0;   ///< RMS of active speech, both talkers (before the path)
    double noiseRmsDbfs = -65.0;    ///< white noise added to the microphone
    double farOnlySeconds = 14.0;
    double doubleTalkSeconds = 6.0;
    double nearOnlySeconds = 14.0;
    double erleFromSeconds = 8.0; ///< ERLE is measured from here to the end of far-end-only
    std::uint32_t seed = 1;       ///< room response and noise
};

/// 48 kHz mono signals, all of the same length, a whole number of 10 ms blocks.
struct EchoScenario {
    EchoScenarioConfig config;
    std::vector<std::int16_t> far; ///< what is played: analyzePlayout() input
    std::vector<std::int16_t> mic; ///< echo + near + noise, clipped: processCapture() input
    std::vector<float> echo;       ///< the echo component of mic
    std::vector<float> near;       ///< the near-end speech component of mic
    std::size_t farOnlyEnd = 0;    ///< sample index: far-only is [0, farOnlyEnd)
    std::size_t doubleTalkEnd = 0; ///< double talk [farOnlyEnd, doubleTalkEnd), then near only
    [[nodiscard]] std::size_t blocks() const;
};

struct SpeechSpec {
    std::string voice; ///< espeak-ng voice, e.g. "en-us" or "en-gb+f3"
    std::string text;  ///< repeated until `seconds` are reached
    double seconds = 20.0;
};

/// The two talkers bench_erle and the tests use (different voices and sentences, 20 s each).
[[nodiscard]] SpeechSpec defaultFarSpeech();
[[nodiscard]] SpeechSpec defaultNearSpeech();

/// Runs `espeak-ng -v VOICE -w FILE TEXT` in a temporary directory and reads the result as
/// 48 kHz mono (core::readAudioFileAs48kMono, soxr resampling), repeating the text until at
/// least `seconds` are there, then cut to exactly `seconds`.
[[nodiscard]] core::Result<std::vector<std::int16_t>> synthesizeSpeech(const SpeechSpec& spec);

/// Builds the scenario from two speech tracks (48 kHz mono, each at least far-only + double
/// talk resp. double talk + near-only long). Deterministic for a given seed.
[[nodiscard]] core::Result<EchoScenario> makeEchoScenario(const EchoScenarioConfig& config,
                                                          std::span<const std::int16_t> farSpeech,
                                                          std::span<const std::int16_t> nearSpeech);

/// synthesizeSpeech() of the two default talkers + makeEchoScenario().
[[nodiscard]] core::Result<EchoScenario> makeSpeechEchoScenario(const EchoScenarioConfig& config);

/// Feeds the scenario block by block: analyzePlayout(far block), then processCapture(mic
/// block). Returns the processed microphone signal; `cpuSeconds` gets the process CPU time
/// (CLOCK_PROCESS_CPUTIME_ID) spent in the loop.
[[nodiscard]] std::vector<std::int16_t> runProcessor(core::AudioProcessor& processor,
                                                     const EchoScenario& scenario,
                                                     double* cpuSeconds = nullptr);

struct EchoMetrics {
    /// 10·log10(echo power in mic / output power), far-end-only section from erleFromSeconds.
    double erleDb = 0;
    /// End of the first 0.5 s window of far-end-only within 6 dB of erleDb from which at
    /// least 90 % of the later windows (with echo in them) are too; negative if none is.
    double convergenceSeconds = -1;
    /// Near-end speech level in the output relative to the input, dB (negative: attenuated),
    /// as the least-squares gain of the clean near-end track in the output (so residual echo
    /// and noise do not count as near end); near-end-only and double-talk sections.
    double nearOnlyChangeDb = 0;
    double doubleTalkChangeDb = 0;
    /// ERLE of each 0.5 s window of far-end-only (NaN: too little echo in it to say).
    std::vector<double> windowErleDb;
    /// Output delay the near-end gain was measured at (processing latency), samples.
    int outputLagSamples = 0;
    double cpuMicrosPerBlock = 0;
};

/// Figures of `output` (same length as the scenario) for `cpuSeconds` spent on it.
[[nodiscard]] EchoMetrics measureEcho(const EchoScenario& scenario,
                                      std::span<const std::int16_t> output, double cpuSeconds);

/// ERLE over [begin, end) samples: echo power of the scenario over output power, dB.
[[nodiscard]] double erleDb(const EchoScenario& scenario, std::span<const std::int16_t> output,
                            std::size_t begin, std::size_t end);

} // namespace diyuma::bench
