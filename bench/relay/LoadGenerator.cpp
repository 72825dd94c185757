#include "LoadGenerator.h"

#include "diyuma/util/BigEndian.h"
#include "diyuma/wire/Demux.h"
#include "diyuma/wire/RtcpFeedback.h"
#include "diyuma/wire/Rtp.h"

#include "BareRegistration.h"
#include "ProcStat.h"
#include "Udp4.h"

#include <fmt/format.h>
#include <signal.h>
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
      m_recvMsgs(kRecvBatch), m_controlBuffer(wire::kMaxDatagramBytes),
      m_feedbackBuffer(wire::kMaxDatagramBytes) {
    m_streamBits = m_config.videoLayers > 0 ? 2 : 0;
    m_sendFeedback = m_config.videoLayers > 0 && m_config.packets == Packets::Layered &&
                     m_config.mode == LoadTarget::Relay;
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

std::uint32_t LoadGenerator::ssrcOf(std::size_t conference, std::size_t member,
                                    std::size_t stream) const {
    // The upper bits name the conference (+1, so no SSRC is 0), the next 8 the member, the
    // low m_streamBits (tiers mode) the stream.
    return static_cast<std::uint32_t>(((conference + 1) << (8 + m_streamBits)) |
                                      (member << m_streamBits) | stream);
}

bool LoadGenerator::setup(std::string& error) {
    const auto start = Clock::now();
    if (m_config.members < 2 || m_config.members > 255 || m_config.conferences < 1 ||
        m_config.conferences > (0xFFFFFFu >> m_streamBits) - 1) {
        error = fmt::format("members must be 2..255 and conferences 1..{}",
                            (0xFFFFFFu >> m_streamBits) - 1);
        return false;
    }
    if (m_config.videoLayers > kMaxVideoLayers) {
        error = fmt::format("video layers must be 0..{}", kMaxVideoLayers);
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
        if (tiers()) {
            for (std::size_t s = 0; s < kStreamsPerParticipant; ++s)
                participant.ssrcs[s] = ssrcOf(participant.conference, p % m_config.members, s);
            participant.packet.resize(wire::kMaxDatagramBytes);
            LayeredSenderConfig senderConfig;
            senderConfig.videoLayers = m_config.videoLayers;
            senderConfig.audioBytes = m_config.packetBytes;
            senderConfig.packets = m_config.packets;
            participant.sender = std::make_unique<LayeredSender>(senderConfig, participant.ssrcs,
                                                                 static_cast<std::uint32_t>(p));
            if (m_sendFeedback)
                participant.feedback = std::make_unique<FeedbackReporter>(participant.ssrc);
        } else {
            participant.packet.resize(m_config.packetBytes);
            wire::RtpHeaderFields header;
            header.ssrc = participant.ssrc;
            if (wire::writeRtp(header, payload, participant.packet).size() !=
                m_config.packetBytes) {
                error = "could not build the RTP packet";
                return false;
            }
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
        if (m_sendFeedback)
            m_arrival = std::chrono::steady_clock::now(); // one arrival time per batch
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
    if (const auto* report = std::get_if<wire::ReceiveReportMsg>(&message.body)) {
        m_participants[p].lastReport = *report;
        return true;
    }
    if (std::holds_alternative<wire::LayersWantedMsg>(message.body)) {
        ++m_layersWanted; // sent all layers anyway: the offered load stays the same
        return true;
    }
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
            if (tiers() && m_config.packets == Packets::Layered) {
                for (std::size_t layer = 0; layer < m_config.videoLayers; ++layer)
                    join.streams.items[1 + layer] = {
                        participant.ssrcs[1 + layer], wire::MediaKind::Video,
                        static_cast<std::uint8_t>(layer), LayeredSender::kHeights[layer]};
                join.streams.count = static_cast<std::uint8_t>(1 + m_config.videoLayers);
            }
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
    if (tiers()) {
        const auto packet = participant.sender->next(participant.packet);
        if (::send(participant.fd, packet.bytes.data(), packet.bytes.size(), 0) ==
            static_cast<ssize_t>(packet.bytes.size())) {
            ++result.sent;
            ++result.sentByStream[packet.stream];
        } else {
            ++result.sendFailures; // lost, as on a real uplink: the sender goes on
        }
        return;
    }
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

void LoadGenerator::onLayeredDatagram(std::size_t p, std::span<const std::uint8_t> datagram,
                                      LoadResult& result, bool inWindow) {
    Participant& participant = m_participants[p];
    const auto kind = wire::classify(datagram);
    if (kind == wire::PacketKind::Control || kind == wire::PacketKind::Unknown) {
        ++result.controlReceived;
        (void)handleControl(p, datagram);
        return;
    }
    if (kind == wire::PacketKind::Rtcp) { // the relay's feedback about our uplink, its PLIs
        if (inWindow)
            ++result.rtcpReceived;
        wire::RtcpReader reader(datagram);
        wire::RtcpPacket packet;
        wire::FeedbackSsrcs ssrcs;
        while (reader.next(packet))
            if (wire::isPli(packet) && wire::parseFeedbackSsrcs(packet, ssrcs) &&
                participant.sender->onPli(ssrcs.media))
                ++result.plisReceived;
        return;
    }
    wire::RtpPacketView rtp;
    if (wire::parseRtp(datagram, rtp) != wire::ParseError::None)
        return;
    if (participant.feedback) {
        wire::RtpExtensions extensions;
        if (wire::parseRtpExtensions(rtp, datagram, extensions) == wire::ParseError::None &&
            extensions.transportSequence)
            participant.feedback->onArrival(
                *extensions.transportSequence,
                std::chrono::duration_cast<std::chrono::microseconds>(m_arrival - m_origin)
                    .count());
    }
    if (rtp.payloadType == wire::kProbePayloadType) {
        if (inWindow)
            ++result.probesReceived;
        return;
    }
    if (inWindow) {
        ++result.delivered;
        if (!rtp.payload.empty() && rtp.payload[0] < kStreamsPerParticipant)
            ++result.deliveredByStream[rtp.payload[0]];
    } else {
        ++result.deliveredLate;
    }
    if ((rtp.ssrc >> m_streamBits) == (participant.ssrc >> m_streamBits))
        ++result.selfDeliveries;
    else if ((rtp.ssrc >> (8 + m_streamBits)) != (participant.ssrc >> (8 + m_streamBits)))
        ++result.misrouted;
}

void LoadGenerator::flushFeedback(LoadResult& result) {
    for (Participant& participant : m_participants) {
        if (!participant.feedback)
            continue;
        participant.feedback->flush(m_feedbackBuilder, m_feedbackBuffer,
                                    [&](std::span<const std::uint8_t> bytes) {
                                        (void)::send(participant.fd, bytes.data(), bytes.size(), 0);
                                        ++result.feedbackSent;
                                    });
    }
}

void LoadGenerator::summarizeReports(LoadResult& result) const {
    for (const Participant& participant : m_participants) {
        if (participant.feedback)
            result.feedbackOverflow += participant.feedback->overflow();
        if (participant.sender)
            result.keyFrames += participant.sender->keyFrames();
        if (!participant.lastReport)
            continue;
        ++result.receiversWithReport;
        result.downlinkBps.push_back(participant.lastReport->downlinkBps);
        for (const auto& entry : participant.lastReport->view()) {
            if (entry.state == wire::ReceiveState::PausedBandwidth)
                ++result.reportsPaused;
            else if (entry.state != wire::ReceiveState::Forwarding)
                ++result.reportsOther;
            else if (entry.spatialLayer < kMaxVideoLayers)
                ++result.forwardingLayers[entry.spatialLayer]
                                         [std::min<std::size_t>(entry.temporalLayer, 3)];
            else if (entry.spatialLayer == wire::kNoLayer)
                ++result.reportsWaiting;
            else
                ++result.reportsOther;
        }
    }
    std::sort(result.downlinkBps.begin(), result.downlinkBps.end());
    result.layersWantedReceived = m_layersWanted;
}

LoadResult LoadGenerator::run() {
    LoadResult result;
    result.setupSeconds = m_setupSeconds;
    std::vector<epoll_event> events(256);
    bool inWindow = true;
    LoadResult* counting = &result; // the warm-up counts into a result of its own
    m_origin = Clock::now();
    m_arrival = m_origin;
    const auto onDatagram = [&](std::size_t p, std::span<const std::uint8_t> datagram) {
        LoadResult& r = *counting;
        if (tiers()) {
            onLayeredDatagram(p, datagram, r, inWindow);
            return;
        }
        if (!isMedia(datagram)) {
            ++r.controlReceived;
            (void)handleControl(p, datagram);
            return;
        }
        if (inWindow)
            ++r.delivered;
        else
            ++r.deliveredLate;
        if (datagram.size() >= wire::kRtpHeaderBytes) {
            const auto ssrc = core::be::load32(datagram.subspan<8, 4>());
            if (ssrc == m_participants[p].ssrc)
                ++r.selfDeliveries;
            else if ((ssrc >> 8) != (m_participants[p].ssrc >> 8))
                ++r.misrouted;
        }
    };
    const auto poll = [&](Clock::duration wait) {
        const timespec timeout = toTimespec(wait);
        const int ready = ::epoll_pwait2(m_epoll, events.data(), static_cast<int>(events.size()),
                                         &timeout, nullptr);
        for (int i = 0; i < ready; ++i)
            drainSocket(events[i].data.u64, onDatagram);
    };
    const auto feedbackInterval =
        std::chrono::duration_cast<Clock::duration>(m_config.feedbackInterval);
    auto nextFeedback = Clock::now() + feedbackInterval;
    const auto maybeFeedback = [&](Clock::time_point now) {
        if (m_sendFeedback && now >= nextFeedback) {
            flushFeedback(*counting);
            nextFeedback = now + feedbackInterval;
        }
    };

    const std::size_t total = m_participants.size();
    std::size_t next = 0;
    // Sends at the configured rate for `length` from `start` (and receives all the while).
    const auto load = [&](Clock::time_point start, Seconds length) {
        LoadResult& r = *counting;
        const auto end = start + std::chrono::duration_cast<Clock::duration>(length);
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
                sendMedia(next, r);
                next = next + 1 == total ? 0 : next + 1;
            }
            attempts += due;
            maybeFeedback(now);
            // Busy polling (the default) never sleeps, so the target's deliveries into our
            // sockets need no wake-up of a sleeping thread, which on loopback the target's
            // core would pay for. Otherwise wait at most until the next packet is due (0 in
            // max mode).
            Clock::duration wait{0};
            if (!m_config.busyPoll && m_config.ratePps > 0) {
                const auto nextDue = start + std::chrono::duration_cast<Clock::duration>(
                                                 perPacket * static_cast<double>(attempts + 1));
                wait = std::min(nextDue, end) - Clock::now();
                if (m_sendFeedback)
                    wait = std::min(wait, nextFeedback - Clock::now());
            }
            poll(wait);
        }
    };

    if (m_config.warmup.count() > 0) {
        LoadResult warm;
        counting = &warm;
        load(Clock::now(), m_config.warmup);
        counting = &result;
        result.warmupSent = warm.sent;
    }

    const double cpuStart = processCpuSeconds();
    const auto targetStart =
        m_config.watchPid > 0 ? processCpuSecondsOf(m_config.watchPid) : std::nullopt;
    const auto coreStart = m_config.watchCore >= 0 ? coreTimes(m_config.watchCore) : std::nullopt;
    if (m_config.markPid > 0)
        (void)::kill(m_config.markPid, SIGUSR2);
    const auto start = Clock::now();
    load(start, m_config.duration);
    result.windowSeconds = Seconds(Clock::now() - start).count();
    if (m_config.markPid > 0)
        (void)::kill(m_config.markPid, SIGUSR2);
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
    if (tiers())
        summarizeReports(result);
    return result;
}

void LoadGenerator::leave() {
    if (m_config.mode != LoadTarget::Relay)
        return;
    for (std::size_t p = 0; p < m_participants.size(); ++p)
        sendControl(p, {m_participants[p].nextRequestId++, wire::LeaveMsg{}});
}

} // namespace diyuma::bench
