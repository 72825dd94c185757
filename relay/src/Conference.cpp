#include "diyuma/relay/Conference.h"

#include <algorithm>

namespace diyuma::relay {

RosterChange& Participant::enqueueRoster(RosterChange change, core::Clock::TimePoint now,
                                         std::chrono::milliseconds resendInterval) {
    change.seq = nextRosterSeq++;
    if (unackedRoster.empty())
        nextRosterResendAt = now + resendInterval;
    unackedRoster.push_back(std::move(change));
    return unackedRoster.back();
}

void Participant::ackRoster(std::uint32_t ackedSeq) {
    // An ack beyond what was sent only clears what exists; a stale one clears nothing.
    while (!unackedRoster.empty() && unackedRoster.front().seq <= ackedSeq)
        unackedRoster.pop_front();
}

const wire::StreamInfo* Participant::findStream(std::uint32_t ssrc) const {
    for (const auto& stream : streams.view()) {
        if (stream.ssrc == ssrc)
            return &stream;
    }
    return nullptr;
}

VideoStream* Participant::findVideo(std::uint32_t ssrc) {
    for (auto& video : videoStreams) {
        if (video.ssrc == ssrc)
            return &video;
    }
    return nullptr;
}

Participant* Conference::ownerOf(std::uint32_t ssrc) const {
    for (const auto& p : participants) {
        if (p->findStream(ssrc) != nullptr)
            return p.get();
    }
    return nullptr;
}

RosterChange Participant::rosterUpsert() const {
    return RosterChange{0, wire::RosterOp::Upsert, id, rosterFlags(), name, streams};
}

bool Conference::banned(const SocketAddress& from, core::Clock::TimePoint now) {
    std::erase_if(bans, [now](const RejoinBan& ban) { return now >= ban.until; });
    return std::any_of(bans.begin(), bans.end(), [&](const RejoinBan& ban) {
        return ban.host.ipLength() == from.ipLength() && ban.host.ipBytes() == from.ipBytes();
    });
}

Participant* Conference::find(std::uint32_t participantId) const {
    for (const auto& participant : participants)
        if (participant->id == participantId)
            return participant.get();
    return nullptr;
}

Participant& Conference::add(std::unique_ptr<Participant> participant) {
    Participant& ref = *participant;
    ref.conference = this;
    participants.push_back(std::move(participant));
    destinations.push_back(ref.address);
    return ref;
}

void Conference::remove(const Participant& participant) {
    const auto it = std::find_if(participants.begin(), participants.end(),
                                 [&](const auto& p) { return p.get() == &participant; });
    if (it != participants.end())
        participants.erase(it); // destroys the participant
    destinations.clear();
    for (const auto& p : participants)
        destinations.push_back(p->address);
}

} // namespace diyuma::relay
