#pragma once
// Expected-like result for the core and hot paths, which do not throw.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace diyuma::core {

/// An error: a machine-readable code (an enum class of the caller's module, stored as int)
/// and a human-readable message.
struct Error {
    int code = 0;
    std::string message;
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_v(std::move(value)) {}
    Result(Error error) : m_v(std::move(error)) {}

    [[nodiscard]] bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }
    [[nodiscard]] T& value() {
        assert(ok());
        return std::get<0>(m_v);
    }
    [[nodiscard]] const T& value() const {
        assert(ok());
        return std::get<0>(m_v);
    }
    [[nodiscard]] const Error& error() const {
        assert(!ok());
        return std::get<1>(m_v);
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }

private:
    std::variant<T, Error> m_v;
};

/// Result without a value.
struct Ok {};
using Status = Result<Ok>;

} // namespace diyuma::core
