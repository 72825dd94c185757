// The video path's wire formats: the VP8 payload descriptor and payload header (RFC 7741
// sections 4.2, 4.3) and the RTCP packets NACK, PLI (RFC 4585 6.2.1, 6.3.1) and SR (RFC 3550
// 6.4.1): golden bytes, truncations, round trips, and NACK packing across the sequence wrap.

#include "diyuma/wire/RtcpFeedback.h"
#include "diyuma/wire/Rtp.h"
#include "diyuma/wire/Vp8Payload.h"

#include "GoldenMessages.h"
#include "WireTestHelpers.h"

#include <QtTest/QtTest>
#include <array>
#include <vector>

using namespace diyuma::core::wire;
using golden::fromHex;
using wiretest::hex;

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes bytesOf(std::span<const std::uint8_t> s) {
    return {s.begin(), s.end()};
}

std::vector<std::uint16_t> nacked(std::span<const std::uint8_t> datagram) {
    RtcpReader reader(datagram);
    RtcpPacket packet;
    std::vector<std::uint16_t> out;
    if (!reader.next(packet) ||
        !forEachNackedSequence(packet, [&](std::uint16_t s) { out.push_back(s); }))
        out.push_back(0xDEAD); // marks "not a NACK" distinctly from an empty list
    return out;
}

} // namespace

class TestVideoWire : public QObject {
    Q_OBJECT
private slots:
    // --- VP8 payload descriptor ----------------------------------------------------------

    void minimalDescriptor() {
        // S = 1, PID = 0, no extension: one octet, then VP8 data.
        const Bytes b = fromHex("10 | AA BB");
        Vp8Descriptor d;
        std::size_t n = 0;
        QCOMPARE_WIRE(parseVp8Descriptor(b, d, n), ParseError::None);
        QCOMPARE(n, std::size_t{1});
        QVERIFY(d.startsFrame());
        QVERIFY(!d.pictureId);
        QVERIFY(!d.nonReference);
    }

    void fullDescriptorGolden() {
        // X S PID=0 | I L T K | M + picture ID 0x1234 | TL0PICIDX 5 | TID 2, Y, KEYIDX 3
        const Bytes b = fromHex("90 | F0 | 92 34 | 05 | A3 | 9D");
        Vp8Descriptor d;
        std::size_t n = 0;
        QCOMPARE_WIRE(parseVp8Descriptor(b, d, n), ParseError::None);
        QCOMPARE(n, std::size_t{6});
        QCOMPARE(*d.pictureId, std::uint16_t{0x1234});
        QVERIFY(d.pictureId15);
        QCOMPARE(*d.tl0PicIdx, std::uint8_t{5});
        QCOMPARE(*d.temporalId, std::uint8_t{2});
        QVERIFY(d.layerSync);
        QCOMPARE(*d.keyIndex, std::uint8_t{3});

        std::array<std::uint8_t, kMaxVp8DescriptorBytes> out{};
        QCOMPARE(hex(writeVp8Descriptor(d, out)), hex(std::span(b).first(6)));
    }

    void sevenBitPictureIdAndReservedBits() {
        // R bits set (ignored), N = 1, PID 3, I with a 7-bit picture ID 0x55.
        const Bytes b = fromHex("EB | 8F | 55 | 01");
        Vp8Descriptor d;
        std::size_t n = 0;
        QCOMPARE_WIRE(parseVp8Descriptor(b, d, n), ParseError::None);
        QCOMPARE(n, std::size_t{3});
        QVERIFY(d.nonReference);
        QCOMPARE(d.partitionIndex, std::uint8_t{3});
        QVERIFY(!d.startOfPartition);
        QVERIFY(!d.pictureId15);
        QCOMPARE(*d.pictureId, std::uint16_t{0x55});
    }

    void truncatedDescriptors() {
        // Every prefix of a full descriptor, and a descriptor with no data behind it.
        const Bytes full = fromHex("90 F0 92 34 05 A3");
        for (std::size_t len = 0; len <= full.size(); ++len) {
            Vp8Descriptor d;
            std::size_t n = 0;
            const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
            QCOMPARE_WIRE(parseVp8Descriptor(cut, d, n), ParseError::Truncated);
        }
    }

