// speexdsp (MDF echo canceller + preprocessor) behind core::AudioProcessor.
#include "diyuma/audio/AudioFormat.h"

#include "processing/Processors.h"

#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

#include <algorithm>
#include <array>
#include <vector>

namespace diyuma::devices::detail {

namespace {

/// Echo that arrives up to this much earlier than the reported device delay is still inside
/// the filter (a reference that comes too late cannot be cancelled at all).
constexpr int kDelayMarginMs = 20;

struct EchoStateDeleter {
    void operator()(SpeexEchoState* state) const { speex_echo_state_destroy(state); }
};
struct PreprocessStateDeleter {
    void operator()(SpeexPreprocessState* state) const { speex_preprocess_state_destroy(state); }
};
using EchoState = std::unique_ptr<SpeexEchoState, EchoStateDeleter>;
using PreprocessState = std::unique_ptr<SpeexPreprocessState, PreprocessStateDeleter>;

core::Error libraryFailed(const std::string& what) {
    return core::Error{static_cast<int>(AudioProcessingErrorCode::LibraryFailed),
                       "speexdsp: " + what + " failed"};
}

class SpeexProcessor final : public core::AudioProcessor {
public:
    SpeexProcessor(EchoState echo, PreprocessState preprocess, std::size_t referenceDelaySamples)
        : m_echo(std::move(echo)), m_preprocess(std::move(preprocess)),
          m_delayLine(referenceDelaySamples + kBlock, 0) {}

    void analyzePlayout(std::span<const std::int16_t> block) override {
        if (block.size() != kBlock) {
            return;
        }
        std::copy(block.begin(), block.end(), m_pendingPlayout.begin());
        m_havePlayout = true;
    }

    void processCapture(std::span<std::int16_t> block) override {
        if (block.size() != kBlock) {
            return;
        }
        if (m_echo) {
            // The far end played for this block (silence if the engine played nothing)
            // enters the delay line; the reference is what left it `delay` samples ago.
            if (!m_havePlayout) {
                m_pendingPlayout.fill(0);
            }
            m_havePlayout = false;
            const std::size_t size = m_delayLine.size();
            for (std::size_t i = 0; i < kBlock; ++i) {
                m_delayLine[m_writePos] = m_pendingPlayout[i];
                // size = delay + kBlock, so the sample written `delay` samples before this
                // one sits kBlock - 1 places ahead of the next write position.
                m_writePos = (m_writePos + 1 == size) ? 0 : m_writePos + 1;
                m_reference[i] = m_delayLine[(m_writePos + kBlock - 1) % size];
            }
            speex_echo_cancellation(m_echo.get(), block.data(), m_reference.data(),
                                    m_output.data());
            std::copy(m_output.begin(), m_output.end(), block.begin());
        }
        if (m_preprocess) {
            speex_preprocess_run(m_preprocess.get(), block.data());
        }
    }

private:
    static constexpr std::size_t kBlock = static_cast<std::size_t>(core::kBlockSamples);

    EchoState m_echo;             // null: echo cancellation off
    PreprocessState m_preprocess; // null: denoise, AGC and echo suppression all off
    std::vector<std::int16_t> m_delayLine;
    std::size_t m_writePos = 0;
    bool m_havePlayout = false;
    std::array<std::int16_t, kBlock> m_pendingPlayout{};
    std::array<std::int16_t, kBlock> m_reference{};
    std::array<std::int16_t, kBlock> m_output{};
};

} // namespace

core::Result<std::unique_ptr<core::AudioProcessor>>
makeSpeexProcessor(const AudioProcessingOptions& options) {
    int sampleRate = core::kSampleRateHz;
    EchoState echo;
    if (options.echoCancellation) {
        const int tailSamples = options.echoTailMs * core::kSamplesPerMs;
        echo.reset(speex_echo_state_init(core::kBlockSamples, tailSamples));
        if (!echo) {
            return libraryFailed("speex_echo_state_init");
        }
        if (speex_echo_ctl(echo.get(), SPEEX_ECHO_SET_SAMPLING_RATE, &sampleRate) != 0) {
            return libraryFailed("SPEEX_ECHO_SET_SAMPLING_RATE");
        }
    }

    PreprocessState preprocess;
    if (options.echoCancellation || options.noiseSuppression || options.gainControl) {
        preprocess.reset(speex_preprocess_state_init(core::kBlockSamples, sampleRate));
        if (!preprocess) {
            return libraryFailed("speex_preprocess_state_init");
        }
        auto set = [&](int request, auto value, const char* name) {
            return speex_preprocess_ctl(preprocess.get(), request, &value) == 0 ? std::string()
                                                                                : std::string(name);
        };
        std::string failed;
        const int denoise = options.noiseSuppression ? 1 : 0;
        const int agc = options.gainControl ? 1 : 0;
        for (const std::string& f : {
                 set(SPEEX_PREPROCESS_SET_DENOISE, denoise, "SPEEX_PREPROCESS_SET_DENOISE"),
                 set(SPEEX_PREPROCESS_SET_AGC, agc, "SPEEX_PREPROCESS_SET_AGC"),
                 // Speex's loudness target, chosen on bench_erle so that speech at -24 dBFS RMS
                 // comes out about as loud as through WebRtc's AGC; at most 20 dB of gain.
                 set(SPEEX_PREPROCESS_SET_AGC_LEVEL, 24000.0f, "SPEEX_PREPROCESS_SET_AGC_LEVEL"),
                 set(SPEEX_PREPROCESS_SET_AGC_MAX_GAIN, 20, "SPEEX_PREPROCESS_SET_AGC_MAX_GAIN"),
                 set(SPEEX_PREPROCESS_SET_DEREVERB, 0, "SPEEX_PREPROCESS_SET_DEREVERB"),
             }) {
            if (failed.empty() && !f.empty()) {
                failed = f;
            }
        }
        if (!failed.empty()) {
            return libraryFailed(failed);
        }
        if (echo) {
            // Linking the echo state turns on the residual-echo suppressor (what the linear
            // filter leaves, mostly the room's tail and misadjustment).
            if (speex_preprocess_ctl(preprocess.get(), SPEEX_PREPROCESS_SET_ECHO_STATE,
                                     echo.get()) != 0) {
                return libraryFailed("SPEEX_PREPROCESS_SET_ECHO_STATE");
            }
        }
    }

    const int delayMs = std::max(0, options.deviceDelayMs - kDelayMarginMs);
    const auto delaySamples = static_cast<std::size_t>(delayMs * core::kSamplesPerMs);
    return std::unique_ptr<core::AudioProcessor>(
        std::make_unique<SpeexProcessor>(std::move(echo), std::move(preprocess), delaySamples));
}

} // namespace diyuma::devices::detail
