#include "diyuma/audio/OpusDecoder.h"

#include "diyuma/audio/AudioFormat.h"

#include <fmt/format.h>
#include <opus/opus.h>

#include <algorithm>
#include <utility>

namespace diyuma::core {

namespace {
// libopus never needs more than 120 ms of output room; a larger span is simply not used.
int capacityOf(std::span<std::int16_t> out) {
    return static_cast<int>(std::min<std::size_t>(out.size(), kMaxOpusFrameSamples));
}

// Both FEC and PLC take the duration from frame_size, which libopus wants in 2.5 ms steps.
bool isWholeQuantum(std::size_t samples) {
    constexpr std::size_t kQuantum = kSampleRateHz / 400; // 2.5 ms
    return samples > 0 && samples <= static_cast<std::size_t>(kMaxOpusFrameSamples) &&
           samples % kQuantum == 0;
}
} // namespace

struct OpusDecoder::Handle {
    explicit Handle(::OpusDecoder* d) : decoder(d) {}
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() { opus_decoder_destroy(decoder); }
    ::OpusDecoder* decoder;
};

OpusDecoder::OpusDecoder(std::unique_ptr<Handle> handle) : m_handle(std::move(handle)) {}
OpusDecoder::OpusDecoder(OpusDecoder&&) noexcept = default;
OpusDecoder& OpusDecoder::operator=(OpusDecoder&&) noexcept = default;
OpusDecoder::~OpusDecoder() = default;

Result<OpusDecoder> OpusDecoder::create() {
    int error = OPUS_OK;
    ::OpusDecoder* created = opus_decoder_create(kSampleRateHz, 1, &error);
    if (error != OPUS_OK || created == nullptr)
        return Error{static_cast<int>(AudioErrorCode::CodecCreate),
                     fmt::format("opus: cannot create decoder: {}", opus_strerror(error))};
    return OpusDecoder(std::make_unique<Handle>(created));
}

int OpusDecoder::decode(std::span<const std::uint8_t> packet, std::span<std::int16_t> out) {
    if (!m_handle || out.empty())
        return -1;
    const int n =
        opus_decode(m_handle->decoder, packet.empty() ? nullptr : packet.data(),
                    static_cast<opus_int32>(packet.size()), out.data(), capacityOf(out), 0);
    return n < 0 ? -1 : n;
}

int OpusDecoder::decodeFec(std::span<const std::uint8_t> nextPacket, std::span<std::int16_t> out) {
    if (!m_handle || nextPacket.empty() || !isWholeQuantum(out.size()))
        return -1;
    const int n = opus_decode(m_handle->decoder, nextPacket.data(),
                              static_cast<opus_int32>(nextPacket.size()), out.data(),
                              static_cast<int>(out.size()), 1);
    return n < 0 ? -1 : n;
}

int OpusDecoder::conceal(std::span<std::int16_t> out) {
    if (!m_handle || !isWholeQuantum(out.size()))
        return -1;
    const int n =
        opus_decode(m_handle->decoder, nullptr, 0, out.data(), static_cast<int>(out.size()), 0);
    return n < 0 ? -1 : n;
}

int OpusDecoder::packetSamples(std::span<const std::uint8_t> packet) {
    if (packet.empty())
        return -1;
    const int n = opus_packet_get_nb_samples(packet.data(), static_cast<opus_int32>(packet.size()),
                                             kSampleRateHz);
    return n < 0 ? -1 : n;
}

} // namespace diyuma::core
