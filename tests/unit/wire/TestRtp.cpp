// RTP (RFC 3550 5.1), RTCP compound packets (RFC 3550 6.1/6.4) and first-byte
// demultiplexing (RFC 7983, RFC 5761): golden packets, CSRC/extension/padding variants,
// truncations and the errors each rejection must report.

#include "diyuma/wire/Demux.h"
#include "diyuma/wire/Rtp.h"

#include "GoldenMessages.h"
#include "WireTestHelpers.h"

#include <QtTest/QtTest>
#include <vector>

using namespace diyuma::core::wire;
using golden::fromHex;
using wiretest::hex;
using wiretest::U8s;

namespace {

using Bytes = std::vector<std::uint8_t>;

ParseError rtp(const Bytes& b) {
    RtpPacketView v;
    return parseRtp(b, v);
}
ParseError rtcp(const Bytes& b) {
    RtcpHeaderView v;
    return parseRtcpCompound(b, v);
}

// Opus, seq 0x1234, timestamp 960 (one 20 ms frame at 48 kHz), SSRC 0xDEADBEEF.
const Bytes kRtp = fromHex("80 6F 1234 | 000003C0 | DEADBEEF | 010203");
const Bytes kRtpMarker = fromHex("80 EF 1234 | 000003C0 | DEADBEEF | 010203");
const Bytes kRtpCsrc = fromHex("82 6F 1234 | 000003C0 | DEADBEEF | 11111111 22222222 | 0102");
const Bytes kRtpExtension =
    fromHex("90 6F 1234 | 000003C0 | DEADBEEF | BEDE 0001 | 10AB0000 | 0102");
const Bytes kRtpPadding = fromHex("A0 6F 1234 | 000003C0 | DEADBEEF | 010203 | 000003");
const Bytes kRtpEverything =
    fromHex("B1 EF 1234 | 000003C0 | DEADBEEF | 33333333 | BEDE 0001 | 10AB0000 | 0102 | 0002");

// SR (sender SSRC, NTP, RTP ts, packet and octet counts) + SDES (CNAME "user").
const Bytes kSr = fromHex("80 C8 0006 | DEADBEEF | E8F1A2B3 C4D5E6F7 | 000003C0 | 0000000A |"
                          "00000640");
const Bytes kSdes = fromHex("81 CA 0003 | DEADBEEF | 01 04 75736572 | 00 00");

Bytes concat(const Bytes& a, const Bytes& b) {
    Bytes out = a;
    out.insert(out.end(), b.begin(), b.end());
    return out;
}

} // namespace

class TestRtp : public QObject {
    Q_OBJECT
private slots:
    void goldenRtpParses() {
        RtpPacketView v;
        QCOMPARE_WIRE(parseRtp(kRtp, v), ParseError::None);
        QCOMPARE(v.marker, false);
        QCOMPARE(v.payloadType, kOpusPayloadType);
        QCOMPARE(v.sequence, 0x1234);
        QCOMPARE(v.timestamp, 960u);
        QCOMPARE(v.ssrc, 0xDEADBEEFu);
        QCOMPARE(v.csrcCount, 0);
        QCOMPARE(v.extensionProfile, 0);
        QVERIFY(v.extension.empty());
        QCOMPARE(hex(v.payload), hex(fromHex("010203")));
        QCOMPARE(v.payload.data(), kRtp.data() + 12); // a view, not a copy
        QCOMPARE_WIRE(parseRtp(kRtpMarker, v), ParseError::None);
        QCOMPARE(v.marker, true);
        QCOMPARE(v.payloadType, kOpusPayloadType);
    }

    void goldenRtpWrites() {
        std::array<std::uint8_t, kMaxDatagramBytes> buffer{};
        RtpHeaderFields h;
        h.sequence = 0x1234;
        h.timestamp = 960;
        h.ssrc = 0xDEADBEEF;
        const auto payload = fromHex("010203");
        QCOMPARE(hex(writeRtp(h, payload, buffer)), hex(kRtp));
        h.marker = true;
        QCOMPARE(hex(writeRtp(h, payload, buffer)), hex(kRtpMarker));
        // Room: exact fit, one byte short, the datagram limit.
        Bytes exact(kRtp.size());
        QCOMPARE(writeRtp(h, payload, exact).size(), kRtp.size());
        Bytes small(kRtp.size() - 1);
        QVERIFY(writeRtp(h, payload, small).empty());
        std::array<std::uint8_t, 2000> big{};
        QCOMPARE(writeRtp(h, Bytes(kMaxDatagramBytes - 12, 0), big).size(), kMaxDatagramBytes);
        QVERIFY(writeRtp(h, Bytes(kMaxDatagramBytes - 11, 0), big).empty());
        // Payload types that would read as RTCP (RFC 5761) or do not fit 7 bits are refused.
        for (std::uint8_t pt : U8s{64, 72, 95, 128, 200}) {
            h.payloadType = pt;
            QVERIFY(writeRtp(h, payload, buffer).empty());
        }
        for (std::uint8_t pt : U8s{0, 63, 96, 111, 127}) {
            h.payloadType = pt;
            RtpPacketView v;
            QCOMPARE_WIRE(parseRtp(writeRtp(h, payload, buffer), v), ParseError::None);
            QCOMPARE(v.payloadType, pt);
        }
    }

