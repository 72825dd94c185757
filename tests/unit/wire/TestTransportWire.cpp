// RTP header extensions (RFC 8285 one-byte and two-byte forms with our three IDs) and
// transport-wide congestion control feedback (RTPFB FMT 15): golden bytes both ways,
// truncated and malformed variants, wrap of sequence numbers, and a round trip of random
// arrival patterns through the builder and the parser.

#include "diyuma/util/BigEndian.h"
#include "diyuma/wire/Rtp.h"
#include "diyuma/wire/RtpExtensions.h"
#include "diyuma/wire/TransportFeedback.h"

#include "WireTestHelpers.h"

#include <QtTest/QtTest>
#include <random>
#include <vector>

using namespace diyuma::core;
using namespace diyuma::core::wire;
using wiretest::hex;

namespace {

using Bytes = std::vector<std::uint8_t>;

struct Reported {
    std::uint16_t sequence = 0;
    bool received = false;
    std::int64_t arrivalUs = 0;
    bool operator==(const Reported&) const = default;
};

/// Parses one feedback datagram (it must be exactly one RTCP packet).
ParseError readFeedback(std::span<const std::uint8_t> datagram, TransportFeedbackHeader& header,
                        std::vector<Reported>& out) {
    out.clear();
    RtcpHeaderView first;
    if (const auto e = parseRtcpCompound(datagram, first); e != ParseError::None)
        return e;
    RtcpReader reader(datagram);
    RtcpPacket packet;
    if (!reader.next(packet))
        return ParseError::Truncated;
    return parseTransportFeedback(packet, header, [&](std::uint16_t s, bool r, std::int64_t t) {
        out.push_back({s, r, t});
    });
}

// Transport-wide sequence 0x1234, frame marking long form (S, I, B, TID 1, LID 0,
// TL0PICIDX 7), audio level (voice, 30 dBov): 3 + 4 + 2 = 9 element bytes, padded to 12.
const Bytes kExtensionBlock = {0xBE, 0xDE, 0x00, 0x03, // profile, 3 words
                               0x11, 0x12, 0x34,       // ID 1, L = 1
                               0x22, 0xA9, 0x00, 0x07, // ID 2, L = 2: S I B TID 1
                               0x30, 0x9E,             // ID 3, L = 0: V, 30
                               0x00, 0x00, 0x00};      // padding

} // namespace

class TestTransportWire : public QObject {
    Q_OBJECT

private slots:
    void extensionsGoldenBytes() {
        RtpExtensions e;
        e.transportSequence = 0x1234;
        FrameMarking m;
        m.startOfFrame = true;
        m.independent = true;
        m.baseLayerSync = true;
        m.temporalId = 1;
        m.hasLayers = true;
        m.tl0PicIdx = 7;
        e.frameMarking = m;
        e.audioLevel = AudioLevel{true, 30};
        QCOMPARE(rtpExtensionsBytes(e), kExtensionBlock.size());
        std::array<std::uint8_t, 64> buffer{};
        QCOMPARE(hex(writeRtpExtensions(e, buffer)), hex(kExtensionBlock));
        std::array<std::uint8_t, 15> small{};
        QVERIFY(writeRtpExtensions(e, small).empty());

        // In a packet: X set, the sequence number at the documented offset, read back.
        RtpHeaderFields h;
        h.payloadType = kVp8PayloadType;
        h.sequence = 7;
        h.ssrc = 0xAABBCCDD;
        h.extensions = e;
        const Bytes payload = {1, 2, 3};
        const auto packet = writeRtp(h, payload, buffer);
        QCOMPARE(packet.size(), 12 + kExtensionBlock.size() + payload.size());
        QCOMPARE(packet[0], std::uint8_t{0x90});
        RtpPacketView v;
        QCOMPARE_WIRE(parseRtp(packet, v), ParseError::None);
        QCOMPARE(hex(v.payload), hex(payload));
        RtpExtensions read;
        QCOMPARE_WIRE(parseRtpExtensions(v, packet, read), ParseError::None);
        QCOMPARE(read.transportSequenceOffset, kTransportSequenceOffset);
        read.transportSequenceOffset = 0;
        QVERIFY(read == e);

        // A hop rewrites the number in its copy.
        Bytes copy(packet.begin(), packet.end());
        QVERIFY(patchTransportSequence(copy, kTransportSequenceOffset, 0xBEEF));
        QCOMPARE_WIRE(parseRtp(copy, v), ParseError::None);
        QCOMPARE_WIRE(parseRtpExtensions(v, copy, read), ParseError::None);
        QCOMPARE(*read.transportSequence, std::uint16_t{0xBEEF});
        QVERIFY(!patchTransportSequence(std::span(copy).first(18), kTransportSequenceOffset, 1));
        QVERIFY(!patchTransportSequence(copy, 0, 1));
    }

