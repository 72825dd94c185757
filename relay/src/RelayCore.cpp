#include "diyuma/relay/RelayCore.h"

#include "diyuma/crypto/Random.h"
#include "diyuma/id/ConferenceId.h"
#include "diyuma/util/BigEndian.h"
#include "diyuma/wire/Demux.h"
#include "diyuma/wire/Rtp.h"
#include "diyuma/wire/RtpExtensions.h"
#include "diyuma/wire/TransportFeedback.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <type_traits>
#include <variant>

namespace diyuma::relay {

namespace {
/// RTP or RTCP that parses: the relay forwards media unchanged, but never malformed bytes.
/// RTP must parse with its header extensions (the relay reads the transport-wide sequence
/// number and, for layers, the frame marking); RTCP as a compound.
bool wellFormedMedia(wire::PacketKind kind, std::span<const std::uint8_t> bytes,
                     wire::RtpExtensions& extensions) {
    if (kind == wire::PacketKind::Rtp) {
        wire::RtpPacketView rtp;
        return wire::parseRtp(bytes, rtp) == wire::ParseError::None &&
               wire::parseRtpExtensions(rtp, bytes, extensions) == wire::ParseError::None;
    }
    wire::RtcpHeaderView rtcp;
    return wire::parseRtcpCompound(bytes, rtcp) == wire::ParseError::None;
}

/// Where a (cached, already validated) RTP packet's transport-wide sequence number is; 0 if
/// it has none.
std::size_t transportSequenceOffsetOf(std::span<const std::uint8_t> packet) {
    wire::RtpPacketView rtp;
    wire::RtpExtensions extensions;
    if (wire::parseRtp(packet, rtp) != wire::ParseError::None ||
        wire::parseRtpExtensions(rtp, packet, extensions) != wire::ParseError::None)
        return 0;
    return extensions.transportSequenceOffset;
}

constexpr std::uint32_t kKnownConferenceFlags =
    static_cast<std::uint32_t>(wire::ConferenceFlags::PrivateView);

/// Types only the relay sends. Receiving one is never answered: answering an Error with an
/// Error could make two peers bounce datagrams forever.
bool isRelayToClientType(std::uint8_t type) {
    switch (static_cast<wire::MessageType>(type)) {
    case wire::MessageType::Cookie:
    case wire::MessageType::Created:
    case wire::MessageType::Joined:
    case wire::MessageType::Roster:
    case wire::MessageType::Pong:
    case wire::MessageType::Error:
    case wire::MessageType::ReceiveReport:
    case wire::MessageType::LayersWanted:
        return true;
    default:
        return false;
    }
}

std::uint16_t clampMs(std::chrono::milliseconds ms) {
    return static_cast<std::uint16_t>(std::clamp<std::int64_t>(ms.count(), 0, 65535));
}
} // namespace

RelayCore::RelayCore(RelayConfig config, const core::Clock& clock, core::LogSink* log,
                     ConferenceStore* store)
    : m_config(config), m_clock(clock), m_log(log), m_store(store),
      m_cookies(config.cookieValidity),
      m_helloLimiter(config.helloRate, config.maxRateLimitEntries),
      m_requestLimiter(config.requestRate, config.maxRateLimitEntries) {
    m_doomed.reserve(64);
    m_shareRequests.reserve(m_config.maxParticipantsPerConference);
    m_shares.reserve(m_config.maxParticipantsPerConference);
    m_watched.reserve(m_config.maxParticipantsPerConference);
}

RelayCore::~RelayCore() = default;

void RelayCore::restore(std::span<const ConferenceRecord> records, TimePoint now) {
    const std::int64_t nowUnixMs = m_clock.unixMs();
    for (const auto& record : records) {
        auto conference = std::make_unique<Conference>();
        conference->id = record.id & core::ConferenceId::kMask;
        conference->verifier = record.verifier;
        conference->flags = record.flags;
        conference->createdUnixMs = record.createdUnixMs;
        conference->lastActiveUnixMs = record.lastActiveUnixMs;
        conference->everJoined = record.everJoined;
        conference->emptySince = now;
        // Clamped so that a hand-edited creation time (far past or future) cannot overflow:
        // what is left is always within [0, unusedTtl].
        const auto ttlMs =
            std::chrono::duration_cast<std::chrono::milliseconds>(m_config.unusedTtl).count();
        const auto createdMs =
            std::clamp<std::int64_t>(record.createdUnixMs, nowUnixMs - ttlMs, nowUnixMs);
        const auto leftMs = createdMs + ttlMs - nowUnixMs;
        conference->unusedExpiresAt = now + std::chrono::milliseconds(leftMs);
        m_conferences[conference->id] = std::move(conference);
    }
    m_stats.conferences = m_conferences.size();
    if (!records.empty())
        log(core::LogLevel::Info, fmt::format("restored {} conferences", records.size()));
}

void RelayCore::onDatagram(const SocketAddress& from, std::span<const std::uint8_t> bytes,
                           TimePoint now, PacketSink& out) {
    ++m_stats.datagramsReceived;
    m_stats.bytesReceived += bytes.size();

    Participant* sender = nullptr;
    if (const auto it = m_byAddress.find(from); it != m_byAddress.end()) {
        sender = it->second;
        sender->lastHeard = now; // anything from a joined address keeps it alive
    }
    if (bytes.size() > wire::kMaxDatagramBytes) {
        drop(DropReason::TooLarge, from, now);
        return;
    }
    const auto kind = wire::classify(bytes);
    switch (kind) {
    case wire::PacketKind::Rtp:
    case wire::PacketKind::Rtcp: {
        const bool rtp = kind == wire::PacketKind::Rtp;
        ++(rtp ? m_stats.rtpReceived : m_stats.rtcpReceived);
        if (sender == nullptr) {
            drop(DropReason::NotJoined, from, now);
            return;
        }
        wire::RtpExtensions extensions;
        if (!wellFormedMedia(kind, bytes, extensions)) {
            drop(rtp ? DropReason::MalformedRtp : DropReason::MalformedRtcp, from, now);
            return;
        }
        // Both buckets are always asked, so a datagram refused for bytes still costs a packet.
        const bool packetsOk = sender->mediaPackets.take(m_config.mediaPacketRate, 1.0, now);
        const bool bytesOk =
            sender->mediaBytes.take(m_config.mediaByteRate, static_cast<double>(bytes.size()), now);
        if (!packetsOk || !bytesOk) {
            drop(DropReason::RateLimitedMedia, from, now);
            return;
        }
        if (!rtp) {
            ++m_stats.rtcpForwarded;
            routeRtcp(*sender, bytes, now, out);
            return;
        }
        // Every RTP packet that made it this far counts for the sender's uplink estimate,
        // probes included; probes end here.
        if (extensions.transportSequence)
            sender->uplinkFeedback->onPacket(*extensions.transportSequence, now);
        if ((bytes[1] & 0x7F) == wire::kProbePayloadType) {
            ++m_stats.probesReceived;
            return;
        }
        // Only announced streams pass: private view and NACK answers rest on knowing what
        // a stream is, and an unannounced SSRC could carry video past the policy.
        const std::uint32_t ssrc = core::be::load32(bytes.subspan(8).first<4>());
        const wire::StreamInfo* stream = sender->findStream(ssrc);
        const std::uint8_t payloadType = bytes[1] & 0x7F;
        const std::uint8_t expected = stream != nullptr && stream->kind == wire::MediaKind::Video
                                          ? wire::kVp8PayloadType
                                          : wire::kOpusPayloadType;
        if (stream == nullptr || payloadType != expected) {
            drop(DropReason::UnannouncedSsrc, from, now);
            return;
        }
        if (stream->kind == wire::MediaKind::Audio && sender->unmuteLocked()) {
            drop(DropReason::AdminMuted, from, now); // the admin's mute holds on the relay
            return;
        }
        ++m_stats.rtpForwarded;
        if (stream->kind == wire::MediaKind::Audio)
            sender->speech.onAudioPacket(now);
        if (stream->kind == wire::MediaKind::Video) {
            if (VideoStream* video = sender->findVideo(ssrc)) {
                forwardVideo(*sender, *video, core::be::load16(bytes.subspan(2).first<2>()), bytes,
                             extensions, now, out);
                return;
            }
        }
        forwardMedia(*sender, bytes, out, extensions.transportSequenceOffset);
        return;
    }
    case wire::PacketKind::Control:
        ++m_stats.controlReceived;
        if (!from.isValid() || from.port() == 0) {
            drop(DropReason::InvalidAddress, from, now);
            return;
        }
        handleControl(from, sender, bytes, now, out);
        return;
    case wire::PacketKind::Unknown:
        break;
    }
    drop(DropReason::UnknownKind, from, now);
}

void RelayCore::forwardMedia(const Participant& sender, std::span<const std::uint8_t> bytes,
                             PacketSink& out, std::size_t transportSequenceOffset) {
    if (transportSequenceOffset != 0) { // numbered per receiver
        for (const auto& receiver : sender.conference->participants)
            if (receiver.get() != &sender)
                sendRtp(*receiver, bytes, transportSequenceOffset, out);
        return;
    }
    // The same bytes for every receiver (RTCP, RTP of clients that number nothing): one flat
    // array, no copy, no allocation.
    for (const SocketAddress& destination : sender.conference->destinations) {
        if (destination == sender.address)
            continue;
        out.forward(destination, bytes);
        ++m_stats.forwardedPackets;
        m_stats.forwardedBytes += bytes.size();
    }
}

void RelayCore::sendRtp(Participant& receiver, std::span<const std::uint8_t> bytes,
                        std::size_t transportSequenceOffset, PacketSink& out, Rewrite rewrite) {
    ++m_stats.forwardedPackets;
    m_stats.forwardedBytes += bytes.size();
    const bool renumbered =
        rewrite.sequence && *rewrite.sequence != core::be::load16(bytes.subspan(2).first<2>());
    const bool otherSsrc =
        rewrite.ssrc && *rewrite.ssrc != core::be::load32(bytes.subspan(8).first<4>());
    if (transportSequenceOffset == 0 && !renumbered && !otherSsrc)
        out.forward(receiver.address, bytes);
    else
        sendNumbered(receiver, bytes, transportSequenceOffset, out, rewrite);
}

void RelayCore::sendNumbered(Participant& receiver, std::span<const std::uint8_t> bytes,
                             std::size_t transportSequenceOffset, PacketSink& out,
                             Rewrite rewrite) {
    const std::span<std::uint8_t> copy(m_mediaScratch.data(), bytes.size());
    std::copy(bytes.begin(), bytes.end(), copy.begin());
    if (rewrite.sequence)
        core::be::store16(copy.subspan(2).first<2>(), *rewrite.sequence);
    if (rewrite.ssrc)
        core::be::store32(copy.subspan(8).first<4>(), *rewrite.ssrc);
    if (transportSequenceOffset != 0) {
        const std::uint16_t number = receiver.nextDownlinkSequence++;
        (void)wire::patchTransportSequence(copy, transportSequenceOffset, number);
        receiver.downlink->onPacketSent(number, copy.size() + wire::kUdpIpOverheadBytes);
    }
    out.send(receiver.address, copy);
}

void RelayCore::sendProbe(Participant& receiver, const core::cc::ProbeRequest& probe,
                          PacketSink& out) {
    const std::size_t size = probe.bytes / std::max<std::size_t>(probe.packets, 1);
    for (std::size_t i = 0; i < probe.packets; ++i) {
        const auto packet =
            wire::writeProbePacket(receiver.nextProbeSequence++, size, m_mediaScratch);
        if (packet.empty())
            return;
        const std::uint16_t sequence = receiver.nextDownlinkSequence++;
        (void)wire::patchTransportSequence(packet, wire::kTransportSequenceOffset, sequence);
        receiver.downlink->onPacketSent(sequence, packet.size() + wire::kUdpIpOverheadBytes,
                                        probe.clusterId);
        out.send(receiver.address, packet);
        ++m_stats.probesSent;
    }
}

void RelayCore::sendReceiveReport(const Participant& receiver, PacketSink& out) {
    const Conference& conference = *receiver.conference;
    wire::ReceiveReportMsg report;
    const core::cc::BandwidthEstimate estimate = receiver.downlink->estimate();
    report.downlinkBps =
        estimate.feedbacks > 0 ? static_cast<std::uint32_t>(estimate.targetBps) : 0;
    for (const auto& sender : conference.participants) {
        if (sender.get() == &receiver || report.count == wire::kMaxReportEntries)
            continue;
        wire::ReceiveEntry& e = report.entries[report.count++];
        e.participantId = sender->id;
        if (sender->videoStreams.empty())
            e.state = wire::ReceiveState::NoVideo;
        else if (!conference.mayReceiveVideo(*sender, receiver))
            e.state = wire::ReceiveState::PrivateView;
        else if (receiver.maxHeightFrom(sender->id) == 0)
            e.state = wire::ReceiveState::NotSubscribed;
        else {
            const ReceivedVideo* view = receiver.receivedVideoFrom(sender->id);
            const auto stream = view != nullptr ? view->forwarder.current() : std::nullopt;
            if (view != nullptr && view->forwarder.paused()) {
                e.state = wire::ReceiveState::PausedBandwidth;
            } else {
                // Forwarding, or about to (the first key frame is on its way: no layers yet).
                e.state = wire::ReceiveState::Forwarding;
                if (stream) {
                    e.spatialLayer = sender->videoStreams[*stream].layer;
                    e.temporalLayer = view->forwarder.temporalLayer().value_or(wire::kNoLayer);
                }
            }
        }
    }
    sendControl(receiver.address, wire::ControlMessage{0, report}, out);
    ++m_stats.receiveReportsSent;
}

void RelayCore::onSubscribe(Participant& sender, const wire::SubscribeMsg& request, TimePoint now) {
    if (!sender.subscribes.take(kSubscribeRate, 1.0, now)) {
        drop(DropReason::RateLimitedControl, sender.address, now);
        return;
    }
    const auto entries = request.view();
    sender.subscriptions.assign(entries.begin(), entries.end());
    sender.defaultMaxHeight = request.defaultMaxHeight;
}

void RelayCore::onLayersAvailable(Participant& sender, const wire::LayersAvailableMsg& report,
                                  TimePoint now) {
    if (!sender.layersAvailable.take(kLayersAvailableRate, 1.0, now)) {
        drop(DropReason::RateLimitedControl, sender.address, now);
        return;
    }
    ++m_stats.layersAvailableReceived;
    for (std::size_t i = 0; i < sender.videoStreams.size(); ++i) {
        VideoStream& stream = sender.videoStreams[i];
        // The lowest stream is never off: a receiver keeps some picture while it fits.
        const bool able = i == 0 || (report.layers >> (stream.layer & 7U) & 1U) != 0;
        if (able) {
            stream.unavailableAtSender = false;
            stream.offUntil = {}; // its word overrides a second of silence
        } else if (!stream.unavailableAtSender) {
            if (stream.wantedSince && stream.available(now))
                ++m_stats.videoStreamsOffAtSender;
            stream.unavailableAtSender = true;
        }
    }
}

void RelayCore::forwardVideo(Participant& sender, VideoStream& stream, std::uint16_t sequence,
                             std::span<const std::uint8_t> bytes,
                             const wire::RtpExtensions& extensions, TimePoint now,
                             PacketSink& out) {
    const Conference& conference = *sender.conference;
    // New packets show the stream is sent (kSilentLayerAfter); the sender's answers to NACKs
    // for a stream it has stopped do not.
    if (!stream.anyForwarded || static_cast<std::int16_t>(sequence - stream.highestSequence) > 0) {
        stream.lastPacketAt = now;
        stream.offUntil = {};
    }
    // A packet of before the last private-view switch (the sender's answer to a NACK, or a
    // late one) goes to admins only: they may see it under either rule.
    const bool old = stream.beforeSwitch(sequence, now, kSwitchMarkHorizon);
    if (!old) {
        stream.cache->put(sequence, bytes, now);
        if (!stream.anyForwarded ||
            static_cast<std::int16_t>(sequence - stream.highestSequence) > 0)
            stream.highestSequence = sequence;
        stream.anyForwarded = true;
    }
    // What the frame is, from the frame marking (VP8 is not parsed): its temporal layer,
    // whether it is a key frame or a layer's sync frame, whether this packet starts it.
    const auto& marking = extensions.frameMarking;
    FrameInfo frame;
    if (marking) {
        frame.temporalId = marking->hasLayers ? marking->temporalId : 0;
        frame.layerSync = marking->baseLayerSync;
        frame.keyFrame = marking->independent;
        frame.startOfFrame = marking->startOfFrame;
    }
    const std::uint32_t timestamp = core::be::load32(bytes.subspan(4).first<4>());
    stream.rates.add(frame.temporalId, bytes.size() + wire::kUdpIpOverheadBytes, now);
    const auto index = static_cast<std::size_t>(&stream - sender.videoStreams.data());
    for (const auto& receiver : conference.participants) {
        if (receiver.get() == &sender)
            continue;
        if (!conference.mayReceiveVideo(sender, *receiver) || (old && !receiver->isAdmin())) {
            ++m_stats.videoWithheld;
            continue;
        }
        if (receiver->maxHeightFrom(sender.id) == 0) {
            ++m_stats.videoNotSubscribed;
            continue;
        }
        ReceivedVideo* view = receiver->receivedVideoFrom(sender.id);
        if (view == nullptr) { // cannot happen (made at join); forwarded as it is if it does
            sendRtp(*receiver, bytes, extensions.transportSequenceOffset, out);
            continue;
        }
        const std::uint64_t switches = view->forwarder.spatialSwitches();
        const auto renumbered = view->forwarder.onPacket(index, sequence, timestamp, frame);
        m_stats.videoStreamSwitches += view->forwarder.spatialSwitches() - switches;
        if (!renumbered) {
            ++m_stats.videoLayerDropped;
            continue;
        }
        sendRtp(*receiver, bytes, extensions.transportSequenceOffset, out,
                Rewrite{*renumbered, view->visibleSsrc});
    }
}

void RelayCore::selectLayers(Participant& receiver, TimePoint now, PacketSink& out) {
    // Audio is reserved first; what is left of the receiver's downlink goes to the senders
    // whose video it receives. Without feedback from it there is no estimate: no limit.
    const core::cc::BandwidthEstimate estimate = receiver.downlink->estimate();
    const Conference& conference = *receiver.conference;
    int audioSenders = 0;
    for (const auto& sender : conference.participants) {
        if (sender.get() == &receiver)
            continue;
        for (const auto& s : sender->streams.view())
            audioSenders += s.kind == wire::MediaKind::Audio ? 1 : 0;
    }
    const int budget = estimate.feedbacks > 0 ? estimate.targetBps - audioSenders * kAudioReserveBps
                                              : std::numeric_limits<int>::max() / 2;
    // The budget is shared by demand (what the best stream the receiver wants of each sender
    // sends) with the speaker weighing twice (VideoForwarder.h, allocateShares).
    const auto views = std::span(receiver.receivedVideo);
    const auto ratesOf = [&](Participant& sender,
                             std::array<StreamRate, wire::kMaxSsrcsPerParticipant>& rates) {
        auto& streams = sender.videoStreams;
        for (std::size_t i = 0; i < streams.size(); ++i) {
            // A stream that stopped (nobody wanted it, or its sender's uplink) sends nothing
            // now: its meter still holds its last second or two, and that decaying figure
            // would make it look cheap (a paused receiver resumed on a link it cannot use).
            VideoStream& s = streams[i];
            const LayerRates measured = s.rates.rates(now);
            rates[i] =
                StreamRate{s.height, s.sentWithin(now, kNotSendingAfter) ? measured : LayerRates{},
                           s.available(now)};
        }
        return std::span(rates).first(streams.size());
    };
    const auto watched = [&](const ReceivedVideo& view) -> Participant* {
        Participant* sender = conference.find(view.senderId);
        if (sender == nullptr || sender->videoStreams.empty() ||
            receiver.maxHeightFrom(view.senderId) == 0 ||
            !conference.mayReceiveVideo(*sender, receiver))
            return nullptr;
        return sender;
    };
    std::array<StreamRate, wire::kMaxSsrcsPerParticipant> rates{};
    m_shareRequests.resize(views.size()); // within the capacity reserved for a conference
    m_shares.resize(views.size());
    m_watched.resize(views.size());
    for (std::size_t v = 0; v < views.size(); ++v) {
        Participant* sender = watched(*views[v]);
        m_watched[v] = sender;
        m_shareRequests[v] =
            sender == nullptr
                ? ShareRequest{}
                : ShareRequest{VideoForwarder::demandBps(ratesOf(*sender, rates),
                                                         receiver.maxHeightFrom(sender->id)),
                               sender->speech.speaking(now)};
    }
    allocateShares(std::max(0, budget), m_shareRequests, m_shares);
    // What this receiver would get with room for all: its estimator probes no further (a
    // probe fills the link for a moment, and that for nothing costs the media). Video up to
    // where an up-switch to each sender's best stream is allowed (its margin).
    double wanted = audioSenders * kAudioReserveBps;
    for (const ShareRequest& request : m_shareRequests)
        wanted += request.demandBps / VideoForwarder::kUpMargin;
    receiver.downlink->setWantedBitrate(static_cast<int>(wanted));
    for (std::size_t v = 0; v < views.size(); ++v) {
        Participant* sender = m_watched[v];
        if (sender == nullptr)
            continue;
        VideoForwarder& forwarder = views[v]->forwarder;
        forwarder.update(m_shares[v], ratesOf(*sender, rates), receiver.maxHeightFrom(sender->id),
                         now);
        // Starting, switching, or back from a pause: the stream starts at a key frame. Asked
        // for again while it does not come (coalesced with everyone else's requests).
        if (forwarder.wantsKeyFrame()) {
            VideoStream& stream = sender->videoStreams[*forwarder.target()];
            if (!stream.lastPliAt || now - *stream.lastPliAt >= kKeyFrameRetry)
                requestKeyFrame(*sender, stream, now, out);
        }
    }
}

void RelayCore::sendLayersWanted(Participant& sender, TimePoint now, PacketSink& out) {
    if (sender.videoStreams.empty())
        return;
    std::uint8_t layers = 0;
    for (const auto& receiver : sender.conference->participants) {
        const ReceivedVideo* view =
            receiver.get() == &sender ? nullptr : receiver->receivedVideoFrom(sender.id);
        if (view == nullptr || receiver->maxHeightFrom(sender.id) == 0 ||
            !sender.conference->mayReceiveVideo(sender, *receiver))
            continue;
        for (const auto stream : {view->forwarder.current(), view->forwarder.target()})
            if (stream)
                layers |=
                    static_cast<std::uint8_t>(1U << (sender.videoStreams[*stream].layer & 7U));
    }
    // Which streams the sender does not send although asked (kSilentLayerAfter).
    const auto recent = [&](const VideoStream& s) { return s.sentWithin(now, kSilentLayerAfter); };
    for (std::size_t i = 0; i < sender.videoStreams.size(); ++i) {
        VideoStream& stream = sender.videoStreams[i];
        if ((layers >> (stream.layer & 7U) & 1U) == 0) {
            stream.wantedSince.reset();
            continue;
        }
        if (!stream.wantedSince)
            stream.wantedSince = now;
        const bool lowerSends =
            std::any_of(sender.videoStreams.begin(),
                        sender.videoStreams.begin() + static_cast<std::ptrdiff_t>(i), recent);
        if (i > 0 && lowerSends && !recent(stream) &&
            now - *stream.wantedSince >= kSilentLayerAfter && stream.available(now)) {
            stream.offUntil = now + kSilentLayerRetry;
            ++m_stats.videoStreamsOffAtSender;
        }
    }
    if (layers == sender.layersWantedSent && now < sender.nextLayersWantedAt)
        return;
    sendControl(sender.address, wire::ControlMessage{0, wire::LayersWantedMsg{layers}}, out);
    ++m_stats.layersWantedSent;
    sender.layersWantedSent = layers;
    sender.nextLayersWantedAt = now + kReceiveReportInterval;
}

void RelayCore::routeRtcp(Participant& sender, std::span<const std::uint8_t> bytes, TimePoint now,
                          PacketSink& out) {
    const Conference& conference = *sender.conference;
    // Taking a compound apart must not turn one datagram into hundreds.
    std::size_t packets = 0;
    bool special = false; // feedback, or a report on a video stream
    wire::RtcpReader counter(bytes);
    wire::RtcpPacket packet;
    while (counter.next(packet)) {
        ++packets;
        special = special || wire::isNack(packet) || wire::isPli(packet) ||
                  wire::isTransportFeedback(packet) ||
                  (packet.packetType == wire::kRtcpSenderReport && packet.body.size() >= 4 &&
                   sender.findVideo(core::be::load32(packet.body.first<4>())) != nullptr);
    }
    if (packets > kMaxRtcpPackets) {
        drop(DropReason::RtcpTooManyPackets, sender.address, now);
        return;
    }
    if (!special) { // the common case: the whole datagram to everyone, as it came
        forwardMedia(sender, bytes, out);
        return;
    }
    wire::RtcpReader reader(bytes);
    std::size_t answers = 0;      // cache answers for this whole datagram
    while (reader.next(packet)) { // the compound was validated: this walks all of it
        if (wire::isNack(packet) || wire::isPli(packet)) {
            routeFeedback(sender, packet.raw, packet, now, answers, out);
            continue;
        }
        if (wire::isTransportFeedback(packet)) { // about the hop from us: ours, never passed on
            ++m_stats.transportFeedbackReceived;
            (void)sender.downlink->onFeedback(packet);
            continue;
        }
        // A report on a video stream goes where the stream goes, as the stream the receiver
        // knows (its SSRC), and only while that receiver gets this stream; the rest to
        // everyone.
        const VideoStream* video = nullptr;
        if (packet.packetType == wire::kRtcpSenderReport && packet.body.size() >= 4)
            video = sender.findVideo(core::be::load32(packet.body.first<4>()));
        for (const auto& receiver : conference.participants) {
            if (receiver.get() == &sender)
                continue;
            if (video != nullptr && !conference.mayReceiveVideo(sender, *receiver)) {
                ++m_stats.videoWithheld;
                continue;
            }
            if (video != nullptr) {
                const ReceivedVideo* view = receiver->receivedVideoFrom(sender.id);
                const auto index = static_cast<std::size_t>(video - sender.videoStreams.data());
                if (view == nullptr || view->forwarder.current() != index)
                    continue; // not the stream this receiver gets now
                if (view->visibleSsrc != video->ssrc) {
                    const std::span<std::uint8_t> copy(m_mediaScratch.data(), packet.raw.size());
                    std::copy(packet.raw.begin(), packet.raw.end(), copy.begin());
                    core::be::store32(copy.subspan(4).first<4>(), view->visibleSsrc);
                    out.send(receiver->address, copy);
                    ++m_stats.forwardedPackets;
                    m_stats.forwardedBytes += copy.size();
                    continue;
                }
            }
            out.forward(receiver->address, packet.raw);
            ++m_stats.forwardedPackets;
            m_stats.forwardedBytes += packet.raw.size();
        }
    }
}

void RelayCore::routeFeedback(Participant& from, std::span<const std::uint8_t> packetBytes,
                              const wire::RtcpPacket& packet, TimePoint now, std::size_t& answers,
                              PacketSink& out) {
    wire::FeedbackSsrcs ssrcs;
    Participant* owner = nullptr;
    if (wire::parseFeedbackSsrcs(packet, ssrcs))
        owner = from.conference->ownerOf(ssrcs.media);
    VideoStream* named = owner != nullptr ? owner->findVideo(ssrcs.media) : nullptr;
    // Feedback is for video streams the asker may see, from someone else.
    if (named == nullptr || owner == &from || !from.conference->mayReceiveVideo(*owner, from)) {
        drop(DropReason::FeedbackUnroutable, from.address, now);
        return;
    }
    // The asker knows a simulcast sender as one stream (its lowest layer's SSRC); which of
    // the sender's streams that is now, and what each number it names stands for, is in its
    // view.
    const ReceivedVideo* view = from.receivedVideoFrom(owner->id);
    if (wire::isPli(packet)) {
        const auto target = view != nullptr ? view->forwarder.target() : std::nullopt;
        VideoStream& stream = target ? owner->videoStreams[*target] : *named;
        if (stream.lastPliAt && now - *stream.lastPliAt < kPliCoalesce) {
            ++m_stats.plisCoalesced;
            return;
        }
        stream.lastPliAt = now;
        if (&stream == named)
            out.forward(owner->address, packetBytes);
        else
            out.send(owner->address, wire::writePli(ssrcs.sender, stream.ssrc, m_scratch));
        ++m_stats.plisForwarded;
        return;
    }
    // NACK: answer what the cache has; pass on only the rest, to the stream each is of.
    struct Missing {
        std::size_t stream = 0;
        std::uint16_t sequence = 0;
    };
    std::array<Missing, 256> missing{};
    std::size_t missingCount = 0;
    std::array<std::uint16_t, kMaxNackAnswers> answered{};
    std::size_t answeredCount = 0; // in this NACK packet, to answer each sequence once
    const auto namedIndex = static_cast<std::size_t>(named - owner->videoStreams.data());
    (void)wire::forEachNackedSequence(packet, [&](std::uint16_t asked) {
        ++m_stats.nacksReceived;
        // The asker names the numbers it saw; the cache and the sender know the stream's own.
        const auto input = view != nullptr
                               ? view->forwarder.toInput(asked)
                               : std::optional(VideoForwarder::Input{namedIndex, asked});
        if (!input) {
            ++m_stats.nacksUntranslatable; // never sent to it (left out, or too old)
            return;
        }
        if (view != nullptr && view->forwarder.leaving(input->stream)) {
            ++m_stats.nacksOfLeftStream; // the new stream's key frame is what it needs
            return;
        }
        VideoStream& stream = owner->videoStreams[input->stream];
        const std::uint16_t sequence = input->sequence;
        // Forwarded under the rule before the last switch: this asker may not have been
        // allowed then. Neither answered nor passed on (the sender would resend it).
        if (stream.beforeSwitch(sequence, now, kSwitchMarkHorizon))
            return;
        if (auto cached = stream.cache->find(sequence)) {
            const auto end = answered.begin() + static_cast<std::ptrdiff_t>(answeredCount);
            if (answers == kMaxNackAnswers || std::find(answered.begin(), end, asked) != end)
                return; // at most kMaxNackAnswers per datagram, each packet once
            answered[answeredCount++] = asked;
            ++answers;
            if (!from.retransmissions.take(kRetransmissionRate, 1.0, now)) {
                ++m_stats.retransmissionsLimited; // neither answered nor passed on
                return;
            }
            // Copied (the cache slot may be reused before the batch leaves), as the asker
            // knows it: its number, and the SSRC it names.
            sendNumbered(from, *cached, transportSequenceOffsetOf(*cached), out,
                         Rewrite{asked, ssrcs.media});
            ++m_stats.retransmissionsSent;
        } else if (missingCount < missing.size()) {
            missing[missingCount++] = Missing{input->stream, sequence};
        }
    });
    // One NACK per stream with missing packets (the current one, perhaps the one before a
    // switch), naming the stream's own SSRC and numbers.
    std::array<std::uint16_t, 256> sequences{};
    for (std::size_t first = 0; first < missingCount; ++first) {
        const std::size_t stream = missing[first].stream;
        if (std::any_of(missing.begin(), missing.begin() + static_cast<std::ptrdiff_t>(first),
                        [stream](const Missing& m) { return m.stream == stream; }))
            continue; // that stream's NACK went already
        std::size_t count = 0;
        for (std::size_t i = first; i < missingCount; ++i)
            if (missing[i].stream == stream)
                sequences[count++] = missing[i].sequence;
        std::size_t covered = 0;
        const auto nack = wire::writeNack(ssrcs.sender, owner->videoStreams[stream].ssrc,
                                          std::span(sequences).first(count), m_scratch, covered);
        if (!nack.empty()) {
            out.send(owner->address, nack);
            m_stats.nacksForwarded += covered;
        }
    }
}

void RelayCore::handleControl(const SocketAddress& from, Participant* sender,
                              std::span<const std::uint8_t> bytes, TimePoint now, PacketSink& out) {
    wire::ControlMessage message;
    if (const auto error = wire::parseControl(bytes, message); error != wire::ParseError::None) {
        handleMalformedControl(from, sender, bytes, error, now, out);
        return;
    }
    const std::uint32_t requestId = message.requestId;
    std::visit(
        [&](const auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, wire::HelloMsg>) {
                onHello(from, requestId, now, out);
            } else if constexpr (std::is_same_v<T, wire::CreateMsg>) {
                onCreate(from, sender, requestId, body, bytes.size(), now, out);
            } else if constexpr (std::is_same_v<T, wire::JoinMsg>) {
                onJoin(from, sender, requestId, body, bytes.size(), now, out);
            } else if constexpr (std::is_same_v<T, wire::RosterAckMsg> ||
                                 std::is_same_v<T, wire::PingMsg> ||
                                 std::is_same_v<T, wire::SelfStateMsg> ||
                                 std::is_same_v<T, wire::SetPrivateViewMsg> ||
                                 std::is_same_v<T, wire::RemoveParticipantMsg> ||
                                 std::is_same_v<T, wire::MuteParticipantMsg> ||
                                 std::is_same_v<T, wire::SubscribeMsg> ||
                                 std::is_same_v<T, wire::LayersAvailableMsg>) {
                if (sender == nullptr) {
                    // The client thinks it is joined (we restarted or timed it out): tell it,
                    // within the size of what it sent.
                    drop(DropReason::NotJoined, from, now);
                    sendError(from, requestId, wire::ErrorCode::NotJoined,
                              wire::typeOf(message.body), "not joined", bytes.size(), out);
                    return;
                }
                if constexpr (std::is_same_v<T, wire::RosterAckMsg>) {
                    sender->ackRoster(body.seq);
                } else if constexpr (std::is_same_v<T, wire::SelfStateMsg>) {
                    onSelfState(*sender, body, now, out);
                } else if constexpr (std::is_same_v<T, wire::SetPrivateViewMsg>) {
                    onSetPrivateView(*sender, requestId, body, now, out);
                } else if constexpr (std::is_same_v<T, wire::RemoveParticipantMsg>) {
                    onRemoveParticipant(*sender, requestId, body, now, out);
                } else if constexpr (std::is_same_v<T, wire::MuteParticipantMsg>) {
                    onMuteParticipant(*sender, requestId, body, now, out);
                } else if constexpr (std::is_same_v<T, wire::SubscribeMsg>) {
                    onSubscribe(*sender, body, now);
                } else if constexpr (std::is_same_v<T, wire::LayersAvailableMsg>) {
                    onLayersAvailable(*sender, body, now);
                } else {
                    sendControl(from,
                                wire::ControlMessage{requestId, wire::PongMsg{body.timestampUs}},
                                out);
                    ++m_stats.pongsSent;
                }
            } else if constexpr (std::is_same_v<T, wire::LeaveMsg>) {
                if (sender == nullptr) {
                    drop(DropReason::NotJoined, from, now); // no reply: it is leaving anyway
                    return;
                }
                ++m_stats.participantsLeft;
                log(core::LogLevel::Info,
                    fmt::format("participant {} left {}", sender->id,
                                core::ConferenceId(sender->conference->id).toString()));
                removeParticipant(*sender, now, out);
            } else {
                drop(DropReason::UnexpectedControl, from, now);
            }
        },
        message.body);
}