    void csrcExtensionAndPadding() {
        RtpPacketView v;
        QCOMPARE_WIRE(parseRtp(kRtpCsrc, v), ParseError::None);
        QCOMPARE(v.csrcCount, 2);
        QCOMPARE(hex(v.payload), hex(fromHex("0102")));

        QCOMPARE_WIRE(parseRtp(kRtpExtension, v), ParseError::None);
        QCOMPARE(v.extensionProfile, 0xBEDE);
        QCOMPARE(hex(v.extension), hex(fromHex("10AB0000")));
        QCOMPARE(hex(v.payload), hex(fromHex("0102")));

        QCOMPARE_WIRE(parseRtp(kRtpPadding, v), ParseError::None);
        QCOMPARE(hex(v.payload), hex(fromHex("010203")));

        QCOMPARE_WIRE(parseRtp(kRtpEverything, v), ParseError::None);
        QCOMPARE(v.marker, true);
        QCOMPARE(v.csrcCount, 1);
        QCOMPARE(v.extensionProfile, 0xBEDE);
        QCOMPARE(hex(v.extension), hex(fromHex("10AB0000")));
        QCOMPARE(hex(v.payload), hex(fromHex("0102")));

        // Padding that is the whole payload; an empty payload.
        QCOMPARE_WIRE(parseRtp(fromHex("A0 6F 1234 000003C0 DEADBEEF | 000003"), v),
                      ParseError::None);
        QVERIFY(v.payload.empty());
        QCOMPARE_WIRE(parseRtp(fromHex("80 6F 1234 000003C0 DEADBEEF"), v), ParseError::None);
        QVERIFY(v.payload.empty());
        // An empty extension block.
        QCOMPARE_WIRE(parseRtp(fromHex("90 6F 1234 000003C0 DEADBEEF | 1000 0000 | 01"), v),
                      ParseError::None);
        QCOMPARE(v.extensionProfile, 0x1000);
        QVERIFY(v.extension.empty());
        QCOMPARE(v.payload.size(), std::size_t{1});
    }

    void badPadding() {
        QCOMPARE_WIRE(rtp(fromHex("A0 6F 1234 000003C0 DEADBEEF | 01 02 05")),
                      ParseError::BadField);
        QCOMPARE_WIRE(rtp(fromHex("A0 6F 1234 000003C0 DEADBEEF | 01 02 04")),
                      ParseError::BadField);
        QCOMPARE_WIRE(rtp(fromHex("A0 6F 1234 000003C0 DEADBEEF | 01 00")), ParseError::BadField);
        QCOMPARE_WIRE(rtp(fromHex("A0 6F 1234 000003C0 DEADBEEF | FF")), ParseError::BadField);
        QCOMPARE_WIRE(rtp(fromHex("A0 6F 1234 000003C0 DEADBEEF")), ParseError::Truncated);
        // Padding may not eat into the extension or the CSRCs.
        QCOMPARE_WIRE(rtp(fromHex("B0 6F 1234 000003C0 DEADBEEF | BEDE 0001 10AB0000 | 02")),
                      ParseError::BadField);
    }

    void versionsOtherThan2AreRejected() {
        for (std::uint8_t b0 : U8s{0x00, 0x40, 0xC0, 0x60}) {
            auto b = kRtp;
            b[0] = b0;
            QCOMPARE_WIRE(rtp(b), ParseError::UnsupportedVersion);
        }
    }

    void rtcpPayloadTypesAreRejected() {
        for (std::uint8_t b1 : U8s{0xC8, 0xC9, 0xCD, 0xCE, 0xDF, 0x40, 0x48, 0x5F}) {
            auto b = kRtp;
            b[1] = b1;
            QCOMPARE_WIRE(rtp(b), ParseError::BadField);
        }
        for (std::uint8_t b1 : U8s{0x3F, 0x60, 0xBF, 0xE0}) {
            auto b = kRtp;
            b[1] = b1;
            QCOMPARE_WIRE(rtp(b), ParseError::None);
        }
    }

