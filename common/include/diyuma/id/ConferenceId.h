#pragma once
// Conference IDs: 60 random bits from the CSPRNG, written as 12 Crockford base32 characters
// in three groups, e.g. "7HKQ-2M9X-4DRA". Parsing is case-insensitive, ignores '-' and
// spaces between groups, and accepts the usual look-alikes (O->0, I/L->1).
// Thread: any.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace diyuma::core {

class ConferenceId {
public:
    static constexpr int kBits = 60;
    static constexpr std::uint64_t kMask = (std::uint64_t{1} << kBits) - 1;

    ConferenceId() = default;
    /// Wraps a raw value; bits above kBits are dropped.
    explicit ConferenceId(std::uint64_t value) : m_value(value & kMask) {}

    /// A new random ID (aborts only if the CSPRNG is broken).
    [[nodiscard]] static ConferenceId random();
    /// Parses typed or pasted text; nullopt if it is not exactly 12 base32 characters.
    [[nodiscard]] static std::optional<ConferenceId> parse(std::string_view text);

    [[nodiscard]] std::uint64_t value() const { return m_value; }
    /// "XXXX-XXXX-XXXX", upper case.
    [[nodiscard]] std::string toString() const;

    bool operator==(const ConferenceId&) const = default;

private:
    std::uint64_t m_value = 0;
};

/// Crockford base32 without groups, for secrets in links (upper case). decode returns false
/// on a character outside the alphabet or a length that does not give exactly out.size()
/// bytes.
[[nodiscard]] std::string base32Encode(std::span<const std::uint8_t> bytes);
[[nodiscard]] bool base32Decode(std::string_view text, std::span<std::uint8_t> out);

} // namespace diyuma::core
