#pragma once
// Test doubles for the session and engine tests:
// - RecordingTransport: a PacketTransport that keeps what was sent.
// - FakeRelay: a tiny in-memory relay following protocol_flow.md closely enough for engine
//   tests (cookie, join, roster with acks, ping/pong, RTP forwarding, leave; Subscribe is
//   recorded, not acted on). Datagrams are queued and delivered by deliver(), so nothing
//   re-enters an engine from inside send().

#include "diyuma/net/PacketTransport.h"
#include "diyuma/session/CallEngine.h"
#include "diyuma/session/ClientSession.h"
#include "diyuma/wire/Control.h"
#include "diyuma/wire/Demux.h"
#include "diyuma/wire/Rtp.h"

#include <QtCore/QString>
#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace diyuma::test {

using Bytes = std::vector<std::uint8_t>;

/// QCOMPARE-friendly name of a session state.
inline QString stateName(core::SessionState state) {
    const auto name = core::toString(state);
    return QString::fromUtf8(name.data(), static_cast<qsizetype>(name.size()));
}

class RecordingTransport final : public core::PacketTransport {
public:
    core::SendStatus send(std::span<const std::uint8_t> datagram) override {
        sent.emplace_back(datagram.begin(), datagram.end());
        return core::SendStatus::Sent;
    }
    /// Parses sent datagram i (returns false if it is not a valid control message).
    bool control(std::size_t i, core::wire::ControlMessage& out) const {
        return i < sent.size() &&
               core::wire::parseControl(sent[i], out) == core::wire::ParseError::None;
    }
    std::vector<Bytes> sent;
};

inline Bytes encode(const core::wire::ControlMessage& message) {
    std::array<std::uint8_t, core::wire::kMaxDatagramBytes> buffer{};
    auto bytes = core::wire::encodeControl(message, buffer);
    return Bytes(bytes.begin(), bytes.end());
}

class FakeRelay {
public:
    struct Rtp {
        std::size_t from = 0;
        bool marker = false;
        std::uint8_t payloadType = 0;
        std::uint16_t sequence = 0;
        std::uint32_t timestamp = 0;
        std::uint32_t ssrc = 0;
        std::size_t payloadBytes = 0;
    };

    class Endpoint final : public core::PacketTransport {
    public:
        Endpoint(FakeRelay& relay, std::size_t index) : m_relay(relay), m_index(index) {}
        core::SendStatus send(std::span<const std::uint8_t> datagram) override {
            m_relay.m_inbox.push_back({m_index, Bytes(datagram.begin(), datagram.end())});
            return core::SendStatus::Sent;
        }

    private:
        FakeRelay& m_relay;
        std::size_t m_index;
    };

    /// Adds a client; `deliverTo` is called with every datagram for it.
    std::size_t addClient(std::function<void(std::span<const std::uint8_t>)> deliverTo) {
        const std::size_t index = m_clients.size();
        m_clients.push_back(Client{});
        m_clients.back().deliver = std::move(deliverTo);
        m_endpoints.push_back(std::make_unique<Endpoint>(*this, index));
        return index;
    }
    core::PacketTransport& endpoint(std::size_t index) { return *m_endpoints[index]; }

    /// Processes everything clients sent and delivers the answers, until quiet.
    void deliver() {
        for (int round = 0; round < 16 && (!m_inbox.empty() || !m_outbox.empty()); ++round) {
            while (!m_inbox.empty()) {
                auto [from, bytes] = std::move(m_inbox.front());
                m_inbox.pop_front();
                handle(from, bytes);
            }
            while (!m_outbox.empty()) {
                auto [to, bytes] = std::move(m_outbox.front());
                m_outbox.pop_front();
                if (!dropTo(to, bytes))
                    m_clients[to].deliver(bytes);
            }
        }
    }

