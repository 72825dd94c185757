#pragma once
// Synthetic capture sources for diyuma-cli (stand-ins for a microphone).
// Thread: called by CallEngine::processAudioBlock on diyuma-cli's loop thread.

#include "diyuma/audio/Tone.h"
#include "diyuma/session/AudioDevice.h"

#include <cstdint>
#include <span>
#include <vector>

namespace diyuma::cli {

/// A continuous sine (tone:FREQ), −12 dBFS by default.
class ToneSource final : public core::AudioCaptureSource {
public:
    explicit ToneSource(double frequencyHz, double levelDbfs = -12.0)
        : m_tone(frequencyHz, levelDbfs) {}
    bool readBlock(std::span<std::int16_t> block) override {
        m_tone.generate(block);
        return true;
    }

private:
    core::ToneGenerator m_tone;
};

/// Plays 48 kHz mono samples once, then silence (which the Opus encoder turns into DTX).
class PcmSource final : public core::AudioCaptureSource {
public:
    explicit PcmSource(std::vector<std::int16_t> samples) : m_samples(std::move(samples)) {}
    bool readBlock(std::span<std::int16_t> block) override;
    [[nodiscard]] bool finished() const { return m_position >= m_samples.size(); }

private:
    std::vector<std::int16_t> m_samples;
    std::size_t m_position = 0;
};

} // namespace diyuma::cli
