#include "diyuma/devices/AudioProcessing.h"

#include "processing/Processors.h"

#include <string>

namespace diyuma::devices {

namespace {

core::Error badOption(std::string message) {
    return core::Error{static_cast<int>(AudioProcessingErrorCode::BadOption), std::move(message)};
}

} // namespace

std::string_view backendName(AudioProcessingBackend backend) {
    switch (backend) {
    case AudioProcessingBackend::WebRtc:
        return "webrtc";
    case AudioProcessingBackend::Speex:
        return "speex";
    }
    return "unknown";
}

core::Result<std::unique_ptr<core::AudioProcessor>>
makeAudioProcessor(AudioProcessingBackend backend, const AudioProcessingOptions& options) {
    if (options.deviceDelayMs < 0 || options.deviceDelayMs > kMaxDeviceDelayMs) {
        return badOption("audio processing: device delay " + std::to_string(options.deviceDelayMs) +
                         " ms is outside 0.." + std::to_string(kMaxDeviceDelayMs) + " ms");
    }
    if (options.echoTailMs < kMinEchoTailMs || options.echoTailMs > kMaxEchoTailMs) {
        return badOption("audio processing: echo tail " + std::to_string(options.echoTailMs) +
                         " ms is outside " + std::to_string(kMinEchoTailMs) + ".." +
                         std::to_string(kMaxEchoTailMs) + " ms");
    }
    switch (backend) {
    case AudioProcessingBackend::WebRtc:
        return detail::makeWebRtcProcessor(options);
    case AudioProcessingBackend::Speex:
        return detail::makeSpeexProcessor(options);
    }
    return badOption("audio processing: unknown backend " +
                     std::to_string(static_cast<int>(backend)));
}

} // namespace diyuma::devices
