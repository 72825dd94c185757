#pragma once
// The one audio format of the pipeline: 48 kHz mono int16, 20 ms Opus frames, 10 ms device
// blocks, and the audio module's error codes.
//
// Thread: constants only; usable from any thread.

#include <cstdint>

namespace diyuma::core {

inline constexpr int kSampleRateHz = 48000;
inline constexpr int kFrameSamples = 960;           ///< one Opus frame, 20 ms, mono
inline constexpr int kBlockSamples = 480;           ///< one device/engine block, 10 ms, mono
inline constexpr std::uint32_t kRtpClockHz = 48000; ///< RFC 7587: RTP clock is always 48 kHz
inline constexpr int kSamplesPerMs = kSampleRateHz / 1000;
/// Largest Opus packet duration (120 ms): what one decode call can return.
inline constexpr int kMaxOpusFrameSamples = 5760;

/// Error::code values of the audio module (Result<T> errors).
enum class AudioErrorCode {
    CodecCreate = 1,    ///< libopus refused to create an encoder or decoder
    CodecSetting = 2,   ///< libopus refused a setting (bitrate out of range, ...)
    FileMissing = 3,    ///< no such file
    FileUnreadable = 4, ///< not an audio file libsndfile knows, or broken
    FileEmpty = 5,      ///< a valid audio file with no samples
    FileWrite = 6,      ///< cannot create or write a file
    Resample = 7,       ///< soxr failed
};

} // namespace diyuma::core
