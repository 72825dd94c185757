#include "diyuma/video/PictureConvert.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace diyuma::core {

namespace {

struct Layout {
    int planes;
    /// Bytes per row of plane i, for a picture `width` wide.
    std::array<std::size_t, 3> rowBytes;
    /// Rows of plane i.
    std::array<int, 3> rows;
};

Layout layoutOf(PixelLayout layout, int width, int height) {
    const auto w = static_cast<std::size_t>(width);
    const auto cw = static_cast<std::size_t>((width + 1) / 2);
    const int ch = (height + 1) / 2;
    switch (layout) {
    case PixelLayout::I420:
        return {3, {w, cw, cw}, {height, ch, ch}};
    case PixelLayout::Nv12:
        return {2, {w, 2 * cw, 0}, {height, ch, 0}};
    case PixelLayout::Yuyv:
    case PixelLayout::Uyvy:
        return {1, {4 * cw, 0, 0}, {height, 0, 0}};
    case PixelLayout::Bgrx:
    case PixelLayout::Rgbx:
    case PixelLayout::Xrgb:
        return {1, {4 * w, 0, 0}, {height, 0, 0}};
    }
    return {0, {}, {}};
}

constexpr std::uint8_t clampByte(int v) {
    return static_cast<std::uint8_t>(std::clamp(v, 0, 255));
}

// BT.601 limited range, 8-bit fixed point (the usual integer approximation).
constexpr std::uint8_t lumaOf(int r, int g, int b) {
    return clampByte(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16);
}
constexpr std::uint8_t cbOf(int r, int g, int b) {
    return clampByte(((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128);
}
constexpr std::uint8_t crOf(int r, int g, int b) {
    return clampByte(((112 * r - 94 * g - 18 * b + 128) >> 8) + 128);
}

void copyPlane(const PlaneView& from, std::size_t rowBytes, int rows, std::span<std::uint8_t> to) {
    for (int y = 0; y < rows; ++y)
        std::memcpy(to.data() + static_cast<std::size_t>(y) * rowBytes,
                    from.bytes.data() + static_cast<std::size_t>(y) * from.strideBytes, rowBytes);
}

/// YUYV / UYVY: each 4 bytes carry two luma samples and one chroma pair; the chroma of the
/// two rows of a 2x2 block is averaged.
void packedYuvToI420(const PlaneView& plane, bool yFirst, int width, int height, VideoFrame& out) {
    const int yOffset = yFirst ? 0 : 1;
    const int uOffset = yFirst ? 1 : 0;
    const int vOffset = yFirst ? 3 : 2;
    const auto luma = out.y();
    const auto cb = out.u();
    const auto cr = out.v();
    const auto w = static_cast<std::size_t>(width);
    const auto cw = static_cast<std::size_t>(out.chromaWidth());
    for (int y = 0; y < height; ++y) {
        const std::uint8_t* row =
            plane.bytes.data() + static_cast<std::size_t>(y) * plane.strideBytes;
        for (std::size_t x = 0; x < w; ++x)
            luma[static_cast<std::size_t>(y) * w + x] =
                row[2 * x + static_cast<std::size_t>(yOffset)];
        if (y % 2 != 0)
            continue;
        const std::uint8_t* next =
            y + 1 < height ? row + plane.strideBytes : row; // odd height: the last row alone
        for (std::size_t c = 0; c < cw; ++c) {
            const std::size_t at = 4 * c;
            const std::size_t dst = static_cast<std::size_t>(y / 2) * cw + c;
            cb[dst] = static_cast<std::uint8_t>((row[at + static_cast<std::size_t>(uOffset)] +
                                                 next[at + static_cast<std::size_t>(uOffset)] + 1) /
                                                2);
            cr[dst] = static_cast<std::uint8_t>((row[at + static_cast<std::size_t>(vOffset)] +
                                                 next[at + static_cast<std::size_t>(vOffset)] + 1) /
                                                2);
        }
    }
}

void rgbToI420(const PlaneView& plane, PixelLayout layout, int width, int height, VideoFrame& out) {
    int ri = 0;
    int gi = 1;
    int bi = 2;
    if (layout == PixelLayout::Bgrx) {
        ri = 2;
        bi = 0;
    } else if (layout == PixelLayout::Xrgb) {
        ri = 1;
        gi = 2;
        bi = 3;
    }
    const auto luma = out.y();
    const auto cb = out.u();
    const auto cr = out.v();
    const auto w = static_cast<std::size_t>(width);
    const auto cw = static_cast<std::size_t>(out.chromaWidth());
    for (int cy = 0; cy < out.chromaHeight(); ++cy) {
        for (std::size_t cx = 0; cx < cw; ++cx) {
            int sumR = 0;
            int sumG = 0;
            int sumB = 0;
            int count = 0;
            for (int dy = 0; dy < 2; ++dy) {
                const int y = 2 * cy + dy;
                if (y >= height)
                    break;
                const std::uint8_t* row =
                    plane.bytes.data() + static_cast<std::size_t>(y) * plane.strideBytes;
                for (std::size_t dx = 0; dx < 2; ++dx) {
                    const std::size_t x = 2 * cx + dx;
                    if (x >= w)
                        break;
                    const std::uint8_t* px = row + 4 * x;
                    const int r = px[ri];
                    const int g = px[gi];
                    const int b = px[bi];
                    luma[static_cast<std::size_t>(y) * w + x] = lumaOf(r, g, b);
                    sumR += r;
                    sumG += g;
                    sumB += b;
                    ++count;
                }
            }
            const std::size_t dst = static_cast<std::size_t>(cy) * cw + cx;
            const int half = count / 2;
            cb[dst] = cbOf((sumR + half) / count, (sumG + half) / count, (sumB + half) / count);
            cr[dst] = crOf((sumR + half) / count, (sumG + half) / count, (sumB + half) / count);
        }
    }
}

} // namespace

int planeCount(PixelLayout layout) {
    return layoutOf(layout, 2, 2).planes;
}

Status toI420(PixelLayout layout, std::span<const PlaneView> planes, int width, int height,
              VideoFrame& out) {
    auto bad = [](std::string message) {
        return Error{static_cast<int>(VideoErrorCode::BadSize), std::move(message)};
    };
    if (width < 2 || height < 2 || width > kMaxVideoWidth || height > kMaxVideoHeight)
        return bad(fmt::format("a camera picture of {}x{} cannot be sent (2x2 to {}x{})", width,
                               height, kMaxVideoWidth, kMaxVideoHeight));
    const Layout shape = layoutOf(layout, width, height);
    if (static_cast<int>(planes.size()) < shape.planes)
        return bad(fmt::format("the picture has {} planes, its format needs {}", planes.size(),
                               shape.planes));
    for (int i = 0; i < shape.planes; ++i) {
        const PlaneView& plane = planes[static_cast<std::size_t>(i)];
        const auto index = static_cast<std::size_t>(i);
        const std::size_t needed =
            plane.strideBytes * static_cast<std::size_t>(shape.rows[index] - 1) +
            shape.rowBytes[index];
        if (plane.strideBytes < shape.rowBytes[index] || plane.bytes.size() < needed)
            return bad(fmt::format("plane {} of the {}x{} picture is too short", i, width, height));
    }

    out.resize(width, height);
    switch (layout) {
    case PixelLayout::I420:
        copyPlane(planes[0], shape.rowBytes[0], shape.rows[0], out.y());
        copyPlane(planes[1], shape.rowBytes[1], shape.rows[1], out.u());
        copyPlane(planes[2], shape.rowBytes[2], shape.rows[2], out.v());
        break;
    case PixelLayout::Nv12: {
        copyPlane(planes[0], shape.rowBytes[0], shape.rows[0], out.y());
        const auto cw = static_cast<std::size_t>(out.chromaWidth());
        const auto cb = out.u();
        const auto cr = out.v();
        for (int y = 0; y < shape.rows[1]; ++y) {
            const std::uint8_t* row =
                planes[1].bytes.data() + static_cast<std::size_t>(y) * planes[1].strideBytes;
            for (std::size_t x = 0; x < cw; ++x) {
                cb[static_cast<std::size_t>(y) * cw + x] = row[2 * x];
                cr[static_cast<std::size_t>(y) * cw + x] = row[2 * x + 1];
            }
        }
        break;
    }
    case PixelLayout::Yuyv:
    case PixelLayout::Uyvy:
        packedYuvToI420(planes[0], layout == PixelLayout::Yuyv, width, height, out);
        break;
    case PixelLayout::Bgrx:
    case PixelLayout::Rgbx:
    case PixelLayout::Xrgb:
        rgbToI420(planes[0], layout, width, height, out);
        break;
    }
    return Ok{};
}

namespace {
/// One plane: the source rectangle (x0, y0, w, h) scaled into the whole destination plane.
void scalePlane(std::span<const std::uint8_t> from, std::size_t fromStride, std::uint32_t x0,
                std::uint32_t y0, std::uint32_t w, std::uint32_t h, std::span<std::uint8_t> to,
                std::uint32_t toWidth, std::uint32_t toHeight) {
    const std::uint32_t stepX = (w << 16) / toWidth;
    const std::uint32_t stepY = (h << 16) / toHeight;
    std::uint32_t posY = stepY / 2;
    for (std::uint32_t y = 0; y < toHeight; ++y, posY += stepY) {
        const std::uint8_t* row =
            from.data() + static_cast<std::size_t>(y0 + std::min(posY >> 16, h - 1)) * fromStride;
        std::uint8_t* out = to.data() + static_cast<std::size_t>(y) * toWidth;
        std::uint32_t posX = stepX / 2;
        for (std::uint32_t x = 0; x < toWidth; ++x, posX += stepX)
            out[x] = row[x0 + std::min(posX >> 16, w - 1)];
    }
}
} // namespace

void scaleI420(const VideoFrame& src, VideoFrame& dst) {
    if (src.empty() || dst.empty())
        return;
    dst.captureUnixMs = src.captureUnixMs;
    if (src.width() == dst.width() && src.height() == dst.height()) {
        std::memcpy(dst.data().data(), src.data().data(), src.sizeBytes());
        return;
    }
    // The crop: as wide as the source if the source is relatively taller, else as tall.
    const auto sw = static_cast<std::uint64_t>(src.width());
    const auto sh = static_cast<std::uint64_t>(src.height());
    const auto dw = static_cast<std::uint64_t>(dst.width());
    const auto dh = static_cast<std::uint64_t>(dst.height());
    std::uint64_t cropW = sw;
    std::uint64_t cropH = sh;
    if (sw * dh > sh * dw)
        cropW = std::max<std::uint64_t>(2, sh * dw / dh);
    else
        cropH = std::max<std::uint64_t>(2, sw * dh / dw);
    // An odd offset puts the chroma crop half a luma pixel off: not visible.
    const auto x0 = static_cast<std::uint32_t>((sw - cropW) / 2);
    const auto y0 = static_cast<std::uint32_t>((sh - cropH) / 2);
    scalePlane(src.y(), src.width(), x0, y0, static_cast<std::uint32_t>(cropW),
               static_cast<std::uint32_t>(cropH), dst.y(), dst.width(), dst.height());
    const auto srcCw = static_cast<std::uint32_t>(src.chromaWidth());
    const auto srcCh = static_cast<std::uint32_t>(src.chromaHeight());
    const std::uint32_t cropCw =
        std::clamp<std::uint32_t>(static_cast<std::uint32_t>((cropW + 1) / 2), 1, srcCw - x0 / 2);
    const std::uint32_t cropCh =
        std::clamp<std::uint32_t>(static_cast<std::uint32_t>((cropH + 1) / 2), 1, srcCh - y0 / 2);
    const auto cw = static_cast<std::uint32_t>(dst.chromaWidth());
    const auto ch = static_cast<std::uint32_t>(dst.chromaHeight());
    scalePlane(src.u(), src.chromaWidth(), x0 / 2, y0 / 2, cropCw, cropCh, dst.u(), cw, ch);
    scalePlane(src.v(), src.chromaWidth(), x0 / 2, y0 / 2, cropCw, cropCh, dst.v(), cw, ch);
}

bool i420ToRgb32(const VideoFrame& picture, std::span<std::uint8_t> dst, int dstWidth,
                 int dstHeight, std::size_t dstStrideBytes, bool mirror) {
    if (picture.empty() || dstWidth <= 0 || dstHeight <= 0)
        return false;
    const auto dw = static_cast<std::size_t>(dstWidth);
    if (dstStrideBytes < 4 * dw ||
        dst.size() < dstStrideBytes * static_cast<std::size_t>(dstHeight - 1) + 4 * dw)
        return false;
    const auto sw = static_cast<std::uint32_t>(picture.width());
    const auto sh = static_cast<std::uint32_t>(picture.height());
    const auto cw = static_cast<std::size_t>(picture.chromaWidth());
    const auto luma = picture.y();
    const auto cb = picture.u();
    const auto cr = picture.v();
    // 16.16 fixed-point steps, sampling at the centre of each destination pixel.
    const std::uint32_t stepX = (sw << 16) / static_cast<std::uint32_t>(dstWidth);
    const std::uint32_t stepY = (sh << 16) / static_cast<std::uint32_t>(dstHeight);
    std::uint32_t posY = stepY / 2;
    for (int y = 0; y < dstHeight; ++y, posY += stepY) {
        const std::uint32_t sy = std::min(posY >> 16, sh - 1);
        const std::uint8_t* lumaRow = luma.data() + static_cast<std::size_t>(sy) * sw;
        const std::uint8_t* cbRow = cb.data() + static_cast<std::size_t>(sy / 2) * cw;
        const std::uint8_t* crRow = cr.data() + static_cast<std::size_t>(sy / 2) * cw;
        std::uint8_t* out = dst.data() + static_cast<std::size_t>(y) * dstStrideBytes;
        std::uint32_t posX = stepX / 2;
        for (std::size_t x = 0; x < dw; ++x, posX += stepX) {
            const std::uint32_t sx = std::min(posX >> 16, sw - 1);
            const int c = 298 * (lumaRow[sx] - 16) + 128;
            const int d = cbRow[sx / 2] - 128;
            const int e = crRow[sx / 2] - 128;
            const std::uint32_t r = clampByte((c + 409 * e) >> 8);
            const std::uint32_t g = clampByte((c - 100 * d - 208 * e) >> 8);
            const std::uint32_t b = clampByte((c + 516 * d) >> 8);
            const std::uint32_t pixel = 0xff000000U | (r << 16) | (g << 8) | b;
            std::memcpy(out + 4 * (mirror ? dw - 1 - x : x), &pixel, 4); // any alignment
        }
    }
    return true;
}

} // namespace diyuma::core
