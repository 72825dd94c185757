#include "diyuma/audio/Tone.h"

#include "diyuma/audio/AudioFormat.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace diyuma::core {

ToneGenerator::ToneGenerator(double frequencyHz, double levelDbfs)
    : m_frequencyHz(frequencyHz), m_levelDbfs(levelDbfs),
      m_amplitude(32767.0 * std::pow(10.0, levelDbfs / 20.0)),
      m_phaseStep(2.0 * std::numbers::pi * frequencyHz / kSampleRateHz) {}

void ToneGenerator::generate(std::span<std::int16_t> out) {
    constexpr double kTwoPi = 2.0 * std::numbers::pi;
    for (auto& sample : out) {
        const double v = std::clamp(std::round(m_amplitude * std::sin(m_phase)), -32768.0, 32767.0);
        sample = static_cast<std::int16_t>(v);
        // Wrapping keeps the phase small, so precision does not drift over hours.
        m_phase += m_phaseStep;
        if (m_phase >= kTwoPi)
            m_phase -= kTwoPi;
    }
}

} // namespace diyuma::core
