#pragma once
// RAII wrapper over libopus' decoder: 48 kHz mono. Normal decoding, in-band FEC recovery of a
// lost frame from the packet after it, and packet loss concealment (PLC).
//
// Thread: one thread at a time (the media thread); not thread-safe.

#include "diyuma/util/Result.h"

#include <cstdint>
#include <memory>
#include <span>

namespace diyuma::core {

class OpusDecoder {
public:
    /// Creates a 48 kHz mono decoder; fails with AudioErrorCode::CodecCreate.
    static Result<OpusDecoder> create();

    OpusDecoder(OpusDecoder&&) noexcept;
    OpusDecoder& operator=(OpusDecoder&&) noexcept;
    OpusDecoder(const OpusDecoder&) = delete;
    OpusDecoder& operator=(const OpusDecoder&) = delete;
    ~OpusDecoder();

    /// Decodes one packet into `out` (caller-owned; out.size() >= the packet's duration, 5760
    /// samples always suffice). Returns the number of samples written, or -1 on error (corrupt
    /// packet, `out` too small). An empty or 1-byte (DTX) packet decodes like a lost one.
    int decode(std::span<const std::uint8_t> packet, std::span<std::int16_t> out);
    /// FEC: rebuilds the previous, lost frame from the in-band FEC data of `nextPacket` (the
    /// packet after the lost one). out.size() must be exactly the lost duration (a multiple of
    /// 2.5 ms, normally kFrameSamples). Without FEC data in `nextPacket` libopus conceals
    /// instead. Returns samples written or -1. Call decode(nextPacket) afterwards as usual.
    int decodeFec(std::span<const std::uint8_t> nextPacket, std::span<std::int16_t> out);
    /// Packet loss concealment for out.size() samples (a multiple of 2.5 ms = 120 samples).
    /// During DTX this produces the sender's comfort noise. Returns samples written or -1.
    int conceal(std::span<std::int16_t> out);

    /// Duration in samples (48 kHz) of an Opus packet, or -1 if it is not a valid packet.
    [[nodiscard]] static int packetSamples(std::span<const std::uint8_t> packet);

private:
    // Owns libopus' state. A handle type of our own keeps libopus' global `OpusDecoder` type
    // out of this header, where it would clash with ours under `using namespace`.
    struct Handle;
    explicit OpusDecoder(std::unique_ptr<Handle> handle);

    std::unique_ptr<Handle> m_handle;
};

} // namespace diyuma::core
