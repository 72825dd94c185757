#pragma once
// The two AudioProcessor implementations behind makeAudioProcessor() (AudioProcessing.h).
// Private to diyuma_devices: callers only see core::AudioProcessor.
//
// Thread: see AudioProcessing.h (one thread per processor).

#include "diyuma/devices/AudioProcessing.h"

namespace diyuma::devices::detail {

/// Options are already validated by the factory.
[[nodiscard]] core::Result<std::unique_ptr<core::AudioProcessor>>
makeWebRtcProcessor(const AudioProcessingOptions& options);

[[nodiscard]] core::Result<std::unique_ptr<core::AudioProcessor>>
makeSpeexProcessor(const AudioProcessingOptions& options);

} // namespace diyuma::devices::detail
