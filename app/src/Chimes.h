#pragma once
// Short sounds generated in code for the call screen: join and leave chimes (two soft notes,
// rising for someone joining, falling for someone leaving) and the settings dialog's test
// melody. 48 kHz mono int16, ready for devices::PlaybackDevice::playSound().
//
// Thread: any (pure functions).

#include "diyuma/session/SessionTypes.h"

#include <chrono>
#include <cstdint>
#include <set>
#include <span>
#include <vector>

namespace diyuma::app {

/// Two rising notes (E5 then A5), ~0.35 s, peak about -14 dBFS.
[[nodiscard]] std::vector<std::int16_t> joinChime();
/// Two falling notes (A5 then E5), ~0.35 s, peak about -14 dBFS.
[[nodiscard]] std::vector<std::int16_t> leaveChime();
/// A short major arpeggio (C5 E5 G5 C6), ~1.2 s, for "play test sound".
[[nodiscard]] std::vector<std::int16_t> testMelody();

/// One note with a soft attack and an exponential decay, mixed into `out` from sample
/// `startSample` on (`out` grows as needed). `peak` is linear (1.0 = full scale).
void addNote(std::vector<float>& out, double frequencyHz, std::size_t startSample, double durationS,
             double peak);

/// Decides which roster changes deserve a chime: someone new joining (rising) or someone we
/// knew leaving (falling); never ourselves, never a mute change, and not the roster the relay
/// sends in a burst right after we join or rejoin (those people were already there). The relay
/// does not mark that burst, so changes within kInitialRosterQuiet of joining are taken as it.
class JoinLeaveTracker {
public:
    enum class Sound { None, Join, Leave };
    static constexpr std::chrono::milliseconds kInitialRosterQuiet{1500};

    /// We joined (or rejoined) at `now`; `present` is who the snapshot already lists.
    void reset(std::chrono::milliseconds now, std::span<const std::uint32_t> present);
    /// One roster change at `now` (any monotonic clock, the same as reset()'s).
    [[nodiscard]] Sound onChange(const core::RosterChange& change, std::chrono::milliseconds now);

private:
    std::set<std::uint32_t> m_known;
    std::chrono::milliseconds m_quietUntil{0};
};

} // namespace diyuma::app