void RelayCore::onSelfState(Participant& sender, const wire::SelfStateMsg& state, TimePoint now,
                            PacketSink& out) {
    // Each change costs a reliable Roster to every participant: a client toggling its mute
    // in a loop must not flood the others (or overflow their unacked rosters). Dropping is
    // safe: the client resends until its roster entry shows what it asked for.
    if (!sender.selfStates.take(kSelfStateRate, 1.0, now)) {
        drop(DropReason::RateLimitedControl, sender.address, now);
        return;
    }
    // Resent by the client until its own roster entry shows the flags: a repeat changes
    // nothing and announces nothing (the first announcement is already reliable).
    const auto muted = static_cast<std::uint8_t>(wire::ParticipantFlags::AudioMuted);
    if (sender.unmuteLocked() && (state.flags & muted) == 0) {
        // The admin does not let them unmute: tell the asker how things stand (its client
        // stops asking once its own entry shows it), nobody else.
        queueRoster(sender, sender.rosterUpsert(), now, out);
        return;
    }
    if (sender.selfFlags == state.flags)
        return;
    sender.selfFlags = state.flags;
    if ((state.flags & muted) == 0) // unmuted by themselves: the admin's mute is over
        sender.adminFlags = 0;
    for (const auto& other : sender.conference->participants)
        queueRoster(*other, sender.rosterUpsert(), now, out);
}

