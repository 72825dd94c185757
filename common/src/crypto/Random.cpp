#include "diyuma/crypto/Random.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

namespace diyuma::core {

bool randomBytes(std::span<std::uint8_t> out) {
    if (out.empty())
        return true;
    return RAND_bytes(out.data(), static_cast<int>(out.size())) == 1;
}

namespace {
template <typename T>
T randomValue() {
    std::uint8_t bytes[sizeof(T)];
    if (!randomBytes(bytes)) {
        // Without randomness neither IDs nor secrets can be made safely; this only happens on
        // a broken system, so stop rather than hand out predictable values.
        std::fputs("diyuma: fatal: the system's random number generator failed\n", stderr);
        std::abort();
    }
    T value = 0;
    for (std::uint8_t b : bytes)
        value = static_cast<T>((value << 8) | b);
    return value;
}
} // namespace

std::uint32_t randomU32() { return randomValue<std::uint32_t>(); }
std::uint64_t randomU64() { return randomValue<std::uint64_t>(); }

} // namespace diyuma::core
