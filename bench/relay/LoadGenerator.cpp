#include "LoadGenerator.h"

#include "diyuma/util/BigEndian.h"
#include "diyuma/wire/Demux.h"
#include "diyuma/wire/Rtp.h"

#include "BareRegistration.h"
#include "ProcStat.h"
#include "Udp4.h"

#include <fmt/format.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace diyuma::bench {

namespace {

using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;

timespec toTimespec(Clock::duration duration) {
    const auto ns = std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count());
    return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

bool isMedia(std::span<const std::uint8_t> datagram) {
    const auto kind = wire::classify(datagram);
    return kind == wire::PacketKind::Rtp || kind == wire::PacketKind::Rtcp;
}

} // namespace

LoadGenerator::LoadGenerator(LoadConfig config)
    : m_config(config), m_recvBuffers(kRecvBatch * kBufferBytes), m_recvIov(kRecvBatch),
      m_recvMsgs(kRecvBatch), m_controlBuffer(wire::kMaxDatagramBytes) {
    for (std::size_t i = 0; i < kRecvBatch; ++i) {
        m_recvIov[i] = {m_recvBuffers.data() + i * kBufferBytes, kBufferBytes};
        m_recvMsgs[i].msg_hdr.msg_iov = &m_recvIov[i];
        m_recvMsgs[i].msg_hdr.msg_iovlen = 1;
    }
}

LoadGenerator::~LoadGenerator() {
    for (auto& participant : m_participants)
        if (participant.fd >= 0)
            ::close(participant.fd);
    if (m_epoll >= 0)
        ::close(m_epoll);
}

std::uint32_t LoadGenerator::ssrcOf(std::size_t conference, std::size_t member) {
    // The upper 24 bits name the conference (+1, so no SSRC is 0), the low 8 the member.
    return static_cast<std::uint32_t>(((conference + 1) << 8) | member);
}

bool LoadGenerator::setup(std::string& error) {
    const auto start = Clock::now();
    if (m_config.members < 2 || m_config.members > 255 || m_config.conferences < 1 ||
        m_config.conferences > 0xFFFFFE) {
        error = "members must be 2..255 and conferences 1..16777214";
        return false;
    }
    if (m_config.packetBytes < wire::kRtpHeaderBytes ||
        m_config.packetBytes > wire::kMaxDatagramBytes) {
        error = fmt::format("packet size must be {}..{} bytes", wire::kRtpHeaderBytes,
                            wire::kMaxDatagramBytes);
        return false;
    }
    if (!openSockets(error))
        return false;
    const bool ok = m_config.mode == LoadTarget::Relay ? setupRelay(error) : setupBare(error);
    m_setupSeconds = Seconds(Clock::now() - start).count();
    return ok;
}

bool LoadGenerator::openSockets(std::string& error) {
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (m_epoll < 0) {
        error = std::string("epoll_create1: ") + std::strerror(errno);
        return false;
    }
    const std::size_t total = m_config.conferences * m_config.members;
    m_participants.resize(total);
    std::vector<std::uint8_t> payload(m_config.packetBytes - wire::kRtpHeaderBytes, 0xA5);
    for (std::size_t p = 0; p < total; ++p) {
        Participant& participant = m_participants[p];
        participant.conference = p / m_config.members;
        participant.ssrc = ssrcOf(participant.conference, p % m_config.members);
        // Sequence numbers and timestamps start at different points, as real ones do.
        participant.sequence = static_cast<std::uint16_t>(p * 7919u);
        participant.rtpTimestamp = static_cast<std::uint32_t>(p * 104729u);
        participant.packet.resize(m_config.packetBytes);
        wire::RtpHeaderFields header;
        header.ssrc = participant.ssrc;
        if (wire::writeRtp(header, payload, participant.packet).size() != m_config.packetBytes) {
            error = "could not build the RTP packet";
            return false;
        }

        const auto local = ipv4Endpoint(m_config.firstLocalIp + static_cast<std::uint32_t>(p), 0);
        participant.fd = openUdpSocket(local, m_config.socketBufferBytes, Blocking::No, error);
        if (participant.fd < 0)
            return false;
        // Connected: the kernel skips the route lookup per send and drops strangers' packets.
        if (::connect(participant.fd, reinterpret_cast<const sockaddr*>(&m_config.target),
                      sizeof m_config.target) != 0) {
            error = "connect " + toString(m_config.target) + ": " + std::strerror(errno);
            return false;
        }
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u64 = p;
        if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, participant.fd, &event) != 0) {
            error = std::string("epoll_ctl: ") + std::strerror(errno);
            return false;
        }
    }
    return true;
}

