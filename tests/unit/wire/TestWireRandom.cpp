// The fuzz target's invariants (tests/fuzz/WireInvariants.h) run in the normal build:
// 200 000 deterministic random and mutated-golden datagrams through every parser, plus
// random valid messages that must encode and parse back to the same fields.

#include "GoldenMessages.h"
#include "WireInvariants.h"
#include "WireTestHelpers.h"

#include <QtTest/QtTest>
#include <random>
#include <string>
#include <vector>

using namespace diyuma::core::wire;
using golden::fromHex;
using wiretest::hex;
using wiretest::U8s;

namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr int kIterations = 200000;
constexpr std::uint64_t kSeed = 0xD1CA'5EED'2024'0001ull;

// std::mt19937_64 is specified bit for bit; the distributions are not, so we use our own.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : m_engine(seed) {}
    std::uint64_t next() { return m_engine(); }
    std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
    std::uint8_t byte() { return static_cast<std::uint8_t>(next()); }
    bool chance(int percent) { return below(100) < static_cast<std::size_t>(percent); }

private:
    std::mt19937_64 m_engine;
};

const std::vector<Bytes>& mediaGoldens() {
    static const std::vector<Bytes> packets = {
        fromHex("80 6F 1234 000003C0 DEADBEEF 010203"),
        fromHex("B1 EF 1234 000003C0 DEADBEEF 33333333 BEDE 0001 10AB0000 0102 0002"),
        fromHex("80 C8 0006 DEADBEEF E8F1A2B3 C4D5E6F7 000003C0 0000000A 00000640"
                "81 CA 0003 DEADBEEF 01 04 75736572 00 00"),
        fromHex("81 CE 0002 DEADBEEF 11223344"),
        fromHex("8F CD 0005 DEADBEEF 11223344 0001 0001 00000100 20010400"),
        fromHex("A0 C9 0002 DEADBEEF 00000004"),
        fromHex("90 60 0001 00000002 AABBCCDD BEDE 0003 111234 22A90007 309E 000000 010203"),
        fromHex("AF CD 0006 01020304 00000000 0064 0004 00000205 D280 04 FFFF 0118 01"),
    };
    return packets;
}

// Values that sit on the boundaries the parsers check.
constexpr std::uint8_t kInteresting[] = {0,   1,   2,    3,    8,    9,    12,   13,   63,  64,
                                         65,  95,  96,   127,  128,  191,  192,  200,  201, 223,
                                         224, 255, 0x0D, 0x80, 0xC0, 0xC3, 0xE0, 0xED, 0xF4};

void mutate(Rng& rng, Bytes& b) {
    const std::size_t mutations = 1 + rng.below(4);
    for (std::size_t m = 0; m < mutations; ++m) {
        switch (rng.below(8)) {
        case 0: // flip a bit
            if (!b.empty())
                b[rng.below(b.size())] ^= static_cast<std::uint8_t>(1u << rng.below(8));
            break;
        case 1: // an interesting value
            if (!b.empty())
                b[rng.below(b.size())] = kInteresting[rng.below(std::size(kInteresting))];
            break;
        case 2: // a random value
            if (!b.empty())
                b[rng.below(b.size())] = rng.byte();
            break;
        case 3: // insert
            b.insert(b.begin() + static_cast<std::ptrdiff_t>(rng.below(b.size() + 1)), rng.byte());
            break;
        case 4: // erase
            if (!b.empty())
                b.erase(b.begin() + static_cast<std::ptrdiff_t>(rng.below(b.size())));
            break;
        case 5: // truncate
            b.resize(rng.below(b.size() + 1));
            break;
        case 6: // append
            for (std::size_t n = rng.below(16); n > 0; --n)
                b.push_back(rng.byte());
            break;
        default: // grow to around the datagram limit
            b.resize(kMaxDatagramBytes - 2 + rng.below(5), rng.byte());
            break;
        }
    }
}

