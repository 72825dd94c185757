#include "diyuma/id/ConferenceId.h"
#include "diyuma/id/InviteLink.h"

#include <QtTest/QtTest>

#include <set>

using namespace diyuma::core;

class TestIdsAndLinks : public QObject {
    Q_OBJECT
private slots:
    void idFormatsInThreeGroups() {
        ConferenceId id(0x0123456789ABCDEFull);
        QCOMPARE(QString::fromStdString(id.toString()).size(), 14);
        QCOMPARE(id.toString().at(4), '-');
        QCOMPARE(id.toString().at(9), '-');
        QCOMPARE(id.value(), 0x0123456789ABCDEFull & ConferenceId::kMask);
        QCOMPARE(ConferenceId(0).toString(), std::string("0000-0000-0000"));
        QCOMPARE(ConferenceId(ConferenceId::kMask).toString(), std::string("ZZZZ-ZZZZ-ZZZZ"));
    }
    void idRoundTripsRandom() {
        std::set<std::uint64_t> seen;
        for (int i = 0; i < 1000; ++i) {
            auto id = ConferenceId::random();
            QVERIFY(id.value() <= ConferenceId::kMask);
            seen.insert(id.value());
            auto parsed = ConferenceId::parse(id.toString());
            QVERIFY(parsed);
            QCOMPARE(parsed->value(), id.value());
        }
        QCOMPARE(seen.size(), std::size_t{1000}); // 60 random bits: no collisions in 1000
    }
    void idParsingIsForgiving() {
        auto id = ConferenceId::parse("7HKQ-2M9X-4DRA");
        QVERIFY(id);
        QCOMPARE(ConferenceId::parse("7hkq-2m9x-4dra")->value(), id->value());
        QCOMPARE(ConferenceId::parse("  7HKQ2M9X4DRA \n")->value(), id->value());
        QCOMPARE(ConferenceId::parse("7HKQ 2M9X 4DRA")->value(), id->value());
        // Look-alikes: O is 0, I and L are 1.
        QCOMPARE(ConferenceId::parse("OOOO-IIII-LLLL")->value(),
                 ConferenceId::parse("0000-1111-1111")->value());
    }
    void idRejectsBadText() {
        QVERIFY(!ConferenceId::parse(""));
        QVERIFY(!ConferenceId::parse("7HKQ-2M9X-4DR"));    // 11 chars
        QVERIFY(!ConferenceId::parse("7HKQ-2M9X-4DRAA"));  // 13 chars
        QVERIFY(!ConferenceId::parse("7HKQ-2M9X-4DRU"));   // U is not Crockford
        QVERIFY(!ConferenceId::parse("7HKQ_2M9X_4DRA"));   // underscore
        QVERIFY(!ConferenceId::parse("7HKQ-2M9X-4DR\xC3\xA9"));
    }
    void base32SecretsRoundTrip() {
        wire::AdminSecret secret{};
        for (std::size_t i = 0; i < secret.size(); ++i)
            secret[i] = static_cast<std::uint8_t>(i * 37 + 5);
        auto text = base32Encode(secret);
        QCOMPARE(text.size(), std::size_t{26});
        wire::AdminSecret back{};
        QVERIFY(base32Decode(text, back));
        QVERIFY(back == secret);
        // Lower case decodes too; a wrong length or a bad character does not.
        std::string lower = text;
        for (auto& c : lower)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        QVERIFY(base32Decode(lower, back));
        QVERIFY(!base32Decode(text.substr(0, 25), back));
        QVERIFY(!base32Decode(text + "0", back));
        text[3] = 'U';
        QVERIFY(!base32Decode(text, back));
        // Non-zero unused trailing bits are not a canonical spelling.
        std::string nonCanonical = base32Encode(secret);
        nonCanonical.back() = 'Z';
        QVERIFY(!base32Decode(nonCanonical, back));
    }
    void relayAddresses() {
        auto a = parseRelayAddress("relay.example.org:5000");
        QVERIFY(a);
        QCOMPARE(a->host, std::string("relay.example.org"));
        QCOMPARE(a->port, std::uint16_t{5000});
        QCOMPARE(parseRelayAddress("10.0.0.1")->port, kDefaultRelayPort);
        auto v6 = parseRelayAddress("[::1]:47401");
        QVERIFY(v6);
        QCOMPARE(v6->host, std::string("::1"));
        QCOMPARE(v6->toString(), std::string("[::1]:47401"));
        QCOMPARE(parseRelayAddress("[fe80::1]")->port, kDefaultRelayPort);
        QVERIFY(!parseRelayAddress(""));
        QVERIFY(!parseRelayAddress("host:"));
        QVERIFY(!parseRelayAddress("host:0"));
        QVERIFY(!parseRelayAddress("host:65536"));
        QVERIFY(!parseRelayAddress("host:12x"));
        QVERIFY(!parseRelayAddress("::1:47400"));
        QVERIFY(!parseRelayAddress("[::1"));
        QVERIFY(!parseRelayAddress("bad host:1"));
    }
    void invitesFromIdsAndLinks() {
        RelayAddress fallback{"127.0.0.1", 47400};
        auto bare = parseInvite("  7hkq-2m9x-4dra\n", fallback);
        QVERIFY(bare);
        QCOMPARE(bare->relay, fallback);
        QCOMPARE(bare->id.toString(), std::string("7HKQ-2M9X-4DRA"));
        QVERIFY(!bare->adminSecret);

        auto link = parseInvite("\tdiyuma://relay.example.org:5000/7HKQ-2M9X-4DRA  ", fallback);
        QVERIFY(link);
        QCOMPARE(link->relay.host, std::string("relay.example.org"));
        QCOMPARE(link->relay.port, std::uint16_t{5000});
        QCOMPARE(link->link(), std::string("diyuma://relay.example.org:5000/7HKQ-2M9X-4DRA"));

        auto withFragment = parseInvite("DIYUMA://[::1]:9/7HKQ-2M9X-4DRA/#somekey", fallback);
        QVERIFY(withFragment);
        QCOMPARE(withFragment->relay.host, std::string("::1"));
        QCOMPARE(withFragment->link(), std::string("diyuma://[::1]:9/7HKQ-2M9X-4DRA"));
    }
    void adminLinksRoundTrip() {
        Invite invite;
        invite.relay = {"127.0.0.1", 40000};
        invite.id = ConferenceId::random();
        wire::AdminSecret secret{};
        secret.fill(0xA5);
        invite.adminSecret = secret;
        auto parsed = parseInvite(invite.adminLink(), {});
        QVERIFY(parsed);
        QVERIFY(parsed->adminSecret);
        QVERIFY(*parsed->adminSecret == secret);
        QCOMPARE(parsed->id, invite.id);
        QCOMPARE(parsed->link(), invite.link());
        QVERIFY(invite.adminLink().starts_with(invite.link() + "?admin="));
    }
    void invitesRejectBadInputWithReasons() {
        RelayAddress fallback;
        auto check = [&](std::string_view text, InviteError code) {
            auto r = parseInvite(text, fallback);
            QVERIFY2(!r, std::string(text).c_str());
            QCOMPARE(r.error().code, static_cast<int>(code));
            QVERIFY(!r.error().message.empty());
        };
        check("", InviteError::Empty);
        check("   ", InviteError::Empty);
        check("https://example.org/7HKQ-2M9X-4DRA", InviteError::BadScheme);
        check("diyuma://host:1", InviteError::BadId);
        check("diyuma://host:1/", InviteError::BadId);
        check("diyuma://host:1/NOTANID", InviteError::BadId);
        check("diyuma://:1/7HKQ-2M9X-4DRA", InviteError::BadAddress);
        check("diyuma://host:99999/7HKQ-2M9X-4DRA", InviteError::BadAddress);
        check("diyuma://host:1/7HKQ-2M9X-4DRA?admin=XYZ", InviteError::BadAdminSecret);
        check("hello world", InviteError::BadId);
    }
};

QTEST_APPLESS_MAIN(TestIdsAndLinks)
#include "TestIdsAndLinks.moc"
