#include "diyuma/video/VideoFiles.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>
#include <utility>

namespace diyuma::core {

namespace {

constexpr std::size_t kIvfHeaderBytes = 32;
constexpr std::size_t kIvfFrameHeaderBytes = 12;
/// The largest IVF frame we read back (a 1080p key frame is far smaller).
constexpr std::uint32_t kMaxIvfFrameBytes = 16U << 20;

Error fileError(VideoErrorCode code, std::string message) {
    return Error{static_cast<int>(code), std::move(message)};
}

void storeLe16(std::uint8_t* at, std::uint32_t v) {
    at[0] = static_cast<std::uint8_t>(v);
    at[1] = static_cast<std::uint8_t>(v >> 8);
}
void storeLe32(std::uint8_t* at, std::uint32_t v) {
    storeLe16(at, v);
    storeLe16(at + 2, v >> 16);
}
std::uint32_t loadLe16(const std::uint8_t* at) {
    return std::uint32_t{at[0]} | (std::uint32_t{at[1]} << 8);
}
std::uint32_t loadLe32(const std::uint8_t* at) {
    return loadLe16(at) | (loadLe16(at + 2) << 16);
}

std::string errnoText() {
    return std::strerror(errno);
}

} // namespace

// ---------------------------------------------------------------------------------------------
// IVF

void IvfWriter::FileCloser::operator()(std::FILE* f) const {
    std::fclose(f);
}

IvfWriter::IvfWriter(std::FILE* file, std::string path, int width, int height)
    : m_file(file), m_path(std::move(path)), m_width(width), m_height(height) {}
IvfWriter::IvfWriter(IvfWriter&&) noexcept = default;
IvfWriter& IvfWriter::operator=(IvfWriter&&) noexcept = default;
IvfWriter::~IvfWriter() {
    (void)close();
}

Result<IvfWriter> IvfWriter::create(const std::string& path, int width, int height) {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr)
        return fileError(VideoErrorCode::FileWrite,
                         fmt::format("cannot create {}: {}", path, errnoText()));
    IvfWriter writer(file, path, width, height);
    if (auto written = writer.writeHeader(); !written)
        return written.error();
    return writer;
}

Status IvfWriter::writeHeader() {
    std::array<std::uint8_t, kIvfHeaderBytes> h{};
    std::memcpy(h.data(), "DKIF", 4);
    storeLe16(&h[4], 0);
    storeLe16(&h[6], kIvfHeaderBytes);
    std::memcpy(&h[8], "VP80", 4);
    storeLe16(&h[12], static_cast<std::uint32_t>(m_width));
    storeLe16(&h[14], static_cast<std::uint32_t>(m_height));
    storeLe32(&h[16], 1000); // time base 1/1000: timestamps in milliseconds
    storeLe32(&h[20], 1);
    storeLe32(&h[24], m_frames);
    if (std::fseek(m_file.get(), 0, SEEK_SET) != 0 ||
        std::fwrite(h.data(), 1, h.size(), m_file.get()) != h.size())
        return fileError(VideoErrorCode::FileWrite,
                         fmt::format("cannot write {}: {}", m_path, errnoText()));
    return Ok{};
}

Status IvfWriter::writeFrame(std::span<const std::uint8_t> frame, std::int64_t timestampMs) {
    if (!m_file)
        return fileError(VideoErrorCode::FileWrite, fmt::format("{} is closed", m_path));
    // The wall clock behind the timestamps may step back, and two frames may arrive within
    // one millisecond (the last of one layer and the key frame of the next, at a switch):
    // players and muxers want each frame later than the one before.
    timestampMs = std::max(timestampMs, m_frames > 0 ? m_lastTimestampMs + 1 : 0);
    std::array<std::uint8_t, kIvfFrameHeaderBytes> h{};
    storeLe32(&h[0], static_cast<std::uint32_t>(frame.size()));
    const auto ts = static_cast<std::uint64_t>(timestampMs);
    storeLe32(&h[4], static_cast<std::uint32_t>(ts));
    storeLe32(&h[8], static_cast<std::uint32_t>(ts >> 32));
    if (std::fseek(m_file.get(), 0, SEEK_END) != 0 ||
        std::fwrite(h.data(), 1, h.size(), m_file.get()) != h.size() ||
        std::fwrite(frame.data(), 1, frame.size(), m_file.get()) != frame.size())
        return fileError(VideoErrorCode::FileWrite,
                         fmt::format("cannot write {}: {}", m_path, errnoText()));
    ++m_frames;
    m_lastTimestampMs = timestampMs;
    return Ok{};
}