void LoadGenerator::drainSocket(
    std::size_t p, const std::function<void(std::size_t, std::span<const std::uint8_t>)>& on) {
    while (true) {
        const int count = ::recvmmsg(m_participants[p].fd, m_recvMsgs.data(),
                                     static_cast<unsigned>(kRecvBatch), MSG_DONTWAIT, nullptr);
        if (count <= 0)
            return; // EAGAIN: drained (or ECONNREFUSED: the target is gone; seen in results)
        for (int i = 0; i < count; ++i)
            on(p, std::span<const std::uint8_t>(m_recvBuffers.data() + i * kBufferBytes,
                                                m_recvMsgs[i].msg_len));
        if (static_cast<std::size_t>(count) < kRecvBatch)
            return;
    }
}

void LoadGenerator::sendControl(std::size_t p, const wire::ControlMessage& message) {
    const auto bytes = wire::encodeControl(message, m_controlBuffer);
    if (!bytes.empty())
        (void)::send(m_participants[p].fd, bytes.data(), bytes.size(), 0);
}

bool LoadGenerator::handleControl(std::size_t p, std::span<const std::uint8_t> datagram) {
    if (wire::classify(datagram) != wire::PacketKind::Control)
        return false;
    if (m_config.mode != LoadTarget::Relay)
        return true;
    wire::ControlMessage message;
    if (wire::parseControl(datagram, message) != wire::ParseError::None)
        return true;
    if (const auto* roster = std::get_if<wire::RosterMsg>(&message.body)) {
        Participant& participant = m_participants[p];
        if (roster->seq == participant.rosterApplied + 1)
            participant.rosterApplied = roster->seq;
        sendControl(p,
                    {participant.nextRequestId++, wire::RosterAckMsg{participant.rosterApplied}});
    }
    return true;
}

bool LoadGenerator::exchange(const std::string& phase, const std::vector<std::size_t>& who,
                             const RequestFn& request, const ReplyFn& onReply, std::string& error) {
    constexpr auto kRetry = std::chrono::milliseconds(250);
    std::vector<char> waiting(m_participants.size(), 0);
    for (const auto p : who)
        waiting[p] = 1;
    std::size_t left = who.size();
    std::vector<std::uint8_t> buffer(wire::kMaxDatagramBytes);
    const auto deadline =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(m_config.setupTimeout);
    auto nextSend = Clock::now();
    std::vector<epoll_event> events(256);
    bool failed = false;
    m_failure.clear();

    const auto onDatagram = [&](std::size_t p, std::span<const std::uint8_t> datagram) {
        if (m_config.mode == LoadTarget::Relay &&
            wire::classify(datagram) == wire::PacketKind::Control) {
            wire::ControlMessage message;
            if (wire::parseControl(datagram, message) == wire::ParseError::None &&
                std::holds_alternative<wire::RosterMsg>(message.body)) {
                (void)handleControl(p, datagram);
                return;
            }
        }
        if (!waiting[p] || failed)
            return;
        switch (onReply(p, datagram)) {
        case Reply::Done:
            waiting[p] = 0;
            --left;
            break;
        case Reply::Fail:
            failed = true;
            break;
        case Reply::Ignore:
            break;
        }
    };

    while (left > 0 && !failed) {
        const auto now = Clock::now();
        if (now >= deadline) {
            error = fmt::format("{}: {} of {} participants got no answer from {} within {:.0f} s",
                                phase, left, who.size(), toString(m_config.target),
                                m_config.setupTimeout.count());
            return false;
        }
        if (now >= nextSend) {
            for (const auto p : who) {
                if (!waiting[p])
                    continue;
                const auto bytes = request(p, buffer);
                (void)::send(m_participants[p].fd, bytes.data(), bytes.size(), 0);
            }
            nextSend = now + kRetry;
        }
        const timespec timeout = toTimespec(std::min(nextSend, deadline) - Clock::now());
        const int ready = ::epoll_pwait2(m_epoll, events.data(), static_cast<int>(events.size()),
                                         &timeout, nullptr);
        for (int i = 0; i < ready; ++i)
            drainSocket(events[i].data.u64, onDatagram);
    }
    if (failed) {
        error = phase + ": " + m_failure;
        return false;
    }
    return true;
}

bool LoadGenerator::setupBare(std::string& error) {
    std::vector<std::size_t> everyone(m_participants.size());
    for (std::size_t p = 0; p < everyone.size(); ++p)
        everyone[p] = p;
    return exchange(
        "registration", everyone,
        [&](std::size_t p, std::span<std::uint8_t> buf) -> std::span<const std::uint8_t> {
            const auto bytes =
                encodeRegistration(static_cast<std::uint32_t>(m_participants[p].conference));
            std::copy(bytes.begin(), bytes.end(), buf.begin());
            return buf.first(bytes.size());
        },
        [&](std::size_t p, std::span<const std::uint8_t> datagram) {
            const auto group = parseRegistration(datagram);
            return group && *group == m_participants[p].conference ? Reply::Done : Reply::Ignore;
        },
        error);
}

