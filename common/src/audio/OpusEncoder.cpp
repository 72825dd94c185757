#include "diyuma/audio/OpusEncoder.h"

#include "diyuma/audio/AudioFormat.h"

#include <fmt/format.h>
#include <opus/opus.h>

#include <algorithm>
#include <string_view>
#include <utility>

namespace diyuma::core {

namespace {
Error opusError(AudioErrorCode code, std::string_view what, int opusCode) {
    return Error{static_cast<int>(code),
                 fmt::format("opus: {}: {}", what, opus_strerror(opusCode))};
}
} // namespace

struct OpusEncoder::Handle {
    explicit Handle(::OpusEncoder* e) : encoder(e) {}
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() { opus_encoder_destroy(encoder); }
    ::OpusEncoder* encoder;
};

OpusEncoder::OpusEncoder(std::unique_ptr<Handle> handle) : m_handle(std::move(handle)) {}
OpusEncoder::OpusEncoder(OpusEncoder&&) noexcept = default;
OpusEncoder& OpusEncoder::operator=(OpusEncoder&&) noexcept = default;
OpusEncoder::~OpusEncoder() = default;

Result<OpusEncoder> OpusEncoder::create(int bitrateBps) {
    int error = OPUS_OK;
    ::OpusEncoder* created = opus_encoder_create(kSampleRateHz, 1, OPUS_APPLICATION_VOIP, &error);
    if (error != OPUS_OK || created == nullptr)
        return opusError(AudioErrorCode::CodecCreate, "cannot create encoder", error);
    auto handle = std::make_unique<Handle>(created);
    ::OpusEncoder* e = handle->encoder;
    if (int rc = opus_encoder_ctl(e, OPUS_SET_BITRATE(bitrateBps)); rc != OPUS_OK)
        return opusError(AudioErrorCode::CodecSetting, fmt::format("bitrate {} bps", bitrateBps),
                         rc);
    // FEC needs an expected loss above zero, or the encoder spends no bits on it.
    const int settings[] = {
        opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(1)),
        opus_encoder_ctl(e, OPUS_SET_DTX(1)),
        opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(kDefaultLossPercent)),
        opus_encoder_ctl(e, OPUS_SET_VBR(1)),
    };
    for (int rc : settings) {
        if (rc != OPUS_OK)
            return opusError(AudioErrorCode::CodecSetting, "encoder setting", rc);
    }
    return OpusEncoder(std::move(handle));
}

int OpusEncoder::encode(std::span<const std::int16_t> frame, std::span<std::uint8_t> out) {
    if (!m_handle || frame.size() != static_cast<std::size_t>(kFrameSamples) || out.empty())
        return -1;
    // libopus takes an opus_int32 capacity; more than one maximum packet is never needed.
    const auto capacity = static_cast<opus_int32>(std::min(out.size(), kMaxPacketBytes));
    const opus_int32 bytes =
        opus_encode(m_handle->encoder, frame.data(), kFrameSamples, out.data(), capacity);
    return bytes < 0 ? -1 : static_cast<int>(bytes);
}

bool OpusEncoder::setBitrate(int bitrateBps) {
    return m_handle && opus_encoder_ctl(m_handle->encoder, OPUS_SET_BITRATE(bitrateBps)) == OPUS_OK;
}

bool OpusEncoder::setExpectedLossPercent(int percent) {
    return m_handle &&
           opus_encoder_ctl(m_handle->encoder, OPUS_SET_PACKET_LOSS_PERC(percent)) == OPUS_OK;
}

int OpusEncoder::bitrateBps() const {
    opus_int32 value = 0;
    if (!m_handle || opus_encoder_ctl(m_handle->encoder, OPUS_GET_BITRATE(&value)) != OPUS_OK)
        return -1;
    return static_cast<int>(value);
}

int OpusEncoder::lookaheadSamples() const {
    opus_int32 value = 0;
    if (!m_handle || opus_encoder_ctl(m_handle->encoder, OPUS_GET_LOOKAHEAD(&value)) != OPUS_OK)
        return -1;
    return static_cast<int>(value);
}

} // namespace diyuma::core
