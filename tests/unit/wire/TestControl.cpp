// Control messages: golden bytes in both directions, round trips, every truncation, trailing
// and oversized datagrams, header errors, forbidden field values, the encoder's refusals and
// encodeErrorLimited's size bound.

#include "diyuma/wire/Control.h"
#include "diyuma/wire/Text.h"

#include "GoldenMessages.h"
#include "WireTestHelpers.h"

#include <QtTest/QtTest>
#include <set>
#include <string>
#include <vector>

using namespace diyuma::core::wire;
using golden::fromHex;
using wiretest::hex;
using wiretest::U8s;

namespace {

using Bytes = std::vector<std::uint8_t>;

ParseError parse(std::span<const std::uint8_t> bytes) {
    ControlMessage m;
    return parseControl(bytes, m);
}

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

Bytes textBytes(std::string_view s) {
    return Bytes(s.begin(), s.end());
}

const Bytes kJoinPrefix = fromHex("0D 01 05 00 | 00000003 |" + std::string(golden::kCookieHex) +
                                  "| 0FEDCBA987654321 | 00 |" + std::string(64, '0'));

/// A Join (no proof) with the given raw name bytes and stream bytes.
Bytes joinWith(std::string_view name, const Bytes& streams = fromHex("00")) {
    return concat(
        {kJoinPrefix, {static_cast<std::uint8_t>(name.size())}, textBytes(name), streams});
}

/// A Roster upsert with the given raw name bytes and stream bytes.
Bytes rosterWith(std::string_view name, const Bytes& streams = fromHex("00")) {
    return concat({fromHex("0D 01 07 00 | 00000010 | 00000001 | 01 | 00000007 | 00"),
                   {static_cast<std::uint8_t>(name.size())},
                   textBytes(name),
                   streams});
}

/// An Error with the given raw reason bytes.
Bytes errorWith(std::string_view reason) {
    return concat({fromHex("0D 01 0C 00 | 00000003 | 0005 | 05"),
                   {static_cast<std::uint8_t>(reason.size())},
                   textBytes(reason)});
}

Bytes streamBytes(std::size_t count, std::uint8_t kind = 0) {
    Bytes out{static_cast<std::uint8_t>(count)};
    for (std::size_t i = 0; i < count; ++i) {
        auto entry = fromHex("01020300");
        entry.back() = static_cast<std::uint8_t>(i);
        entry.push_back(kind);
        entry.push_back(0); // layer
        entry.push_back(0); // height (u16)
        entry.push_back(kind == 1 ? 180 : 0);
        out.insert(out.end(), entry.begin(), entry.end());
    }
    return out;
}

const std::vector<std::string> kInvalidTexts = {
    "\xC3",             // lead byte without its continuation
    "a\x80",            // lone continuation byte
    "\xC0\xAF",         // overlong '/'
    "\xC1\xBF",         // overlong
    "\xE0\x80\xAF",     // overlong 3-byte
    "\xF0\x80\x80\xAF", // overlong 4-byte
    "\xED\xA0\x80",     // UTF-16 surrogate U+D800
    "\xF4\x90\x80\x80", // above U+10FFFF
    "\xF5\x80\x80\x80", // never a lead byte
    "\xFF",
    "\xE6\x97",             // truncated 3-byte sequence
    std::string("a\0b", 3), // NUL
    "\x01",
    "line\nbreak",
    "tab\there",
    "\x1B[31m", // ESC: terminal escape
    "del\x7F",
};
const std::vector<std::string> kValidTexts = {
    "a",        "Zo\xC3\xAB",   "\xE6\x97\xA5\xE6\x9C\xAC", "\xF0\x9F\x98\x80",
    "\xC2\x85", "\xEF\xBF\xBD", "\xF4\x8F\xBF\xBF",         "Anna-Lena O'Brien (2)",
};

} // namespace