    void writeRoundTripsAndMasksPictureId() {
        Vp8Descriptor d;
        d.startOfPartition = true;
        d.pictureId = 0xFFFF; // 16 bits given: 15 go out
        std::array<std::uint8_t, 8> buffer{};
        auto written = writeVp8Descriptor(d, buffer);
        QCOMPARE(hex(written), hex(fromHex("90 80 FF FF")));
        Bytes packet = bytesOf(written);
        packet.push_back(0x01);
        Vp8Descriptor back;
        std::size_t n = 0;
        QCOMPARE_WIRE(parseVp8Descriptor(packet, back, n), ParseError::None);
        QCOMPARE(*back.pictureId, std::uint16_t{0x7FFF});
        std::array<std::uint8_t, 3> small{};
        QVERIFY(writeVp8Descriptor(d, small).empty()); // does not fit
    }

    void keyFrameHeader() {
        // P = 0 (key frame), show_frame, first partition size; start code; 640 x 360.
        const Bytes key = fromHex("50 2A 00 | 9D 01 2A | 80 02 | 68 01");
        auto h = parseVp8FrameHeader(key);
        QVERIFY(h);
        QVERIFY(h->keyFrame);
        QCOMPARE(h->width, std::uint16_t{640});
        QCOMPARE(h->height, std::uint16_t{360});
        // Scaling bits (top 2) are not part of the size.
        auto scaled = parseVp8FrameHeader(fromHex("50 2A 00 | 9D 01 2A | 80 42 | 68 C1"));
        QCOMPARE(scaled->width, std::uint16_t{640});
        QCOMPARE(scaled->height, std::uint16_t{360});
        // A delta frame (P = 1) needs only 3 octets and has no size.
        auto delta = parseVp8FrameHeader(fromHex("31 01 00"));
        QVERIFY(delta && !delta->keyFrame);
        // A key frame without its start code, or cut short, is refused.
        QVERIFY(!parseVp8FrameHeader(fromHex("50 2A 00 | 9D 01 2B | 80 02 | 68 01")));
        QVERIFY(!parseVp8FrameHeader(fromHex("50 2A 00 | 9D 01 2A | 80")));
        QVERIFY(!parseVp8FrameHeader(fromHex("31 01")));
    }

    // --- RTCP feedback -------------------------------------------------------------------

    void nackGolden() {
        // Lost: 0x1000, 0x1001, 0x1003, 0x1010 (BLP bits 0, 2, 15), then 0x1011 (new entry).
        const std::array<std::uint16_t, 5> lost{0x1000, 0x1001, 0x1003, 0x1010, 0x1011};
        std::array<std::uint8_t, 64> buffer{};
        std::size_t covered = 0;
        auto nack = writeNack(0x11111111, 0x22222222, lost, buffer, covered);
        QCOMPARE(covered, lost.size());
        QCOMPARE(hex(nack),
                 hex(fromHex("81 CD 0004 | 11111111 | 22222222 | 1000 8005 | 1011 0000")));
        RtcpHeaderView first;
        QCOMPARE_WIRE(parseRtcpCompound(nack, first), ParseError::None);
        QCOMPARE(nacked(nack), std::vector<std::uint16_t>(lost.begin(), lost.end()));
        RtcpReader reader(nack);
        RtcpPacket packet;
        QVERIFY(reader.next(packet));
        FeedbackSsrcs ssrcs;
        QVERIFY(parseFeedbackSsrcs(packet, ssrcs));
        QCOMPARE(ssrcs.sender, 0x11111111U);
        QCOMPARE(ssrcs.media, 0x22222222U);
        QVERIFY(!reader.next(packet)); // one packet only
    }

    void nackAcrossTheWrapAndRepeats() {
        const std::array<std::uint16_t, 5> lost{0xFFFE, 0xFFFE, 0xFFFF, 0x0000, 0x000F};
        std::array<std::uint8_t, 64> buffer{};
        std::size_t covered = 0;
        auto nack = writeNack(1, 2, lost, buffer, covered);
        QCOMPARE(covered, lost.size());
        // One entry: PID 0xFFFE, BLP bits 0 (0xFFFF), 1 (0x0000), 16 is out: 0x000F is PID+17.
        QCOMPARE(hex(nack),
                 hex(fromHex("81 CD 0004 | 00000001 | 00000002 | FFFE 0003 | 000F 0000")));
        QCOMPARE(nacked(nack), (std::vector<std::uint16_t>{0xFFFE, 0xFFFF, 0x0000, 0x000F}));
    }

