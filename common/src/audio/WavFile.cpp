#include "diyuma/audio/WavFile.h"

#include "diyuma/audio/AudioFormat.h"

#include <fmt/format.h>
#include <sndfile.h>
#include <soxr.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <system_error>
#include <utility>

namespace diyuma::core {

namespace {

Error audioError(AudioErrorCode code, std::string message) {
    return Error{static_cast<int>(code), std::move(message)};
}

// libsndfile messages may end with a newline or a full stop; keep the error on one line.
std::string oneLine(std::string text) {
    std::replace(text.begin(), text.end(), '\n', ' ');
    while (!text.empty() && (text.back() == ' ' || text.back() == '.'))
        text.pop_back();
    return text;
}

// Resamples mono float audio with soxr (one-shot: the whole signal, flushed at the end).
Result<std::vector<float>> resampleTo48k(const std::vector<float>& in, int inRateHz,
                                         const std::string& path) {
    const double ratio = static_cast<double>(kSampleRateHz) / inRateHz;
    std::vector<float> out(
        static_cast<std::size_t>(std::ceil(static_cast<double>(in.size()) * ratio)) + 16);
    std::size_t produced = 0;
    // HQ (20-bit) is well beyond the int16 we round to, and faster than VHQ.
    const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
    const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    const soxr_error_t error =
        soxr_oneshot(inRateHz, kSampleRateHz, 1, in.data(), in.size(), nullptr, out.data(),
                     out.size(), &produced, &io, &quality, nullptr);
    if (error != nullptr)
        return audioError(
            AudioErrorCode::Resample,
            fmt::format("cannot resample '{}' from {} Hz: {}", path, inRateHz, oneLine(error)));
    out.resize(produced);
    return out;
}

std::int16_t toInt16(float v) {
    const float scaled = std::round(v * 32768.0f);
    return static_cast<std::int16_t>(std::clamp(scaled, -32768.0f, 32767.0f));
}

} // namespace

Result<std::vector<std::int16_t>> readAudioFileAs48kMono(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        return audioError(AudioErrorCode::FileMissing,
                          fmt::format("cannot read audio file '{}': no such file", path));
    SF_INFO info{};
    detail::SndFileHandle file(sf_open(path.c_str(), SFM_READ, &info));
    if (!file)
        return audioError(
            AudioErrorCode::FileUnreadable,
            fmt::format("cannot read audio file '{}': {}", path, oneLine(sf_strerror(nullptr))));
    if (info.frames <= 0 || info.channels <= 0)
        return audioError(AudioErrorCode::FileEmpty,
                          fmt::format("audio file '{}' contains no samples", path));
    if (info.samplerate <= 0)
        return audioError(AudioErrorCode::FileUnreadable,
                          fmt::format("audio file '{}' has no valid sample rate", path));

    // Floats: libsndfile normalises integer formats to [-1, 1) (x / 32768 for 16 bit), so a
    // 16-bit file survives the round trip exactly; float files are taken as they are.
    const auto channels = static_cast<std::size_t>(info.channels);
    std::vector<float> mono;
    // The header's frame count is a hint only (a broken file may claim anything).
    constexpr sf_count_t kReserveLimit = sf_count_t{48000} * 600;
    mono.reserve(static_cast<std::size_t>(std::min(info.frames, kReserveLimit)));
    std::array<float, 4096> chunk{};
    if (channels > chunk.size())
        return audioError(
            AudioErrorCode::FileUnreadable,
            fmt::format("audio file '{}' has too many channels ({})", path, info.channels));
    const std::size_t framesPerChunk = chunk.size() / channels;
    for (;;) {
        const sf_count_t got =
            sf_readf_float(file.get(), chunk.data(), static_cast<sf_count_t>(framesPerChunk));
        if (got <= 0)
            break;
        for (sf_count_t f = 0; f < got; ++f) {
            const float* frame = chunk.data() + static_cast<std::size_t>(f) * channels;
            float sum = 0;
            for (std::size_t c = 0; c < channels; ++c)
                sum += frame[c];
            mono.push_back(sum / static_cast<float>(channels));
        }
    }
    if (sf_error(file.get()) != SF_ERR_NO_ERROR)
        return audioError(
            AudioErrorCode::FileUnreadable,
            fmt::format("cannot read audio file '{}': {}", path, oneLine(sf_strerror(file.get()))));
    if (mono.empty())
        return audioError(AudioErrorCode::FileEmpty,
                          fmt::format("audio file '{}' contains no samples", path));

    if (info.samplerate != kSampleRateHz) {
        auto resampled = resampleTo48k(mono, info.samplerate, path);
        if (!resampled)
            return resampled.error();
        mono = std::move(resampled.value());
    }
    std::vector<std::int16_t> out(mono.size());
    std::transform(mono.begin(), mono.end(), out.begin(), toInt16);
    return out;
}

void detail::SndFileCloser::operator()(sf_private_tag* file) const {
    sf_close(file);
}

WavWriter::WavWriter(detail::SndFileHandle file, std::string path)
    : m_file(std::move(file)), m_path(std::move(path)) {}

WavWriter::~WavWriter() = default;

Result<WavWriter> WavWriter::create(const std::string& path) {
    SF_INFO info{};
    info.samplerate = kSampleRateHz;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    detail::SndFileHandle file(sf_open(path.c_str(), SFM_WRITE, &info));
    if (!file)
        return audioError(
            AudioErrorCode::FileWrite,
            fmt::format("cannot create WAV file '{}': {}", path, oneLine(sf_strerror(nullptr))));
    // Keep the header's sizes current after every write: the file is valid at all times.
    sf_command(file.get(), SFC_SET_UPDATE_HEADER_AUTO, nullptr, SF_TRUE);
    return WavWriter(std::move(file), path);
}

bool WavWriter::append(std::span<const std::int16_t> samples) {
    if (!m_file)
        return false;
    if (samples.empty())
        return true;
    const auto count = static_cast<sf_count_t>(samples.size());
    const sf_count_t written = sf_write_short(m_file.get(), samples.data(), count);
    if (written > 0)
        m_samplesWritten += static_cast<std::uint64_t>(written);
    return written == count;
}

bool WavWriter::appendSilence(std::size_t samples) {
    static constexpr std::array<std::int16_t, 4096> kZeros{};
    while (samples > 0) {
        const std::size_t n = std::min(samples, kZeros.size());
        if (!append(std::span(kZeros).first(n)))
            return false;
        samples -= n;
    }
    return true;
}

void WavWriter::close() {
    m_file.reset();
}

} // namespace diyuma::core