bool RelayCore::mayAct(Participant& sender, std::uint32_t requestId, wire::MessageType type,
                       bool needsAdmin, TimePoint now, PacketSink& out) {
    // The same budget as SelfState: each change is a reliable Roster to everyone.
    if (!sender.selfStates.take(kSelfStateRate, 1.0, now)) {
        drop(DropReason::RateLimitedControl, sender.address, now);
        return false;
    }
    if (needsAdmin && !sender.isAdmin()) {
        sendError(sender.address, requestId, wire::ErrorCode::NotAdmin, type,
                  "only an admin may do that", wire::kMaxDatagramBytes, out);
        return false;
    }
    return true;
}

void RelayCore::onRemoveParticipant(Participant& sender, std::uint32_t requestId,
                                    const wire::RemoveParticipantMsg& request, TimePoint now,
                                    PacketSink& out) {
    if (!mayAct(sender, requestId, wire::MessageType::RemoveParticipant, true, now, out))
        return;
    Participant* target = sender.conference->find(request.participantId);
    if (target == nullptr || target == &sender)
        return; // gone already (a resend), or an admin's slip: nothing to do
    // They hear why before they go; their address is validated (a participant's).
    sendError(target->address, 0, wire::ErrorCode::Removed, wire::MessageType::RemoveParticipant,
              "removed by the admin", wire::kMaxDatagramBytes, out);
    if (!target->isAdmin()) // an admin comes back with the admin link whatever we do
        sender.conference->bans.push_back(Conference::RejoinBan{target->address, now + kRejoinBan});
    log(core::LogLevel::Info,
        fmt::format("participant {} removed from {} by {}", target->id,
                    core::ConferenceId(sender.conference->id).toString(), sender.id));
    ++m_stats.participantsLeft;
    removeParticipant(*target, now, out);
}