class TestControl : public QObject {
    Q_OBJECT
    /// One data row per golden message, shared by the data-driven tests below.
    static void goldens_data() {
        QTest::addColumn<int>("index");
        const auto all = golden::messages();
        for (std::size_t i = 0; i < all.size(); ++i)
            QTest::newRow(all[i].name) << static_cast<int>(i);
    }

private slots:
    void goldenEncodesToBytes() {
        QFETCH(int, index);
        const auto g = golden::messages().at(static_cast<std::size_t>(index));
        std::array<std::uint8_t, kMaxDatagramBytes> buffer{};
        const auto encoded = encodeControl(g.message, buffer);
        QCOMPARE(hex(encoded), hex(g.bytes));
    }
    void goldenEncodesToBytes_data() { goldens_data(); }

    void goldenParsesToFields() {
        QFETCH(int, index);
        const auto g = golden::messages().at(static_cast<std::size_t>(index));
        ControlMessage parsed;
        QCOMPARE_WIRE(parseControl(g.bytes, parsed), ParseError::None);
        QVERIFY(golden::sameMessage(parsed, g.message));
        QCOMPARE(typeOf(parsed.body), typeOf(g.message.body));
        QCOMPARE(static_cast<int>(typeOf(parsed.body)), static_cast<int>(g.bytes[2]));
    }
    void goldenParsesToFields_data() { goldens_data(); }

    void goldenRoundTrips() {
        QFETCH(int, index);
        const auto g = golden::messages().at(static_cast<std::size_t>(index));
        ControlMessage parsed;
        QCOMPARE_WIRE(parseControl(g.bytes, parsed), ParseError::None);
        std::array<std::uint8_t, kMaxDatagramBytes> buffer{};
        QCOMPARE(hex(encodeControl(parsed, buffer)), hex(g.bytes));
    }
    void goldenRoundTrips_data() { goldens_data(); }

    void everyTruncationIsRejected() {
        QFETCH(int, index);
        const auto g = golden::messages().at(static_cast<std::size_t>(index));
        for (std::size_t n = 0; n < g.bytes.size(); ++n) {
            // A copy of exactly n bytes, so a read past the end is caught by ASan.
            const Bytes prefix(g.bytes.begin(), g.bytes.begin() + static_cast<std::ptrdiff_t>(n));
            QVERIFY2(parse(prefix) == ParseError::Truncated,
                     qPrintable(QString("prefix of %1 bytes").arg(n)));
        }
    }
    void everyTruncationIsRejected_data() { goldens_data(); }

    void encoderNeedsRoom() {
        QFETCH(int, index);
        const auto g = golden::messages().at(static_cast<std::size_t>(index));
        Bytes exact(g.bytes.size());
        QCOMPARE(encodeControl(g.message, exact).size(), g.bytes.size());
        Bytes small(g.bytes.size() - 1);
        QVERIFY(encodeControl(g.message, small).empty());
        QVERIFY(encodeControl(g.message, {}).empty());
    }
    void encoderNeedsRoom_data() { goldens_data(); }

    void trailingBytesAreRejected() {
        for (const auto& g : golden::messages()) {
            if (typeOf(g.message.body) == MessageType::Hello)
                continue;
            auto longer = g.bytes;
            longer.push_back(0);
            QVERIFY2(parse(longer) == ParseError::TrailingBytes, g.name);
        }
    }

    void oversizedDatagramsAreRejected() {
        for (const auto& g : golden::messages()) {
            auto big = g.bytes;
            big.resize(kMaxDatagramBytes + 1, 0);
            QVERIFY2(parse(big) == ParseError::TooLarge, g.name);
        }
        QCOMPARE_WIRE(parse(Bytes(65536, 0x0D)), ParseError::TooLarge);
    }

    void helloPaddingRules() {
        const auto hello = golden::messages().front().bytes;
        QCOMPARE(hello.size(), kHelloMinBytes);
        auto small = hello;
        small.resize(kHelloMinBytes - 1);
        QCOMPARE_WIRE(parse(small), ParseError::Truncated);
        QCOMPARE_WIRE(parse(fromHex("0D 01 01 00 00000001")), ParseError::Truncated);
        // Padding content is ignored, and any size up to the datagram limit is accepted.
        auto junk = hello;
        for (std::size_t i = kControlHeaderBytes; i < junk.size(); ++i)
            junk[i] = static_cast<std::uint8_t>(i * 7);
        QCOMPARE_WIRE(parse(junk), ParseError::None);
        auto max = hello;
        max.resize(kMaxDatagramBytes, 0xAA);
        QCOMPARE_WIRE(parse(max), ParseError::None);
        // Re-encoding gives the minimal form.
        ControlMessage m;
        QCOMPARE_WIRE(parseControl(max, m), ParseError::None);
        std::array<std::uint8_t, kMaxDatagramBytes> buffer{};
        QCOMPARE(hex(encodeControl(m, buffer)), hex(hello));
    }

