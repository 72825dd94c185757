// webrtc-audio-processing 0.3 behind core::AudioProcessor.
#include "diyuma/audio/AudioFormat.h"

#include "processing/Processors.h"

#include <webrtc/common.h>
#include <webrtc/modules/audio_processing/include/audio_processing.h>
#include <webrtc/modules/interface/module_common_types.h>

#include <algorithm>

namespace diyuma::devices::detail {

namespace {

core::Error libraryFailed(const char* what, int code) {
    return core::Error{static_cast<int>(AudioProcessingErrorCode::LibraryFailed),
                       std::string("webrtc audio processing: ") + what + " failed (" +
                           std::to_string(code) + ")"};
}

class WebRtcProcessor final : public core::AudioProcessor {
public:
    WebRtcProcessor(std::unique_ptr<webrtc::AudioProcessing> apm,
                    const AudioProcessingOptions& options)
        : m_apm(std::move(apm)), m_echoCancellation(options.echoCancellation),
          m_deviceDelayMs(options.deviceDelayMs) {
        initFrame(m_render);
        initFrame(m_capture);
    }

    void analyzePlayout(std::span<const std::int16_t> block) override {
        if (block.size() != static_cast<std::size_t>(core::kBlockSamples)) {
            return;
        }
        // The frame's format fields are never changed by the library, but reset them anyway
        // so that a change would not make the next call re-initialize (and allocate).
        initFrame(m_render);
        std::copy(block.begin(), block.end(), m_render.data_);
        // An error leaves the reference without this block; nothing better can be done here.
        static_cast<void>(m_apm->ProcessReverseStream(&m_render));
    }

    void processCapture(std::span<std::int16_t> block) override {
        if (block.size() != static_cast<std::size_t>(core::kBlockSamples)) {
            return;
        }
        initFrame(m_capture);
        std::copy(block.begin(), block.end(), m_capture.data_);
        if (m_echoCancellation) {
            // Required before every ProcessStream() while the AEC is on; with the
            // delay-agnostic mode it only seeds the internal estimate.
            static_cast<void>(m_apm->set_stream_delay_ms(m_deviceDelayMs));
        }
        const int rc = m_apm->ProcessStream(&m_capture);
        // kBadStreamParameterWarning still processes the frame; real errors keep the input.
        if (rc == webrtc::AudioProcessing::kNoError ||
            rc == webrtc::AudioProcessing::kBadStreamParameterWarning) {
            std::copy_n(m_capture.data_, block.size(), block.begin());
        }
    }

private:
    static void initFrame(webrtc::AudioFrame& frame) {
        frame.samples_per_channel_ = static_cast<std::size_t>(core::kBlockSamples);
        frame.sample_rate_hz_ = core::kSampleRateHz;
        frame.num_channels_ = 1;
    }

    std::unique_ptr<webrtc::AudioProcessing> m_apm;
    bool m_echoCancellation;
    int m_deviceDelayMs;
    // Members, not locals: an AudioFrame is 7.7 KB and the blocks must not allocate.
    webrtc::AudioFrame m_render;
    webrtc::AudioFrame m_capture;
};

} // namespace

core::Result<std::unique_ptr<core::AudioProcessor>>
makeWebRtcProcessor(const AudioProcessingOptions& options) {
    webrtc::Config config;
    // Extended filter: 128 ms instead of 48 ms of echo path, and robust to a wrong delay.
    config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(true));
    // The reported device delay is an estimate at best; let the AEC find the real one.
    config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(true));
    // The "experimental" AGC drives an analog microphone volume we do not control.
    config.Set<webrtc::ExperimentalAgc>(new webrtc::ExperimentalAgc(false));
    std::unique_ptr<webrtc::AudioProcessing> apm(webrtc::AudioProcessing::Create(config));
    if (!apm) {
        return libraryFailed("Create", -1);
    }
    const webrtc::StreamConfig mono48k(core::kSampleRateHz, 1);
    webrtc::ProcessingConfig processing;
    processing.input_stream() = mono48k;
    processing.output_stream() = mono48k;
    processing.reverse_input_stream() = mono48k;
    processing.reverse_output_stream() = mono48k;
    if (const int rc = apm->Initialize(processing); rc != webrtc::AudioProcessing::kNoError) {
        return libraryFailed("Initialize(48 kHz mono)", rc);
    }

    // DC and rumble below ~80 Hz carry no speech and disturb every stage after it.
    if (const int rc = apm->high_pass_filter()->Enable(true); rc != 0) {
        return libraryFailed("high_pass_filter()->Enable", rc);
    }
    webrtc::EchoCancellation* aec = apm->echo_cancellation();
    if (const int rc = aec->enable_drift_compensation(false); rc != 0) {
        return libraryFailed("enable_drift_compensation", rc);
    }
    if (const int rc = aec->set_suppression_level(webrtc::EchoCancellation::kModerateSuppression);
        rc != 0) {
        return libraryFailed("set_suppression_level", rc);
    }
    if (const int rc = aec->Enable(options.echoCancellation); rc != 0) {
        return libraryFailed("echo_cancellation()->Enable", rc);
    }
    webrtc::NoiseSuppression* ns = apm->noise_suppression();
    if (const int rc = ns->set_level(webrtc::NoiseSuppression::kHigh); rc != 0) {
        return libraryFailed("noise_suppression()->set_level", rc);
    }
    if (const int rc = ns->Enable(options.noiseSuppression); rc != 0) {
        return libraryFailed("noise_suppression()->Enable", rc);
    }
    webrtc::GainControl* agc = apm->gain_control();
    // Adaptive digital: we cannot move the OS microphone volume, so gain is applied to the
    // samples. Target -3 dBFS with up to 9 dB of compression gain and the limiter on (the
    // library's recommended values, set explicitly so a library update cannot change them).
    if (const int rc = agc->set_mode(webrtc::GainControl::kAdaptiveDigital); rc != 0) {
        return libraryFailed("gain_control()->set_mode", rc);
    }
    if (const int rc = agc->set_target_level_dbfs(3); rc != 0) {
        return libraryFailed("gain_control()->set_target_level_dbfs", rc);
    }
    if (const int rc = agc->set_compression_gain_db(9); rc != 0) {
        return libraryFailed("gain_control()->set_compression_gain_db", rc);
    }
    if (const int rc = agc->enable_limiter(true); rc != 0) {
        return libraryFailed("gain_control()->enable_limiter", rc);
    }
    if (const int rc = agc->Enable(options.gainControl); rc != 0) {
        return libraryFailed("gain_control()->Enable", rc);
    }
    return std::unique_ptr<core::AudioProcessor>(
        std::make_unique<WebRtcProcessor>(std::move(apm), options));
}

} // namespace diyuma::devices::detail