void RelayCore::onMuteParticipant(Participant& sender, std::uint32_t requestId,
                                  const wire::MuteParticipantMsg& request, TimePoint now,
                                  PacketSink& out) {
    if (!mayAct(sender, requestId, wire::MessageType::MuteParticipant, true, now, out))
        return;
    Participant* target = sender.conference->find(request.participantId);
    if (target == nullptr)
        return;
    const auto muted = static_cast<std::uint8_t>(wire::ParticipantFlags::AudioMuted);
    const auto byAdmin = static_cast<std::uint8_t>(wire::ParticipantFlags::MutedByAdmin);
    const auto locked = static_cast<std::uint8_t>(wire::ParticipantFlags::UnmuteLocked);
    const std::uint8_t before = target->rosterFlags();
    switch (request.mode) {
    case wire::AdminMute::Mute:
        target->selfFlags |= muted;
        target->adminFlags = byAdmin;
        break;
    case wire::AdminMute::MuteLocked:
        target->selfFlags |= muted;
        target->adminFlags = static_cast<std::uint8_t>(byAdmin | locked);
        break;
    case wire::AdminMute::Allow:
        target->adminFlags = static_cast<std::uint8_t>(target->adminFlags & ~locked);
        break;
    }
    if (target->rosterFlags() == before) {
        queueRoster(sender, target->rosterUpsert(), now, out); // ends the admin's resending
        return;
    }
    for (const auto& other : sender.conference->participants)
        queueRoster(*other, target->rosterUpsert(), now, out);
}

