#pragma once
// What the integration tests measure in a recording: the level of one tone in a time window.

#include "diyuma/audio/Goertzel.h"
#include "diyuma/audio/WavFile.h"

#include <QtCore/QString>
#include <cstdint>
#include <span>
#include <vector>

namespace diyuma::test {

/// Level (dBFS) of `hz` in [fromS, toS) of 48 kHz mono samples, or -200 if they are shorter.
inline double toneLevelIn(std::span<const std::int16_t> pcm, double hz, double fromS, double toS) {
    const auto from = static_cast<std::size_t>(fromS * 48000);
    const auto to = static_cast<std::size_t>(toS * 48000);
    if (pcm.size() < to || to <= from)
        return -200.0;
    return core::toneLevelDbfs(pcm.subspan(from, to - from), hz);
}

/// The same for a recording on disk (-200 if it cannot be read).
inline double toneLevelIn(const QString& path, double hz, double fromS, double toS) {
    const auto pcm = core::readAudioFileAs48kMono(path.toStdString());
    return pcm ? toneLevelIn(std::span<const std::int16_t>(*pcm), hz, fromS, toS) : -200.0;
}

} // namespace diyuma::test