    void nackThatDoesNotFitIsCut() {
        std::vector<std::uint16_t> lost;
        for (std::uint16_t s = 0; s < 40 * 20; s = static_cast<std::uint16_t>(s + 20))
            lost.push_back(s); // 40 entries of one sequence number each
        std::array<std::uint8_t, 12 + 4 * 10> buffer{};
        std::size_t covered = 0;
        auto nack = writeNack(1, 2, lost, buffer, covered);
        QCOMPARE(nack.size(), buffer.size());
        QCOMPARE(covered, std::size_t{10});
        auto limited = writeNack(1, 2, lost, buffer, covered, 3);
        QCOMPARE(limited.size(), std::size_t{24});
        QCOMPARE(covered, std::size_t{3});
        std::array<std::uint8_t, 15> tiny{};
        QVERIFY(writeNack(1, 2, lost, tiny, covered).empty());
        QCOMPARE(covered, std::size_t{0});
        QVERIFY(writeNack(1, 2, {}, buffer, covered).empty());
    }

    void malformedNacksAreRefused() {
        // No FCI; an FCI that is not a multiple of 4 cannot be built (length is in words),
        // but a PLI is not a NACK and an RR is neither.
        QCOMPARE(nacked(fromHex("81 CD 0002 | 00000001 | 00000002")),
                 std::vector<std::uint16_t>{0xDEAD});
        QCOMPARE(nacked(fromHex("81 CE 0002 | 00000001 | 00000002")),
                 std::vector<std::uint16_t>{0xDEAD});
        const Bytes cut = fromHex("81 CD 0004 | 00000001"); // length beyond the datagram
        RtcpReader reader(cut);
        RtcpPacket packet;
        QVERIFY(!reader.next(packet));
    }

    void pliGolden() {
        std::array<std::uint8_t, 12> buffer{};
        auto pli = writePli(0xAABBCCDD, 0x01020304, buffer);
        QCOMPARE(hex(pli), hex(fromHex("81 CE 0002 | AABBCCDD | 01020304")));
        RtcpReader reader(pli);
        RtcpPacket packet;
        QVERIFY(reader.next(packet));
        QVERIFY(isPli(packet));
        QVERIFY(!isNack(packet));
        std::array<std::uint8_t, 11> small{};
        QVERIFY(writePli(1, 2, small).empty());
    }

    void senderReportRoundTripAndCompound() {
        SenderReport sr{0xDEADBEEF, ntpFromUnixMs(1'700'000'000'123), 90000, 10, 1600};
        std::array<std::uint8_t, 64> buffer{};
        auto bytes = writeSenderReport(sr, buffer);
        QCOMPARE(bytes.size(), std::size_t{28});
        // A compound of SR + PLI parses as a whole and packet by packet.
        Bytes compound = bytesOf(bytes);
        std::array<std::uint8_t, 12> pliBuffer{};
        const auto pli = writePli(1, 2, pliBuffer);
        compound.insert(compound.end(), pli.begin(), pli.end());
        RtcpHeaderView first;
        QCOMPARE_WIRE(parseRtcpCompound(compound, first), ParseError::None);
        QCOMPARE(first.packetType, kRtcpSenderReport);
        RtcpReader reader(compound);
        RtcpPacket packet;
        QVERIFY(reader.next(packet));
        SenderReport back;
        QVERIFY(parseSenderReport(packet, back));
        QCOMPARE(back.ssrc, sr.ssrc);
        QCOMPARE(back.ntpTimestamp, sr.ntpTimestamp);
        QCOMPARE(back.rtpTimestamp, 90000U);
        QCOMPARE(back.packetCount, 10U);
        QCOMPARE(back.octetCount, 1600U);
        QCOMPARE(unixMsFromNtp(back.ntpTimestamp), std::int64_t{1'700'000'000'123});
        QVERIFY(reader.next(packet));
        QVERIFY(isPli(packet));
        QVERIFY(!parseSenderReport(packet, back));
        QVERIFY(!reader.next(packet));
    }

    void ntpConversion() {
        // The Unix epoch is NTP second 2208988800; half a second is fraction 2^31.
        QCOMPARE(ntpFromUnixMs(0), std::uint64_t{2208988800ULL} << 32);
        QCOMPARE(ntpFromUnixMs(500), (std::uint64_t{2208988800ULL} << 32) | 0x80000000ULL);
        for (std::int64_t ms :
             {std::int64_t{1}, std::int64_t{999}, std::int64_t{1'764'806'400'001}})
            QCOMPARE(unixMsFromNtp(ntpFromUnixMs(ms)), ms);
    }
};

QTEST_APPLESS_MAIN(TestVideoWire)
#include "TestVideoWire.moc"
