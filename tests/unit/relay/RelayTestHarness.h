#pragma once
// A RelayCore driven by hand: a fake clock, a sink that records what the core sends, and
// helpers that play the client side of the protocol (Hello, Create, Join, acks).

#include "diyuma/crypto/Hmac.h"
#include "diyuma/relay/RelayCore.h"
#include "diyuma/wire/Control.h"
#include "diyuma/wire/Rtp.h"

#include "FakeClock.h"

#include <QtTest/QtTest>
#include <optional>
#include <string>
#include <vector>

namespace diyuma::test {

namespace wire = core::wire;
using relay::SocketAddress;

/// One datagram the core asked to send.
struct Sent {
    SocketAddress to;
    std::vector<std::uint8_t> bytes;
    bool forwarded = false;               ///< forward() (media) rather than send() (control)
    const std::uint8_t* source = nullptr; ///< forward(): the pointer the core handed over

    /// The parsed control message (views point into `bytes`, so keep this Sent alive).
    [[nodiscard]] std::optional<wire::ControlMessage> control() const {
        wire::ControlMessage m;
        if (wire::parseControl(bytes, m) != wire::ParseError::None)
            return std::nullopt;
        return m;
    }
    [[nodiscard]] bool isType(wire::MessageType type) const {
        auto m = control();
        return m && wire::typeOf(m->body) == type;
    }
    template <typename T>
    [[nodiscard]] std::optional<T> as() const {
        auto m = control();
        if (!m || !std::holds_alternative<T>(m->body))
            return std::nullopt;
        return std::get<T>(m->body);
    }
};

class RecordingSink final : public relay::PacketSink {
public:
    void forward(const SocketAddress& to, std::span<const std::uint8_t> bytes) override {
        sent.push_back(Sent{to, {bytes.begin(), bytes.end()}, true, bytes.data()});
    }
    void send(const SocketAddress& to, std::span<const std::uint8_t> bytes) override {
        sent.push_back(Sent{to, {bytes.begin(), bytes.end()}, false, nullptr});
    }
    std::vector<Sent> sent;
};

/// A store that keeps the last saved records.
class MemoryStore final : public relay::ConferenceStore {
public:
    bool save(std::span<const relay::ConferenceRecord> records) override {
        ++saves;
        last.assign(records.begin(), records.end());
        return !failing;
    }
    std::vector<relay::ConferenceRecord> last;
    int saves = 0;
    bool failing = false;
};

inline SocketAddress addr(std::uint8_t host, std::uint16_t port = 5000) {
    return SocketAddress::v4(0x0A000000u | host, port); // 10.0.0.host
}

inline std::vector<std::uint8_t> encode(const wire::ControlMessage& message) {
    std::vector<std::uint8_t> buffer(wire::kMaxDatagramBytes);
    auto out = wire::encodeControl(message, buffer);
    if (out.empty())
        qFatal("test message did not encode");
    buffer.resize(out.size());
    return buffer;
}

inline std::vector<std::uint8_t> helloBytes(std::uint32_t requestId, std::size_t size = 64) {
    auto bytes = encode(wire::ControlMessage{requestId, wire::HelloMsg{}});
    bytes.resize(std::max(size, bytes.size()), 0);
    bytes.resize(size); // may cut below the minimum on purpose
    return bytes;
}

inline std::vector<std::uint8_t> rtpBytes(std::uint32_t ssrc, std::uint16_t seq,
                                          std::size_t payloadBytes = 100) {
    std::vector<std::uint8_t> payload(payloadBytes, 0x55);
    std::vector<std::uint8_t> buffer(wire::kMaxDatagramBytes);
    wire::RtpHeaderFields header;
    header.sequence = seq;
    header.timestamp = seq * 960u;
    header.ssrc = ssrc;
    auto out = wire::writeRtp(header, payload, buffer);
    buffer.resize(out.size());
    return buffer;
}

/// A minimal RTCP receiver report (RFC 3550 6.4.2) with no report blocks.
inline std::vector<std::uint8_t> rtcpBytes(std::uint32_t ssrc) {
    return {0x80,
            201,
            0x00,
            0x01,
            static_cast<std::uint8_t>(ssrc >> 24),
            static_cast<std::uint8_t>(ssrc >> 16),
            static_cast<std::uint8_t>(ssrc >> 8),
            static_cast<std::uint8_t>(ssrc)};
}

/// Counts what the core hands out, keeping nothing (allocation-free, for the hot-path tests).
class CountingSink final : public relay::PacketSink {
public:
    void forward(const SocketAddress&, std::span<const std::uint8_t> bytes) override {
        ++forwarded;
        lastData = bytes.data();
    }
    void send(const SocketAddress&, std::span<const std::uint8_t>) override { ++sent; }
    std::uint64_t forwarded = 0;
    std::uint64_t sent = 0;
    const std::uint8_t* lastData = nullptr;
};

struct Harness {
    explicit Harness(relay::RelayConfig cfg = {}, relay::ConferenceStore* store = nullptr)
        : config(cfg), core(cfg, clock, nullptr, store) {}

    FakeClock clock;
    relay::RelayConfig config;
    relay::RelayCore core;
    RecordingSink sink;