void RelayCore::onSetPrivateView(Participant& sender, std::uint32_t requestId,
                                 const wire::SetPrivateViewMsg& request, TimePoint now,
                                 PacketSink& out) {
    if (!mayAct(sender, requestId, wire::MessageType::SetPrivateView, true, now, out))
        return;
    Conference& conference = *sender.conference;
    if (conference.privateView() == request.enabled) {
        // Nothing changes (a resend, or a wish that is already so): only the asker is told,
        // which ends its resending.
        RosterChange same;
        same.op = wire::RosterOp::Conference;
        same.flags = static_cast<std::uint8_t>(conference.flags);
        queueRoster(sender, same, now, out);
        return;
    }
    const auto bit = static_cast<std::uint32_t>(wire::ConferenceFlags::PrivateView);
    conference.flags = request.enabled ? (conference.flags | bit) : (conference.flags & ~bit);
    // What was forwarded under the old rule stays under it: NACKs for those packets are no
    // longer answered, and the sender's resends of them go to admins only.
    for (const auto& participant : conference.participants) {
        for (auto& video : participant->videoStreams) {
            if (video.anyForwarded) {
                video.switchMark = video.highestSequence;
                video.switchedAt = now;
            }
        }
    }
    log(core::LogLevel::Info,
        fmt::format("private view {} in {} by participant {}", request.enabled ? "on" : "off",
                    core::ConferenceId(conference.id).toString(), sender.id));
    RosterChange change;
    change.op = wire::RosterOp::Conference;
    change.flags = static_cast<std::uint8_t>(conference.flags);
    for (const auto& participant : conference.participants) {
        queueRoster(*participant, change, now, out);
        // Whoever may now see a stream needs a key frame of it: ask every video sender.
        for (auto& video : participant->videoStreams)
            requestKeyFrame(*participant, video, now, out);
    }
    saveState();
}

