#pragma once
// Sound files: read anything libsndfile reads as 48 kHz mono int16, and write 48 kHz mono
// 16-bit PCM WAV files.
//
// Thread: file I/O; never call from the real-time audio callback. readAudioFileAs48kMono() is
// reentrant; a WavWriter is used by one thread at a time.

#include "diyuma/util/Result.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

struct sf_private_tag; // libsndfile's SNDFILE

namespace diyuma::core {

namespace detail {
/// Closes a libsndfile handle: the one RAII owner of SNDFILE* used by reader and writer.
struct SndFileCloser {
    void operator()(sf_private_tag* file) const;
};
using SndFileHandle = std::unique_ptr<sf_private_tag, SndFileCloser>;
} // namespace detail

/// Reads any WAV/AIFF/FLAC/... file libsndfile can read, at any rate and channel count, and
/// returns it as 48 kHz mono int16: channels are averaged; other rates go through soxr (high
/// quality, linear phase). A 48 kHz mono 16-bit file comes back bit-exact.
/// Errors (AudioErrorCode): FileMissing, FileUnreadable (not audio, broken), FileEmpty,
/// Resample; the one-line message names the file.
Result<std::vector<std::int16_t>> readAudioFileAs48kMono(const std::string& path);

/// Writes a 48 kHz mono 16-bit PCM WAV file (libsndfile). Write-through: every append() goes
/// to the file at once and the header is updated after each write, so the file is complete
/// and readable at any moment (also if the process dies). Closed by close() or the destructor.
class WavWriter {
public:
    /// Creates (truncates) `path`. Fails with AudioErrorCode::FileWrite naming the file.
    static Result<WavWriter> create(const std::string& path);

    WavWriter(WavWriter&&) noexcept = default;
    WavWriter& operator=(WavWriter&&) noexcept = default;
    WavWriter(const WavWriter&) = delete;
    WavWriter& operator=(const WavWriter&) = delete;
    ~WavWriter();

    /// Appends samples (48 kHz mono). False if the write failed or the writer is closed.
    bool append(std::span<const std::int16_t> samples);
    /// Appends `samples` zero samples.
    bool appendSilence(std::size_t samples);
    /// Samples written so far.
    [[nodiscard]] std::uint64_t samplesWritten() const { return m_samplesWritten; }
    /// The file's path.
    [[nodiscard]] const std::string& path() const { return m_path; }
    /// Finishes the file; further appends fail. Idempotent; also done by the destructor.
    void close();

private:
    WavWriter(detail::SndFileHandle file, std::string path);

    detail::SndFileHandle m_file;
    std::string m_path;
    std::uint64_t m_samplesWritten = 0;
};

} // namespace diyuma::core