    /// Delivers one datagram and returns what the core sent in response.
    std::vector<Sent> deliver(const SocketAddress& from, std::span<const std::uint8_t> bytes) {
        sink.sent.clear();
        core.onDatagram(from, bytes, clock.now(), sink);
        return std::move(sink.sent);
    }
    std::vector<Sent> deliver(const SocketAddress& from, const wire::ControlMessage& message) {
        const auto bytes = encode(message);
        return deliver(from, bytes);
    }
    /// Advances time and runs the timer in 50 ms steps (like UdpServer).
    std::vector<Sent> advance(std::chrono::milliseconds duration) {
        std::vector<Sent> all;
        const auto step = std::chrono::milliseconds(50);
        for (auto done = std::chrono::milliseconds(0); done < duration; done += step) {
            clock.advance(std::min(step, duration - done));
            sink.sent.clear();
            core.onTimer(clock.now(), sink);
            for (auto& s : sink.sent)
                all.push_back(std::move(s));
        }
        sink.sent.clear();
        return all;
    }

    std::optional<wire::Cookie> cookieFor(const SocketAddress& from) {
        auto replies = deliver(from, helloBytes(77));
        if (replies.size() != 1)
            return std::nullopt;
        auto cookie = replies[0].as<wire::CookieMsg>();
        if (!cookie)
            return std::nullopt;
        return cookie->cookie;
    }

    std::optional<wire::CreatedMsg> create(const SocketAddress& from, std::uint32_t requestId = 1,
                                           std::uint32_t flags = 0) {
        auto cookie = cookieFor(from);
        if (!cookie)
            return std::nullopt;
        auto replies =
            deliver(from, wire::ControlMessage{requestId, wire::CreateMsg{*cookie, flags}});
        if (replies.size() != 1)
            return std::nullopt;
        return replies[0].as<wire::CreatedMsg>();
    }

    wire::JoinMsg joinMessage(const wire::Cookie& cookie, std::uint64_t conferenceId,
                              const std::string& name, std::uint32_t ssrc,
                              const std::optional<wire::AdminSecret>& secret = std::nullopt) {
        wire::JoinMsg join;
        join.cookie = cookie;
        join.conferenceId = conferenceId;
        if (secret) {
            join.hasAdminProof = true;
            join.adminProof = core::adminProof(core::adminVerifier(*secret), cookie, conferenceId);
        }
        m_names.push_back(name); // keep the text alive for the string_view
        join.name = m_names.back();
        // SSRC 0 asks for one of its own: the relay refuses an SSRC someone else uses.
        if (ssrc == 0)
            ssrc = 0xA0000000U + m_autoSsrc++;
        join.streams.items[0] = wire::StreamInfo{ssrc, wire::MediaKind::Audio, 0};
        join.streams.count = 1;
        return join;
    }

    /// Hello + Join announcing an audio and a video stream; true if Joined came back.
    bool joinWithVideo(const SocketAddress& from, std::uint64_t conferenceId,
                       const std::string& name, std::uint32_t audioSsrc, std::uint32_t videoSsrc,
                       const std::optional<wire::AdminSecret>& secret = std::nullopt) {
        auto cookie = cookieFor(from);
        if (!cookie)
            return false;
        auto join = joinMessage(*cookie, conferenceId, name, audioSsrc, secret);
        join.streams.items[1] = wire::StreamInfo{videoSsrc, wire::MediaKind::Video, 0};
        join.streams.count = 2;
        for (const auto& s : deliver(from, wire::ControlMessage{2, join}))
            if (s.to == from && s.as<wire::JoinedMsg>())
                return true;
        return false;
    }

    /// Hello + Join; returns everything the core sent (to anyone) in answer to the Join.
    std::vector<Sent> joinRaw(const SocketAddress& from, std::uint64_t conferenceId,
                              const std::string& name, std::uint32_t ssrc = 0,
                              const std::optional<wire::AdminSecret>& secret = std::nullopt,
                              std::uint32_t requestId = 2) {
        auto cookie = cookieFor(from);
        if (!cookie)
            return {};
        return deliver(from, wire::ControlMessage{requestId, joinMessage(*cookie, conferenceId,
                                                                         name, ssrc, secret)});
    }

    /// Joins and returns the Joined message (nullopt if the answer was something else).
    std::optional<wire::JoinedMsg>
    join(const SocketAddress& from, std::uint64_t conferenceId, const std::string& name,
         std::uint32_t ssrc = 0, const std::optional<wire::AdminSecret>& secret = std::nullopt) {
        for (const auto& s : joinRaw(from, conferenceId, name, ssrc, secret)) {
            if (s.to == from) {
                if (auto joined = s.as<wire::JoinedMsg>())
                    return joined;
            }
        }
        return std::nullopt;
    }

    /// The error code of the first Error in `sent` to `to`.
    static std::optional<wire::ErrorCode> errorIn(const std::vector<Sent>& sent,
                                                  const SocketAddress& to) {
        for (const auto& s : sent) {
            if (s.to != to)
                continue;
            if (auto e = s.as<wire::ErrorMsg>())
                return e->code;
        }
        return std::nullopt;
    }

private:
    std::deque<std::string> m_names;
    std::uint32_t m_autoSsrc = 1;
};

} // namespace diyuma::test
