#pragma once
// Test-signal generator: a sine with a continuous phase across calls.
//
// Thread: one thread at a time; each generator has its own phase.

#include <cstdint>
#include <span>

namespace diyuma::core {

/// Sine generator at 48 kHz; amplitude in dBFS (0 dBFS = a sine peaking at 32767).
class ToneGenerator {
public:
    static constexpr double kDefaultLevelDbfs = -12.0;

    explicit ToneGenerator(double frequencyHz, double levelDbfs = kDefaultLevelDbfs);
    /// Fills `out` (caller-owned, any length) with the next samples; the phase continues
    /// where the previous call stopped.
    void generate(std::span<std::int16_t> out);

    [[nodiscard]] double frequencyHz() const { return m_frequencyHz; }
    [[nodiscard]] double levelDbfs() const { return m_levelDbfs; }

private:
    double m_frequencyHz;
    double m_levelDbfs;
    double m_amplitude;
    double m_phaseStep; ///< radians per sample
    double m_phase = 0; ///< radians, kept in [0, 2 pi)
};

} // namespace diyuma::core