bool LoadGenerator::setupRelay(std::string& error) {
    std::vector<std::size_t> everyone(m_participants.size());
    std::vector<std::size_t> creators;
    for (std::size_t p = 0; p < everyone.size(); ++p) {
        everyone[p] = p;
        if (p % m_config.members == 0)
            creators.push_back(p);
    }
    const auto parse = [](std::span<const std::uint8_t> datagram, wire::ControlMessage& out) {
        return wire::classify(datagram) == wire::PacketKind::Control &&
               wire::parseControl(datagram, out) == wire::ParseError::None;
    };
    // An Error answer ends the phase with the relay's reason (e.g. conference full).
    const auto failOnError = [&](const wire::ControlMessage& message) {
        if (const auto* err = std::get_if<wire::ErrorMsg>(&message.body)) {
            m_failure =
                fmt::format("relay answered error {} ({})", wire::toString(err->code), err->reason);
            return true;
        }
        return false;
    };

    // 1. Address validation: every socket gets its own cookie (cookies are address-bound).
    if (!exchange(
            "hello", everyone,
            [&](std::size_t p, std::span<std::uint8_t> buf) {
                return wire::encodeControl({m_participants[p].nextRequestId++, wire::HelloMsg{}},
                                           buf);
            },
            [&](std::size_t p, std::span<const std::uint8_t> datagram) {
                wire::ControlMessage message;
                if (!parse(datagram, message))
                    return Reply::Ignore;
                if (failOnError(message))
                    return Reply::Fail;
                if (const auto* cookie = std::get_if<wire::CookieMsg>(&message.body)) {
                    m_participants[p].cookie = cookie->cookie;
                    return Reply::Done;
                }
                return Reply::Ignore;
            },
            error))
        return false;

    // 2. The first member of each conference creates it. The request id stays the same on
    // retransmission, so the relay answers a repeated Create with the same conference.
    m_conferenceIds.assign(m_config.conferences, 0);
    std::vector<std::uint32_t> createRequestId(m_participants.size(), 0);
    for (const auto p : creators)
        createRequestId[p] = m_participants[p].nextRequestId++;
    if (!exchange(
            "create", creators,
            [&](std::size_t p, std::span<std::uint8_t> buf) {
                return wire::encodeControl(
                    {createRequestId[p], wire::CreateMsg{m_participants[p].cookie, 0}}, buf);
            },
            [&](std::size_t p, std::span<const std::uint8_t> datagram) {
                wire::ControlMessage message;
                if (!parse(datagram, message))
                    return Reply::Ignore;
                if (failOnError(message))
                    return Reply::Fail;
                if (const auto* created = std::get_if<wire::CreatedMsg>(&message.body)) {
                    m_conferenceIds[m_participants[p].conference] = created->conferenceId;
                    return Reply::Done;
                }
                return Reply::Ignore;
            },
            error))
        return false;

    // 3. Everyone joins, announcing one audio SSRC. Names are "load-<conference>-<member>".
    std::vector<std::string> names(m_participants.size());
    for (std::size_t p = 0; p < names.size(); ++p)
        names[p] = fmt::format("load-{}-{}", p / m_config.members, p % m_config.members);
    return exchange(
        "join", everyone,
        [&](std::size_t p, std::span<std::uint8_t> buf) {
            const Participant& participant = m_participants[p];
            wire::JoinMsg join;
            join.cookie = participant.cookie;
            join.conferenceId = m_conferenceIds[participant.conference];
            join.name = names[p];
            join.streams.items[0] = {participant.ssrc, wire::MediaKind::Audio, 0};
            join.streams.count = 1;
            return wire::encodeControl({m_participants[p].nextRequestId++, join}, buf);
        },
        [&](std::size_t, std::span<const std::uint8_t> datagram) {
            wire::ControlMessage message;
            if (!parse(datagram, message))
                return Reply::Ignore;
            if (failOnError(message))
                return Reply::Fail;
            return std::holds_alternative<wire::JoinedMsg>(message.body) ? Reply::Done
                                                                         : Reply::Ignore;
        },
        error);
}