    void extensionsShortFormAndNone() {
        RtpExtensions e;
        FrameMarking m;
        m.endOfFrame = true;
        m.discardable = true;
        e.frameMarking = m; // short form: 1 octet, no layer fields
        std::array<std::uint8_t, 16> buffer{};
        QCOMPARE(hex(writeRtpExtensions(e, buffer)),
                 hex(Bytes{0xBE, 0xDE, 0x00, 0x01, 0x20, 0x50, 0, 0}));
        QCOMPARE(rtpExtensionsBytes(RtpExtensions{}), std::size_t{0});
        QVERIFY(writeRtpExtensions(RtpExtensions{}, buffer).empty());

        // No extension: nothing read, X clear in what writeRtp writes.
        RtpHeaderFields h;
        std::array<std::uint8_t, 64> packetBuffer{};
        const auto packet = writeRtp(h, Bytes{9}, packetBuffer);
        QCOMPARE(packet.size(), std::size_t{13});
        QCOMPARE(packet[0], std::uint8_t{0x80});
        RtpPacketView v;
        QCOMPARE_WIRE(parseRtp(packet, v), ParseError::None);
        RtpExtensions read;
        read.audioLevel = AudioLevel{};
        QCOMPARE_WIRE(parseRtpExtensions(v, packet, read), ParseError::None);
        QVERIFY(read == RtpExtensions{});
    }

    void extensionsReadingRules() {
        // An RTP header with X = 1 and the given block after it.
        const auto withBlock = [](const Bytes& block) {
            Bytes p = {0x90, 96, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3};
            p.insert(p.end(), block.begin(), block.end());
            p.push_back(0xAA); // payload
            return p;
        };
        RtpPacketView v;
        RtpExtensions e;

        // Padding octets between elements, an unknown ID (5) skipped, a known one of the
        // wrong length (audio level with 2 octets) ignored, ID 15 ends the list (the audio
        // level after it is not read).
        const Bytes skipping =
            withBlock({0xBE, 0xDE, 0x00, 0x04, 0x00, 0x51, 0xAA, 0xBB, 0x31, 0x77,
                       0x77, 0x11, 0x00, 0x05, 0xF0, 0x30, 0x01, 0x00, 0x00, 0x00});
        QCOMPARE_WIRE(parseRtp(skipping, v), ParseError::None);
        QCOMPARE_WIRE(parseRtpExtensions(v, skipping, e), ParseError::None);
        QCOMPARE(*e.transportSequence, std::uint16_t{5});
        QCOMPARE(e.transportSequenceOffset, std::size_t{24});
        QVERIFY(!e.audioLevel);
        QVERIFY(!e.frameMarking);
    }

    void twoByteForm() {
        // Two-byte form (RFC 8285 4.3): profile 0x1000, ID octet, length octet.
        Bytes p = {0x90, 96,   0,    1,    0,    0,    0,    2,    0,    0,    0,    3,   0x10,
                   0x00, 0x00, 0x02, 0x00, 0x01, 0x02, 0xAB, 0xCD, 0x03, 0x01, 0x85, 0xAA};
        RtpPacketView v;
        QCOMPARE_WIRE(parseRtp(p, v), ParseError::None);
        RtpExtensions e;
        QCOMPARE_WIRE(parseRtpExtensions(v, p, e), ParseError::None);
        QCOMPARE(*e.transportSequence, std::uint16_t{0xABCD});
        QCOMPARE(e.transportSequenceOffset, std::size_t{19});
        QCOMPARE(*e.audioLevel, (AudioLevel{true, 5}));
    }

    void extensionOverrunIsRefused() {
        // One-byte element announcing 4 octets where the block has 2 left.
        Bytes p = {0x90, 96,   0,    1,    0,    0,    0,    2,    0,    0,   0,
                   3,    0xBE, 0xDE, 0x00, 0x01, 0x00, 0x00, 0x13, 0x00, 0xAA};
        RtpPacketView v;
        QCOMPARE_WIRE(parseRtp(p, v), ParseError::None);
        RtpExtensions e;
        QCOMPARE_WIRE(parseRtpExtensions(v, p, e), ParseError::BadField);
        // Two-byte form whose last element's length octet is missing.
        Bytes q = {0x90, 96,   0,    1,    0,    0,    0,    2,    0,    0,   0,
                   3,    0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07, 0xAA};
        QCOMPARE_WIRE(parseRtp(q, v), ParseError::None);
        QCOMPARE_WIRE(parseRtpExtensions(v, q, e), ParseError::BadField);
        // Another profile: not ours, nothing read, no error.
        Bytes r = {0x90, 96,   0,    1,    0,    0,    0,    2,    0,    0,   0,
                   3,    0x12, 0x34, 0x00, 0x01, 0x11, 0x00, 0x05, 0x00, 0xAA};
        QCOMPARE_WIRE(parseRtp(r, v), ParseError::None);
        QCOMPARE_WIRE(parseRtpExtensions(v, r, e), ParseError::None);
        QVERIFY(!e.transportSequence);
    }

