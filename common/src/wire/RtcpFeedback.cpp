#include "diyuma/wire/RtcpFeedback.h"

#include "diyuma/util/ByteReader.h"
#include "diyuma/util/ByteWriter.h"

namespace diyuma::core::wire {

namespace {
constexpr std::uint8_t kVersionBits = 2 << 6;
/// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01.
constexpr std::uint64_t kNtpUnixOffsetSeconds = 2'208'988'800ULL;

void writeCommonHeader(ByteWriter& w, std::uint8_t count, std::uint8_t packetType,
                       std::size_t totalBytes) {
    w.u8(static_cast<std::uint8_t>(kVersionBits | (count & 0x1F)));
    w.u8(packetType);
    w.u16(static_cast<std::uint16_t>(totalBytes / 4 - 1));
}
} // namespace

bool RtcpReader::next(RtcpPacket& out) {
    ByteReader r(m_rest);
    const std::uint8_t b0 = r.u8();
    const std::uint8_t packetType = r.u8();
    const std::uint16_t lengthWords = r.u16();
    std::span<const std::uint8_t> body = r.bytes(4 * std::size_t{lengthWords});
    if (!r.ok() || (b0 >> 6) != 2)
        return false;
    if ((b0 & 0x20) != 0) { // padding: the last octet counts it, itself included
        if (body.empty() || body.back() == 0 || body.back() > body.size())
            return false;
        body = body.first(body.size() - body.back());
    }
    out.count = b0 & 0x1F;
    out.packetType = packetType;
    out.body = body;
    out.raw = m_rest.first(r.position());
    m_rest = m_rest.subspan(r.position());
    return true;
}

bool parseFeedbackSsrcs(const RtcpPacket& packet, FeedbackSsrcs& out) {
    ByteReader r(packet.body);
    out.sender = r.u32();
    out.media = r.u32();
    return r.ok();
}

std::span<std::uint8_t> writeNack(std::uint32_t senderSsrc, std::uint32_t mediaSsrc,
                                  std::span<const std::uint16_t> lost,
                                  std::span<std::uint8_t> buffer, std::size_t& covered,
                                  std::size_t maxEntries) {
    covered = 0;
    if (lost.empty() || maxEntries == 0)
        return {};
    // Count the entries first: the length field comes before them.
    std::size_t entries = 0;
    std::size_t used = 0;
    while (used < lost.size() && entries < maxEntries) {
        const std::uint16_t pid = lost[used++];
        // A repeat of the PID (distance 0) is taken into its entry, as in the loop below.
        while (used < lost.size() && static_cast<std::uint16_t>(lost[used] - pid) < kNackSpan)
            ++used;
        ++entries;
    }
    const std::size_t capacityEntries = buffer.size() < 12 ? 0 : (buffer.size() - 12) / 4;
    if (capacityEntries == 0)
        return {};
    if (entries > capacityEntries)
        return writeNack(senderSsrc, mediaSsrc, lost, buffer, covered, capacityEntries);

    ByteWriter w(buffer);
    writeCommonHeader(w, kRtcpFmtNack, kRtcpTransportFeedback, 12 + 4 * entries);
    w.u32(senderSsrc);
    w.u32(mediaSsrc);
    std::size_t i = 0;
    for (std::size_t e = 0; e < entries; ++e) {
        const std::uint16_t pid = lost[i++];
        std::uint16_t blp = 0;
        while (i < used) {
            const auto distance = static_cast<std::uint16_t>(lost[i] - pid);
            if (distance == 0) { // a repeat of the PID: nothing to add
                ++i;
                continue;
            }
            if (distance >= kNackSpan)
                break;
            blp = static_cast<std::uint16_t>(blp | (1U << (distance - 1)));
            ++i;
        }
        w.u16(pid);
        w.u16(blp);
    }
    covered = used;
    return w.written();
}

std::span<std::uint8_t> writePli(std::uint32_t senderSsrc, std::uint32_t mediaSsrc,
                                 std::span<std::uint8_t> buffer) {
    ByteWriter w(buffer);
    writeCommonHeader(w, kRtcpFmtPli, kRtcpPayloadFeedback, 12);
    w.u32(senderSsrc);
    w.u32(mediaSsrc);
    return w.written();
}

std::span<std::uint8_t> writeSenderReport(const SenderReport& report,
                                          std::span<std::uint8_t> buffer) {
    ByteWriter w(buffer);
    writeCommonHeader(w, 0, kRtcpSenderReport, 28);
    w.u32(report.ssrc);
    w.u64(report.ntpTimestamp);
    w.u32(report.rtpTimestamp);
    w.u32(report.packetCount);
    w.u32(report.octetCount);
    return w.written();
}

bool parseSenderReport(const RtcpPacket& packet, SenderReport& out) {
    if (packet.packetType != kRtcpSenderReport)
        return false;
    ByteReader r(packet.body);
    SenderReport report;
    report.ssrc = r.u32();
    report.ntpTimestamp = r.u64();
    report.rtpTimestamp = r.u32();
    report.packetCount = r.u32();
    report.octetCount = r.u32();
    if (!r.ok())
        return false;
    out = report;
    return true;
}

std::uint64_t ntpFromUnixMs(std::int64_t unixMs) {
    const auto ms = static_cast<std::uint64_t>(unixMs);
    const std::uint64_t seconds = ms / 1000 + kNtpUnixOffsetSeconds;
    const std::uint64_t fraction = ((ms % 1000) << 32) / 1000;
    return (seconds << 32) | fraction;
}

std::int64_t unixMsFromNtp(std::uint64_t ntp) {
    const std::uint64_t seconds = (ntp >> 32) - kNtpUnixOffsetSeconds;
    const std::uint64_t fractionMs = ((ntp & 0xFFFF'FFFFULL) * 1000 + (1ULL << 31)) >> 32;
    return static_cast<std::int64_t>(seconds * 1000 + fractionMs);
}

} // namespace diyuma::core::wire
