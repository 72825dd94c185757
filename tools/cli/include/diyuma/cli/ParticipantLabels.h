#pragma once
// Names for what diyuma-cli writes per remote participant: the key under "remote" in the
// stats JSON and the recording's file name (DIR/<stem>.wav).
//
// - A file stem is the display name with every byte outside [A-Za-z0-9._-] replaced by '_'.
// - Stems are unique: a clash gets "-2", "-3"... ("mix" is taken by the mix from the start).
// - JSON keys are the display names as they are, with the same suffix rule on a clash.
// - A participant who leaves and comes back (a new participant ID, the same display name)
//   continues the same track, so one person is one file and one stats entry.
//
// Thread: one thread (diyuma-cli's loop).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace diyuma::cli {

/// Replaces every byte outside [A-Za-z0-9._-] with '_' (a multi-byte UTF-8 character becomes
/// several '_'); an empty name becomes "_".
[[nodiscard]] std::string sanitizeFileName(std::string_view name);

/// Hands out names that are unique among those handed out before (and the reserved ones):
/// "Bob", then "Bob-2", "Bob-3"...
class UniqueNames {
public:
    explicit UniqueNames(std::set<std::string> reserved = {}) : m_used(std::move(reserved)) {}
    [[nodiscard]] std::string claim(const std::string& wanted);

private:
    std::set<std::string> m_used;
};

struct Track {
    std::string displayName;
    std::string jsonKey;                       ///< key under "remote" in the stats JSON
    std::string fileStem;                      ///< DIR/<fileStem>.wav
    std::vector<std::uint32_t> participantIds; ///< every participant ID that fed this track
    std::optional<std::uint32_t> activeParticipant;
};

class ParticipantLabels {
public:
    /// The stem reserved for the mix.
    static constexpr std::string_view kMixStem = "mix";

    ParticipantLabels();
    /// The track of a participant; assigns one on first sight (reusing an inactive track with
    /// the same display name). Returns the track index.
    std::size_t assign(std::uint32_t participantId, const std::string& displayName);
    /// The participant left: its track becomes free for a returning namesake.
    void release(std::uint32_t participantId);
    /// Track index of a participant ID seen before.
    [[nodiscard]] std::optional<std::size_t> find(std::uint32_t participantId) const;
    [[nodiscard]] const std::vector<Track>& tracks() const { return m_tracks; }

private:
    std::vector<Track> m_tracks;
    std::map<std::uint32_t, std::size_t> m_byParticipant;
    UniqueNames m_stems;
    UniqueNames m_keys;
};

} // namespace diyuma::cli