    void truncatedRtp() {
        // Cutting into the header, CSRCs or extension is Truncated. Cutting the payload is
        // not detectable (RTP has no length field), so only prefixes up to the payload count.
        const std::vector<std::pair<const Bytes*, std::size_t>> packets = {{&kRtp, 12},
                                                                           {&kRtpCsrc, 20},
                                                                           {&kRtpExtension, 20},
                                                                           {&kRtpPadding, 12},
                                                                           {&kRtpEverything, 24}};
        for (const auto& [packet, headerBytes] : packets) {
            for (std::size_t n = 0; n < headerBytes; ++n) {
                const Bytes prefix(packet->begin(),
                                   packet->begin() + static_cast<std::ptrdiff_t>(n));
                QVERIFY2(rtp(prefix) == ParseError::Truncated,
                         qPrintable(QString("%1 bytes of %2").arg(n).arg(hex(*packet))));
            }
        }
        QCOMPARE_WIRE(rtp(fromHex("82 6F 1234 000003C0 DEADBEEF | 11111111")),
                      ParseError::Truncated);
        QCOMPARE_WIRE(rtp(fromHex("90 6F 1234 000003C0 DEADBEEF | BEDE 0002 | 10AB0000")),
                      ParseError::Truncated);
        QCOMPARE_WIRE(rtp(fromHex("90 6F 1234 000003C0 DEADBEEF | BE")), ParseError::Truncated);
        QCOMPARE_WIRE(rtp(fromHex("9F 6F 1234 000003C0 DEADBEEF | FFFF FFFF")),
                      ParseError::Truncated);
    }

    void oversizedRtp() {
        auto big = kRtp;
        big.resize(kMaxDatagramBytes, 0);
        QCOMPARE_WIRE(rtp(big), ParseError::None);
        big.push_back(0);
        QCOMPARE_WIRE(rtp(big), ParseError::TooLarge);
    }

    void rtcpCompoundGolden() {
        const auto compound = concat(kSr, kSdes);
        QCOMPARE(compound.size(), std::size_t{44});
        RtcpHeaderView first;
        QCOMPARE_WIRE(parseRtcpCompound(compound, first), ParseError::None);
        QCOMPARE(first.packetType, 200);
        QCOMPARE(first.count, 0);
        QCOMPARE(first.lengthWords, 6);
        QCOMPARE(first.senderSsrc, 0xDEADBEEFu);
        // Every prefix fails except the one that ends exactly after the SR.
        for (std::size_t n = 0; n < compound.size(); ++n) {
            const Bytes prefix(compound.begin(), compound.begin() + static_cast<std::ptrdiff_t>(n));
            const auto expected = n == kSr.size() ? ParseError::None : ParseError::Truncated;
            QVERIFY2(rtcp(prefix) == expected, qPrintable(QString("prefix of %1 bytes").arg(n)));
        }
    }

    void rtcpBadLengths() {
        auto tooLong = concat(kSr, kSdes);
        tooLong[kSr.size() + 3] = 4; // SDES claims 20 bytes, 16 are there
        QCOMPARE_WIRE(rtcp(tooLong), ParseError::Truncated);
        auto overrun = concat(kSr, kSdes);
        overrun[3] = 0xFF; // SR runs past the datagram
        QCOMPARE_WIRE(rtcp(overrun), ParseError::Truncated);
        auto shortSr = kSr;
        shortSr[3] = 5; // an SR needs 6 words (sender SSRC + 20 bytes of sender info)
        shortSr.resize(24);
        QCOMPARE_WIRE(rtcp(shortSr), ParseError::BadField);
        QCOMPARE_WIRE(rtcp(fromHex("81 C9 0001 DEADBEEF")),
                      ParseError::BadField); // RR, RC 1, no block
        QCOMPARE_WIRE(rtcp(fromHex("82 CB 0001 DEADBEEF")), ParseError::BadField); // BYE, 2 SSRCs
        QCOMPARE_WIRE(rtcp(fromHex("81 CE 0001 DEADBEEF")), ParseError::BadField); // PLI w/o media
        QCOMPARE_WIRE(rtcp(fromHex("81 CA 0002 | DEADBEEF | 01 09 7573")), ParseError::BadField);
        QCOMPARE_WIRE(rtcp(fromHex("80 C9 0001 DEADBEEF | 00")), ParseError::Truncated);
        QCOMPARE_WIRE(rtcp({}), ParseError::Truncated);
    }

