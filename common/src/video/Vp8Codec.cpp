#include "diyuma/video/Vp8Codec.h"

#include <fmt/format.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <utility>

namespace diyuma::core {

int defaultVideoBitrateBps(int width, int height) {
    constexpr double k360p = 640.0 * 360.0;
    constexpr double k720p = 1280.0 * 720.0;
    const double pixels = static_cast<double>(width) * height;
    const double bps = pixels <= k360p
                           ? 500'000.0 * pixels / k360p
                           : 500'000.0 + (pixels - k360p) * 1'000'000.0 / (k720p - k360p);
    return std::clamp(static_cast<int>(bps), 150'000, 4'000'000);
}

namespace {

constexpr int kMinBitrateBps = 10'000;
constexpr int kMaxBitrateBps = 20'000'000;
constexpr int kMinSide = 16;
/// The quantizer ramp after a key frame (Vp8Codec.h): 0..63 steps per frame.
constexpr int kRampStepPerFrame = 2;

/// One frame of a temporal-layer pattern: its layer, what it may refer to and update.
struct TemporalFrame {
    std::uint8_t layer = 0;
    vpx_enc_frame_flags_t flags = 0;
    bool sync = false;
    bool nonReference = false;
};
constexpr vpx_enc_frame_flags_t kRefLastOnly = VP8_EFLAG_NO_REF_GF | VP8_EFLAG_NO_REF_ARF;
constexpr vpx_enc_frame_flags_t kNoUpdates =
    VP8_EFLAG_NO_UPD_LAST | VP8_EFLAG_NO_UPD_GF | VP8_EFLAG_NO_UPD_ARF | VP8_EFLAG_NO_UPD_ENTROPY;
// TL0 refers to and updates LAST (the previous TL0); TL1 refers to LAST and updates GOLDEN;
// the TL2 frames refer to LAST (and GOLDEN, the TL1 of their period) and update nothing.
constexpr TemporalFrame kTwoLayers[] = {
    {0, kRefLastOnly | VP8_EFLAG_NO_UPD_GF | VP8_EFLAG_NO_UPD_ARF, false, false},
    {1, kRefLastOnly | kNoUpdates, true, true},
};
constexpr TemporalFrame kThreeLayers[] = {
    {0, kRefLastOnly | VP8_EFLAG_NO_UPD_GF | VP8_EFLAG_NO_UPD_ARF, false, false},
    {2, kRefLastOnly | kNoUpdates, true, true},
    {1, kRefLastOnly | VP8_EFLAG_NO_UPD_LAST | VP8_EFLAG_NO_UPD_ARF | VP8_EFLAG_NO_UPD_ENTROPY,
     true, false},
    {2, VP8_EFLAG_NO_REF_ARF | kNoUpdates, false, true},
};

std::span<const TemporalFrame> temporalPattern(int layers) {
    if (layers == 3)
        return kThreeLayers;
    if (layers == 2)
        return kTwoLayers;
    return {};
}

/// Cumulative kbit/s per temporal layer for a total bitrate.
void setLayerBitrates(vpx_codec_enc_cfg_t& cfg, int layers, int bitrateBps) {
    const unsigned kbps = static_cast<unsigned>(bitrateBps / 1000);
    if (layers == 3) {
        cfg.ts_target_bitrate[0] = kbps * 40 / 100;
        cfg.ts_target_bitrate[1] = kbps * 60 / 100;
        cfg.ts_target_bitrate[2] = kbps;
    } else if (layers == 2) {
        cfg.ts_target_bitrate[0] = kbps * 60 / 100;
        cfg.ts_target_bitrate[1] = kbps;
    }
}

Error vpxError(VideoErrorCode code, std::string_view what, vpx_codec_ctx_t* ctx,
               vpx_codec_err_t err) {
    const char* detail = ctx != nullptr ? vpx_codec_error_detail(ctx) : nullptr;
    return Error{static_cast<int>(code),
                 fmt::format("vp8: {}: {}{}{}", what, vpx_codec_err_to_string(err),
                             detail != nullptr ? ": " : "", detail != nullptr ? detail : "")};
}

/// Points a vpx_image_t at our tightly packed I420 planes (no copy).
void wrap(vpx_image_t& img, const VideoFrame& frame) {
    auto* base = const_cast<std::uint8_t*>(frame.data().data());
    vpx_img_wrap(&img, VPX_IMG_FMT_I420, static_cast<unsigned>(frame.width()),
                 static_cast<unsigned>(frame.height()), 1, base);
    // Set planes and strides ourselves: vpx_img_wrap derives the chroma stride as half the
    // luma stride, which is one short for odd widths.
    img.planes[VPX_PLANE_Y] = const_cast<std::uint8_t*>(frame.y().data());
    img.planes[VPX_PLANE_U] = const_cast<std::uint8_t*>(frame.u().data());
    img.planes[VPX_PLANE_V] = const_cast<std::uint8_t*>(frame.v().data());
    img.stride[VPX_PLANE_Y] = frame.width();
    img.stride[VPX_PLANE_U] = frame.chromaWidth();
    img.stride[VPX_PLANE_V] = frame.chromaWidth();
}

void copyPlane(const std::uint8_t* from, int fromStride, std::uint8_t* to, int width, int height) {
    for (int row = 0; row < height; ++row)
        std::memcpy(to + static_cast<std::ptrdiff_t>(row) * width,
                    from + static_cast<std::ptrdiff_t>(row) * fromStride,
                    static_cast<std::size_t>(width));
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Encoder

struct Vp8Encoder::Handle {
    Handle() = default;
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() {
        if (initialized)
            vpx_codec_destroy(&ctx);
    }
    vpx_codec_ctx_t ctx{};
    vpx_codec_enc_cfg_t cfg{};
    bool initialized = false;
    Vp8EncoderConfig config;
    std::int64_t lastPtsMs = -1;
    std::size_t patternIndex = 0; ///< the next frame's place in the temporal pattern
    /// After a key frame: the lowest quantizer the next frame may take (-1: no ramp).
    int rampQuantizer = -1;
};

Vp8Encoder::Vp8Encoder(std::unique_ptr<Handle> handle) : m_handle(std::move(handle)) {}
Vp8Encoder::Vp8Encoder(Vp8Encoder&&) noexcept = default;
Vp8Encoder& Vp8Encoder::operator=(Vp8Encoder&&) noexcept = default;
Vp8Encoder::~Vp8Encoder() = default;

Result<Vp8Encoder> Vp8Encoder::create(const Vp8EncoderConfig& config) {
    if (config.width < kMinSide || config.height < kMinSide || config.width > kMaxVideoWidth ||
        config.height > kMaxVideoHeight)
        return Error{static_cast<int>(VideoErrorCode::BadSize),
                     fmt::format("vp8: picture size {}x{} is outside {}x{}..{}x{}", config.width,
                                 config.height, kMinSide, kMinSide, kMaxVideoWidth,
                                 kMaxVideoHeight)};
    if (config.bitrateBps < kMinBitrateBps || config.bitrateBps > kMaxBitrateBps ||
        config.frameRate < 1 || config.frameRate > 120 || config.temporalLayers < 1 ||
        config.temporalLayers > 3)
        return Error{
            static_cast<int>(VideoErrorCode::CodecSetting),
            fmt::format("vp8: bitrate {} bps, frame rate {} or {} temporal layers out of range",
                        config.bitrateBps, config.frameRate, config.temporalLayers)};
    auto handle = std::make_unique<Handle>();
    handle->config = config;
    vpx_codec_enc_cfg_t& cfg = handle->cfg;
    if (auto err = vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0); err != VPX_CODEC_OK)
        return vpxError(VideoErrorCode::CodecCreate, "default configuration", nullptr, err);
    cfg.g_w = static_cast<unsigned>(config.width);
    cfg.g_h = static_cast<unsigned>(config.height);
    cfg.g_timebase = {1, 1000}; // presentation times in milliseconds
    cfg.g_threads = static_cast<unsigned>(std::max(1, config.threads));
    cfg.g_lag_in_frames = 0; // a frame in, its packet out: no look-ahead latency
    cfg.g_pass = VPX_RC_ONE_PASS;
    cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
    cfg.rc_end_usage = VPX_CBR;
    cfg.rc_target_bitrate = static_cast<unsigned>(config.bitrateBps / 1000);
    cfg.rc_dropframe_thresh = 0; // every frame is sent; the pacer and tiers manage the rate
    // Not finer than 6: below it the picture is visually lossless already (luma PSNR over 46
    // dB) and each step costs so much that easy pictures get spiky frame sizes (test pattern
    // at 720p: single TL0 frames of 42-55 KB with 2; docs/PERFORMANCE.md section 5.4).
    cfg.rc_min_quantizer = 6;
    cfg.rc_max_quantizer = 56;
    cfg.rc_undershoot_pct = 100;
    cfg.rc_overshoot_pct = 15;
    cfg.rc_buf_initial_sz = 500;
    cfg.rc_buf_optimal_sz = 600;
    cfg.rc_buf_sz = 1000;
    if (config.temporalLayers > 1) {
        const int n = config.temporalLayers;
        cfg.ts_number_layers = static_cast<unsigned>(n);
        cfg.ts_periodicity = n == 3 ? 4 : 2;
        const auto pattern = temporalPattern(n);
        for (std::size_t i = 0; i < pattern.size(); ++i)
            cfg.ts_layer_id[i] = pattern[i].layer;
        for (int layer = 0; layer < n; ++layer)
            cfg.ts_rate_decimator[layer] = 1U << (n - 1 - layer);
        setLayerBitrates(cfg, n, config.bitrateBps);
    }
    if (config.keyFrameInterval > 0) {
        cfg.kf_mode = VPX_KF_AUTO;
        cfg.kf_min_dist = 0;
        cfg.kf_max_dist = static_cast<unsigned>(config.keyFrameInterval);
    } else {
        cfg.kf_mode = VPX_KF_DISABLED;
    }
    if (auto err = vpx_codec_enc_init(&handle->ctx, vpx_codec_vp8_cx(), &cfg, 0);
        err != VPX_CODEC_OK)
        return vpxError(VideoErrorCode::CodecCreate, "cannot create encoder", &handle->ctx, err);
    handle->initialized = true;
    vpx_codec_ctx_t* ctx = &handle->ctx;
    // A key frame may take at most 3x the average frame's bits: a smaller burst to pace.
    const vpx_codec_err_t settings[] = {
        vpx_codec_control(ctx, VP8E_SET_CPUUSED, config.cpuUsed),
        vpx_codec_control(ctx, VP8E_SET_NOISE_SENSITIVITY, 0),
        vpx_codec_control(ctx, VP8E_SET_STATIC_THRESHOLD, 1),
        vpx_codec_control(ctx, VP8E_SET_TOKEN_PARTITIONS, VP8_ONE_TOKENPARTITION),
        vpx_codec_control(ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, 300U),
    };
    for (auto err : settings) {
        if (err != VPX_CODEC_OK)
            return vpxError(VideoErrorCode::CodecSetting, "encoder setting", ctx, err);
    }
    return Vp8Encoder(std::move(handle));
}

std::size_t temporalPatternLength(int temporalLayers) {
    return std::max<std::size_t>(1, temporalPattern(temporalLayers).size());
}

Result<std::optional<EncodedVideoFrame>>
Vp8Encoder::encode(const VideoFrame& frame, std::int64_t ptsMs, bool forceKeyFrame) {
    // A key frame starts the pattern again (it is a TL0 frame).
    return encode(frame, ptsMs, forceKeyFrame, forceKeyFrame ? 0 : m_handle->patternIndex);
}

Result<std::optional<EncodedVideoFrame>> Vp8Encoder::encode(const VideoFrame& frame,
                                                            std::int64_t ptsMs, bool forceKeyFrame,
                                                            std::size_t patternPosition) {
    Handle& h = *m_handle;
    if (frame.width() != h.config.width || frame.height() != h.config.height)
        return Error{static_cast<int>(VideoErrorCode::Encode),
                     fmt::format("vp8: frame is {}x{}, the encoder takes {}x{}", frame.width(),
                                 frame.height(), h.config.width, h.config.height)};
    // libvpx wants strictly increasing presentation times.
    const std::int64_t pts = std::max(ptsMs, h.lastPtsMs + 1);
    h.lastPtsMs = pts;
    vpx_image_t img;
    wrap(img, frame);
    const unsigned long duration = static_cast<unsigned long>(1000 / h.config.frameRate);
    vpx_enc_frame_flags_t flags = forceKeyFrame ? VPX_EFLAG_FORCE_KF : 0;
    const auto pattern = temporalPattern(h.config.temporalLayers);
    TemporalFrame temporal;
    if (!pattern.empty()) {
        h.patternIndex = patternPosition % pattern.size();
        temporal = pattern[h.patternIndex];
        if (!forceKeyFrame)
            flags |= temporal.flags;
        if (auto err = vpx_codec_control(&h.ctx, VP8E_SET_TEMPORAL_LAYER_ID,
                                         static_cast<int>(temporal.layer));
            err != VPX_CODEC_OK)
            return vpxError(VideoErrorCode::Encode, "temporal layer", &h.ctx, err);
    }
    if (h.rampQuantizer >= 0) {
        vpx_codec_enc_cfg_t cfg = h.cfg;
        cfg.rc_min_quantizer = static_cast<unsigned>(h.rampQuantizer);
        if (auto err = vpx_codec_enc_config_set(&h.ctx, &cfg); err != VPX_CODEC_OK)
            return vpxError(VideoErrorCode::Encode, "quantizer ramp", &h.ctx, err);
    }
    if (auto err = vpx_codec_encode(&h.ctx, &img, pts, duration, flags, VPX_DL_REALTIME);
        err != VPX_CODEC_OK)
        return vpxError(VideoErrorCode::Encode, "encode", &h.ctx, err);
    if (!pattern.empty())
        h.patternIndex = (h.patternIndex + 1) % pattern.size();
    vpx_codec_iter_t iter = nullptr;
    std::optional<EncodedVideoFrame> out;
    while (const vpx_codec_cx_pkt_t* pkt = vpx_codec_get_cx_data(&h.ctx, &iter)) {
        if (pkt->kind != VPX_CODEC_CX_FRAME_PKT || out)
            continue; // one frame per call without output partitions
        out = EncodedVideoFrame{
            {static_cast<const std::uint8_t*>(pkt->data.frame.buf), pkt->data.frame.sz},
            (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0,
            h.config.width,
            h.config.height,
            temporal.layer,
            temporal.sync,
            temporal.nonReference};
        if (out->keyFrame) { // a key frame is TL0 and every layer can start from it
            out->temporalId = 0;
            out->layerSync = false;
            out->nonReference = false;
        }
    }
    // The ramp starts at a key frame's quantizer and comes down by a step a frame; at the
    // configured minimum the configuration is the configured one again.
    if (out && out->keyFrame) {
        int quantizer = 0;
        if (vpx_codec_control(&h.ctx, VP8E_GET_LAST_QUANTIZER_64, &quantizer) == VPX_CODEC_OK)
            h.rampQuantizer = quantizer - kRampStepPerFrame;
    } else if (h.rampQuantizer >= 0) {
        h.rampQuantizer -= kRampStepPerFrame;
    }
    if (h.rampQuantizer >= 0 && h.rampQuantizer <= static_cast<int>(h.cfg.rc_min_quantizer)) {
        h.rampQuantizer = -1;
        if (auto err = vpx_codec_enc_config_set(&h.ctx, &h.cfg); err != VPX_CODEC_OK)
            return vpxError(VideoErrorCode::Encode, "quantizer ramp", &h.ctx, err);
    }
    return out;
}

bool Vp8Encoder::setBitrate(int bitrateBps) {
    if (bitrateBps < kMinBitrateBps || bitrateBps > kMaxBitrateBps)
        return false;
    Handle& h = *m_handle;
    vpx_codec_enc_cfg_t cfg = h.cfg;
    cfg.rc_target_bitrate = static_cast<unsigned>(bitrateBps / 1000);
    setLayerBitrates(cfg, h.config.temporalLayers, bitrateBps);
    if (vpx_codec_enc_config_set(&h.ctx, &cfg) != VPX_CODEC_OK)
        return false;
    h.cfg = cfg;
    h.config.bitrateBps = bitrateBps;
    return true;
}

const Vp8EncoderConfig& Vp8Encoder::config() const {
    return m_handle->config;
}

// ---------------------------------------------------------------------------------------------
// Decoder

struct Vp8Decoder::Handle {
    Handle() = default;
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() {
        if (initialized)
            vpx_codec_destroy(&ctx);
    }
    vpx_codec_ctx_t ctx{};
    bool initialized = false;
};

Vp8Decoder::Vp8Decoder(std::unique_ptr<Handle> handle) : m_handle(std::move(handle)) {}
Vp8Decoder::Vp8Decoder(Vp8Decoder&&) noexcept = default;
Vp8Decoder& Vp8Decoder::operator=(Vp8Decoder&&) noexcept = default;
Vp8Decoder::~Vp8Decoder() = default;

Result<Vp8Decoder> Vp8Decoder::create() {
    auto handle = std::make_unique<Handle>();
    vpx_codec_dec_cfg_t cfg{};
    cfg.threads = 1;
    if (auto err = vpx_codec_dec_init(&handle->ctx, vpx_codec_vp8_dx(), &cfg, 0);
        err != VPX_CODEC_OK)
        return vpxError(VideoErrorCode::CodecCreate, "cannot create decoder", &handle->ctx, err);
    handle->initialized = true;
    return Vp8Decoder(std::move(handle));
}

Result<bool> Vp8Decoder::decode(std::span<const std::uint8_t> frame, VideoFrame& out) {
    Handle& h = *m_handle;
    if (frame.empty())
        return Error{static_cast<int>(VideoErrorCode::Decode), "vp8: empty frame"};
    if (auto err =
            vpx_codec_decode(&h.ctx, frame.data(), static_cast<unsigned>(frame.size()), nullptr, 0);
        err != VPX_CODEC_OK)
        return vpxError(VideoErrorCode::Decode, "decode", &h.ctx, err);
    int corrupted = 0;
    if (vpx_codec_control(&h.ctx, VP8D_GET_FRAME_CORRUPTED, &corrupted) == VPX_CODEC_OK &&
        corrupted != 0)
        return Error{static_cast<int>(VideoErrorCode::Decode),
                     "vp8: decode: the frame refers to a damaged or missing picture"};
    vpx_codec_iter_t iter = nullptr;
    const vpx_image_t* img = vpx_codec_get_frame(&h.ctx, &iter);
    if (img == nullptr)
        return false;
    if (img->fmt != VPX_IMG_FMT_I420 || img->d_w == 0 || img->d_h == 0)
        return Error{static_cast<int>(VideoErrorCode::Decode), "vp8: decoder gave no I420 picture"};
    out.resize(static_cast<int>(img->d_w), static_cast<int>(img->d_h));
    copyPlane(img->planes[VPX_PLANE_Y], img->stride[VPX_PLANE_Y], out.y().data(), out.width(),
              out.height());
    copyPlane(img->planes[VPX_PLANE_U], img->stride[VPX_PLANE_U], out.u().data(), out.chromaWidth(),
              out.chromaHeight());
    copyPlane(img->planes[VPX_PLANE_V], img->stride[VPX_PLANE_V], out.v().data(), out.chromaWidth(),
              out.chromaHeight());
    return true;
}

} // namespace diyuma::core
