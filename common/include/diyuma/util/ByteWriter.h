#pragma once
// Bounds-checked writer into a caller-owned buffer. A write that does not fit sets a
// sticky failure flag and writes nothing; written() returns the part that was filled.
// Thread: any; the writer does not own the buffer.

#include "diyuma/util/BigEndian.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace diyuma::core {

class ByteWriter {
public:
    explicit ByteWriter(std::span<std::uint8_t> buffer) : m_buffer(buffer) {}

    [[nodiscard]] bool ok() const { return m_ok; }
    [[nodiscard]] std::size_t size() const { return m_pos; }
    [[nodiscard]] std::size_t remaining() const { return m_buffer.size() - m_pos; }
    /// The filled part of the buffer; empty if any write failed.
    [[nodiscard]] std::span<std::uint8_t> written() const {
        return m_ok ? m_buffer.first(m_pos) : std::span<std::uint8_t>{};
    }

    void u8(std::uint8_t v) {
        if (auto b = take(1); !b.empty())
            b[0] = v;
    }
    void u16(std::uint16_t v) {
        if (auto b = take(2); !b.empty())
            be::store16(b.first<2>(), v);
    }
    void u32(std::uint32_t v) {
        if (auto b = take(4); !b.empty())
            be::store32(b.first<4>(), v);
    }
    void u64(std::uint64_t v) {
        if (auto b = take(8); !b.empty())
            be::store64(b.first<8>(), v);
    }
    void bytes(std::span<const std::uint8_t> v) {
        if (auto b = take(v.size()); !b.empty())
            std::copy(v.begin(), v.end(), b.begin());
    }
    void text(std::string_view v) {
        bytes({reinterpret_cast<const std::uint8_t*>(v.data()), v.size()});
    }
    void zeros(std::size_t n) {
        if (auto b = take(n); !b.empty())
            std::fill(b.begin(), b.end(), std::uint8_t{0});
    }
    /// Reserves n bytes to be filled later (e.g. a length or a MAC); empty on failure.
    [[nodiscard]] std::span<std::uint8_t> reserve(std::size_t n) { return take(n); }

private:
    std::span<std::uint8_t> take(std::size_t n) {
        if (!m_ok || n > m_buffer.size() - m_pos) {
            m_ok = false;
            return {};
        }
        auto out = m_buffer.subspan(m_pos, n);
        m_pos += n;
        return out;
    }

    std::span<std::uint8_t> m_buffer;
    std::size_t m_pos = 0;
    bool m_ok = true;
};

} // namespace diyuma::core
