#include "diyuma/wire/Text.h"

#include <cstdint>

namespace diyuma::core::wire {

namespace {

bool isContinuation(std::uint8_t b) {
    return (b & 0xC0) == 0x80;
}

} // namespace

// A table-free decoder following RFC 3629 section 4 (the UTF8-octets ABNF): the allowed
// range of the second byte depends on the first, which rules out overlong forms
// (E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code points above U+10FFFF (F4 90..).
bool isValidWireText(std::string_view text) {
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        const auto b0 = static_cast<std::uint8_t>(text[i]);
        if (b0 < 0x80) {
            if (b0 < 0x20 || b0 == 0x7F)
                return false;
            ++i;
            continue;
        }
        std::size_t length = 0;
        std::uint8_t lo = 0x80;
        std::uint8_t hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            length = 2;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            length = 3;
            if (b0 == 0xE0)
                lo = 0xA0;
            else if (b0 == 0xED)
                hi = 0x9F;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            length = 4;
            if (b0 == 0xF0)
                lo = 0x90;
            else if (b0 == 0xF4)
                hi = 0x8F;
        } else {
            return false; // 80..C1 (continuation or overlong lead) and F5..FF never start one
        }
        if (length - 1 > n - i - 1)
            return false;
        const auto b1 = static_cast<std::uint8_t>(text[i + 1]);
        if (b1 < lo || b1 > hi)
            return false;
        for (std::size_t k = 2; k < length; ++k) {
            if (!isContinuation(static_cast<std::uint8_t>(text[i + k])))
                return false;
        }
        // U+0080..U+009F (C1 controls) are allowed: RFC 3629 permits them and the protocol
        // only bans C0 and DEL, which are the ones that break terminals and log lines.
        i += length;
    }
    return true;
}

std::size_t utf8PrefixBytes(std::string_view text, std::size_t maxBytes) {
    if (text.size() <= maxBytes)
        return text.size();
    std::size_t cut = maxBytes;
    // Step back over continuation bytes so the cut falls before a lead byte. A valid
    // sequence is at most 4 bytes, so at most 3 steps are needed; invalid input can
    // only make the prefix shorter, never longer than maxBytes.
    for (int steps = 0; steps < 3 && cut > 0; ++steps) {
        if (!isContinuation(static_cast<std::uint8_t>(text[cut])))
            break;
        --cut;
    }
    if (cut > 0 && isContinuation(static_cast<std::uint8_t>(text[cut])))
        return 0; // not UTF-8 at all around the cut; give the caller nothing rather than junk
    return cut;
}

} // namespace diyuma::core::wire
