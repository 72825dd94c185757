#include "diyuma/crypto/Hmac.h"
#include "diyuma/crypto/Random.h"

#include <QtTest/QtTest>

#include <string_view>

using namespace diyuma::core;

namespace {
std::span<const std::uint8_t> bytesOf(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
QByteArray hex(std::span<const std::uint8_t> b) {
    return QByteArray(reinterpret_cast<const char*>(b.data()), static_cast<qsizetype>(b.size()))
        .toHex();
}
} // namespace

class TestCrypto : public QObject {
    Q_OBJECT
private slots:
    void hmacMatchesRfc4231() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        auto d = hmacSha256(bytesOf("Jefe"), {bytesOf("what do ya want "), bytesOf("for nothing?")});
        QCOMPARE(hex(d), QByteArray("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
    }
    void constantTimeCompare() {
        std::uint8_t a[] = {1, 2, 3};
        std::uint8_t b[] = {1, 2, 3};
        std::uint8_t c[] = {1, 2, 4};
        QVERIFY(constantTimeEqual(a, b));
        QVERIFY(!constantTimeEqual(a, c));
        QVERIFY(!constantTimeEqual(a, std::span<const std::uint8_t>(b, 2)));
    }
    void adminProofDependsOnEveryInput() {
        wire::AdminSecret secret{};
        secret.fill(7);
        wire::Cookie cookie{};
        cookie.fill(9);
        auto verifier = adminVerifier(secret);
        auto proof = adminProof(verifier, cookie, 42);
        QVERIFY(proof == adminProof(verifier, cookie, 42));
        QVERIFY(proof != adminProof(verifier, cookie, 43));
        auto otherCookie = cookie;
        otherCookie[0] ^= 1;
        QVERIFY(proof != adminProof(verifier, otherCookie, 42));
        auto otherSecret = secret;
        otherSecret[15] ^= 1;
        QVERIFY(proof != adminProof(adminVerifier(otherSecret), cookie, 42));
        // The verifier is not the secret itself.
        QVERIFY(!std::equal(secret.begin(), secret.end(), verifier.begin()));
    }
    void randomBytesAreRandom() {
        std::array<std::uint8_t, 32> a{}, b{};
        QVERIFY(randomBytes(a));
        QVERIFY(randomBytes(b));
        QVERIFY(a != b);
        QVERIFY(randomU64() != randomU64());
    }
};

QTEST_APPLESS_MAIN(TestCrypto)
#include "TestCrypto.moc"
