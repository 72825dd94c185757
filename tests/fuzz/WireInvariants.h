#pragma once
// Properties every wire parser must keep on arbitrary input. Shared by the libFuzzer target
// (fuzz_wire) and the randomized unit test (test_wire_random), so the gcc build checks the
// same things the fuzzer does. Qt-free and allocation-free.
//
// For one input datagram:
//  - no parser reads outside the input (ASan in the fuzz and sanitizer builds);
//  - at most one of parseControl / parseRtp / parseRtcpCompound accepts it, and the one that
//    does agrees with classify();
//  - an accepted control message re-encodes to exactly the input bytes (Hello: to its
//    minimal 64-byte form), and its string views point into the input;
//  - an accepted RTP packet's spans lie inside the input, and a plain packet (no padding,
//    extension or CSRC) is rebuilt byte for byte by writeRtp;
//  - an accepted RTP packet's extensions parse without reading outside the block, and the
//    transport-wide sequence number found is at the offset reported;
//  - in an accepted RTCP compound, a transport feedback that parses reports exactly its
//    status count of consecutive sequence numbers, and rebuilding it from what it reports
//    gives a packet that reports the same;
//  - encodeErrorLimited never exceeds its limit and what it writes parses.

#include "diyuma/wire/Control.h"
#include "diyuma/wire/Demux.h"
#include "diyuma/wire/Rtp.h"
#include "diyuma/wire/RtpExtensions.h"
#include "diyuma/wire/Text.h"
#include "diyuma/wire/TransportFeedback.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>

namespace diyuma::core::wire::fuzz {

struct Outcome {
    ParseError control = ParseError::None;
    ParseError rtp = ParseError::None;
    ParseError rtcp = ParseError::None;
};

namespace detail {

inline bool inside(std::span<const std::uint8_t> part, std::span<const std::uint8_t> whole) {
    if (part.empty())
        return true;
    const auto* begin = whole.data();
    const auto* end = whole.data() + whole.size();
    return part.data() >= begin && part.data() + part.size() <= end;
}

inline bool inside(std::string_view text, std::span<const std::uint8_t> whole) {
    return inside(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()),
                                                text.size()),
                  whole);
}

inline bool equalBytes(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

inline const char* checkControl(std::span<const std::uint8_t> data, const ControlMessage& m) {
    std::uint8_t version = 0, type = 0;
    std::uint32_t requestId = 0;
    if (!peekControlHeader(data, version, type, requestId))
        return "peekControlHeader refused a parsed control message";
    if (version != kProtocolVersion || type != static_cast<std::uint8_t>(typeOf(m.body)) ||
        requestId != m.requestId)
        return "peekControlHeader disagrees with parseControl";
    if (const auto* join = std::get_if<JoinMsg>(&m.body); join && !inside(join->name, data))
        return "Join name does not point into the input";
    if (const auto* roster = std::get_if<RosterMsg>(&m.body); roster && !inside(roster->name, data))
        return "Roster name does not point into the input";
    if (const auto* error = std::get_if<ErrorMsg>(&m.body); error && !inside(error->reason, data))
        return "Error reason does not point into the input";

    std::array<std::uint8_t, kMaxDatagramBytes> buffer{};
    const auto encoded = encodeControl(m, buffer);
    if (encoded.empty())
        return "a parsed control message does not re-encode";
    if (typeOf(m.body) == MessageType::Hello) {
        if (encoded.size() != kHelloMinBytes ||
            !std::equal(encoded.begin(), encoded.begin() + 8, data.begin()))
            return "Hello does not re-encode to its minimal form";
    } else if (!equalBytes(encoded, data)) {
        return "a parsed control message re-encodes to different bytes";
    }
    ControlMessage again;
    if (parseControl(encoded, again) != ParseError::None)
        return "a re-encoded control message does not parse";
    return nullptr;
}

inline const char* checkRtp(std::span<const std::uint8_t> data, const RtpPacketView& v) {
    if (!inside(v.payload, data) || !inside(v.extension, data))
        return "RTP spans point outside the input";
    if (v.payloadType > 127 || v.csrcCount > 15)
        return "RTP field out of range";
    if ((data[0] & 0x3F) == 0) { // no padding, no extension, no CSRC
        std::array<std::uint8_t, kMaxDatagramBytes> buffer{};
        const RtpHeaderFields h{v.marker, v.payloadType, v.sequence, v.timestamp, v.ssrc, {}};
        if (!equalBytes(writeRtp(h, v.payload, buffer), data))
            return "a plain RTP packet is not rebuilt byte for byte by writeRtp";
    }
    RtpExtensions extensions;
    if (parseRtpExtensions(v, data, extensions) == ParseError::None &&
        extensions.transportSequence) {
        const std::size_t at = extensions.transportSequenceOffset;
        if (at < 12 || at + 2 > data.size() ||
            be::load16(data.subspan(at).first<2>()) != *extensions.transportSequence)
            return "the transport-wide sequence number is not where its offset says";
    }
    return nullptr;
}

/// One transport feedback: consecutive numbers, as many as announced, and a rebuild that
/// reports the same packets at the same times.
inline const char* checkTransportFeedback(const RtcpPacket& packet) {
    TransportFeedbackHeader header;
    std::uint16_t expected = 0;
    std::size_t count = 0;
    bool consecutive = true;
    TransportFeedbackBuilder rebuilt;
    bool begun = false;
    bool fits = true;
    std::int64_t lastArrival = 0;
    if (parseTransportFeedback(packet, header, [&](std::uint16_t s, bool received, std::int64_t t) {
            if (count == 0)
                expected = header.baseSequence;
            consecutive = consecutive && s == expected;
            ++expected;
            ++count;
            if (!received || !fits)
                return;
            if (!begun) {
                rebuilt.begin(header.senderSsrc, header.mediaSsrc, header.baseSequence,
                              t < 0 ? 0 : t, header.feedbackCount);
                begun = true;
            }
            fits = t >= 0 && rebuilt.add(s, t);
            lastArrival = t;
        }) != ParseError::None)
        return nullptr;
    if (!consecutive || count != header.statusCount)
        return "a transport feedback reported other numbers than its base and count say";
    if (!begun || !fits)
        return nullptr; // negative times or a layout our builder does not make: nothing to compare
    std::array<std::uint8_t, kMaxDatagramBytes> buffer{};
    const auto bytes = rebuilt.write(buffer);
    RtcpReader reader(bytes);
    RtcpPacket again;
    if (bytes.empty() || !reader.next(again))
        return "a rebuilt transport feedback does not read";
    std::int64_t lastAgain = 0;
    TransportFeedbackHeader headerAgain;
    if (parseTransportFeedback(again, headerAgain,
                               [&](std::uint16_t, bool received, std::int64_t t) {
                                   if (received)
                                       lastAgain = t;
                               }) != ParseError::None)
        return "a rebuilt transport feedback does not parse";
    // The rebuild starts from the first arrival: times agree within one 250 us tick.
    if (lastAgain / kTransportFeedbackDeltaUs != lastArrival / kTransportFeedbackDeltaUs)
        return "a rebuilt transport feedback reports other arrival times";
    return nullptr;
}

inline const char* checkErrorLimited(std::span<const std::uint8_t> data) {
    if (data.size() < 2)
        return nullptr;
    const std::size_t maxBytes = data[0] * std::size_t{5} % 300;
    std::string_view reason(reinterpret_cast<const char*>(data.data() + 1),
                            std::min<std::size_t>(data.size() - 1, 250));
    if (!isValidWireText(reason))
        reason = "reason";
    std::array<std::uint8_t, kMaxDatagramBytes> buffer{};
    const auto out = encodeErrorLimited(
        data[1], ErrorMsg{ErrorCode::Malformed, MessageType::Hello, reason}, maxBytes, buffer);
    if (out.size() > maxBytes)
        return "encodeErrorLimited exceeded maxBytes";
    if (maxBytes >= kControlHeaderBytes + 4 && out.empty())
        return "encodeErrorLimited wrote nothing although an empty reason fits";
    if (!out.empty()) {
        ControlMessage m;
        if (parseControl(out, m) != ParseError::None)
            return "encodeErrorLimited wrote an unparsable Error";
        if (!std::string_view(reason).starts_with(std::get<ErrorMsg>(m.body).reason))
            return "encodeErrorLimited reason is not a prefix of the original";
    }
    return nullptr;
}

} // namespace detail