    void headerErrors() {
        const auto ping = golden::messages().at(10).bytes;
        QCOMPARE(typeOf(golden::messages().at(10).message.body), MessageType::Ping);
        for (std::uint8_t magic : U8s{0x00, 0x0C, 0x0E, 0x80, 0xFF}) {
            auto b = ping;
            b[0] = magic;
            QCOMPARE_WIRE(parse(b), ParseError::BadMagic);
        }
        QCOMPARE_WIRE(parse(fromHex("80")), ParseError::BadMagic);
        for (std::uint8_t version : U8s{0, 2, 255}) {
            auto b = ping;
            b[1] = version;
            QCOMPARE_WIRE(parse(b), ParseError::UnsupportedVersion);
            b[2] = 99; // version is checked before the type
            QCOMPARE_WIRE(parse(b), ParseError::UnsupportedVersion);
            b[3] = 1; // and before the flags
            QCOMPARE_WIRE(parse(b), ParseError::UnsupportedVersion);
        }
        for (std::uint8_t type : U8s{0, 21, 31, 255}) {
            auto b = ping;
            b[2] = type;
            QCOMPARE_WIRE(parse(b), ParseError::UnknownType);
        }
        for (std::uint8_t flags : U8s{1, 0x80, 0xFF}) {
            auto b = ping;
            b[3] = flags;
            QCOMPARE_WIRE(parse(b), ParseError::BadField);
        }
    }

    void selfStateAllowsOnlyTheMutedFlag() {
        QCOMPARE_WIRE(parse(fromHex("0D 01 0D 00 00000001 00")), ParseError::None);
        QCOMPARE_WIRE(parse(fromHex("0D 01 0D 00 00000001 02")), ParseError::None);
        for (const char* flags : {"01", "04", "80", "FF"})
            QCOMPARE_WIRE(parse(fromHex(std::string("0D 01 0D 00 00000001 ") + flags)),
                          ParseError::BadField);
        std::array<std::uint8_t, 64> buffer{};
        QVERIFY(encodeControl(ControlMessage{1, SelfStateMsg{0x01}}, buffer).empty());
    }

    void peekReadsTheHeaderOnly() {
        std::uint8_t version = 0, type = 0;
        std::uint32_t requestId = 0;
        const auto join = golden::messages().at(4).bytes;
        QVERIFY(peekControlHeader(join, version, type, requestId));
        QCOMPARE(version, 1);
        QCOMPARE(type, 5);
        QCOMPARE(requestId, 3u);
        // A future version with an unknown type and an unknown body: still peekable.
        const auto future = fromHex("0D 02 63 FF | DEADBEEF | 0102");
        QVERIFY(peekControlHeader(future, version, type, requestId));
        QCOMPARE(version, 2);
        QCOMPARE(type, 0x63);
        QCOMPARE(requestId, 0xDEADBEEFu);
        QVERIFY(!peekControlHeader(fromHex("0D 01 09 00 000000"), version, type, requestId));
        QVERIFY(!peekControlHeader(fromHex("0E 01 09 00 00000001"), version, type, requestId));
        QVERIFY(!peekControlHeader({}, version, type, requestId));
    }

