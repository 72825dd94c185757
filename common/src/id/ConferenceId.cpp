#include "diyuma/id/ConferenceId.h"

#include "diyuma/crypto/Random.h"

namespace diyuma::core {

namespace {
constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr int kIdChars = 12; // 60 bits / 5
constexpr int kGroupChars = 4;

/// Crockford decoding: case-insensitive, O->0, I/L->1; -1 for anything else (U included).
int decodeChar(char c) {
    if (c >= 'a' && c <= 'z')
        c = static_cast<char>(c - 'a' + 'A');
    if (c == 'O')
        c = '0';
    if (c == 'I' || c == 'L')
        c = '1';
    auto pos = kAlphabet.find(c);
    return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
} // namespace

ConferenceId ConferenceId::random() { return ConferenceId(randomU64()); }

std::optional<ConferenceId> ConferenceId::parse(std::string_view text) {
    while (!text.empty() && isSpace(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && isSpace(text.back()))
        text.remove_suffix(1);
    std::uint64_t value = 0;
    int digits = 0;
    for (char c : text) {
        if (c == '-' || c == ' ')
            continue;
        int v = decodeChar(c);
        if (v < 0 || digits == kIdChars)
            return std::nullopt;
        value = (value << 5) | static_cast<std::uint64_t>(v);
        ++digits;
    }
    if (digits != kIdChars)
        return std::nullopt;
    return ConferenceId(value);
}

std::string ConferenceId::toString() const {
    std::string out;
    out.reserve(kIdChars + 2);
    for (int i = 0; i < kIdChars; ++i) {
        if (i > 0 && i % kGroupChars == 0)
            out.push_back('-');
        int shift = 5 * (kIdChars - 1 - i);
        out.push_back(kAlphabet[(m_value >> shift) & 31]);
    }
    return out;
}

std::string base32Encode(std::span<const std::uint8_t> bytes) {
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (std::uint8_t b : bytes) {
        buffer = (buffer << 8) | b;
        bits += 8;
        while (bits >= 5) {
            out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
            bits -= 5;
        }
    }
    if (bits > 0)
        out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
    return out;
}

bool base32Decode(std::string_view text, std::span<std::uint8_t> out) {
    if (text.size() != (out.size() * 8 + 4) / 5)
        return false;
    std::uint32_t buffer = 0;
    int bits = 0;
    std::size_t pos = 0;
    for (char c : text) {
        int v = decodeChar(c);
        if (v < 0)
            return false;
        buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
        bits += 5;
        if (bits >= 8) {
            out[pos++] = static_cast<std::uint8_t>(buffer >> (bits - 8));
            bits -= 8;
        }
        buffer &= (1u << bits) - 1;
    }
    // The unused low bits of the last character must be zero (one canonical spelling).
    return pos == out.size() && buffer == 0;
}

} // namespace diyuma::core
