#pragma once
// Qt Test glue for the wire tests. QCOMPARE cannot print ParseError or ErrorCode itself
// (argument-dependent lookup finds wire::toString, which returns a string_view rather than
// the char* Qt Test wants), so QCOMPARE_WIRE compares their names instead.

#include "diyuma/wire/Control.h"

#include <QtTest/QtTest>
#include <initializer_list>
#include <span>

namespace wiretest {

using U8s = std::initializer_list<std::uint8_t>;

inline QByteArray label(diyuma::core::wire::ParseError e) {
    return QByteArray(diyuma::core::wire::toString(e).data());
}
inline QByteArray label(diyuma::core::wire::ErrorCode c) {
    return QByteArray(diyuma::core::wire::toString(c).data()) + '(' +
           QByteArray::number(static_cast<int>(c)) + ')';
}
inline QByteArray label(std::string_view s) {
    return QByteArray(s.data(), static_cast<qsizetype>(s.size()));
}

inline QByteArray hex(std::span<const std::uint8_t> b) {
    return QByteArray(reinterpret_cast<const char*>(b.data()), static_cast<qsizetype>(b.size()))
        .toHex(' ');
}

} // namespace wiretest

#define QCOMPARE_WIRE(actual, expected)                                                            \
    QCOMPARE(::wiretest::label(actual), ::wiretest::label(expected))
