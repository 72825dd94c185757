#include "diyuma/cli/ParticipantLabels.h"

namespace diyuma::cli {

std::string sanitizeFileName(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    for (char c : name) {
        const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        out.push_back(keep ? c : '_');
    }
    if (out.empty())
        out = "_";
    return out;
}

std::string UniqueNames::claim(const std::string& wanted) {
    std::string candidate = wanted;
    for (int n = 2; m_used.count(candidate) != 0; ++n)
        candidate = wanted + "-" + std::to_string(n);
    m_used.insert(candidate);
    return candidate;
}

ParticipantLabels::ParticipantLabels() : m_stems({std::string(kMixStem)}) {}

std::size_t ParticipantLabels::assign(std::uint32_t participantId, const std::string& displayName) {
    if (auto known = find(participantId))
        return *known;
    std::size_t index = m_tracks.size();
    for (std::size_t i = 0; i < m_tracks.size(); ++i) {
        if (!m_tracks[i].activeParticipant && m_tracks[i].displayName == displayName) {
            index = i; // a namesake came back: continue their track
            break;
        }
    }
    if (index == m_tracks.size()) {
        Track track;
        track.displayName = displayName;
        track.fileStem = m_stems.claim(sanitizeFileName(displayName));
        track.jsonKey = m_keys.claim(displayName);
        m_tracks.push_back(std::move(track));
    }
    m_tracks[index].participantIds.push_back(participantId);
    m_tracks[index].activeParticipant = participantId;
    m_byParticipant[participantId] = index;
    return index;
}

void ParticipantLabels::release(std::uint32_t participantId) {
    if (auto index = find(participantId);
        index && m_tracks[*index].activeParticipant == participantId)
        m_tracks[*index].activeParticipant.reset();
}

std::optional<std::size_t> ParticipantLabels::find(std::uint32_t participantId) const {
    auto it = m_byParticipant.find(participantId);
    if (it == m_byParticipant.end())
        return std::nullopt;
    return it->second;
}

} // namespace diyuma::cli