    void namesMustBeValid() {
        QCOMPARE_WIRE(parse(joinWith("Bob")), ParseError::None);
        QCOMPARE_WIRE(parse(joinWith("")), ParseError::BadField);
        QCOMPARE_WIRE(parse(joinWith(std::string(kMaxNameBytes, 'x'))), ParseError::None);
        QCOMPARE_WIRE(parse(joinWith(std::string(kMaxNameBytes + 1, 'x'))), ParseError::BadField);
        QCOMPARE_WIRE(parse(rosterWith("")), ParseError::BadField);
        QCOMPARE_WIRE(parse(rosterWith(std::string(kMaxNameBytes + 1, 'x'))), ParseError::BadField);
        for (const auto& bad : kInvalidTexts) {
            QVERIFY2(parse(joinWith(bad)) == ParseError::BadField, qPrintable(hex(textBytes(bad))));
            QVERIFY2(parse(rosterWith(bad)) == ParseError::BadField,
                     qPrintable(hex(textBytes(bad))));
            QVERIFY2(parse(errorWith(bad)) == ParseError::BadField,
                     qPrintable(hex(textBytes(bad))));
        }
        for (const auto& good : kValidTexts) {
            ControlMessage m;
            const auto bytes = joinWith(good); // the parsed name is a view into these bytes
            QCOMPARE_WIRE(parseControl(bytes, m), ParseError::None);
            QCOMPARE_WIRE(std::get<JoinMsg>(m.body).name, std::string_view(good));
            QCOMPARE_WIRE(parse(rosterWith(good)), ParseError::None);
            QCOMPARE_WIRE(parse(errorWith(good)), ParseError::None);
        }
    }

    void streamsMustBeValid() {
        QCOMPARE_WIRE(parse(joinWith("a", streamBytes(kMaxSsrcsPerParticipant))), ParseError::None);
        QCOMPARE_WIRE(parse(joinWith("a", streamBytes(kMaxSsrcsPerParticipant + 1))),
                      ParseError::BadField);
        QCOMPARE_WIRE(parse(joinWith("a", streamBytes(1, 1))), ParseError::None);
        QCOMPARE_WIRE(parse(joinWith("a", streamBytes(1, 2))), ParseError::BadField);
        QCOMPARE_WIRE(parse(joinWith("a", streamBytes(1, 255))), ParseError::BadField);
        QCOMPARE_WIRE(parse(rosterWith("a", streamBytes(kMaxSsrcsPerParticipant + 1))),
                      ParseError::BadField);
        QCOMPARE_WIRE(parse(rosterWith("a", streamBytes(2, 2))), ParseError::BadField);
        // A count that promises more entries than there are bytes is truncation.
        QCOMPARE_WIRE(parse(joinWith("a", fromHex("02 01020304 00 00 0000"))),
                      ParseError::Truncated);
        // An entry without its height (the 6-byte entries before simulcast) is truncation.
        QCOMPARE_WIRE(parse(joinWith("a", fromHex("01 01020304 01 00"))), ParseError::Truncated);
        // Any layer and height value is carried.
        ControlMessage m;
        QCOMPARE_WIRE(parseControl(joinWith("a", fromHex("01 01020304 01 FF FFFF")), m),
                      ParseError::None);
        QCOMPARE(std::get<JoinMsg>(m.body).streams.view()[0].layer, 255);
        QCOMPARE(std::get<JoinMsg>(m.body).streams.view()[0].height, 65535);
    }

    void conferenceIdsHave60Bits() {
        auto join = joinWith("a");
        // conferenceId is at offset 28.
        const auto setId = [](Bytes b, std::string_view idHex) {
            const auto id = fromHex(idHex);
            std::copy(id.begin(), id.end(), b.begin() + 28);
            return b;
        };
        QCOMPARE_WIRE(parse(setId(join, "0FFFFFFFFFFFFFFF")), ParseError::None);
        QCOMPARE_WIRE(parse(setId(join, "1000000000000000")), ParseError::BadField);
        QCOMPARE_WIRE(parse(setId(join, "FFFFFFFFFFFFFFFF")), ParseError::BadField);
        auto created = golden::messages().at(3).bytes;
        created[8] = 0x10;
        QCOMPARE_WIRE(parse(created), ParseError::BadField);
        created[8] = 0x0F;
        QCOMPARE_WIRE(parse(created), ParseError::None);
    }

