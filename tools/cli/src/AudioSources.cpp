#include "diyuma/cli/AudioSources.h"

#include <algorithm>

namespace diyuma::cli {

bool PcmSource::readBlock(std::span<std::int16_t> block) {
    const std::size_t available = m_samples.size() - std::min(m_position, m_samples.size());
    const std::size_t n = std::min(available, block.size());
    std::copy_n(m_samples.begin() + static_cast<std::ptrdiff_t>(m_position), n, block.begin());
    std::fill(block.begin() + static_cast<std::ptrdiff_t>(n), block.end(), std::int16_t{0});
    m_position += n;
    return true;
}

} // namespace diyuma::cli
