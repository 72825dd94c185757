// bench_video_codec: per-frame VP8 encode and decode time of the moving test pattern, with the
// encoder settings the call engine uses (realtime, CBR, one thread), at each size given.
// Prints one line per size; never passes or fails on time. Run it pinned to one core:
//   taskset -c 1 bench_video_codec --frames 600
// Time is thread CPU time (CLOCK_THREAD_CPUTIME_ID) and wall time of the codec calls only
// (drawing the pattern is left out); both are printed.
// A last line: simulcast at 1280x720 (VideoSender with the three layers the call engine
// sends, 720p/360p/180p, temporal layers as configured there): scaling and encoding all
// three per picture, as the media thread does it.
// Last, the burst after a key frame (Vp8Codec.h, the quantizer ramp): per size, with three
// temporal layers, a key frame forced every 5 s; per key frame the bytes of the key frame,
// of the largest frame in the second after it and of that whole second against the second
// before, and the picture's PSNR (luma) over the second before and the second after.

#include "diyuma/net/PacketTransport.h"
#include "diyuma/util/Clock.h"
#include "diyuma/video/SimulcastLayers.h"
#include "diyuma/video/TestPattern.h"
#include "diyuma/video/VideoSender.h"
#include "diyuma/video/Vp8Codec.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <numeric>
#include <string>
#include <vector>

using namespace diyuma::core;

