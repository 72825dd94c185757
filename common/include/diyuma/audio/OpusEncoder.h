#pragma once
// RAII wrapper over libopus' encoder: 48 kHz mono, 20 ms frames.
//
// Mode: OPUS_APPLICATION_VOIP. RESTRICTED_LOWDELAY would save 4 ms of algorithmic delay
// (lookahead 2.5 ms instead of 6.5 ms, see lookaheadSamples()), but it is CELT-only: no SILK
// layer, hence no in-band FEC (LBRR is a SILK feature) and no speech-tuned DTX, both of which
// the pipeline relies on. 4 ms is small next to the 20 ms frame and the jitter buffer's 20 ms.
//
// Settings: in-band FEC on, DTX on, expected packet loss 10 % (so FEC data is present), VBR,
// default complexity. Thread: one thread at a time (the media thread); not thread-safe.

#include "diyuma/util/Result.h"

#include <cstdint>
#include <memory>
#include <span>

namespace diyuma::core {

class OpusEncoder {
public:
    static constexpr int kDefaultBitrateBps = 32000;
    static constexpr int kDefaultLossPercent = 10;
    /// Largest useful output: an Opus packet is at most 1275 bytes per frame.
    static constexpr std::size_t kMaxPacketBytes = 1275;

    /// Creates an encoder with the given target bitrate (bits per second, 6000..510000).
    /// Fails with AudioErrorCode::CodecCreate or CodecSetting.
    static Result<OpusEncoder> create(int bitrateBps = kDefaultBitrateBps);

    OpusEncoder(OpusEncoder&&) noexcept;
    OpusEncoder& operator=(OpusEncoder&&) noexcept;
    OpusEncoder(const OpusEncoder&) = delete;
    OpusEncoder& operator=(const OpusEncoder&) = delete;
    ~OpusEncoder();

    /// Encodes exactly kFrameSamples samples (20 ms). Writes the packet into `out` (owned by the
    /// caller) and returns its size in bytes (<= out.size()). 0..2 bytes means DTX: "nothing
    /// worth sending" (the caller may skip the packet; RTP time runs on). -1 on error (wrong
    /// frame size, buffer too small, encoder failure).
    int encode(std::span<const std::int16_t> frame, std::span<std::uint8_t> out);
    /// Changes the target bitrate (bps); false if libopus refused it (state unchanged).
    bool setBitrate(int bitrateBps);
    /// Tells the encoder how much loss to expect (0..100 %): more in-band FEC for more loss.
    bool setExpectedLossPercent(int percent);

    /// Current target bitrate in bps (as libopus reports it).
    [[nodiscard]] int bitrateBps() const;
    /// Algorithmic delay (lookahead) in samples at 48 kHz: 312 (6.5 ms) for VOIP.
    [[nodiscard]] int lookaheadSamples() const;

private:
    // Owns libopus' state. A handle type of our own keeps libopus' global `OpusEncoder` type
    // out of this header, where it would clash with ours under `using namespace`.
    struct Handle;
    explicit OpusEncoder(std::unique_ptr<Handle> handle);

    std::unique_ptr<Handle> m_handle;
};

} // namespace diyuma::core
