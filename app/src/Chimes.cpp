#include "Chimes.h"

#include "diyuma/audio/AudioFormat.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace diyuma::app {

namespace {

constexpr double kE5 = 659.25;
constexpr double kA5 = 880.00;
constexpr double kC5 = 523.25;
constexpr double kG5 = 783.99;
constexpr double kC6 = 1046.50;

std::size_t samplesFor(double seconds) {
    return static_cast<std::size_t>(seconds * core::kSampleRateHz);
}

std::vector<std::int16_t> toPcm(const std::vector<float>& mix) {
    std::vector<std::int16_t> pcm(mix.size());
    std::transform(mix.begin(), mix.end(), pcm.begin(), [](float v) {
        return static_cast<std::int16_t>(std::lround(std::clamp(v, -1.0F, 1.0F) * 32767.0F));
    });
    return pcm;
}

std::vector<std::int16_t> twoNotes(double first, double second) {
    // -14 dBFS: clearly audible over speech but not startling.
    const double peak = std::pow(10.0, -14.0 / 20.0);
    std::vector<float> mix;
    addNote(mix, first, 0, 0.22, peak);
    addNote(mix, second, samplesFor(0.11), 0.26, peak);
    return toPcm(mix);
}

} // namespace

void addNote(std::vector<float>& out, double frequencyHz, std::size_t startSample, double durationS,
             double peak) {
    const std::size_t n = samplesFor(durationS);
    if (out.size() < startSample + n)
        out.resize(startSample + n, 0.0F);
    const double rate = core::kSampleRateHz;
    const double attackS = 0.006;
    // Decays by ~40 dB over the note, so it ends without a click.
    const double decayPerS = std::log(100.0) / durationS;
    for (std::size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / rate;
        const double attack = std::min(1.0, t / attackS);
        const double release = std::min(1.0, static_cast<double>(n - i) / (0.004 * rate));
        const double env = attack * release * std::exp(-decayPerS * t);
        const double phase = 2.0 * std::numbers::pi * frequencyHz * t;
        // A quiet second and third harmonic make it sound like a soft bell, not a test tone.
        const double wave =
            std::sin(phase) + 0.25 * std::sin(2 * phase) + 0.08 * std::sin(3 * phase);
        out[startSample + i] += static_cast<float>(peak * env * wave / 1.33);
    }
}

std::vector<std::int16_t> joinChime() {
    return twoNotes(kE5, kA5);
}

std::vector<std::int16_t> leaveChime() {
    return twoNotes(kA5, kE5);
}

std::vector<std::int16_t> testMelody() {
    const double peak = std::pow(10.0, -12.0 / 20.0);
    std::vector<float> mix;
    const double notes[] = {kC5, kE5, kG5, kC6};
    for (std::size_t i = 0; i < std::size(notes); ++i)
        addNote(mix, notes[i], samplesFor(0.16 * static_cast<double>(i)), i == 3 ? 0.7 : 0.35,
                peak * 0.8);
    return toPcm(mix);
}

void JoinLeaveTracker::reset(std::chrono::milliseconds now,
                             std::span<const std::uint32_t> present) {
    m_known.clear();
    m_known.insert(present.begin(), present.end());
    m_quietUntil = now + kInitialRosterQuiet;
}

JoinLeaveTracker::Sound JoinLeaveTracker::onChange(const core::RosterChange& change,
                                                   std::chrono::milliseconds now) {
    const auto id = change.entry.participantId;
    const bool quiet = now < m_quietUntil || change.entry.isSelf;
    if (change.op == core::wire::RosterOp::Upsert) {
        const bool isNew = m_known.insert(id).second;
        return isNew && !quiet ? Sound::Join : Sound::None;
    }
    const bool wasKnown = m_known.erase(id) > 0;
    return wasKnown && !quiet ? Sound::Leave : Sound::None;
}

} // namespace diyuma::app
