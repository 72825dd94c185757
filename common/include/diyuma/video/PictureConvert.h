#pragma once
// Picture conversions between the codec's I420 and what cameras and screens use:
//  - toI420: a camera picture (I420, NV12, YUYV, UYVY or 32-bit RGB, each plane with its own
//    stride) into a VideoFrame, for the encoder;
//  - scaleI420: a picture to the size the encoder takes, cropping the middle to its shape;
//  - i420ToRgb32: a decoded VideoFrame into 32-bit pixels 0xffRRGGBB (Qt's Format_RGB32),
//    scaled (nearest neighbour) to the size asked for and mirrored if wanted (self-view).
// Colours are BT.601 limited range both ways, as libvpx assumes.
//
// Thread: pure functions, any thread; neither allocates once `out` is large enough.

#include "diyuma/util/Result.h"
#include "diyuma/video/VideoFrame.h"

#include <cstddef>
#include <cstdint>
#include <span>

namespace diyuma::core {

/// Byte layouts of camera pictures. The RGB ones name the bytes in memory order:
/// Bgrx is a little-endian 0xXXRRGGBB word (Qt's QImage::Format_RGB32 on x86).
enum class PixelLayout { I420, Nv12, Yuyv, Uyvy, Bgrx, Rgbx, Xrgb };

/// One plane of a picture: its bytes and the distance between rows in bytes.
struct PlaneView {
    std::span<const std::uint8_t> bytes;
    std::size_t strideBytes = 0;
};

/// How many planes a layout has (I420 3, NV12 2, the packed ones 1).
[[nodiscard]] int planeCount(PixelLayout layout);

/// Converts a width x height picture to I420 in `out` (resized; captureUnixMs untouched).
/// Fails with VideoErrorCode::BadSize when the size is outside 2..kMaxVideoWidth/Height, a
/// plane is missing, a stride is shorter than a row, or a plane holds fewer bytes than its
/// rows need. Odd widths and heights are allowed (the last chroma sample covers one column
/// or row).
[[nodiscard]] Status toI420(PixelLayout layout, std::span<const PlaneView> planes, int width,
                            int height, VideoFrame& out);

/// Fills `dst` (already sized: the encoder's size) from `src`: the largest centred part of
/// `src` with dst's aspect ratio, scaled by nearest neighbour (a 4:3 camera loses a band at
/// the top and bottom for 16:9). Copies captureUnixMs. Does nothing if either is empty.
void scaleI420(const VideoFrame& src, VideoFrame& dst);

/// Writes `picture` scaled to dstWidth x dstHeight into `dst` (rows of dstStrideBytes, each
/// pixel a native-endian 0xffRRGGBB word), mirrored left to right if `mirror`. Does nothing
/// and returns false if the picture is empty, a size is not positive or `dst` is too small.
bool i420ToRgb32(const VideoFrame& picture, std::span<std::uint8_t> dst, int dstWidth,
                 int dstHeight, std::size_t dstStrideBytes, bool mirror);

} // namespace diyuma::core