Bytes randomBytes(Rng& rng) {
    Bytes b(rng.below(rng.chance(5) ? 1400 : 96));
    for (auto& x : b)
        x = rng.byte();
    if (!b.empty()) {
        switch (rng.below(4)) {
        case 0:
            b[0] = kControlMagic;
            break;
        case 1:
            b[0] = static_cast<std::uint8_t>(0x80 | rng.below(64));
            break;
        default:
            break;
        }
        if (b.size() > 1 && b[0] == kControlMagic && rng.chance(80))
            b[1] = kProtocolVersion;
    }
    return b;
}

// Random valid text: 1..maxBytes bytes of 1- to 4-byte characters.
std::string randomText(Rng& rng, std::size_t maxBytes) {
    static const char* const kChars[] = {"a",
                                         "Z",
                                         " ",
                                         "~",
                                         "\xC3\xAB",
                                         "\xC2\x85",
                                         "\xE6\x97\xA5",
                                         "\xEF\xBF\xBD",
                                         "\xF0\x9F\x98\x80",
                                         "\xF4\x8F\xBF\xBF"};
    std::string s;
    const std::size_t target = 1 + rng.below(maxBytes);
    for (;;) {
        const std::string_view c = kChars[rng.below(std::size(kChars))];
        if (s.size() + c.size() > target)
            break;
        s += c;
    }
    return s.empty() ? std::string("x") : s;
}

StreamList randomStreams(Rng& rng) {
    StreamList s;
    s.count = static_cast<std::uint8_t>(rng.below(kMaxSsrcsPerParticipant + 1));
    for (std::size_t i = 0; i < s.count; ++i)
        s.items[i] = {static_cast<std::uint32_t>(rng.next()), static_cast<MediaKind>(rng.below(2)),
                      rng.byte()};
    return s;
}

template <std::size_t N>
std::array<std::uint8_t, N> randomArray(Rng& rng) {
    std::array<std::uint8_t, N> a{};
    for (auto& x : a)
        x = rng.byte();
    return a;
}

/// A random valid message; `text` keeps the strings alive.
ControlMessage randomMessage(Rng& rng, std::string& text) {
    const auto u32 = [&rng] { return static_cast<std::uint32_t>(rng.next()); };
    const auto u16 = [&rng] { return static_cast<std::uint16_t>(rng.next()); };
    const std::uint64_t conferenceId = rng.next() >> 4;
    ControlMessage m{u32(), HelloMsg{}};
    switch (rng.below(14)) {
    case 0:
        break;
    case 1:
        m.body = CookieMsg{randomArray<kCookieBytes>(rng)};
        break;
    case 2:
        m.body = CreateMsg{randomArray<kCookieBytes>(rng), u32() & 1u};
        break;
    case 3:
        m.body = CreatedMsg{conferenceId, randomArray<kAdminSecretBytes>(rng), u32() & 1u};
        break;
    case 4: {
        JoinMsg j;
        j.cookie = randomArray<kCookieBytes>(rng);
        j.conferenceId = conferenceId;
        j.hasAdminProof = rng.chance(50);
        if (j.hasAdminProof)
            j.adminProof = randomArray<kAdminProofBytes>(rng);
        text = randomText(rng, kMaxNameBytes);
        j.name = text;
        j.streams = randomStreams(rng);
        m.body = j;
        break;
    }
    case 5:
        m.body = JoinedMsg{u32(), static_cast<Role>(rng.below(2)), u32() & 1u, u16(), u16()};
        break;
    case 6: {
        RosterMsg r;
        r.seq = u32();
        r.participantId = u32();
        r.flags = static_cast<std::uint8_t>(rng.below(4));
        if (rng.chance(70)) {
            r.op = RosterOp::Upsert;
            text = randomText(rng, kMaxNameBytes);
            r.name = text;
            r.streams = randomStreams(rng);
        } else {
            r.op = RosterOp::Remove;
        }
        m.body = r;
        break;
    }
    case 7:
        m.body = RosterAckMsg{u32()};
        break;
    case 8:
        m.body = PingMsg{rng.next()};
        break;
    case 9:
        m.body = PongMsg{rng.next()};
        break;
    case 10:
        m.body = LeaveMsg{};
        break;
    case 11: {
        SubscribeMsg sub;
        sub.defaultMaxHeight = u16();
        sub.count = static_cast<std::uint8_t>(rng.below(kMaxReportEntries + 1));
        for (std::size_t i = 0; i < sub.count; ++i) // distinct, non-zero IDs
            sub.entries[i] = {static_cast<std::uint32_t>(i + 1 + (u32() & 0xFFFF) * 100), u16()};
        m.body = sub;
        break;
    }
    case 12: {
        ReceiveReportMsg report;
        report.downlinkBps = u32();
        report.count = static_cast<std::uint8_t>(rng.below(kMaxReportEntries + 1));
        for (std::size_t i = 0; i < report.count; ++i)
            report.entries[i] = {1 + (u32() & 0x7FFFFFFF), static_cast<ReceiveState>(rng.below(5)),
                                 rng.byte(), rng.byte()};
        m.body = report;
        break;
    }
    default:
        text = rng.chance(20) ? std::string() : randomText(rng, kMaxReasonBytes);
        m.body = ErrorMsg{static_cast<ErrorCode>(1 + rng.below(0xFFFF)),
                          static_cast<MessageType>(rng.byte()), text};
        break;
    }
    return m;
}

} // namespace

