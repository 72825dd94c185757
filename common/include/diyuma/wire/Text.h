#pragma once
// Text fields of control messages (display names, error reasons): UTF-8 as RFC 3629 defines
// it (no overlong forms, no surrogates, nothing above U+10FFFF) and no control characters
// (U+0000..U+001F and U+007F), so a name can be shown and logged as it is.
// Thread: pure, any thread.

#include <cstddef>
#include <string_view>

namespace diyuma::core::wire {

/// True if `text` is valid UTF-8 without control characters (the empty string is valid;
/// callers check their own length limits).
[[nodiscard]] bool isValidWireText(std::string_view text);

/// The length in bytes of the longest prefix of `text` that is at most maxBytes long and
/// does not end inside a multi-byte UTF-8 sequence. `text` should be valid UTF-8; for
/// invalid input the result is still <= maxBytes and <= text.size().
[[nodiscard]] std::size_t utf8PrefixBytes(std::string_view text, std::size_t maxBytes);

} // namespace diyuma::core::wire