void RelayCore::requestKeyFrame(const Participant& sender, VideoStream& stream, TimePoint now,
                                PacketSink& out) {
    const auto pli = wire::writePli(0, stream.ssrc, m_scratch);
    out.send(sender.address, pli);
    stream.lastPliAt = now;
    ++m_stats.keyFramesRequested;
}

void RelayCore::handleMalformedControl(const SocketAddress& from, const Participant* sender,
                                       std::span<const std::uint8_t> bytes, wire::ParseError error,
                                       TimePoint now, PacketSink& out) {
    std::uint8_t version = 0;
    std::uint8_t type = 0;
    std::uint32_t requestId = 0;
    const bool hasHeader = wire::peekControlHeader(bytes, version, type, requestId);
    if (hasHeader && version == wire::kProtocolVersion &&
        type == static_cast<std::uint8_t>(wire::MessageType::Hello) &&
        error == wire::ParseError::Truncated) {
        // A short Hello is never answered: answering would reward small probes.
        drop(DropReason::HelloTooShort, from, now);
        return;
    }
    drop(DropReason::MalformedControl, from, now);
    const auto index = static_cast<std::size_t>(error);
    if (index < m_stats.malformedControl.size())
        ++m_stats.malformedControl[index];
    if (!hasHeader || isRelayToClientType(type))
        return;
    const bool unsupported = error == wire::ParseError::UnsupportedVersion;
    const std::string reason =
        unsupported ? fmt::format("unsupported protocol version {}; this relay speaks {}", version,
                                  wire::kProtocolVersion)
                    : fmt::format("malformed control message ({})", wire::toString(error));
    const std::size_t limit = sender != nullptr ? wire::kMaxDatagramBytes : bytes.size();
    sendError(from, requestId,
              unsupported ? wire::ErrorCode::UnsupportedVersion : wire::ErrorCode::Malformed,
              static_cast<wire::MessageType>(type), reason, limit, out);
}

void RelayCore::onHello(const SocketAddress& from, std::uint32_t requestId, TimePoint now,
                        PacketSink& out) {
    if (!m_helloLimiter.allow(from, now)) {
        drop(DropReason::RateLimitedHello, from, now);
        return;
    }
    // The Cookie (28 bytes) is smaller than any Hello the parser accepts (>= 64 bytes).
    sendControl(from, wire::ControlMessage{requestId, wire::CookieMsg{m_cookies.mint(from, now)}},
                out);
    ++m_stats.cookiesSent;
}

void RelayCore::onCreate(const SocketAddress& from, const Participant* sender,
                         std::uint32_t requestId, const wire::CreateMsg& create,
                         std::size_t requestBytes, TimePoint now, PacketSink& out) {
    constexpr auto kType = wire::MessageType::Create;
    if (!m_cookies.check(create.cookie, from, now)) {
        drop(DropReason::BadCookie, from, now);
        sendError(from, requestId, wire::ErrorCode::BadCookie, kType, "bad or expired cookie",
                  sender != nullptr ? wire::kMaxDatagramBytes : requestBytes, out);
        return;
    }
    // From here on the source has proven its address.
    if (const auto it = m_recentCreates.find(CreateKey{from, requestId});
        it != m_recentCreates.end() && m_conferences.contains(it->second.conferenceId)) {
        ++m_stats.createReplays;
        sendCreated(from, requestId, it->second, out);
        return;
    }
    if (!m_requestLimiter.allow(from, now)) {
        drop(DropReason::RateLimitedRequest, from, now);
        sendError(from, requestId, wire::ErrorCode::RateLimited, kType,
                  "too many requests from this address; try again in a few seconds",
                  wire::kMaxDatagramBytes, out);
        return;
    }
    if (m_conferences.size() >= m_config.maxConferences) {
        drop(DropReason::TooManyConferences, from, now);
        sendError(from, requestId, wire::ErrorCode::TooManyConferences, kType,
                  "this relay has as many conferences as it may hold", wire::kMaxDatagramBytes,
                  out);
        return;
    }
    CreateReplay entry;
    if (!core::randomBytes(entry.adminSecret)) {
        sendError(from, requestId, wire::ErrorCode::Internal, kType,
                  "the relay could not make a secret", wire::kMaxDatagramBytes, out);
        return;
    }
    std::uint64_t id = 0;
    do {
        id = core::ConferenceId::random().value();
    } while (id == 0 || m_conferences.contains(id));
    entry.conferenceId = id;
    entry.flags = create.flags & kKnownConferenceFlags;
    entry.at = now;

    auto conference = std::make_unique<Conference>();
    conference->id = id;
    conference->verifier = core::adminVerifier(entry.adminSecret);
    conference->flags = entry.flags;
    conference->createdUnixMs = m_clock.unixMs();
    conference->lastActiveUnixMs = conference->createdUnixMs;
    conference->unusedExpiresAt = now + m_config.unusedTtl;
    conference->emptySince = now;
    m_conferences[id] = std::move(conference);
    m_recentCreates[CreateKey{from, requestId}] = entry;
    ++m_stats.conferencesCreated;
    m_stats.conferences = m_conferences.size();

    sendCreated(from, requestId, entry, out);
    log(core::LogLevel::Info, fmt::format("conference {} created by {}",
                                          core::ConferenceId(id).toString(), from.toString()));
    saveState();
}

