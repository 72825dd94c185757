#include "diyuma/video/VideoFrame.h"

#include <cassert>
#include <cmath>

namespace diyuma::core {

void VideoFrame::resize(int width, int height) {
    assert(width > 0 && height > 0);
    m_width = width;
    m_height = height;
    if (m_data.size() < sizeBytes())
        m_data.resize(sizeBytes());
}

std::size_t VideoFrame::sizeBytes() const {
    const auto luma = static_cast<std::size_t>(m_width) * static_cast<std::size_t>(m_height);
    const auto chroma =
        static_cast<std::size_t>(chromaWidth()) * static_cast<std::size_t>(chromaHeight());
    return luma + 2 * chroma;
}

std::span<std::uint8_t> VideoFrame::plane(int index) {
    const auto luma = static_cast<std::size_t>(m_width) * static_cast<std::size_t>(m_height);
    const auto chroma =
        static_cast<std::size_t>(chromaWidth()) * static_cast<std::size_t>(chromaHeight());
    std::span<std::uint8_t> all(m_data.data(), sizeBytes());
    if (index == 0)
        return all.first(luma);
    return all.subspan(luma + static_cast<std::size_t>(index - 1) * chroma, chroma);
}

std::span<const std::uint8_t> VideoFrame::plane(int index) const {
    return const_cast<VideoFrame*>(this)->plane(index);
}

double psnrY(const VideoFrame& a, const VideoFrame& b) {
    if (a.width() != b.width() || a.height() != b.height() || a.empty())
        return 0;
    const auto ya = a.y();
    const auto yb = b.y();
    double sum = 0;
    for (std::size_t i = 0; i < ya.size(); ++i) {
        const double d = static_cast<double>(ya[i]) - static_cast<double>(yb[i]);
        sum += d * d;
    }
    if (sum == 0)
        return 99.0;
    const double mse = sum / static_cast<double>(ya.size());
    return 10.0 * std::log10(255.0 * 255.0 / mse);
}

} // namespace diyuma::core