    /// Return true to drop a datagram to a client (loss injection).
    std::function<bool(std::size_t to, const Bytes& bytes)> dropFilter;
    std::vector<Rtp> rtpSeen;
    /// Subscribe messages from joined clients (this fake does not act on them).
    struct Subscribe {
        std::size_t from = 0;
        core::wire::SubscribeMsg message;
    };
    std::vector<Subscribe> subscribesSeen;
    std::uint64_t conferenceId = 0x0123456789ABCDEull;
    core::wire::Cookie cookie{1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                              11, 12, 13, 14, 15, 16, 17, 18, 19, 20};

private:
    struct Client {
        std::function<void(std::span<const std::uint8_t>)> deliver;
        bool joined = false;
        std::uint32_t participantId = 0;
        std::string name;
        core::wire::StreamList streams;
        std::uint32_t nextRosterSeq = 1;
    };

    bool dropTo(std::size_t to, const Bytes& bytes) { return dropFilter && dropFilter(to, bytes); }

    void sendTo(std::size_t to, std::uint32_t requestId, const core::wire::ControlBody& body) {
        m_outbox.push_back({to, encode(core::wire::ControlMessage{requestId, body})});
    }

    void rosterTo(std::size_t to, core::wire::RosterOp op, const Client& about) {
        core::wire::RosterMsg roster;
        roster.seq = m_clients[to].nextRosterSeq++;
        roster.op = op;
        roster.participantId = about.participantId;
        if (op == core::wire::RosterOp::Upsert) {
            roster.name = about.name;
            roster.streams = about.streams;
        }
        sendTo(to, 0, roster);
    }

    void handle(std::size_t from, const Bytes& bytes) {
        using namespace core::wire;
        const auto kind = classify(bytes);
        if (kind == PacketKind::Rtp) {
            RtpPacketView view;
            if (parseRtp(bytes, view) != ParseError::None || !m_clients[from].joined)
                return;
            rtpSeen.push_back({from, view.marker, view.payloadType, view.sequence, view.timestamp,
                               view.ssrc, view.payload.size()});
            for (std::size_t to = 0; to < m_clients.size(); ++to)
                if (to != from && m_clients[to].joined)
                    m_outbox.push_back({to, bytes});
            return;
        }
        if (kind != PacketKind::Control)
            return;
        ControlMessage message;
        if (parseControl(bytes, message) != ParseError::None)
            return;
        Client& client = m_clients[from];
        if (std::holds_alternative<HelloMsg>(message.body)) {
            sendTo(from, message.requestId, CookieMsg{cookie});
        } else if (auto* join = std::get_if<JoinMsg>(&message.body)) {
            if (join->conferenceId != conferenceId) {
                sendTo(from, message.requestId,
                       ErrorMsg{ErrorCode::UnknownConference, MessageType::Join, "no such ID"});
                return;
            }
            if (client.joined) {
                sendTo(from, message.requestId, JoinedMsg{client.participantId});
                return;
            }
            client.joined = true;
            client.participantId = m_nextParticipantId++;
            client.name = std::string(join->name);
            client.streams = join->streams;
            sendTo(from, message.requestId,
                   JoinedMsg{client.participantId, Role::Member, 0, 1000, 10000});
            for (const auto& other : m_clients)
                if (other.joined)
                    rosterTo(from, RosterOp::Upsert, other);
            for (std::size_t to = 0; to < m_clients.size(); ++to)
                if (to != from && m_clients[to].joined)
                    rosterTo(to, RosterOp::Upsert, client);
        } else if (auto* subscribe = std::get_if<SubscribeMsg>(&message.body)) {
            if (client.joined)
                subscribesSeen.push_back({from, *subscribe});
        } else if (auto* ping = std::get_if<PingMsg>(&message.body)) {
            sendTo(from, message.requestId, PongMsg{ping->timestampUs});
        } else if (std::holds_alternative<LeaveMsg>(message.body)) {
            if (!client.joined)
                return;
            client.joined = false;
            for (std::size_t to = 0; to < m_clients.size(); ++to)
                if (to != from && m_clients[to].joined)
                    rosterTo(to, RosterOp::Remove, client);
        }
        // RosterAck: this fake never loses roster messages, so it needs no resend.
    }

    std::vector<Client> m_clients;
    std::vector<std::unique_ptr<Endpoint>> m_endpoints;
    std::deque<std::pair<std::size_t, Bytes>> m_inbox;
    std::deque<std::pair<std::size_t, Bytes>> m_outbox;
    std::uint32_t m_nextParticipantId = 1;
};

} // namespace diyuma::test