    void feedbackGoldenBytes() {
        // Base 100; 100 arrives 1 ms after the reference time (reference 2 = 128 ms, arrival
        // 129 ms), 101 is lost, 102 arrives 0.25 ms before 100 (a negative, 2-octet delta),
        // 103 arrives 70 ms after 102 (over 63.75 ms: 2 octets).
        TransportFeedbackBuilder b;
        b.begin(0x01020304, 0, 100, 129'000, 5);
        QVERIFY(b.add(100, 129'000));
        QVERIFY(b.add(102, 128'750));
        QVERIFY(b.add(103, 198'750));
        QCOMPARE(b.statusCount(), std::size_t{4});
        std::array<std::uint8_t, 64> buffer{};
        // Symbols 1 0 2 2: one 2-bit vector chunk 11 01 00 10 10 00 00 00 = 0xD2 0x80.
        // Deltas: 4 (1 ms), -1 (ff ff), 280 (01 18). 20 + 2 + 5 = 27, padded to 28 (P, 01).
        const Bytes golden = {0xAF, 0xCD, 0x00, 0x06, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00,
                              0x00, 0x00, 0x00, 0x64, 0x00, 0x04, 0x00, 0x00, 0x02, 0x05,
                              0xD2, 0x80, 0x04, 0xFF, 0xFF, 0x01, 0x18, 0x01};
        QCOMPARE(hex(b.write(buffer)), hex(golden));
        std::array<std::uint8_t, 27> small{};
        QVERIFY(b.write(small).empty());

        TransportFeedbackHeader h;
        std::vector<Reported> got;
        QCOMPARE_WIRE(readFeedback(golden, h, got), ParseError::None);
        QCOMPARE(h.senderSsrc, 0x01020304U);
        QCOMPARE(h.baseSequence, std::uint16_t{100});
        QCOMPARE(h.statusCount, std::uint16_t{4});
        QCOMPARE(h.referenceTime, 2);
        QCOMPARE(h.feedbackCount, std::uint8_t{5});
        const std::vector<Reported> want = {
            {100, true, 129'000}, {101, false, 0}, {102, true, 128'750}, {103, true, 198'750}};
        QVERIFY(got == want);
    }

    void feedbackChunkKinds() {
        // A long run of received packets (run-length chunk), then a stretch with losses
        // (1-bit vectors), across the 16-bit wrap.
        TransportFeedbackBuilder b;
        const std::uint16_t base = 65500;
        b.begin(1, 0, base, 0, 0);
        std::vector<Reported> want;
        std::int64_t t = 0;
        for (int i = 0; i < 100; ++i) {
            const auto s = static_cast<std::uint16_t>(base + i);
            const bool lost = i >= 60 && i % 3 == 0;
            if (lost) {
                want.push_back({s, false, 0});
                continue;
            }
            t += 1000;
            QVERIFY(b.add(s, t));
            want.push_back({s, true, t});
        }
        want.pop_back(); // 99 is lost and nothing after it arrived: not reported
        std::array<std::uint8_t, 1200> buffer{};
        const auto packet = b.write(buffer);
        QVERIFY(!packet.empty());
        // The first chunk is a run of 60 "small delta": 0 01 0000000111100 = 0x20 0x3C.
        QCOMPARE(packet[20], std::uint8_t{0x20});
        QCOMPARE(packet[21], std::uint8_t{60});
        QCOMPARE(packet[22] & 0xC0, 0x80); // then a 1-bit vector
        TransportFeedbackHeader h;
        std::vector<Reported> got;
        QCOMPARE_WIRE(readFeedback(packet, h, got), ParseError::None);
        QVERIFY(got == want);
    }

    void feedbackRefusesWhatDoesNotFit() {
        TransportFeedbackBuilder b;
        b.begin(1, 0, 10, 0, 0);
        QVERIFY(b.add(12, 1000));
        QVERIFY(!b.add(11, 2000)); // before the last one added
        QVERIFY(!b.add(12, 2000)); // the same one again
        QVERIFY(
            !b.add(static_cast<std::uint16_t>(10 + TransportFeedbackBuilder::kMaxPackets), 3000));
        QVERIFY(!b.add(13, 1000 + 8'200'000)); // a delta over 8.19 s
        QVERIFY(b.add(13, 1000 + 8'000'000));
        TransportFeedbackBuilder empty;
        std::array<std::uint8_t, 64> buffer{};
        QVERIFY(empty.write(buffer).empty());
    }

    void feedbackMalformed() {
        const Bytes good = {0x8F, 0xCD, 0x00, 0x05, 0,    0,    0,    1,    0,    0,    0,    0,
                            0x00, 0x0A, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01, 0x04, 0x00};
        TransportFeedbackHeader h;
        std::vector<Reported> got;
        QCOMPARE_WIRE(readFeedback(good, h, got), ParseError::None);
        QCOMPARE(got.size(), std::size_t{1});

        const auto variant = [&](std::size_t at, std::uint8_t value) {
            Bytes b = good;
            b[at] = value;
            return b;
        };
        // Status count 0; a count whose chunks and deltas do not fit the body;
        // run length 0; the reserved symbol (11) in a run; in a 2-bit vector.
        for (const Bytes& bad : {variant(15, 0x00), variant(15, 0x05), variant(21, 0x00),
                                 variant(20, 0x60), variant(20, 0xF0)}) {
            QCOMPARE_WIRE(readFeedback(bad, h, got), ParseError::BadField);
            QVERIFY(got.empty()); // nothing reported from a packet that does not parse
        }
        // Too short to hold the fixed fields; not FMT 15.
        Bytes shortOne = {0x8F, 0xCD, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 0, 0x00, 0x0A, 0x00, 0x01};
        QCOMPARE_WIRE(readFeedback(shortOne, h, got), ParseError::BadField);
        QCOMPARE_WIRE(readFeedback(variant(0, 0x81), h, got), ParseError::BadField);
    }

    void feedbackRandomRoundTrip() {
        std::mt19937 rng(42);
        std::array<std::uint8_t, 1200> buffer{};
        for (int round = 0; round < 2000; ++round) {
            TransportFeedbackBuilder b;
            const auto base = static_cast<std::uint16_t>(rng());
            std::int64_t t = static_cast<std::int64_t>(rng() % 100'000'000);
            b.begin(7, 0, base, t, static_cast<std::uint8_t>(round));
            std::vector<Reported> want;
            std::int64_t last = t / 250 * 250;
            const int n = 1 + static_cast<int>(rng() % 300);
            for (int i = 0; i < n; ++i) {
                const auto s = static_cast<std::uint16_t>(base + i);
                if (i > 0 && rng() % 4 == 0) { // lost (the first one always arrives)
                    want.push_back({s, false, 0});
                    continue;
                }
                const int kind = static_cast<int>(rng() % 10);
                const std::int64_t step = kind < 7   ? static_cast<std::int64_t>(rng() % 20'000)
                                          : kind < 9 ? -static_cast<std::int64_t>(rng() % 5'000)
                                                     : static_cast<std::int64_t>(rng() % 2'000'000);
                const std::int64_t arrival = std::max<std::int64_t>(0, (i == 0 ? t : last + step));
                if (!b.add(s, arrival))
                    break;
                last = arrival / 250 * 250;
                want.push_back({s, true, last});
            }
            while (!want.empty() && !want.back().received)
                want.pop_back(); // trailing losses are not reported by what was added
            const auto packet = b.write(buffer);
            TransportFeedbackHeader h;
            std::vector<Reported> got;
            QCOMPARE_WIRE(readFeedback(packet, h, got), ParseError::None);
            // Arrival times come back quantized to 250 us from the reference time.
            QCOMPARE(got.size(), want.size());
            for (std::size_t i = 0; i < got.size(); ++i) {
                QCOMPARE(got[i].sequence, want[i].sequence);
                QCOMPARE(got[i].received, want[i].received);
                if (got[i].received)
                    QVERIFY2(std::abs(got[i].arrivalUs - want[i].arrivalUs) < 250,
                             qPrintable(QString("round %1 index %2: %3 vs %4")
                                            .arg(round)
                                            .arg(i)
                                            .arg(got[i].arrivalUs)
                                            .arg(want[i].arrivalUs)));
            }
        }
    }
};

QTEST_APPLESS_MAIN(TestTransportWire)
#include "TestTransportWire.moc"