class TestWireRandom : public QObject {
    Q_OBJECT
private slots:
    void invariantsHoldOnRandomAndMutatedInput() {
        Rng rng(kSeed);
        const auto controls = golden::messages();
        const auto& media = mediaGoldens();
        int parsedControl = 0, parsedRtp = 0, parsedRtcp = 0;
        std::array<int, kParseErrorCount> controlErrors{};
        for (int i = 0; i < kIterations; ++i) {
            Bytes input;
            switch (rng.below(3)) {
            case 0:
                input = randomBytes(rng);
                break;
            case 1:
                input = controls[rng.below(controls.size())].bytes;
                mutate(rng, input);
                break;
            default:
                input = media[rng.below(media.size())];
                mutate(rng, input);
                break;
            }
            fuzz::Outcome outcome;
            if (const char* failure = fuzz::checkWireInvariants(input, &outcome)) {
                const QByteArray hex = QByteArray(reinterpret_cast<const char*>(input.data()),
                                                  static_cast<qsizetype>(input.size()))
                                           .toHex(' ');
                QFAIL(qPrintable(QString("iteration %1: %2\ninput: %3")
                                     .arg(i)
                                     .arg(failure)
                                     .arg(QString::fromLatin1(hex))));
            }
            parsedControl += outcome.control == ParseError::None;
            parsedRtp += outcome.rtp == ParseError::None;
            parsedRtcp += outcome.rtcp == ParseError::None;
            ++controlErrors[static_cast<std::size_t>(outcome.control)];
        }
        qInfo("parsed: control %d, rtp %d, rtcp %d of %d", parsedControl, parsedRtp, parsedRtcp,
              kIterations);
        for (std::size_t e = 0; e < kParseErrorCount; ++e)
            qInfo("control %s: %d", toString(static_cast<ParseError>(e)).data(), controlErrors[e]);
        // The mutations must reach both the accepting and every rejecting path.
        QVERIFY(parsedControl > kIterations / 100);
        QVERIFY(parsedRtp > kIterations / 100);
        QVERIFY(parsedRtcp > kIterations / 200);
        for (std::size_t e = 1; e < kParseErrorCount; ++e)
            QVERIFY2(controlErrors[e] > 100, toString(static_cast<ParseError>(e)).data());
    }

    void randomValidMessagesRoundTrip() {
        Rng rng(kSeed ^ 0x5A5A);
        std::array<std::uint8_t, kMaxDatagramBytes> buffer{};
        for (int i = 0; i < kIterations / 4; ++i) {
            std::string text;
            const ControlMessage m = randomMessage(rng, text);
            const auto bytes = encodeControl(m, buffer);
            QVERIFY2(!bytes.empty(), qPrintable(QString("iteration %1").arg(i)));
            ControlMessage parsed;
            QCOMPARE_WIRE(parseControl(bytes, parsed), ParseError::None);
            QVERIFY2(golden::sameMessage(parsed, m), qPrintable(QString("iteration %1").arg(i)));
            QVERIFY(fuzz::checkWireInvariants(bytes) == nullptr);
        }
    }
};

QTEST_APPLESS_MAIN(TestWireRandom)
#include "TestWireRandom.moc"