    void otherForbiddenValues() {
        const auto all = golden::messages();
        const auto with = [&all](std::size_t index, std::size_t offset, std::uint8_t value) {
            auto b = all.at(index).bytes;
            b.at(offset) = value;
            return parse(b);
        };
        // Join: proofFlag 2; no proof but nonzero proof bytes.
        QCOMPARE_WIRE(with(4, 36, 2), ParseError::BadField);
        QCOMPARE_WIRE(with(5, 37, 1), ParseError::BadField);
        // Create/Created/Joined: unknown conference flag bits.
        QCOMPARE_WIRE(with(2, 30, 0x02), ParseError::BadField);
        QCOMPARE_WIRE(with(2, 28, 0x80), ParseError::BadField);
        QCOMPARE_WIRE(with(3, 35, 0x03), ParseError::BadField);
        QCOMPARE_WIRE(with(6, 16, 0x02), ParseError::BadField);
        QCOMPARE_WIRE(with(6, 16, 0x00), ParseError::None);
        // Joined: role 2.
        QCOMPARE_WIRE(with(6, 12, 2), ParseError::BadField);
        // Roster: op 0 and 3, reserved participant flags, remove with a name or streams.
        QCOMPARE_WIRE(with(7, 12, 0), ParseError::BadField);
        QCOMPARE_WIRE(with(7, 12, 3), ParseError::BadField);
        QCOMPARE_WIRE(with(7, 17, 0x10), ParseError::BadField);
        QCOMPARE_WIRE(with(7, 17, 0x80), ParseError::BadField);
        // Roster Conference: a participant ID, unknown conference flags, a name.
        QCOMPARE_WIRE(
            parse(fromHex("0D 01 07 00 | 00000012 | 00000003 | 03 | 00000001 | 01 | 00 | 00")),
            ParseError::BadField);
        QCOMPARE_WIRE(
            parse(fromHex("0D 01 07 00 | 00000012 | 00000003 | 03 | 00000000 | 02 | 00 | 00")),
            ParseError::BadField);
        QCOMPARE_WIRE(
            parse(fromHex("0D 01 07 00 | 00000012 | 00000003 | 03 | 00000000 | 01 | 01 61 | 00")),
            ParseError::BadField);
        // SetPrivateView: only 0 or 1.
        QCOMPARE_WIRE(parse(fromHex("0D 01 0E 00 | 00000023 | 02")), ParseError::BadField);
        QCOMPARE_WIRE(parse(fromHex("0D 01 0E 00 | 00000023")), ParseError::Truncated);
        QCOMPARE_WIRE(parse(fromHex("0D 01 0E 00 | 00000023 | 00 00")), ParseError::TrailingBytes);
        // RemoveParticipant and MuteParticipant: participant 0 does not exist; modes 0..2.
        QCOMPARE_WIRE(parse(fromHex("0D 01 0F 00 | 00000024 | 00000000")), ParseError::BadField);
        QCOMPARE_WIRE(parse(fromHex("0D 01 0F 00 | 00000024 | 000007")), ParseError::Truncated);
        QCOMPARE_WIRE(parse(fromHex("0D 01 10 00 | 00000025 | 00000007 | 03")),
                      ParseError::BadField);
        QCOMPARE_WIRE(parse(fromHex("0D 01 10 00 | 00000025 | 00000000 | 01")),
                      ParseError::BadField);
        QCOMPARE_WIRE(parse(fromHex("0D 01 10 00 | 00000025 | 00000007")), ParseError::Truncated);
        QCOMPARE_WIRE(parse(fromHex("0D 01 10 00 | 00000025 | 00000007 | 00 | 00")),
                      ParseError::TrailingBytes);
        QCOMPARE_WIRE(parse(fromHex("0D 01 10 00 | 00000025 | 00000007 | 00")), ParseError::None);
        // Roster flags: bits 0..3 are known (admin, muted, muted by admin, may not unmute).
        QCOMPARE_WIRE(with(7, 17, 0x0F), ParseError::None);
        QCOMPARE_WIRE(with(8, 12, 1), ParseError::BadField); // upsert with an empty name
        QCOMPARE_WIRE(
            parse(fromHex("0D 01 07 00 | 00000011 | 00000002 | 02 | 00000009 | 00 | 01 61 | 00")),
            ParseError::BadField);
        QCOMPARE_WIRE(parse(fromHex("0D 01 07 00 | 00000011 | 00000002 | 02 | 00000009 | 00 | 00 |"
                                    "01 01020304 00 00 0000")),
                      ParseError::BadField);
        // Error: code 0; reason longer than 200; unknown codes and request types are carried.
        QCOMPARE_WIRE(with(13, 9, 0), ParseError::BadField);
        QCOMPARE_WIRE(parse(errorWith(std::string(kMaxReasonBytes, 'r'))), ParseError::None);
        QCOMPARE_WIRE(parse(errorWith(std::string(kMaxReasonBytes + 1, 'r'))),
                      ParseError::BadField);
        ControlMessage m;
        QCOMPARE_WIRE(parseControl(fromHex("0D 01 0C 00 | 00000003 | 7FFF | 63 | 00"), m),
                      ParseError::None);
        QCOMPARE(static_cast<int>(std::get<ErrorMsg>(m.body).code), 0x7FFF);
        QCOMPARE(static_cast<int>(std::get<ErrorMsg>(m.body).requestType), 0x63);
        QCOMPARE_WIRE(toString(std::get<ErrorMsg>(m.body).code), std::string_view("unknown"));
    }

