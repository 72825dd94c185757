#pragma once
// RAII wrappers over libvpx's VP8 encoder and decoder.
//
// Encoder: realtime (VPX_DL_REALTIME, cpu-used from Vp8EncoderConfig), CBR, quantizer 6..56
// (finer than 6 is visually lossless already and makes easy pictures' frame sizes spiky), no
// lag (a frame in gives its packet out at once), no frame dropping by the rate control, one
// token partition, error resilient mode (a lost frame damages less), key frames only when
// asked (forceKeyFrame) or every keyFrameInterval frames. Frames are I420 (VideoFrame).
//
// Quantizer ramp after a key frame: CBR codes a key frame coarsely (quantizer 48 of 63 for
// the test pattern at 720p, 1.5 Mbit/s), and the delta frames after it then spent up to 13x
// an average frame on restoring the detail at once (77 KB against 6 KB: a burst that queues
// at a thin link like a second key frame, and freezes the picture there). So after a key
// frame the quantizer may come down by only kRampStepPerFrame (2) per frame from the key
// frame's, back to the floor in ~0.7 s at 30 fps. Measured with bench_video_codec (its last
// lines; docs/PERFORMANCE.md section 5.4): the largest frame in the second after a key frame
// is now 2.9x the mean frame before at 720p (15 KB), 2.6x at 360p; the price is the
// picture's quality in that second (luma PSNR ~43 dB on average instead of 46-47).
//
// Decoder: one thread; decode() of a frame that needs a reference we never had fails, and the
// caller asks the sender for a key frame.
//
// Thread: each object one thread at a time (the media thread); not thread-safe.

#include "diyuma/util/Result.h"
#include "diyuma/video/VideoFrame.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

namespace diyuma::core {

struct Vp8EncoderConfig {
    int width = 640;
    int height = 360;
    int frameRate = 30;
    int bitrateBps = 800'000;
    /// Frames between automatic key frames (0: only when asked). Kept long: receivers ask
    /// with PLI when they need one, and a key frame costs several delta frames.
    int keyFrameInterval = 0;
    /// libvpx speed/quality (VP8E_SET_CPUUSED, -16..16; higher is faster). Realtime video
    /// conferencing uses high values: 720p30 must encode in real time on one core.
    int cpuUsed = 10;
    int threads = 1;
    /// Temporal layers, 1..3 (VP8 temporal scalability): with 3, frames go TL0 TL2 TL1 TL2
    /// (TL0 at a quarter of the frame rate, TL0+TL1 at half), each layer referring only to
    /// lower ones, so a hop can drop the top layers without harming the rest; with 2, TL0
    /// TL1. The bitrate is shared 40/20/40 % (3) or 60/40 % (2), cumulatively.
    int temporalLayers = 1;
};

/// The bitrate we send a picture size at: 500 kbit/s at 640x360 and 1.5 Mbit/s at 1280x720
/// (DESIGN.md's layers), linear in the pixel count between; below 360p in proportion to it,
/// at least 150 kbit/s (about 320x180).
[[nodiscard]] int defaultVideoBitrateBps(int width, int height);

/// Frames in one period of the temporal-layer pattern (Vp8EncoderConfig::temporalLayers): 4
/// with 3 layers, 2 with 2, 1 without layers. Position 0 is always a TL0 frame.
[[nodiscard]] std::size_t temporalPatternLength(int temporalLayers);

/// One encoded VP8 frame; `data` points into the encoder and is valid until the next call.
struct EncodedVideoFrame {
    std::span<const std::uint8_t> data;
    bool keyFrame = false;
    int width = 0;
    int height = 0;
    std::uint8_t temporalId = 0; ///< its temporal layer (0 without temporal layers)
    /// Refers to TL0 only: a receiver that adds this frame's layer can decode it at once.
    bool layerSync = false;
    /// No later frame refers to it (it may be dropped).
    bool nonReference = false;
};

class Vp8Encoder {
public:
    /// Fails with VideoErrorCode::BadSize for sizes outside 16..kMaxVideoWidth/Height, or
    /// CodecCreate/CodecSetting when libvpx refuses the configuration.
    [[nodiscard]] static Result<Vp8Encoder> create(const Vp8EncoderConfig& config);

    Vp8Encoder(Vp8Encoder&&) noexcept;
    Vp8Encoder& operator=(Vp8Encoder&&) noexcept;
    Vp8Encoder(const Vp8Encoder&) = delete;
    Vp8Encoder& operator=(const Vp8Encoder&) = delete;
    ~Vp8Encoder();

    /// Encodes one frame (its size must be the configured one) at presentation time
    /// `ptsMs` (milliseconds, increasing). Nothing if the encoder produced no frame (it does
    /// not drop frames as configured, so that is a rare event); an Error with
    /// VideoErrorCode::Encode on failure or a frame of the wrong size.
    /// With temporal layers the encoder walks its own pattern (restarting at each key frame).
    [[nodiscard]] Result<std::optional<EncodedVideoFrame>>
    encode(const VideoFrame& frame, std::int64_t ptsMs, bool forceKeyFrame);
    /// The same, at position `patternPosition` (taken modulo temporalPatternLength()) of the
    /// temporal pattern, which the caller keeps: simulcast drives all its encoders from one
    /// position, so that the same picture has the same TID and TL0PICIDX in every layer. A
    /// position-0 (TL0) delta frame refers only to LAST, the previous TL0, so the caller may
    /// restart the pattern at 0 at any picture (it does when another layer takes a key frame).
    /// The encoder's own position moves on from the one given.
    [[nodiscard]] Result<std::optional<EncodedVideoFrame>> encode(const VideoFrame& frame,
                                                                  std::int64_t ptsMs,
                                                                  bool forceKeyFrame,
                                                                  std::size_t patternPosition);
    /// New target bitrate (bps, 10 kbit/s .. 20 Mbit/s); false if libvpx refused.
    bool setBitrate(int bitrateBps);
    [[nodiscard]] const Vp8EncoderConfig& config() const;

private:
    struct Handle;
    explicit Vp8Encoder(std::unique_ptr<Handle> handle);
    std::unique_ptr<Handle> m_handle;
};

class Vp8Decoder {
public:
    [[nodiscard]] static Result<Vp8Decoder> create();

    Vp8Decoder(Vp8Decoder&&) noexcept;
    Vp8Decoder& operator=(Vp8Decoder&&) noexcept;
    Vp8Decoder(const Vp8Decoder&) = delete;
    Vp8Decoder& operator=(const Vp8Decoder&) = delete;
    ~Vp8Decoder();

    /// Decodes one complete VP8 frame into `out` (resized to the picture's size). Returns
    /// false (Ok) if the decoder took the data but showed no picture; an Error with
    /// VideoErrorCode::Decode for corrupt data or a missing reference.
    [[nodiscard]] Result<bool> decode(std::span<const std::uint8_t> frame, VideoFrame& out);

private:
    struct Handle;
    explicit Vp8Decoder(std::unique_ptr<Handle> handle);
    std::unique_ptr<Handle> m_handle;
};

} // namespace diyuma::core