Status IvfWriter::close() {
    if (!m_file)
        return Ok{};
    Status header = writeHeader();
    const bool flushed = std::fflush(m_file.get()) == 0;
    m_file.reset();
    if (!header)
        return header;
    if (!flushed)
        return fileError(VideoErrorCode::FileWrite,
                         fmt::format("cannot write {}: {}", m_path, errnoText()));
    return Ok{};
}

Result<IvfContents> readIvfFile(const std::string& path) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                         &std::fclose);
    if (!file)
        return fileError(VideoErrorCode::FileMissing,
                         fmt::format("cannot open {}: {}", path, errnoText()));
    std::array<std::uint8_t, kIvfHeaderBytes> h{};
    if (std::fread(h.data(), 1, h.size(), file.get()) != h.size() ||
        std::memcmp(h.data(), "DKIF", 4) != 0)
        return fileError(VideoErrorCode::FileFormat, fmt::format("{} is not an IVF file", path));
    IvfContents contents;
    contents.fourcc.assign(reinterpret_cast<const char*>(&h[8]), 4);
    contents.width = static_cast<int>(loadLe16(&h[12]));
    contents.height = static_cast<int>(loadLe16(&h[14]));
    contents.timeBaseDenominator = loadLe32(&h[16]);
    contents.timeBaseNumerator = loadLe32(&h[20]);
    contents.headerFrameCount = loadLe32(&h[24]);
    const std::uint32_t headerBytes = loadLe16(&h[6]);
    if (headerBytes < kIvfHeaderBytes || std::fseek(file.get(), headerBytes, SEEK_SET) != 0)
        return fileError(VideoErrorCode::FileFormat, fmt::format("{}: bad IVF header", path));
    for (;;) {
        std::array<std::uint8_t, kIvfFrameHeaderBytes> fh{};
        const std::size_t got = std::fread(fh.data(), 1, fh.size(), file.get());
        if (got == 0)
            break;
        if (got != fh.size())
            return fileError(VideoErrorCode::FileFormat,
                             fmt::format("{}: frame header cut short", path));
        const std::uint32_t size = loadLe32(&fh[0]);
        if (size > kMaxIvfFrameBytes)
            return fileError(VideoErrorCode::FileFormat,
                             fmt::format("{}: frame of {} bytes", path, size));
        IvfFrame frame;
        frame.timestamp = static_cast<std::int64_t>(std::uint64_t{loadLe32(&fh[4])} |
                                                    (std::uint64_t{loadLe32(&fh[8])} << 32));
        frame.data.resize(size);
        if (std::fread(frame.data.data(), 1, size, file.get()) != size)
            return fileError(VideoErrorCode::FileFormat, fmt::format("{}: frame cut short", path));
        contents.frames.push_back(std::move(frame));
    }
    return contents;
}

// ---------------------------------------------------------------------------------------------
// Y4M

void Y4mReader::FileCloser::operator()(std::FILE* f) const {
    std::fclose(f);
}

Y4mReader::Y4mReader(std::FILE* file, int width, int height, double frameRate, long firstFrame)
    : m_file(file), m_width(width), m_height(height), m_frameRate(frameRate),
      m_firstFrame(firstFrame) {}
Y4mReader::Y4mReader(Y4mReader&&) noexcept = default;
Y4mReader& Y4mReader::operator=(Y4mReader&&) noexcept = default;
Y4mReader::~Y4mReader() = default;