void LoadGenerator::sendMedia(std::size_t p, LoadResult& result) {
    Participant& participant = m_participants[p];
    const std::span<std::uint8_t> packet(participant.packet);
    core::be::store16(packet.subspan<2, 2>(), participant.sequence);
    core::be::store32(packet.subspan<4, 4>(), participant.rtpTimestamp);
    if (::send(participant.fd, packet.data(), packet.size(), 0) ==
        static_cast<ssize_t>(packet.size())) {
        ++result.sent;
        ++participant.sequence;
        participant.rtpTimestamp += 960; // 20 ms at 48 kHz, as an Opus frame
    } else {
        ++result.sendFailures;
    }
}

LoadResult LoadGenerator::run() {
    LoadResult result;
    result.setupSeconds = m_setupSeconds;
    std::vector<epoll_event> events(256);
    bool inWindow = true;
    const auto onDatagram = [&](std::size_t p, std::span<const std::uint8_t> datagram) {
        if (!isMedia(datagram)) {
            ++result.controlReceived;
            (void)handleControl(p, datagram);
            return;
        }
        if (inWindow)
            ++result.delivered;
        else
            ++result.deliveredLate;
        if (datagram.size() >= wire::kRtpHeaderBytes) {
            const auto ssrc = core::be::load32(datagram.subspan<8, 4>());
            if (ssrc == m_participants[p].ssrc)
                ++result.selfDeliveries;
            else if ((ssrc >> 8) != (m_participants[p].ssrc >> 8))
                ++result.misrouted;
        }
    };
    const auto poll = [&](Clock::duration wait) {
        const timespec timeout = toTimespec(wait);
        const int ready = ::epoll_pwait2(m_epoll, events.data(), static_cast<int>(events.size()),
                                         &timeout, nullptr);
        for (int i = 0; i < ready; ++i)
            drainSocket(events[i].data.u64, onDatagram);
    };

    const std::size_t total = m_participants.size();
    const double cpuStart = processCpuSeconds();
    const auto targetStart =
        m_config.watchPid > 0 ? processCpuSecondsOf(m_config.watchPid) : std::nullopt;
    const auto coreStart = m_config.watchCore >= 0 ? coreTimes(m_config.watchCore) : std::nullopt;
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration_cast<Clock::duration>(m_config.duration);
    std::size_t next = 0;
    std::uint64_t attempts = 0;
    const auto perPacket = m_config.ratePps > 0 ? Seconds(1.0 / m_config.ratePps) : Seconds(0);
    for (auto now = start; now < end; now = Clock::now()) {
        std::size_t due = m_config.burst;
        if (m_config.ratePps > 0) {
            const auto owed =
                static_cast<std::uint64_t>(Seconds(now - start).count() * m_config.ratePps);
            due = static_cast<std::size_t>(
                std::min<std::uint64_t>(owed > attempts ? owed - attempts : 0, m_config.burst));
        }
        for (std::size_t k = 0; k < due; ++k) {
            sendMedia(next, result);
            next = next + 1 == total ? 0 : next + 1;
        }
        attempts += due;
        // Busy polling (the default) never sleeps, so the target's deliveries into our sockets
        // need no wake-up of a sleeping thread, which on loopback the target's core would pay
        // for. Otherwise wait at most until the next packet is due (0 in max mode).
        Clock::duration wait{0};
        if (!m_config.busyPoll && m_config.ratePps > 0) {
            const auto nextDue = start + std::chrono::duration_cast<Clock::duration>(
                                             perPacket * static_cast<double>(attempts + 1));
            wait = std::min(nextDue, end) - Clock::now();
        }
        poll(wait);
    }
    result.windowSeconds = Seconds(Clock::now() - start).count();
    result.cpuSeconds = processCpuSeconds() - cpuStart;
    if (targetStart) {
        if (const auto targetEnd = processCpuSecondsOf(m_config.watchPid))
            result.targetCpuSeconds = *targetEnd - *targetStart;
    }
    if (coreStart) {
        if (const auto coreEnd = coreTimes(m_config.watchCore)) {
            result.coreBusySeconds = coreEnd->busy - coreStart->busy;
            result.coreSoftirqSeconds = coreEnd->softirq - coreStart->softirq;
            result.coreStealSeconds = coreEnd->steal - coreStart->steal;
        }
    }

    inWindow = false;
    const auto drainEnd =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(m_config.drain);
    for (auto now = Clock::now(); now < drainEnd; now = Clock::now())
        poll(drainEnd - now);
    return result;
}

void LoadGenerator::leave() {
    if (m_config.mode != LoadTarget::Relay)
        return;
    for (std::size_t p = 0; p < m_participants.size(); ++p)
        sendControl(p, {m_participants[p].nextRequestId++, wire::LeaveMsg{}});
}

} // namespace diyuma::bench