namespace {

double threadCpuMs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double wallMs() {
    return std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

struct Size {
    int width;
    int height;
    int bitrateBps;
};

/// The call engine's encoder settings for `size` (Vp8EncoderConfig defaults otherwise).
Vp8EncoderConfig encoderConfig(const Size& size, int fps, int temporalLayers) {
    Vp8EncoderConfig config;
    config.width = size.width;
    config.height = size.height;
    config.frameRate = fps;
    config.bitrateBps = size.bitrateBps;
    config.temporalLayers = temporalLayers;
    return config;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

/// The picture's packets go nowhere: only the encoding is measured.
class NullTransport final : public PacketTransport {
public:
    SendStatus send(std::span<const std::uint8_t> /*datagram*/) override {
        return SendStatus::Sent;
    }
};

/// Time as the bench steps it, so the pacer drains each picture (1 ms steps).
class StepClock final : public Clock {
public:
    [[nodiscard]] TimePoint now() const override { return m_now; }
    [[nodiscard]] std::int64_t unixMs() const override {
        return std::chrono::duration_cast<std::chrono::milliseconds>(m_now.time_since_epoch())
            .count();
    }
    void advance(Duration d) { m_now += d; }

private:
    TimePoint m_now{std::chrono::seconds(1)};
};

int simulcast(int frames, int fps) {
    VideoSenderConfig config;
    config.encoder.width = 1280;
    config.encoder.height = 720;
    config.encoder.frameRate = fps;
    config.encoder.bitrateBps = 1'500'000;
    config.encoder.temporalLayers = 3;
    std::uint32_t ssrc = 1;
    for (const auto& layer : simulcastLayersFor(1280, 720, config.encoder.bitrateBps))
        config.layers.push_back({ssrc++, layer.width, layer.height, layer.bitrateBps});
    StepClock clock;
    auto sender = VideoSender::create(clock, config);
    if (!sender) {
        fmt::print(stderr, "cannot create the sender: {}\n", sender.error().message);
        return 1;
    }
    NullTransport null;
    VideoFrame picture(1280, 720);
    std::vector<double> wall;
    double cpu = 0;
    for (int n = 0; n < frames; ++n) {
        const std::int64_t pts = static_cast<std::int64_t>(n) * 1000 / fps;
        renderTestPattern(picture, PatternStamp{static_cast<std::uint32_t>(n), pts});
        picture.captureUnixMs = pts;
        const double c0 = threadCpuMs();
        const double w0 = wallMs();
        sender.value()->sendFrame(picture);
        wall.push_back(wallMs() - w0);
        cpu += threadCpuMs() - c0;
        for (int ms = 0; ms < 1000 / fps; ++ms) {
            sender.value()->flush(null);
            clock.advance(std::chrono::milliseconds(1));
        }
    }
    const double n = static_cast<double>(wall.size());
    double wallSum = 0;
    for (double w : wall)
        wallSum += w;
    const auto& stats = sender.value()->stats();
    fmt::print("simulcast 1280x720 + 640x360 + 320x180 (3 temporal layers), {} pictures: scale + "
               "encode ms/picture cpu mean {:.2f}, wall mean {:.2f}, wall p95 {:.2f}; {:.1f} % "
               "of one core at {} fps; key frames {}\n",
               frames, cpu / n, wallSum / n, percentile(wall, 0.95),
               100.0 * cpu / n / (1000.0 / fps), fps, stats.keyFrames);
    return 0;
}

int keyFrameBursts(const std::vector<Size>& sizes, int frames, int fps) {
    fmt::print("after a key frame (3 temporal layers, one forced every 5 s; means over all but "
               "the first):\nsize       key frame  largest frame in the second after  bytes of "
               "that second / the one before  PSNR before, after (dB)  largest frame 1-5 s after "
               "a key frame (x the mean)\n");
    for (const auto& size : sizes) {
        auto encoder = Vp8Encoder::create(encoderConfig(size, fps, 3));
        auto decoder = Vp8Decoder::create();
        if (!encoder || !decoder) {
            fmt::print(stderr, "cannot create the codec\n");
            return 1;
        }
        VideoFrame picture(size.width, size.height);
        VideoFrame decoded;
        std::vector<std::size_t> bytes;
        std::vector<double> psnr;
        for (int n = 0; n < frames; ++n) {
            const std::int64_t pts = static_cast<std::int64_t>(n) * 1000 / fps;
            renderTestPattern(picture, PatternStamp{static_cast<std::uint32_t>(n), pts});
            auto out = encoder->encode(picture, pts, n % (5 * fps) == 0);
            if (!out || !out.value() || !decoder->decode(out.value()->data, decoded)) {
                fmt::print(stderr, "encode or decode failed\n");
                return 1;
            }
            bytes.push_back(out.value()->data.size());
            psnr.push_back(psnrY(picture, decoded));
        }
        double key = 0;
        double largest = 0;
        double largestToMean = 0;
        double ratio = 0;
        double psnrBefore = 0;
        double psnrAfter = 0;
        int keys = 0;
        const auto sum = [](const auto& v, std::size_t from, std::size_t to) {
            return std::accumulate(v.begin() + static_cast<std::ptrdiff_t>(from),
                                   v.begin() + static_cast<std::ptrdiff_t>(to), 0.0);
        };
        const auto second = static_cast<std::size_t>(fps);
        for (std::size_t k = 5 * second; k + second < bytes.size(); k += 5 * second, ++keys) {
            const double before = sum(bytes, k - second, k);
            const auto top = static_cast<double>(
                *std::max_element(bytes.begin() + static_cast<std::ptrdiff_t>(k + 1),
                                  bytes.begin() + static_cast<std::ptrdiff_t>(k + 1 + second)));
            key += static_cast<double>(bytes[k]);
            largest += top;
            largestToMean += top / (before / fps);
            ratio += sum(bytes, k + 1, k + 1 + second) / before;
            psnrBefore += sum(psnr, k - second, k) / fps;
            psnrAfter += sum(psnr, k, k + second) / fps;
        }
        // Away from key frames: the spikes of the rate control itself.
        double steadyBytes = 0;
        std::size_t steadyLargest = 0;
        std::size_t steadyFrames = 0;
        for (std::size_t i = second; i < bytes.size(); ++i) {
            if (i % (5 * second) < second)
                continue;
            steadyBytes += static_cast<double>(bytes[i]);
            steadyLargest = std::max(steadyLargest, bytes[i]);
            ++steadyFrames;
        }
        if (keys == 0) {
            fmt::print(stderr, "too few frames for a key frame after 5 s (--frames)\n");
            return 1;
        }
        fmt::print("{:>4}x{:<4} {:>7.0f} B  {:>7.0f} B ({:.1f}x the mean frame before)       "
                   "     {:>4.2f}                                {:.1f}, {:.1f}                 "
                   "{} B ({:.1f}x)\n",
                   size.width, size.height, key / keys, largest / keys, largestToMean / keys,
                   ratio / keys, psnrBefore / keys, psnrAfter / keys, steadyLargest,
                   static_cast<double>(steadyLargest) /
                       (steadyBytes / static_cast<double>(std::max<std::size_t>(1, steadyFrames))));
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"VP8 encode/decode time per frame of the test pattern"};
    int frames = 600;
    int fps = 30;
    app.add_option("--frames", frames, "Frames per size (default 600 = 20 s at 30 fps)");
    app.add_option("--fps", fps, "Frame rate the encoder is configured for (default 30)");
    CLI11_PARSE(app, argc, argv);

    // The bitrates diyuma-cli picks for these sizes (defaultVideoBitrateBps).
    const std::vector<Size> sizes{{320, 180, 150'000}, {640, 360, 500'000}, {1280, 720, 1'500'000}};
    fmt::print("size       bitrate  frames  encode ms/frame (cpu mean, wall mean, wall p95)  "
               "decode ms/frame (cpu mean, wall p95)  kbit/s out  realtime share of one core\n");
    for (const auto& size : sizes) {
        auto encoder = Vp8Encoder::create(encoderConfig(size, fps, 1));
        auto decoder = Vp8Decoder::create();
        if (!encoder || !decoder) {
            fmt::print(stderr, "cannot create the codec\n");
            return 1;
        }
        VideoFrame picture(size.width, size.height);
        VideoFrame decoded;
        std::vector<double> encodeWall;
        std::vector<double> decodeWall;
        double encodeCpu = 0;
        double decodeCpu = 0;
        std::size_t bytes = 0;
        for (int n = 0; n < frames; ++n) {
            const std::int64_t pts = static_cast<std::int64_t>(n) * 1000 / fps;
            renderTestPattern(picture, PatternStamp{static_cast<std::uint32_t>(n), pts});
            const double c0 = threadCpuMs();
            const double w0 = wallMs();
            auto out = encoder->encode(picture, pts, n == 0);
            const double w1 = wallMs();
            const double c1 = threadCpuMs();
            if (!out || !out.value())
                continue;
            encodeWall.push_back(w1 - w0);
            encodeCpu += c1 - c0;
            bytes += out.value()->data.size();
            const double c2 = threadCpuMs();
            const double w2 = wallMs();
            auto shown = decoder->decode(out.value()->data, decoded);
            const double w3 = wallMs();
            decodeCpu += threadCpuMs() - c2;
            decodeWall.push_back(w3 - w2);
            if (!shown) {
                fmt::print(stderr, "decode failed: {}\n", shown.error().message);
                return 1;
            }
        }
        const double n = static_cast<double>(encodeWall.size());
        double wallSum = 0;
        for (double w : encodeWall)
            wallSum += w;
        const double encodeCpuMean = encodeCpu / n;
        const double frameMs = 1000.0 / fps;
        fmt::print("{:>4}x{:<4} {:>6}k  {:>6}  {:>8.2f} {:>8.2f} {:>8.2f}                          "
                   "{:>8.2f} {:>8.2f}                  {:>8.0f}    {:>5.1f} % (encode + decode)\n",
                   size.width, size.height, size.bitrateBps / 1000, encodeWall.size(),
                   encodeCpuMean, wallSum / n, percentile(encodeWall, 0.95), decodeCpu / n,
                   percentile(decodeWall, 0.95),
                   static_cast<double>(bytes) * 8.0 / (n / fps) / 1000.0,
                   100.0 * (encodeCpu + decodeCpu) / n / frameMs);
    }
    if (const int failed = simulcast(frames, fps); failed != 0)
        return failed;
    return keyFrameBursts(sizes, frames, fps);
}
