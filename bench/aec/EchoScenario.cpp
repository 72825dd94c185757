#include "EchoScenario.h"

#include "diyuma/audio/AudioFormat.h"
#include "diyuma/audio/WavFile.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <complex>
#include <ctime>
#include <filesystem>
#include <numeric>
#include <random>

extern char** environ;

namespace diyuma::bench {

namespace {

constexpr std::size_t kBlock = static_cast<std::size_t>(core::kBlockSamples);
constexpr double kFullScale = 32768.0;

core::Error error(ScenarioErrorCode code, std::string message) {
    return core::Error{static_cast<int>(code), std::move(message)};
}

std::size_t samplesOf(double seconds) {
    // Whole blocks, so that every section boundary is a block boundary.
    const auto blocks = static_cast<std::size_t>(std::llround(seconds * 100.0));
    return blocks * kBlock;
}

double dbToAmplitude(double db) {
    return std::pow(10.0, db / 20.0);
}

/// Runs a program without a shell; true if it exited with 0.
bool runProgram(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const std::string& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // espeak-ng prints nothing useful on success; keep the benchmark's output clean.
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        return false;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return false;
        }
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/// Scales `speech` so that its active part (10 ms blocks within 40 dB of the loudest) has
/// RMS `rmsDbfs`.
std::vector<float> normalizeSpeech(std::span<const std::int16_t> speech, double rmsDbfs) {
    std::vector<double> blockPower;
    for (std::size_t b = 0; b + kBlock <= speech.size(); b += kBlock) {
        double p = 0;
        for (std::size_t i = 0; i < kBlock; ++i) {
            p += double(speech[b + i]) * speech[b + i];
        }
        blockPower.push_back(p / kBlock);
    }
    const double loudest =
        blockPower.empty() ? 0.0 : *std::max_element(blockPower.begin(), blockPower.end());
    double sum = 0;
    std::size_t n = 0;
    for (double p : blockPower) {
        if (p > loudest * 1e-4) {
            sum += p;
            ++n;
        }
    }
    const double rms = n > 0 ? std::sqrt(sum / double(n)) : 0.0;
    const double gain = rms > 0 ? dbToAmplitude(rmsDbfs) * kFullScale / rms : 0.0;
    std::vector<float> out(speech.size());
    for (std::size_t i = 0; i < speech.size(); ++i) {
        out[i] = static_cast<float>(speech[i] * gain);
    }
    return out;
}

/// In-place iterative radix-2 FFT; `inverse` without the 1/N.
void fft(std::vector<std::complex<double>>& a, bool inverse) {
    const std::size_t n = a.size();
    for (std::size_t i = 1, j = 0; i < n; ++i) {
        std::size_t bit = n >> 1;
        for (; j & bit; bit >>= 1) {
            j ^= bit;
        }
        j ^= bit;
        if (i < j) {
            std::swap(a[i], a[j]);
        }
    }
    for (std::size_t len = 2; len <= n; len <<= 1) {
        const double angle = 2 * M_PI / double(len) * (inverse ? 1 : -1);
        const std::complex<double> wlen(std::cos(angle), std::sin(angle));
        for (std::size_t i = 0; i < n; i += len) {
            std::complex<double> w(1);
            for (std::size_t k = 0; k < len / 2; ++k) {
                const std::complex<double> u = a[i + k];
                const std::complex<double> v = a[i + k + len / 2] * w;
                a[i + k] = u + v;
                a[i + k + len / 2] = u - v;
                w *= wlen;
            }
        }
    }
}

/// Linear convolution of x with h, truncated to x's length (FFT, one block).
std::vector<double> convolve(std::span<const float> x, std::span<const double> h) {
    std::size_t n = 1;
    while (n < x.size() + h.size()) {
        n <<= 1;
    }
    std::vector<std::complex<double>> fx(n), fh(n);
    std::copy(x.begin(), x.end(), fx.begin());
    std::copy(h.begin(), h.end(), fh.begin());
    fft(fx, false);
    fft(fh, false);
    for (std::size_t i = 0; i < n; ++i) {
        fx[i] *= fh[i];
    }
    fft(fx, true);
    std::vector<double> y(x.size());
    for (std::size_t i = 0; i < y.size(); ++i) {
        y[i] = fx[i].real() / double(n);
    }
    return y;
}

/// A room-like response: a direct path, then Gaussian reflections under an exponential
/// envelope reaching -60 dB at `lengthMs`, smoothed by a one-pole low-pass (air, walls and a
/// small loudspeaker lose highs). Unit energy.
std::vector<double> roomResponse(int lengthMs, std::mt19937& rng) {
    const auto length = static_cast<std::size_t>(lengthMs * core::kSamplesPerMs);
    std::normal_distribution<double> gauss(0.0, 1.0);
    std::vector<double> h(std::max<std::size_t>(length, 1), 0.0);
    h[0] = 1.0;
    const std::size_t firstReflection = 2 * core::kSamplesPerMs;
    for (std::size_t n = firstReflection; n < length; ++n) {
        const double envelope = std::pow(10.0, -3.0 * double(n) / double(length)); // -60 dB
        h[n] = 0.35 * envelope * gauss(rng);
    }
    double state = 0;
    for (double& v : h) {
        state = 0.6 * state + 0.4 * v;
        v = state;
    }
    const double energy = std::inner_product(h.begin(), h.end(), h.begin(), 0.0);
    for (double& v : h) {
        v /= std::sqrt(energy);
    }
    return h;
}

double power(std::span<const float> x, std::size_t begin, std::size_t end) {
    double p = 0;
    for (std::size_t i = begin; i < end; ++i) {
        p += double(x[i]) * x[i];
    }
    return p;
}

double power(std::span<const std::int16_t> x, std::size_t begin, std::size_t end) {
    double p = 0;
    for (std::size_t i = begin; i < end; ++i) {
        p += double(x[i]) * x[i];
    }
    return p;
}

double cpuSecondsNow() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

/// Least-squares gain of `ref` in `out` over [begin, end), `out` read `lag` samples later.
double projectionGain(std::span<const float> ref, std::span<const std::int16_t> out,
                      std::size_t begin, std::size_t end, int lag) {
    double cross = 0;
    double self = 0;
    for (std::size_t i = begin; i < end && i + std::size_t(lag) < out.size(); ++i) {
        cross += double(ref[i]) * out[i + std::size_t(lag)];
        self += double(ref[i]) * ref[i];
    }
    return self > 0 ? cross / self : 0.0;
}

} // namespace

std::size_t EchoScenario::blocks() const {
    return mic.size() / kBlock;
}

SpeechSpec defaultFarSpeech() {
    return {"en-us",
            "The north wind and the sun were disputing which was the stronger, when a traveler "
            "came along wrapped in a warm cloak. They agreed that the one who first succeeded "
            "in making the traveler take his cloak off should be considered stronger than the "
            "other. Then the north wind blew as hard as he could, but the more he blew the more "
            "closely did the traveler fold his cloak around him.",
            20.0};
}

SpeechSpec defaultNearSpeech() {
    return {"en-gb+f3",
            "Please call Stella. Ask her to bring these things with her from the store: six "
            "spoons of fresh snow peas, five thick slabs of blue cheese, and maybe a snack for "
            "her brother Bob. We also need a small plastic snake and a big toy frog for the "
            "kids. She can scoop these things into three red bags, and we will go meet her "
            "Wednesday at the train station.",
            20.0};
}

core::Result<std::vector<std::int16_t>> synthesizeSpeech(const SpeechSpec& spec) {
    std::string dirTemplate =
        (std::filesystem::temp_directory_path() / "diyuma-aec-XXXXXX").string();
    if (mkdtemp(dirTemplate.data()) == nullptr) {
        return error(ScenarioErrorCode::Synthesis, "cannot create a temporary directory");
    }
    const std::filesystem::path dir(dirTemplate);
    const std::string wav = (dir / "speech.wav").string();
    const bool ran = runProgram({"espeak-ng", "-v", spec.voice, "-s", "165", "-w", wav, spec.text});
    auto speech = ran ? core::readAudioFileAs48kMono(wav)
                      : core::Result<std::vector<std::int16_t>>(core::Error{});
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    if (!ran) {
        return error(ScenarioErrorCode::Synthesis,
                     "espeak-ng (voice " + spec.voice + ") failed or is not installed");
    }
    if (!speech) {
        return error(ScenarioErrorCode::Synthesis, "espeak-ng output: " + speech.error().message);
    }
    const std::vector<std::int16_t>& once = speech.value();
    const std::size_t want = samplesOf(spec.seconds);
    if (once.empty()) {
        return error(ScenarioErrorCode::Synthesis, "espeak-ng produced no audio");
    }
    std::vector<std::int16_t> out;
    out.reserve(want + once.size());
    while (out.size() < want) {
        out.insert(out.end(), once.begin(), once.end());
    }
    out.resize(want);
    return out;
}

core::Result<EchoScenario> makeEchoScenario(const EchoScenarioConfig& config,
                                            std::span<const std::int16_t> farSpeech,
                                            std::span<const std::int16_t> nearSpeech) {
    EchoScenario s;
    s.config = config;
    const std::size_t farOnly = samplesOf(config.farOnlySeconds);
    const std::size_t doubleTalk = samplesOf(config.doubleTalkSeconds);
    const std::size_t nearOnly = samplesOf(config.nearOnlySeconds);
    const std::size_t total = farOnly + doubleTalk + nearOnly;
    if (farOnly == 0 || farSpeech.size() < farOnly + doubleTalk ||
        nearSpeech.size() < doubleTalk + nearOnly) {
        return error(ScenarioErrorCode::BadConfig, "speech tracks too short for the sections");
    }
    if (config.echoDelayMs < 0 || config.roomResponseMs < 1 ||
        config.erleFromSeconds >= config.farOnlySeconds) {
        return error(ScenarioErrorCode::BadConfig, "bad echo path or ERLE window");
    }
    s.farOnlyEnd = farOnly;
    s.doubleTalkEnd = farOnly + doubleTalk;

    std::mt19937 rng(config.seed);
    std::vector<float> far =
        normalizeSpeech(farSpeech.first(farOnly + doubleTalk), config.speechRmsDbfs);
    far.resize(total, 0.0f);
    std::vector<float> near(total, 0.0f);
    const std::vector<float> nearTrack =
        normalizeSpeech(nearSpeech.first(doubleTalk + nearOnly), config.speechRmsDbfs);
    std::copy(nearTrack.begin(), nearTrack.end(), near.begin() + std::ptrdiff_t(farOnly));

    // What is played is int16; the echo comes from exactly that.
    s.far.resize(total);
    for (std::size_t i = 0; i < total; ++i) {
        s.far[i] = static_cast<std::int16_t>(std::clamp(std::lround(far[i]), -32768L, 32767L));
        far[i] = s.far[i];
    }

    const std::vector<double> h = roomResponse(config.roomResponseMs, rng);
    const std::vector<double> reverberant = convolve(far, h);
    const auto delay = static_cast<std::size_t>(config.echoDelayMs * core::kSamplesPerMs);
    // Scale so that echo power = far power - ERL over the far-end-only section.
    double farPower = 0;
    double echoPower = 0;
    for (std::size_t i = 0; i < farOnly; ++i) {
        farPower += double(far[i]) * far[i];
        if (i >= delay) {
            echoPower += reverberant[i - delay] * reverberant[i - delay];
        }
    }
    const double scale =
        echoPower > 0 ? std::sqrt(farPower / echoPower) * dbToAmplitude(-config.echoReturnLossDb)
                      : 0.0;
    s.echo.assign(total, 0.0f);
    for (std::size_t i = delay; i < total; ++i) {
        s.echo[i] = static_cast<float>(reverberant[i - delay] * scale);
    }

    std::normal_distribution<double> noise(0.0, dbToAmplitude(config.noiseRmsDbfs) * kFullScale);
    s.mic.resize(total);
    for (std::size_t i = 0; i < total; ++i) {
        const double v = double(s.echo[i]) + near[i] + noise(rng);
        s.mic[i] = static_cast<std::int16_t>(std::clamp(std::lround(v), -32768L, 32767L));
    }
    s.near = std::move(near);
    return s;
}

core::Result<EchoScenario> makeSpeechEchoScenario(const EchoScenarioConfig& config) {
    auto far = synthesizeSpeech(defaultFarSpeech());
    if (!far) {
        return far.error();
    }
    auto near = synthesizeSpeech(defaultNearSpeech());
    if (!near) {
        return near.error();
    }
    return makeEchoScenario(config, far.value(), near.value());
}

std::vector<std::int16_t> runProcessor(core::AudioProcessor& processor,
                                       const EchoScenario& scenario, double* cpuSeconds) {
    std::vector<std::int16_t> out = scenario.mic;
    const std::span<const std::int16_t> far(scenario.far);
    const double start = cpuSecondsNow();
    for (std::size_t b = 0; b + kBlock <= out.size(); b += kBlock) {
        processor.analyzePlayout(far.subspan(b, kBlock));
        processor.processCapture(std::span<std::int16_t>(out).subspan(b, kBlock));
    }
    if (cpuSeconds != nullptr) {
        *cpuSeconds = cpuSecondsNow() - start;
    }
    return out;
}

double erleDb(const EchoScenario& scenario, std::span<const std::int16_t> output, std::size_t begin,
              std::size_t end) {
    const double echo = power(scenario.echo, begin, end);
    // One LSB of residual at least, so that a perfect (silent) output gives a finite figure.
    const double residual = std::max(power(output, begin, end), double(end - begin));
    return 10.0 * std::log10(std::max(echo, 1.0) / residual);
}

EchoMetrics measureEcho(const EchoScenario& scenario, std::span<const std::int16_t> output,
                        double cpuSeconds) {
    EchoMetrics m;
    const std::size_t erleFrom = samplesOf(scenario.config.erleFromSeconds);
    m.erleDb = erleDb(scenario, output, erleFrom, scenario.farOnlyEnd);

    // Convergence: 0.5 s windows; windows with little echo (speech pauses) say nothing. The
    // first window within 6 dB of the steady figure from which at least 90 % of the later
    // windows are too (one unlucky syllable must not undo the convergence).
    const std::size_t window = samplesOf(0.5);
    const double meanEchoPerWindow =
        power(scenario.echo, 0, scenario.farOnlyEnd) / double(scenario.farOnlyEnd) * double(window);
    for (std::size_t w = 0; w + window <= scenario.farOnlyEnd; w += window) {
        m.windowErleDb.push_back(power(scenario.echo, w, w + window) < 0.1 * meanEchoPerWindow
                                     ? std::nan("")
                                     : erleDb(scenario, output, w, w + window));
    }
    const double threshold = m.erleDb - 6.0;
    for (std::size_t k = 0; k < m.windowErleDb.size(); ++k) {
        if (!(m.windowErleDb[k] >= threshold)) {
            continue; // below, or NaN
        }
        std::size_t counted = 0;
        std::size_t ok = 0;
        for (std::size_t j = k; j < m.windowErleDb.size(); ++j) {
            if (!std::isnan(m.windowErleDb[j])) {
                ++counted;
                ok += m.windowErleDb[j] >= threshold ? 1 : 0;
            }
        }
        if (double(ok) >= 0.9 * double(counted)) {
            m.convergenceSeconds = double((k + 1) * window) / core::kSampleRateHz;
            break;
        }
    }

    // Processing latency: the lag (0..30 ms) at which the near-end track correlates best with
    // the output, over 3 s of near-end-only. The peak is sharp (one sample off costs most of
    // it), so the near-end gain below is only meaningful at this lag.
    const std::size_t probeBegin = scenario.doubleTalkEnd + samplesOf(1.0);
    const std::size_t probeEnd = std::min(probeBegin + samplesOf(3.0), output.size() - 3 * kBlock);
    double best = -2;
    for (int lag = 0; lag <= 3 * core::kBlockSamples; ++lag) {
        double cross = 0;
        double outPower = 0;
        for (std::size_t i = probeBegin; i < probeEnd; ++i) {
            const double o = output[i + std::size_t(lag)];
            cross += double(scenario.near[i]) * o;
            outPower += o * o;
        }
        const double r = outPower > 0 ? cross / std::sqrt(outPower) : 0.0;
        if (r > best) {
            best = r;
            m.outputLagSamples = lag;
        }
    }
    auto changeDb = [&](std::size_t begin, std::size_t end) {
        const double g = projectionGain(scenario.near, output, begin, end, m.outputLagSamples);
        return 20.0 * std::log10(std::max(g, 1e-6));
    };
    m.nearOnlyChangeDb = changeDb(scenario.doubleTalkEnd, output.size() - 3 * kBlock);
    m.doubleTalkChangeDb = changeDb(scenario.farOnlyEnd, scenario.doubleTalkEnd);
    const std::size_t blocks = output.size() / kBlock;
    m.cpuMicrosPerBlock = blocks > 0 ? cpuSeconds * 1e6 / double(blocks) : 0.0;
    return m;
}

} // namespace diyuma::bench
