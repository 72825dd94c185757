#pragma once
// A PacketTransport that keeps a copy of every datagram handed to it (tests of senders).

#include "diyuma/net/PacketTransport.h"

#include <cstdint>
#include <span>
#include <vector>

namespace diyuma::test {

class CapturingTransport final : public core::PacketTransport {
public:
    core::SendStatus send(std::span<const std::uint8_t> datagram) override {
        sent.emplace_back(datagram.begin(), datagram.end());
        return core::SendStatus::Sent;
    }
    std::vector<std::vector<std::uint8_t>> sent;
};

} // namespace diyuma::test
