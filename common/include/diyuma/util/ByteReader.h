#pragma once
// Bounds-checked reader over untrusted bytes. Every read checks the remaining length
// (as `n > remaining`, so an untrusted n cannot overflow); the first failed read sets a
// sticky flag, later reads return zeros, and the caller checks ok() once at the end.
// Thread: any; the reader does not own the bytes.

#include "diyuma/util/BigEndian.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace diyuma::core {

class ByteReader {
public:
    explicit ByteReader(std::span<const std::uint8_t> bytes) : m_bytes(bytes) {}

    [[nodiscard]] bool ok() const { return m_ok; }
    [[nodiscard]] std::size_t remaining() const { return m_ok ? m_bytes.size() - m_pos : 0; }
    [[nodiscard]] std::size_t position() const { return m_pos; }
    [[nodiscard]] bool atEnd() const { return m_ok && m_pos == m_bytes.size(); }

    [[nodiscard]] std::uint8_t u8() {
        auto b = take(1);
        return b.empty() ? 0 : b[0];
    }
    [[nodiscard]] std::uint16_t u16() {
        auto b = take(2);
        return b.empty() ? 0 : be::load16(b.first<2>());
    }
    [[nodiscard]] std::uint32_t u32() {
        auto b = take(4);
        return b.empty() ? 0 : be::load32(b.first<4>());
    }
    [[nodiscard]] std::uint64_t u64() {
        auto b = take(8);
        return b.empty() ? 0 : be::load64(b.first<8>());
    }
    /// Returns the next n bytes (a view into the input), or an empty span and a failure.
    [[nodiscard]] std::span<const std::uint8_t> bytes(std::size_t n) { return take(n); }
    /// The next n bytes as text (not validated as UTF-8 here).
    [[nodiscard]] std::string_view text(std::size_t n) {
        auto b = take(n);
        return {reinterpret_cast<const char*>(b.data()), b.size()};
    }
    /// Everything that is left.
    [[nodiscard]] std::span<const std::uint8_t> rest() { return take(remaining()); }
    void skip(std::size_t n) { (void)take(n); }
    /// Marks the read as failed (for semantic checks made by the caller).
    void fail() { m_ok = false; }

private:
    std::span<const std::uint8_t> take(std::size_t n) {
        if (!m_ok || n > m_bytes.size() - m_pos) {
            m_ok = false;
            return {};
        }
        auto out = m_bytes.subspan(m_pos, n);
        m_pos += n;
        return out;
    }

    std::span<const std::uint8_t> m_bytes;
    std::size_t m_pos = 0;
    bool m_ok = true;
};

} // namespace diyuma::core
