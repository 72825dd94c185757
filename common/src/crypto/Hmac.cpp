#include "diyuma/crypto/Hmac.h"

#include "diyuma/util/BigEndian.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <memory>
#include <string_view>

namespace diyuma::core {

namespace {
std::span<const std::uint8_t> asBytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

struct MacDeleter {
    void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
    void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
} // namespace

Sha256Digest hmacSha256(std::span<const std::uint8_t> key,
                        std::initializer_list<std::span<const std::uint8_t>> parts) {
    // The MAC algorithm object is fetched once; contexts are per call (thread-safe).
    static const std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    Sha256Digest digest{};
    std::unique_ptr<EVP_MAC_CTX, MacDeleter> ctx(EVP_MAC_CTX_new(mac.get()));
    char digestName[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string("digest", digestName, 0),
        OSSL_PARAM_construct_end(),
    };
    // An empty key is legal for HMAC, but OpenSSL wants a non-null pointer.
    static const std::uint8_t kEmpty = 0;
    bool ok = ctx && EVP_MAC_init(ctx.get(), key.empty() ? &kEmpty : key.data(), key.size(),
                                  params) == 1;
    for (auto part : parts)
        ok = ok && EVP_MAC_update(ctx.get(), part.data(), part.size()) == 1;
    std::size_t outLen = 0;
    ok = ok && EVP_MAC_final(ctx.get(), digest.data(), &outLen, digest.size()) == 1;
    if (!ok || outLen != digest.size()) {
        // Only a broken OpenSSL gets here; a zero digest never matches a real one because
        // every comparison is against a digest computed the same way, so fail loudly instead.
        std::abort();
    }
    return digest;
}

bool constantTimeEqual(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Sha256Digest adminVerifier(const wire::AdminSecret& secret) {
    return hmacSha256(secret, {asBytes("diyuma-admin-verifier-v1")});
}

wire::AdminProof adminProof(const Sha256Digest& verifier, const wire::Cookie& cookie,
                            std::uint64_t conferenceId) {
    std::uint8_t id[8];
    be::store64(id, conferenceId);
    return hmacSha256(verifier, {asBytes("diyuma-admin-proof-v1"), cookie, id});
}

} // namespace diyuma::core