/// Runs every parser on `data` and checks the properties above. Returns nullptr if they
/// hold, else a description of the first violation (a static string).
inline const char* checkWireInvariants(std::span<const std::uint8_t> data,
                                       Outcome* outcome = nullptr) {
    const PacketKind kind = classify(data);

    ControlMessage control;
    RtpPacketView rtp;
    RtcpHeaderView rtcp;
    Outcome o;
    o.control = parseControl(data, control);
    o.rtp = parseRtp(data, rtp);
    o.rtcp = parseRtcpCompound(data, rtcp);
    if (outcome)
        *outcome = o;

    const int accepted = (o.control == ParseError::None) + (o.rtp == ParseError::None) +
                         (o.rtcp == ParseError::None);
    if (accepted > 1)
        return "more than one parser accepted the same datagram";
    if (o.control == ParseError::None && kind != PacketKind::Control)
        return "parseControl accepted what classify() does not call Control";
    if (o.rtp == ParseError::None && kind != PacketKind::Rtp)
        return "parseRtp accepted what classify() does not call Rtp";
    if (o.rtcp == ParseError::None && kind != PacketKind::Rtcp)
        return "parseRtcpCompound accepted what classify() does not call Rtcp";
    if (data.size() > kMaxDatagramBytes &&
        (o.control != ParseError::TooLarge || o.rtp != ParseError::TooLarge ||
         o.rtcp != ParseError::TooLarge))
        return "an oversized datagram was not rejected as TooLarge";

    if (o.control == ParseError::None) {
        if (const char* failure = detail::checkControl(data, control))
            return failure;
    }
    if (o.rtp == ParseError::None) {
        if (const char* failure = detail::checkRtp(data, rtp))
            return failure;
    }
    if (o.rtcp == ParseError::None && (rtcp.packetType < 192 || rtcp.packetType > 223))
        return "parseRtcpCompound reported a packet type outside 192..223";
    if (o.rtcp == ParseError::None) {
        RtcpReader reader(data);
        RtcpPacket packet;
        while (reader.next(packet)) {
            if (!isTransportFeedback(packet))
                continue;
            if (const char* failure = detail::checkTransportFeedback(packet))
                return failure;
        }
    }
    return detail::checkErrorLimited(data);
}

} // namespace diyuma::core::wire::fuzz