    void encoderRefusesInvalidFields() {
        std::array<std::uint8_t, kMaxDatagramBytes> buffer{};
        const auto encodes = [&buffer](ControlBody body) {
            return !encodeControl(ControlMessage{1, std::move(body)}, buffer).empty();
        };
        JoinMsg join;
        join.name = "a";
        QVERIFY(encodes(join));
        join.name = "";
        QVERIFY(!encodes(join));
        const std::string longName(kMaxNameBytes + 1, 'x');
        join.name = longName;
        QVERIFY(!encodes(join));
        for (const auto& bad : kInvalidTexts) {
            join.name = bad;
            QVERIFY(!encodes(join));
        }
        join.name = "a";
        join.streams.count = kMaxSsrcsPerParticipant + 1;
        QVERIFY(!encodes(join));
        join.streams.count = 1;
        join.streams.items[0].kind = static_cast<MediaKind>(2);
        QVERIFY(!encodes(join));
        join.streams.items[0].kind = MediaKind::Video;
        join.conferenceId = std::uint64_t{1} << 60;
        QVERIFY(!encodes(join));
        join.conferenceId = (std::uint64_t{1} << 60) - 1;
        QVERIFY(encodes(join));

        const std::string longReason(kMaxReasonBytes + 1, 'r');
        QVERIFY(!encodes(ErrorMsg{ErrorCode::Malformed, MessageType::Join, longReason}));
        QVERIFY(!encodes(ErrorMsg{ErrorCode::Malformed, MessageType::Join, "a\nb"}));
        QVERIFY(!encodes(ErrorMsg{static_cast<ErrorCode>(0), MessageType::Join, ""}));
        QVERIFY(encodes(ErrorMsg{ErrorCode::Malformed, MessageType::Join, ""}));

        RosterMsg roster;
        roster.op = RosterOp::Remove;
        QVERIFY(encodes(roster));
        roster.name = "a";
        QVERIFY(!encodes(roster)); // remove carries no name
        roster.op = RosterOp::Upsert;
        QVERIFY(encodes(roster));
        roster.flags = 0x10;
        QVERIFY(!encodes(roster));
        roster.flags = 0;
        roster.op = static_cast<RosterOp>(3);
        QVERIFY(!encodes(roster));

        QVERIFY(!encodes(CreateMsg{{}, 0x2}));
        QVERIFY(!encodes(CreatedMsg{std::uint64_t{1} << 60, {}, 0}));
        QVERIFY(!encodes(JoinedMsg{1, static_cast<Role>(2), 0, 1000, 10000}));

        // Without a proof the proof field is sent as zeros, whatever the struct holds.
        JoinMsg noProof;
        noProof.name = "a";
        noProof.adminProof.fill(0xEE);
        const auto bytes = encodeControl(ControlMessage{1, noProof}, buffer);
        QCOMPARE_WIRE(parse(bytes), ParseError::None);
        QCOMPARE(bytes[36], 0);
        QCOMPARE(bytes[37], 0);
    }

