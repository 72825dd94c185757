#pragma once
// Which video a client wants from whom, and when it tells the relay (Subscribe, type 17,
// docs/PROTOCOL.md 4.16).
//
// A VideoSubscription is a default largest picture height for every sender plus overrides
// per participant (the app: one per tile; diyuma-cli: --max-receive-height). The
// SubscribeScheduler turns it and the roster into Subscribe messages and says when one is
// due: after the subscription or the roster changed (if the message would differ from the
// last one sent), and the same message again every kRefreshInterval, because the relay does
// not acknowledge it and a control datagram can be lost. Sending is paced by a token bucket
// (kBurst messages, one more every kTokenInterval: 2 a second, half of what the relay takes).
// Nothing is ever due while no subscription was set: the relay's default is "no limit".
//
// Pure logic: times in, messages out; no sockets, no threads. ClientSession owns one.
// Thread: one thread (the session's).

#include "diyuma/session/SessionTypes.h"
#include "diyuma/util/Clock.h"
#include "diyuma/wire/Control.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>

namespace diyuma::core {

/// The largest picture height we want from each sender (docs/PROTOCOL.md 4.16).
struct VideoSubscription {
    /// No limit: the sender's highest layer (the relay treats 65535 as any height).
    static constexpr std::uint16_t kNoLimit = 0xFFFF;
    /// For every sender without an override: the largest height in lines; 0 = no video.
    std::uint16_t defaultMaxHeight = kNoLimit;
    /// By participant ID: their own largest height (0 = no video from them). Kept for
    /// participants who are not (yet) in the roster; applied when they are.
    std::map<std::uint32_t, std::uint16_t> maxHeightByParticipant;

    /// The limit for one sender.
    [[nodiscard]] std::uint16_t maxHeightFor(std::uint32_t participantId) const;
    bool operator==(const VideoSubscription&) const = default;
};

/// The Subscribe message for `subscription`: its default, and the remote participants in
/// `roster` (not isSelf) whose limit differs from it, ordered by participant ID (with more
/// than wire::kMaxReportEntries such, the first ones; the rest get the default).
[[nodiscard]] wire::SubscribeMsg buildSubscribe(const VideoSubscription& subscription,
                                                const std::map<std::uint32_t, RosterEntry>& roster);

class SubscribeScheduler {
public:
    static constexpr std::chrono::milliseconds kRefreshInterval{3000};
    static constexpr std::chrono::milliseconds kTokenInterval{500};
    static constexpr int kBurst = 4;

    /// A new subscription (replaces the previous one whole).
    void set(VideoSubscription subscription);
    [[nodiscard]] const std::optional<VideoSubscription>& subscription() const {
        return m_subscription;
    }
    /// Someone joined or left (or changed): the next message may list someone new.
    void rosterChanged() { m_changed = true; }
    /// We (re)joined at `now`: the relay knows no subscription of ours yet.
    void joined(Clock::TimePoint now);

    /// The message to send at `now`, if one is due (it is then counted as sent).
    [[nodiscard]] std::optional<wire::SubscribeMsg>
    due(Clock::TimePoint now, const std::map<std::uint32_t, RosterEntry>& roster);
    /// When due() may next return a message (TimePoint::max() while nothing is set or before
    /// joined()).
    [[nodiscard]] Clock::TimePoint nextAt() const;

private:
    void refill(Clock::TimePoint now);

    std::optional<VideoSubscription> m_subscription;
    bool m_joined = false;
    bool m_changed = false;
    std::optional<wire::SubscribeMsg> m_lastSent;
    Clock::TimePoint m_lastSentAt{};
    double m_tokens = kBurst;
    Clock::TimePoint m_tokensAt{};
};

} // namespace diyuma::core
