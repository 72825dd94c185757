#pragma once
// Video files: IVF (the container of libvpx's tools; ffprobe and ffplay read it) to record
// received VP8 frames, and Y4M (YUV4MPEG2, raw I420) as a video source for diyuma-cli.
//
// IVF layout (all little-endian): a 32-byte file header
//   "DKIF" | version u16 = 0 | header size u16 = 32 | fourcc "VP80" | width u16 | height u16 |
//   time base denominator u32 | numerator u32 | frame count u32 | unused u32
// then per frame a 12-byte header (size u32 | timestamp u64, in time base units) and the
// frame. We write time base 1/1000 (timestamps in milliseconds); the frame count is written
// again on close(). The header's size is the one given at create() (the first picture's);
// frames are written as they are, so a stream whose size changes at a key frame (a VP8 key
// frame carries its own size) is recorded across the change, and decoders (libvpx, ffmpeg)
// follow it.
//
// Y4M: "YUV4MPEG2 W<w> H<h> F<n>:<d> ..." then per frame "FRAME[ params]\n" and the planes.
// Only 4:2:0 (C420, C420jpeg, C420paldv, C420mpeg2, or no C tag) with 8 bits is accepted.
//
// Thread: each object one thread at a time.

#include "diyuma/util/Result.h"
#include "diyuma/video/VideoFrame.h"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace diyuma::core {

class IvfWriter {
public:
    /// Creates (truncates) the file and writes a header for VP8 at the given size.
    [[nodiscard]] static Result<IvfWriter> create(const std::string& path, int width, int height);

    IvfWriter(IvfWriter&&) noexcept;
    IvfWriter& operator=(IvfWriter&&) noexcept;
    IvfWriter(const IvfWriter&) = delete;
    IvfWriter& operator=(const IvfWriter&) = delete;
    ~IvfWriter(); ///< close()s

    /// Appends one frame with a timestamp in milliseconds. Time runs forward in the file: a
    /// timestamp below 0 is written as 0, one not after the previous frame's as that + 1 ms.
    [[nodiscard]] Status writeFrame(std::span<const std::uint8_t> frame, std::int64_t timestampMs);
    /// Rewrites the header with the frame count and closes.
    [[nodiscard]] Status close();
    [[nodiscard]] std::uint32_t frameCount() const { return m_frames; }

private:
    IvfWriter(std::FILE* file, std::string path, int width, int height);
    [[nodiscard]] Status writeHeader();

    struct FileCloser {
        void operator()(std::FILE* f) const;
    };
    std::unique_ptr<std::FILE, FileCloser> m_file;
    std::string m_path;
    int m_width = 0;
    int m_height = 0;
    std::uint32_t m_frames = 0;
    std::int64_t m_lastTimestampMs = 0;
};

/// One frame read from an IVF file.
struct IvfFrame {
    std::int64_t timestamp = 0; ///< in the file's time base units
    std::vector<std::uint8_t> data;
};
struct IvfContents {
    std::string fourcc;
    int width = 0;
    int height = 0;
    std::uint32_t timeBaseDenominator = 0;
    std::uint32_t timeBaseNumerator = 0;
    std::uint32_t headerFrameCount = 0;
    std::vector<IvfFrame> frames;
};
/// Reads a whole IVF file (tests and tools). FileMissing / FileFormat on failure.
[[nodiscard]] Result<IvfContents> readIvfFile(const std::string& path);

class Y4mReader {
public:
    /// Opens the file and reads its header. FileMissing, FileFormat (with what is wrong), or
    /// BadSize (outside 16x16..kMaxVideoWidth x kMaxVideoHeight).
    [[nodiscard]] static Result<Y4mReader> open(const std::string& path);

    Y4mReader(Y4mReader&&) noexcept;
    Y4mReader& operator=(Y4mReader&&) noexcept;
    Y4mReader(const Y4mReader&) = delete;
    Y4mReader& operator=(const Y4mReader&) = delete;
    ~Y4mReader();

    [[nodiscard]] int width() const { return m_width; }
    [[nodiscard]] int height() const { return m_height; }
    /// Frame rate from the F tag (30 if absent).
    [[nodiscard]] double frameRate() const { return m_frameRate; }
    /// Reads the next frame into `out` (resized); at the end of the file it starts over from
    /// the first frame. FileFormat if a frame is cut short or its FRAME tag is missing.
    [[nodiscard]] Status readFrame(VideoFrame& out);

private:
    Y4mReader(std::FILE* file, int width, int height, double frameRate, long firstFrame);
    struct FileCloser {
        void operator()(std::FILE* f) const;
    };
    std::unique_ptr<std::FILE, FileCloser> m_file;
    int m_width = 0;
    int m_height = 0;
    double m_frameRate = 30;
    long m_firstFrame = 0; ///< file offset of the first FRAME tag
};

} // namespace diyuma::core
