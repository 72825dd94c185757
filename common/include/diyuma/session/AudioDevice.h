#pragma once
// What CallEngine needs from an audio device, cut down to two small interfaces so the same
// engine runs with PortAudio (behind SPSC rings, a later issue), with diyuma-cli's synthetic
// sources and WAV recorder, and with test fakes.
//
// Thread: both are called only from the engine's thread, inside
// CallEngine::processAudioBlock(). A real-time device puts a ring in between; these calls must
// then only copy from/to that ring.

#include "diyuma/audio/AudioJitterBuffer.h"

#include <cstdint>
#include <span>
#include <string_view>

namespace diyuma::core {

/// Delivers captured audio: 48 kHz mono int16, one 10 ms block (kBlockSamples) per call.
class AudioCaptureSource {
public:
    virtual ~AudioCaptureSource() = default;
    /// Fills `block` (exactly kBlockSamples samples, owned by the engine) with the next
    /// 10 ms. Returns false when nothing was captured this time (device underrun, muted); the
    /// engine then encodes silence so that RTP time keeps running.
    virtual bool readBlock(std::span<std::int16_t> block) = 0;
};

/// One remote participant's 10 ms of playout.
struct ParticipantAudioBlock {
    std::uint32_t participantId = 0;
    std::string_view name;                 ///< display name (valid during the call only)
    std::span<const std::int16_t> samples; ///< kBlockSamples samples
    PullResult result = PullResult::Silence;
};

/// Takes playout: every 10 ms, each present remote participant's block and their mix.
class AudioPlaybackSink {
public:
    virtual ~AudioPlaybackSink() = default;
    /// `participants` is ordered by participant ID and lists every remote participant
    /// currently in the roster (ourselves never); `mix` is their sum (Mixer, no clipping).
    /// All spans are valid only during the call.
    virtual void playBlock(std::span<const ParticipantAudioBlock> participants,
                           std::span<const std::int16_t> mix) = 0;
};

/// Echo cancellation, noise suppression and gain control on the microphone signal, fed with
/// what is being played (the far end). Implementations live outside the core (a library made
/// for it); the engine calls both once per 10 ms block, playout first.
class AudioProcessor {
public:
    virtual ~AudioProcessor() = default;
    /// The 10 ms block about to be played (exactly kBlockSamples, 48 kHz mono).
    virtual void analyzePlayout(std::span<const std::int16_t> block) = 0;
    /// The 10 ms block just captured, processed in place (echo, noise and gain).
    virtual void processCapture(std::span<std::int16_t> block) = 0;
};

} // namespace diyuma::core
