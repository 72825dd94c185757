#include "diyuma/session/VideoSubscription.h"

#include <algorithm>
#include <vector>

namespace diyuma::core {

namespace {
bool sameEntries(const wire::SubscribeMsg& a, const wire::SubscribeMsg& b) {
    return a.defaultMaxHeight == b.defaultMaxHeight && std::ranges::equal(a.view(), b.view());
}
} // namespace

std::uint16_t VideoSubscription::maxHeightFor(std::uint32_t participantId) const {
    const auto it = maxHeightByParticipant.find(participantId);
    return it != maxHeightByParticipant.end() ? it->second : defaultMaxHeight;
}

wire::SubscribeMsg buildSubscribe(const VideoSubscription& subscription,
                                  const std::map<std::uint32_t, RosterEntry>& roster) {
    wire::SubscribeMsg message;
    message.defaultMaxHeight = subscription.defaultMaxHeight;
    for (const auto& [id, entry] : roster) { // ordered by ID
        if (entry.isSelf || id == 0 || message.count == wire::kMaxReportEntries)
            continue;
        const std::uint16_t height = subscription.maxHeightFor(id);
        if (height != subscription.defaultMaxHeight)
            message.entries[message.count++] = wire::SubscriptionEntry{id, height};
    }
    return message;
}

void SubscribeScheduler::set(VideoSubscription subscription) {
    m_subscription = std::move(subscription);
    m_changed = true;
}

void SubscribeScheduler::joined(Clock::TimePoint now) {
    m_joined = true;
    m_changed = true;
    m_lastSent.reset(); // a new session at the relay: it has no subscription of ours
    m_tokens = kBurst;
    m_tokensAt = now;
}

void SubscribeScheduler::refill(Clock::TimePoint now) {
    if (now <= m_tokensAt)
        return;
    const double earned = std::chrono::duration<double>(now - m_tokensAt) /
                          std::chrono::duration<double>(kTokenInterval);
    m_tokens = std::min<double>(kBurst, m_tokens + earned);
    m_tokensAt = now;
}

std::optional<wire::SubscribeMsg>
SubscribeScheduler::due(Clock::TimePoint now, const std::map<std::uint32_t, RosterEntry>& roster) {
    if (!m_subscription || !m_joined)
        return std::nullopt;
    const bool refresh = m_lastSent && now >= m_lastSentAt + kRefreshInterval;
    if (!m_changed && !refresh)
        return std::nullopt;
    refill(now);
    if (m_tokens < 1.0)
        return std::nullopt; // nextAt() says when a token is back
    wire::SubscribeMsg message = buildSubscribe(*m_subscription, roster);
    m_changed = false;
    if (!refresh && m_lastSent && sameEntries(message, *m_lastSent))
        return std::nullopt; // e.g. someone muted: the relay has this very list already
    m_tokens -= 1.0;
    m_lastSent = message;
    m_lastSentAt = now;
    return message;
}

Clock::TimePoint SubscribeScheduler::nextAt() const {
    if (!m_subscription || !m_joined)
        return Clock::TimePoint::max();
    Clock::TimePoint at = m_lastSent ? m_lastSentAt + kRefreshInterval : Clock::TimePoint::max();
    if (m_changed) {
        // When the bucket holds a whole token again (m_tokensAt is in the past: due at once
        // if it has one now).
        const auto missing = std::max(0.0, 1.0 - m_tokens);
        at =
            std::min(at, m_tokensAt + std::chrono::duration_cast<Clock::Duration>(
                                          missing * std::chrono::duration<double>(kTokenInterval)));
    }
    return at;
}

} // namespace diyuma::core