    void rtcpOtherPackets() {
        RtcpHeaderView first;
        QCOMPARE_WIRE(parseRtcpCompound(fromHex("80 C9 0001 DEADBEEF"), first), ParseError::None);
        QCOMPARE(first.packetType, 201);
        QCOMPARE_WIRE(parseRtcpCompound(fromHex("81 CE 0002 DEADBEEF 11223344"), first),
                      ParseError::None);
        QCOMPARE(first.packetType, 206);
        QCOMPARE(first.count, 1); // FMT 1 = PLI
        QCOMPARE_WIRE(
            parseRtcpCompound(fromHex("8F CD 0005 DEADBEEF 11223344 0001 0001 00000100 20010400"),
                              first),
            ParseError::None);
        QCOMPARE(first.packetType, 205);
        QCOMPARE(first.count, 15);
        QCOMPARE_WIRE(parseRtcpCompound(fromHex("80 CB 0000"), first), ParseError::None);
        QCOMPARE(first.senderSsrc, 0u);
        // Padding: allowed in the last packet only, with a sane count.
        QCOMPARE_WIRE(rtcp(fromHex("A0 C9 0002 DEADBEEF 00000004")), ParseError::None);
        QCOMPARE_WIRE(rtcp(fromHex("A0 C9 0002 DEADBEEF 00000004 | 80 C9 0001 DEADBEEF")),
                      ParseError::BadField);
        QCOMPARE_WIRE(rtcp(fromHex("80 C9 0001 DEADBEEF | A0 C9 0002 DEADBEEF 00000004")),
                      ParseError::None);
        QCOMPARE_WIRE(rtcp(fromHex("A0 C9 0002 DEADBEEF 00000000")), ParseError::BadField);
        QCOMPARE_WIRE(rtcp(fromHex("A0 C9 0002 DEADBEEF 00000009")), ParseError::BadField);
        QCOMPARE_WIRE(rtcp(fromHex("A0 C9 0002 DEADBEEF 00000008")),
                      ParseError::BadField); // eats SSRC
        // Versions and packet types.
        QCOMPARE_WIRE(rtcp(fromHex("40 C8 0001 DEADBEEF")), ParseError::UnsupportedVersion);
        QCOMPARE_WIRE(rtcp(fromHex("80 C9 0001 DEADBEEF | 40 C9 0001 DEADBEEF")),
                      ParseError::UnsupportedVersion);
        QCOMPARE_WIRE(rtcp(fromHex("80 C9 0001 DEADBEEF | 80 96 0000")), ParseError::BadField);
        QCOMPARE_WIRE(rtcp(fromHex("80 6F 0001 DEADBEEF")), ParseError::BadField);
        QCOMPARE_WIRE(rtcp(fromHex("80 E0 0001 DEADBEEF")), ParseError::BadField);
        auto big = kSr;
        big.resize(kMaxDatagramBytes + 1, 0);
        QCOMPARE_WIRE(rtcp(big), ParseError::TooLarge);
    }

    void classifyDemultiplexes() {
        for (const auto& g : golden::messages())
            QCOMPARE(classify(g.bytes), PacketKind::Control);
        QCOMPARE(classify(fromHex("0D")), PacketKind::Control);
        for (const auto* p : {&kRtp, &kRtpMarker, &kRtpCsrc, &kRtpExtension, &kRtpPadding})
            QCOMPARE(classify(*p), PacketKind::Rtp);
        QCOMPARE(classify(concat(kSr, kSdes)), PacketKind::Rtcp);
        for (std::uint8_t pt : U8s{200, 201, 202, 203, 204, 205, 206, 207, 192, 223})
            QCOMPARE(classify(Bytes{0x80, pt, 0, 1}), PacketKind::Rtcp);
        // Just outside the RTCP range (RFC 5761 section 4): RTP PT 63 and 96 with marker.
        QCOMPARE(classify(fromHex("80 BF")), PacketKind::Rtp);
        QCOMPARE(classify(fromHex("80 E0")), PacketKind::Rtp);
        QCOMPARE(classify(fromHex("BF 6F")), PacketKind::Rtp);
        QCOMPARE(classify(fromHex("80")), PacketKind::Rtp);
        // RFC 7983 ranges that are not ours: STUN, ZRTP, DTLS, TURN channel, above RTP.
        for (std::uint8_t b0 : U8s{0x00, 0x03, 0x04, 0x0C, 0x0E, 0x0F, 0x10, 0x14, 0x16, 0x3F, 0x40,
                                   0x4F, 0x50, 0x7F, 0xC0, 0xFF})
            QCOMPARE(classify(Bytes{b0, 0x6F, 0, 0}), PacketKind::Unknown);
        QCOMPARE(classify({}), PacketKind::Unknown);
    }
};

QTEST_APPLESS_MAIN(TestRtp)
#include "TestRtp.moc"