void RelayCore::onJoin(const SocketAddress& from, Participant* sender, std::uint32_t requestId,
                       const wire::JoinMsg& join, std::size_t requestBytes, TimePoint now,
                       PacketSink& out) {
    constexpr auto kType = wire::MessageType::Join;
    if (!m_cookies.check(join.cookie, from, now)) {
        drop(DropReason::BadCookie, from, now);
        sendError(from, requestId, wire::ErrorCode::BadCookie, kType, "bad or expired cookie",
                  sender != nullptr ? wire::kMaxDatagramBytes : requestBytes, out);
        return;
    }
    // A retransmitted Join of a participant that is already in is answered, never limited.
    const bool replay = sender != nullptr && sender->conference != nullptr &&
                        sender->conference->id == join.conferenceId;
    if (!replay && !m_requestLimiter.allow(from, now)) {
        drop(DropReason::RateLimitedRequest, from, now);
        sendError(from, requestId, wire::ErrorCode::RateLimited, kType,
                  "too many requests from this address; try again in a few seconds",
                  wire::kMaxDatagramBytes, out);
        return;
    }
    const auto it = m_conferences.find(join.conferenceId);
    if (it == m_conferences.end()) {
        drop(DropReason::UnknownConference, from, now);
        sendError(from, requestId, wire::ErrorCode::UnknownConference, kType,
                  "no conference with this ID on this relay (mistyped, or it expired)",
                  wire::kMaxDatagramBytes, out);
        return;
    }
    Conference& conference = *it->second;
    if (join.hasAdminProof) {
        const auto expected = core::adminProof(conference.verifier, join.cookie, conference.id);
        if (!core::constantTimeEqual(expected, join.adminProof)) {
            drop(DropReason::BadProof, from, now);
            sendError(from, requestId, wire::ErrorCode::BadProof, kType,
                      "the admin secret does not match this conference", wire::kMaxDatagramBytes,
                      out);
            return;
        }
    }
    if (sender != nullptr && sender->conference == &conference) {
        // A retransmission (our Joined was lost or late): same participant, same answer.
        ++m_stats.joinReplays;
        sendJoined(*sender, requestId, out);
        return;
    }
    if (!join.hasAdminProof && conference.banned(from, now)) {
        drop(DropReason::Banned, from, now);
        sendError(from, requestId, wire::ErrorCode::Removed, kType,
                  "the admin removed you from this conference: try again later",
                  wire::kMaxDatagramBytes, out);
        return;
    }
    for (const auto& stream : join.streams.view()) {
        const Participant* owner = conference.ownerOf(stream.ssrc);
        if (owner != nullptr && owner != sender) {
            // A stream is known by its SSRC: taking someone else's would pass our media off
            // as theirs (and around private view). Random SSRCs never clash by chance.
            drop(DropReason::DuplicateSsrc, from, now);
            sendError(from, requestId, wire::ErrorCode::Malformed, kType,
                      "an announced SSRC is already in use in this conference",
                      wire::kMaxDatagramBytes, out);
            return;
        }
    }
    if (conference.participants.size() >= m_config.maxParticipantsPerConference) {
        drop(DropReason::ConferenceFull, from, now);
        sendError(from, requestId, wire::ErrorCode::ConferenceFull, kType,
                  fmt::format("the conference is full ({} participants)",
                              m_config.maxParticipantsPerConference),
                  wire::kMaxDatagramBytes, out);
        return;
    }
    if (sender != nullptr) {
        // This address was in another conference: one address, one participant.
        ++m_stats.participantsMoved;
        removeParticipant(*sender, now, out);
        sender = nullptr;
    }
    const auto role = join.hasAdminProof ? wire::Role::Admin : wire::Role::Member;
    const bool firstJoin = !conference.everJoined;
    conference.everJoined = true;
    Participant& participant = addParticipant(conference, from, join, role, now);
    sendJoined(participant, requestId, out);

    // The newcomer learns everyone, itself included; everyone else learns the newcomer.
    for (const auto& other : conference.participants)
        queueRoster(participant, other->rosterUpsert(), now, out);
    // Key frame on join: the newcomer can show a stream only from a key frame, so ask every
    // sender it may watch for one now rather than after its own PLI's round trip. (Of a
    // simulcast sender, the stream it will get is chosen at the next tick, which asks.)
    for (const auto& other : conference.participants) {
        if (other.get() == &participant || !conference.mayReceiveVideo(*other, participant) ||
            other->videoStreams.size() != 1)
            continue;
        requestKeyFrame(*other, other->videoStreams.front(), now, out);
    }
    for (const auto& other : conference.participants) {
        if (other.get() != &participant)
            queueRoster(*other, participant.rosterUpsert(), now, out);
    }
    log(core::LogLevel::Info,
        fmt::format("{} joined {} as participant {} ({}{})", from.toString(),
                    core::ConferenceId(conference.id).toString(), participant.id,
                    role == wire::Role::Admin ? "admin" : "member",
                    conference.participants.size() == 1 ? ", first" : ""));
    if (firstJoin)
        saveState(); // the conference now lives by the empty TTL, also after a restart
}

Participant& RelayCore::addParticipant(Conference& conference, const SocketAddress& from,
                                       const wire::JoinMsg& join, wire::Role role, TimePoint now) {
    auto participant = std::make_unique<Participant>();
    participant->id = conference.nextParticipantId++;
    participant->address = from;
    participant->role = role;
    participant->name = std::string(join.name);
    participant->streams = join.streams;
    for (const auto& stream : join.streams.view()) {
        if (stream.kind != wire::MediaKind::Video)
            continue;
        VideoStream video;
        video.ssrc = stream.ssrc;
        video.layer = stream.layer;
        video.height = stream.height;
        video.cache = std::make_unique<core::RtpPacketCache>(kRelayCachePackets);
        participant->videoStreams.push_back(std::move(video));
    }
    std::stable_sort(participant->videoStreams.begin(), participant->videoStreams.end(),
                     [](const VideoStream& a, const VideoStream& b) { return a.layer < b.layer; });
    participant->uplinkFeedback = std::make_unique<core::cc::TransportFeedbackGenerator>(
        kRelaySsrc, kTransportFeedbackInterval);
    participant->downlink =
        std::make_unique<core::cc::BandwidthEstimator>(m_clock, kDownlinkEstimator);
    participant->nextReceiveReportAt = now + kReceiveReportInterval;
    participant->lastHeard = now;
    Participant& ref = conference.add(std::move(participant));
    // Each receiver's view of each sender's video, made now (forwarding allocates nothing).
    const auto viewOf = [](const Participant& sender) {
        return std::make_unique<ReceivedVideo>(sender.id, sender.videoStreams.front().ssrc,
                                               sender.videoStreams.size());
    };
    for (const auto& other : conference.participants) {
        if (other.get() == &ref)
            continue;
        if (!other->videoStreams.empty())
            ref.receivedVideo.push_back(viewOf(*other));
        if (!ref.videoStreams.empty())
            other->receivedVideo.push_back(viewOf(ref));
    }
    conference.lastActiveUnixMs = m_clock.unixMs();
    m_byAddress[from] = &ref;
    ++m_stats.participantsJoined;
    m_stats.participants = m_byAddress.size();
    return ref;
}

void RelayCore::removeParticipant(Participant& participant, TimePoint now, PacketSink& out) {
    Conference& conference = *participant.conference;
    const std::uint32_t id = participant.id;
    m_byAddress.erase(participant.address);
    conference.remove(participant); // `participant` is gone from here on
    conference.lastActiveUnixMs = m_clock.unixMs();
    if (conference.participants.empty())
        conference.emptySince = now;
    m_stats.participants = m_byAddress.size();
    for (const auto& other : conference.participants) {
        std::erase_if(other->receivedVideo, [id](const auto& r) { return r->senderId == id; });
        queueRoster(*other, RosterChange{0, wire::RosterOp::Remove, id, 0, {}, {}}, now, out);
    }
}

void RelayCore::queueRoster(Participant& receiver, RosterChange change, TimePoint now,
                            PacketSink& out) {
    sendRoster(receiver,
               receiver.enqueueRoster(std::move(change), now, m_config.rosterResendInterval), out);
    ++m_stats.rosterSent;
}

void RelayCore::sendRoster(const Participant& receiver, const RosterChange& change,
                           PacketSink& out) {
    wire::RosterMsg roster;
    roster.seq = change.seq;
    roster.op = change.op;
    roster.participantId = change.participantId;
    roster.flags = change.flags;
    roster.name = change.name;
    roster.streams = change.streams;
    sendControl(receiver.address, wire::ControlMessage{change.seq, roster}, out);
}

void RelayCore::sendJoined(const Participant& participant, std::uint32_t requestId,
                           PacketSink& out) {
    wire::JoinedMsg joined;
    joined.participantId = participant.id;
    joined.role = participant.role;
    joined.flags = participant.conference->flags;
    joined.keepaliveIntervalMs = clampMs(m_config.keepaliveInterval);
    joined.timeoutMs = clampMs(m_config.participantTimeout);
    sendControl(participant.address, wire::ControlMessage{requestId, joined}, out);
    ++m_stats.joinedSent;
}

void RelayCore::sendCreated(const SocketAddress& to, std::uint32_t requestId,
                            const CreateReplay& entry, PacketSink& out) {
    sendControl(to,
                wire::ControlMessage{requestId, wire::CreatedMsg{entry.conferenceId,
                                                                 entry.adminSecret, entry.flags}},
                out);
    ++m_stats.createdSent;
}