namespace {
/// Reads one line (without the '\n') of at most `limit` bytes; false at EOF or if too long.
bool readLine(std::FILE* file, std::string& line, std::size_t limit) {
    line.clear();
    for (;;) {
        const int c = std::fgetc(file);
        if (c == EOF)
            return false;
        if (c == '\n')
            return true;
        if (line.size() >= limit)
            return false;
        line.push_back(static_cast<char>(c));
    }
}

bool parseInt(std::string_view text, int& out) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size();
}
} // namespace

Result<Y4mReader> Y4mReader::open(const std::string& path) {
    std::FILE* raw = std::fopen(path.c_str(), "rb");
    if (raw == nullptr)
        return fileError(VideoErrorCode::FileMissing,
                         fmt::format("cannot open {}: {}", path, errnoText()));
    std::unique_ptr<std::FILE, FileCloser> file(raw);
    std::string header;
    constexpr std::string_view kMagic = "YUV4MPEG2";
    if (!readLine(raw, header, 1024) || !std::string_view(header).starts_with(kMagic))
        return fileError(VideoErrorCode::FileFormat,
                         fmt::format("{} is not a Y4M file (no YUV4MPEG2 header)", path));
    int width = 0;
    int height = 0;
    double frameRate = 30;
    std::string_view rest = std::string_view(header).substr(kMagic.size());
    while (!rest.empty()) {
        const std::size_t space = rest.find(' ');
        const std::string_view token = rest.substr(0, space);
        rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
        if (token.empty())
            continue;
        const std::string_view value = token.substr(1);
        switch (token[0]) {
        case 'W':
            if (!parseInt(value, width))
                return fileError(VideoErrorCode::FileFormat, fmt::format("{}: bad width", path));
            break;
        case 'H':
            if (!parseInt(value, height))
                return fileError(VideoErrorCode::FileFormat, fmt::format("{}: bad height", path));
            break;
        case 'F': {
            const std::size_t colon = value.find(':');
            int num = 0;
            int den = 0;
            if (colon == std::string_view::npos || !parseInt(value.substr(0, colon), num) ||
                !parseInt(value.substr(colon + 1), den) || num <= 0 || den <= 0)
                return fileError(VideoErrorCode::FileFormat,
                                 fmt::format("{}: bad frame rate {}", path, value));
            frameRate = static_cast<double>(num) / den;
            break;
        }
        case 'C':
            // 8-bit 4:2:0 only (420p10, 444, mono, ... are not I420).
            if (value != "420" && value != "420jpeg" && value != "420paldv" && value != "420mpeg2")
                return fileError(
                    VideoErrorCode::FileFormat,
                    fmt::format("{}: colour space C{} is not 8-bit 4:2:0", path, value));
            break;
        default:
            break; // interlacing, aspect, comments: no bearing on the planes
        }
    }
    if (width < 16 || height < 16 || width > kMaxVideoWidth || height > kMaxVideoHeight)
        return fileError(VideoErrorCode::BadSize,
                         fmt::format("{}: picture size {}x{} is outside 16x16..{}x{}", path, width,
                                     height, kMaxVideoWidth, kMaxVideoHeight));
    const long firstFrame = std::ftell(raw);
    return Y4mReader(file.release(), width, height, frameRate, firstFrame);
}

Status Y4mReader::readFrame(VideoFrame& out) {
    std::FILE* f = m_file.get();
    std::string tag;
    bool fresh = false; // started over from the first frame during this call
    for (;;) {
        if (readLine(f, tag, 1024))
            break;
        if (fresh || !std::feof(f))
            return fileError(VideoErrorCode::FileFormat, "y4m: FRAME tag missing or too long");
        std::clearerr(f);
        if (std::fseek(f, m_firstFrame, SEEK_SET) != 0)
            return fileError(VideoErrorCode::FileFormat, "y4m: cannot go back to the first frame");
        fresh = true;
    }
    if (!std::string_view(tag).starts_with("FRAME"))
        return fileError(VideoErrorCode::FileFormat, "y4m: FRAME tag missing");
    out.resize(m_width, m_height);
    const auto data = out.data();
    if (std::fread(data.data(), 1, data.size(), f) != data.size())
        return fileError(VideoErrorCode::FileFormat, "y4m: frame cut short");
    return Ok{};
}

} // namespace diyuma::core