    void errorLimitedNeverExceedsMaxBytes() {
        // Two-, three- and four-byte characters, so that most cuts fall inside a character.
        const std::string reason = "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80 "
                                   "r\xC3\xA9"
                                   "clam\xC3\xA9 \xE2\x82\xAC\xE2\x82\xAC";
        QVERIFY(isValidWireText(reason));
        const ErrorMsg error{ErrorCode::Malformed, MessageType::Hello, reason};
        std::array<std::uint8_t, kMaxDatagramBytes> buffer{};
        for (std::size_t maxBytes = 0; maxBytes <= 64; ++maxBytes) {
            const auto out = encodeErrorLimited(77, error, maxBytes, buffer);
            if (maxBytes < 12) {
                QVERIFY(out.empty());
                continue;
            }
            QVERIFY(!out.empty());
            QVERIFY(out.size() <= maxBytes);
            ControlMessage m;
            QCOMPARE_WIRE(parseControl(out, m), ParseError::None);
            QCOMPARE(m.requestId, 77u);
            const auto& e = std::get<ErrorMsg>(m.body);
            QCOMPARE_WIRE(e.code, ErrorCode::Malformed);
            QCOMPARE(e.requestType, MessageType::Hello);
            QVERIFY(isValidWireText(e.reason));
            QVERIFY(std::string_view(reason).starts_with(e.reason));
            // The cut is the longest that fits: at most 3 bytes of a character are dropped.
            QVERIFY(e.reason.size() == reason.size() || out.size() + 3 >= maxBytes);
        }
        // A smaller buffer than maxBytes also bounds the output.
        std::array<std::uint8_t, 20> small{};
        const auto out = encodeErrorLimited(1, error, 1000, small);
        QVERIFY(!out.empty() && out.size() <= small.size());
        // A reason longer than kMaxReasonBytes is cut to it.
        std::string longReason;
        while (longReason.size() < 300)
            longReason += "\xE6\x97\xA5";
        const auto capped =
            encodeErrorLimited(1, ErrorMsg{ErrorCode::Internal, MessageType::Join, longReason},
                               kMaxDatagramBytes, buffer);
        ControlMessage m;
        QCOMPARE_WIRE(parseControl(capped, m), ParseError::None);
        QCOMPARE(std::get<ErrorMsg>(m.body).reason.size(), std::size_t{198}); // 66 characters
        // Invalid reasons are refused rather than sent.
        QVERIFY(encodeErrorLimited(1, ErrorMsg{ErrorCode::Internal, MessageType::Join, "\x01"}, 100,
                                   buffer)
                    .empty());
    }

    void utf8PrefixCutsAtBoundaries() {
        const std::string s = "a\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80"; // 1 + 2 + 3 + 4 bytes
        const std::vector<std::size_t> expected = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 10};
        for (std::size_t max = 0; max < expected.size(); ++max)
            QCOMPARE(utf8PrefixBytes(s, max), expected[max]);
        QCOMPARE(utf8PrefixBytes("", 5), std::size_t{0});
    }

    void typeOfAndToString() {
        const auto all = golden::messages();
        for (const auto& g : all)
            QCOMPARE(static_cast<int>(typeOf(g.message.body)), static_cast<int>(g.bytes[2]));
        std::set<std::string_view> names;
        for (int e = 0; e < static_cast<int>(kParseErrorCount); ++e)
            names.insert(toString(static_cast<ParseError>(e)));
        QCOMPARE(names.size(), kParseErrorCount);
        QVERIFY(!names.contains("unknown"));
        names.clear();
        for (int c = 1; c <= 10; ++c)
            names.insert(toString(static_cast<ErrorCode>(c)));
        QCOMPARE(names.size(), std::size_t{10});
        QVERIFY(!names.contains("unknown"));
        QCOMPARE_WIRE(toString(ErrorCode::BadCookie), std::string_view("bad_cookie"));
    }
};

QTEST_APPLESS_MAIN(TestControl)
#include "TestControl.moc"