void RelayCore::sendControl(const SocketAddress& to, const wire::ControlMessage& message,
                            PacketSink& out) {
    const auto bytes = wire::encodeControl(message, m_scratch);
    if (bytes.empty()) {
        // Our own message did not encode: a bug, not bad input.
        log(core::LogLevel::Error, fmt::format("could not encode a control message of type {}",
                                               static_cast<int>(typeOf(message.body))));
        return;
    }
    m_stats.controlBytesSent += bytes.size();
    out.send(to, bytes);
}

void RelayCore::sendError(const SocketAddress& to, std::uint32_t requestId, wire::ErrorCode code,
                          wire::MessageType requestType, std::string_view reason,
                          std::size_t maxBytes, PacketSink& out) {
    const auto bytes =
        wire::encodeErrorLimited(requestId, wire::ErrorMsg{code, requestType, reason},
                                 std::min(maxBytes, wire::kMaxDatagramBytes), m_scratch);
    if (bytes.empty())
        return; // even an empty reason would be larger than the request: stay silent
    ++m_stats.errorsSent;
    if (const auto i = static_cast<std::size_t>(code); i < kErrorCodeSlots)
        ++m_stats.errorsSentByCode[i];
    m_stats.controlBytesSent += bytes.size();
    out.send(to, bytes);
}

void RelayCore::onTimer(TimePoint now, PacketSink& out) {
    bool changed = false;
    for (auto& [id, conference] : m_conferences) {
        m_doomed.clear();
        for (const auto& p : conference->participants) {
            if (now - p->lastHeard >= m_config.participantTimeout) {
                ++m_stats.participantsTimedOut;
                log(core::LogLevel::Info, fmt::format("participant {} of {} timed out", p->id,
                                                      core::ConferenceId(id).toString()));
                m_doomed.push_back(p.get());
            } else if (p->unackedRoster.size() > m_config.maxUnackedRoster) {
                ++m_stats.participantsRosterOverflow;
                log(core::LogLevel::Warning,
                    fmt::format("participant {} of {} dropped: {} roster changes unacknowledged",
                                p->id, core::ConferenceId(id).toString(), p->unackedRoster.size()));
                m_doomed.push_back(p.get());
            }
        }
        for (Participant* p : m_doomed)
            removeParticipant(*p, now, out);
        for (const auto& p : conference->participants) {
            // Transport feedback about each sender's uplink, every tick (at most 1000 bytes
            // a packet; to joined participants only).
            for (auto fb = p->uplinkFeedback->take(now, m_scratch); !fb.empty();
                 fb = p->uplinkFeedback->take(now, m_scratch)) {
                out.send(p->address, fb);
                ++m_stats.transportFeedbackSent;
            }
            if (auto probe = p->downlink->takeProbeRequest())
                sendProbe(*p, *probe, out);
            selectLayers(*p, now, out);
            sendLayersWanted(*p, now, out);
            if (now >= p->nextReceiveReportAt) {
                sendReceiveReport(*p, out);
                p->nextReceiveReportAt = now + kReceiveReportInterval;
            }
            if (p->unackedRoster.empty() || now < p->nextRosterResendAt)
                continue;
            for (const auto& change : p->unackedRoster) {
                sendRoster(*p, change, out);
                ++m_stats.rosterResent;
            }
            p->nextRosterResendAt = now + m_config.rosterResendInterval;
        }
    }
    expireConferences(now, changed);
    if (now >= m_nextPruneAt) {
        std::erase_if(m_recentCreates, [&](const auto& entry) {
            return now - entry.second.at >= m_config.createReplayWindow;
        });
        m_helloLimiter.prune(now);
        m_requestLimiter.prune(now);
        m_nextPruneAt = now + std::chrono::seconds(1);
    }
    if (changed)
        saveState();
}

void RelayCore::expireConferences(TimePoint now, bool& changed) {
    for (auto it = m_conferences.begin(); it != m_conferences.end();) {
        const Conference& c = *it->second;
        bool expired = false;
        if (c.participants.empty()) {
            if (c.everJoined && now - c.emptySince >= m_config.emptyTtl) {
                ++m_stats.conferencesExpiredEmpty;
                expired = true;
            } else if (!c.everJoined && now >= c.unusedExpiresAt) {
                ++m_stats.conferencesExpiredUnused;
                expired = true;
            }
        }
        if (!expired) {
            ++it;
            continue;
        }
        log(core::LogLevel::Info,
            fmt::format("conference {} removed ({})", core::ConferenceId(c.id).toString(),
                        c.everJoined ? "empty" : "never joined"));
        it = m_conferences.erase(it);
        changed = true;
    }
    m_stats.conferences = m_conferences.size();
}

bool RelayCore::saveState() {
    if (m_store == nullptr)
        return false;
    const auto records = conferenceRecords();
    const bool ok = m_store->save(records);
    ++(ok ? m_stats.stateSaves : m_stats.stateSaveFailures);
    return ok;
}

std::vector<ConferenceRecord> RelayCore::conferenceRecords() const {
    std::vector<ConferenceRecord> records;
    records.reserve(m_conferences.size());
    for (const auto& [id, c] : m_conferences)
        records.push_back(ConferenceRecord{c->id, c->verifier, c->flags, c->createdUnixMs,
                                           c->lastActiveUnixMs, c->everJoined});
    std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
        return a.createdUnixMs != b.createdUnixMs ? a.createdUnixMs < b.createdUnixMs : a.id < b.id;
    });
    return records;
}

std::optional<ConferenceInfo> RelayCore::conferenceInfo(std::uint64_t id) const {
    const auto it = m_conferences.find(id);
    if (it == m_conferences.end())
        return std::nullopt;
    ConferenceInfo info;
    info.id = it->second->id;
    info.flags = it->second->flags;
    info.everJoined = it->second->everJoined;
    for (const auto& p : it->second->participants)
        info.participants.push_back(
            ParticipantInfo{p->id, p->address, p->role, p->name, p->unackedRoster.size()});
    return info;
}

void RelayCore::drop(DropReason reason, const SocketAddress& from, TimePoint now) {
    const auto i = static_cast<std::size_t>(reason);
    ++m_stats.dropped[i];
    // At most one line per reason per second, never one per packet.
    if (m_log != nullptr && now - m_lastDropLog[i] >= std::chrono::seconds(1)) {
        m_lastDropLog[i] = now;
        m_log->log(core::LogCategory::Relay, core::LogLevel::Debug,
                   fmt::format("dropping {} datagrams (last from {}; {} so far)", toString(reason),
                               from.toString(), m_stats.dropped[i]));
    }
}

void RelayCore::log(core::LogLevel level, std::string_view text) {
    if (m_log != nullptr)
        m_log->log(core::LogCategory::Relay, level, text);
}

void RelayCore::reconfigure(const RelayConfig& config) {
    m_config.maxConferences = config.maxConferences;
    m_config.maxParticipantsPerConference = config.maxParticipantsPerConference;
    m_shareRequests.reserve(m_config.maxParticipantsPerConference);
    m_shares.reserve(m_config.maxParticipantsPerConference);
    m_watched.reserve(m_config.maxParticipantsPerConference);
    m_config.emptyTtl = config.emptyTtl;
    m_config.unusedTtl = config.unusedTtl;
    m_config.participantTimeout = config.participantTimeout;
    m_config.helloRate = config.helloRate;
    m_config.requestRate = config.requestRate;
    m_config.mediaPacketRate = config.mediaPacketRate;
    m_config.mediaByteRate = config.mediaByteRate;
    m_helloLimiter.setLimit(config.helloRate);
    m_requestLimiter.setLimit(config.requestRate);
}

std::size_t RelayCore::sendGoingAway(PacketSink& out) {
    std::size_t told = 0;
    for (const auto& [address, participant] : m_byAddress) {
        sendError(address, 0, wire::ErrorCode::GoingAway, wire::MessageType::Ping,
                  "the relay is shutting down; reconnect", wire::kMaxDatagramBytes, out);
        ++told;
    }
    return told;
}

} // namespace diyuma::relay
