#pragma once
// An uncompressed picture in I420 (planar YUV 4:2:0, BT.601 limited range): a Y plane of
// width x height, then U and V planes of ceil(width/2) x ceil(height/2), tightly packed in
// one buffer. The buffer is reused: resize() allocates only when the picture grows, so a
// frame kept per stream costs no allocation per frame in steady state.
//
// Thread: a plain value; one thread at a time.

#include "diyuma/util/Result.h"

#include <cstdint>
#include <span>
#include <vector>

namespace diyuma::core {

enum class VideoErrorCode {
    CodecCreate = 1,  ///< libvpx refused to create an encoder or decoder
    CodecSetting = 2, ///< libvpx refused a setting
    Encode = 3,       ///< the encoder failed on a frame
    Decode = 4,       ///< the decoder rejected a frame (corrupt, or a delta frame first)
    BadSize = 5,      ///< a picture size the codec or a file cannot take
    FileMissing = 6,  ///< no such file
    FileFormat = 7,   ///< not a file of the expected format, or broken
    FileWrite = 8,    ///< cannot create or write a file
};

/// Largest picture we handle (the top simulcast layer is 1280x720; VP8 allows 16383).
inline constexpr int kMaxVideoWidth = 1920;
inline constexpr int kMaxVideoHeight = 1080;
/// The RTP clock of video (RFC 7741 section 6.1: 90 kHz).
inline constexpr int kVideoRtpClockHz = 90000;

class VideoFrame {
public:
    VideoFrame() = default;
    VideoFrame(int width, int height) { resize(width, height); }

    /// Sets the size (both > 0, even or odd); keeps the buffer if it is large enough.
    /// Contents are unspecified afterwards.
    void resize(int width, int height);

    [[nodiscard]] int width() const { return m_width; }
    [[nodiscard]] int height() const { return m_height; }
    [[nodiscard]] bool empty() const { return m_width == 0; }
    [[nodiscard]] int chromaWidth() const { return (m_width + 1) / 2; }
    [[nodiscard]] int chromaHeight() const { return (m_height + 1) / 2; }
    /// Bytes in the planes: w*h + 2 * cw*ch.
    [[nodiscard]] std::size_t sizeBytes() const;

    [[nodiscard]] std::span<std::uint8_t> y() { return plane(0); }
    [[nodiscard]] std::span<std::uint8_t> u() { return plane(1); }
    [[nodiscard]] std::span<std::uint8_t> v() { return plane(2); }
    [[nodiscard]] std::span<const std::uint8_t> y() const { return plane(0); }
    [[nodiscard]] std::span<const std::uint8_t> u() const { return plane(1); }
    [[nodiscard]] std::span<const std::uint8_t> v() const { return plane(2); }
    /// All three planes, Y then U then V.
    [[nodiscard]] std::span<std::uint8_t> data() { return {m_data.data(), sizeBytes()}; }
    [[nodiscard]] std::span<const std::uint8_t> data() const {
        return {m_data.data(), sizeBytes()};
    }

    /// Wall-clock time (Unix ms) at which the picture was captured; 0 if unknown.
    std::int64_t captureUnixMs = 0;

private:
    [[nodiscard]] std::span<std::uint8_t> plane(int index);
    [[nodiscard]] std::span<const std::uint8_t> plane(int index) const;

    int m_width = 0;
    int m_height = 0;
    std::vector<std::uint8_t> m_data;
};

/// Peak signal-to-noise ratio of the Y planes (dB; 99 for identical pictures). Both frames
/// must have the same size (else 0).
[[nodiscard]] double psnrY(const VideoFrame& a, const VideoFrame& b);

} // namespace diyuma::core
