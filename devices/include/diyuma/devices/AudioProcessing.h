#pragma once
// Microphone processing: acoustic echo cancellation, noise suppression and automatic gain
// control behind core::AudioProcessor, with two backends.
//
// - WebRtc: webrtc-audio-processing 0.3 (webrtc::AudioProcessing): AEC with the extended
//   filter and the delay-agnostic mode (it estimates the far-end → microphone delay itself),
//   noise suppression (high), adaptive digital AGC with limiter, high-pass filter. Int16
//   AudioFrame interface at 48 kHz, 10 ms.
// - Speex: speexdsp's MDF echo canceller (speex_echo_cancellation, filter covering
//   echoTailMs after the reported device delay) followed by speex_preprocess with denoise,
//   AGC and residual-echo suppression linked to the echo state.
//
// Which backend is the default, and why (bench/aec/run.sh; the tables are in
// docs/PERFORMANCE.md, "Echo cancellation"): WebRtc. On the synthetic rooms (90/140 ms delay,
// 150/250 ms decaying response, ERL 10/6 dB, noise, two espeak-ng talkers) with all stages on
// it removes 49-53 dB of echo after convergence against Speex's 11-15 dB (Speex's AGC lifts
// its residual echo; without AGC Speex reaches 31-35 dB, WebRtc 52-56 dB); it is above 30 dB
// after 1 s and needs no reported delay. Both keep near-end-only speech within 1 dB (AGC off);
// in double talk WebRtc's non-linear suppression costs the near end 5-7 dB, Speex 1 dB, which
// does not outweigh 20 dB more echo. WebRtc costs about 1.2-1.9 % of a core, Speex 2.5-3.6 %
// (its 250 ms filter at 48 kHz). Latency added: WebRtc 14 ms, Speex 10 ms.
//
// Thread: makeAudioProcessor() from any thread. An AudioProcessor belongs to one thread (the
// media thread): analyzePlayout() and processCapture() must not run concurrently. They do not
// allocate in steady state (the libraries' own buffers are made at creation), do not lock,
// log or throw, and accept any sample values (silence, full-scale noise, clipping).

#include "diyuma/session/AudioDevice.h"
#include "diyuma/util/Result.h"

#include <cstdint>
#include <memory>
#include <string_view>

namespace diyuma::devices {

enum class AudioProcessingBackend : std::uint8_t {
    WebRtc = 0, ///< webrtc-audio-processing 0.3
    Speex = 1,  ///< speexdsp MDF echo canceller + preprocessor
};

/// The measured choice (see the header comment).
inline constexpr AudioProcessingBackend kDefaultAudioProcessingBackend =
    AudioProcessingBackend::WebRtc;

/// Switches the app exposes in its settings, and what it knows about the device.
struct AudioProcessingOptions {
    bool echoCancellation = true;
    bool noiseSuppression = true;
    bool gainControl = true;
    /// Estimated delay from handing a block to analyzePlayout() until its echo is in the
    /// block given to processCapture() (output + input device latency), in ms, 0..1000.
    /// WebRtc uses it as the starting point of its own estimate; Speex delays its reference
    /// by this minus a 20 ms safety margin, so that its filter only has to cover the room.
    int deviceDelayMs = 0;
    /// Speex only: how much echo after the (margin-reduced) delay the adaptive filter covers,
    /// in ms, 20..500. Longer costs CPU linearly. WebRtc's filter length is fixed (128 ms at
    /// 16 kHz in extended-filter mode) and ignores this.
    int echoTailMs = 250;
};

inline constexpr int kMaxDeviceDelayMs = 1000;
inline constexpr int kMinEchoTailMs = 20;
inline constexpr int kMaxEchoTailMs = 500;

/// Error::code values of makeAudioProcessor().
enum class AudioProcessingErrorCode {
    BadOption = 1,     ///< an option out of range or an unknown backend; message says which
    LibraryFailed = 2, ///< the library refused to create or configure its state
};

/// "webrtc" or "speex" (for settings files, logs and the benchmark).
[[nodiscard]] std::string_view backendName(AudioProcessingBackend backend);

/// Creates a processor for 48 kHz mono int16, 10 ms blocks (core::kBlockSamples). Blocks of
/// another size are passed through unchanged. The caller owns the result.
[[nodiscard]] core::Result<std::unique_ptr<core::AudioProcessor>>
makeAudioProcessor(AudioProcessingBackend backend = kDefaultAudioProcessingBackend,
                   const AudioProcessingOptions& options = {});

} // namespace diyuma::devices
