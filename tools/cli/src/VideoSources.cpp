#include "diyuma/cli/VideoSources.h"

#include "diyuma/video/TestPattern.h"

#include <fmt/format.h>

#include <system_error>

namespace diyuma::cli {

namespace fs = std::filesystem;

bool PatternVideoSource::readFrame(core::VideoFrame& out) {
    if (out.width() != m_width || out.height() != m_height)
        out.resize(m_width, m_height);
    core::renderTestPattern(out, core::PatternStamp{m_next++, m_clock.unixMs()});
    return true;
}

bool Y4mVideoSource::readFrame(core::VideoFrame& out) {
    if (m_error)
        return false;
    if (auto read = m_reader.readFrame(out); !read) {
        m_error = read.error().message;
        return false;
    }
    out.captureUnixMs = m_clock.unixMs();
    return true;
}

core::Result<std::unique_ptr<VideoRecorder>>
VideoRecorder::create(const fs::path& dir, ParticipantLabels& labels,
                      std::function<std::optional<std::int64_t>()> recordStartUnixMs) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir))
        return core::Error{1, fmt::format("cannot create recording folder {}: {}", dir.string(),
                                          ec ? ec.message() : "not a directory")};
    return std::unique_ptr<VideoRecorder>(
        new VideoRecorder(dir, labels, std::move(recordStartUnixMs)));
}

void VideoRecorder::onVideoFrame(const core::ReceivedVideoFrame& frame) {
    if (m_error)
        return;
    const std::size_t index = m_labels.assign(frame.participantId, std::string(frame.name));
    auto file = m_files.find(index);
    if (file == m_files.end()) {
        // The file starts at a key frame (the first frame a receiver can decode is one), and
        // takes its size from the first picture.
        const auto path = m_dir / (m_labels.tracks()[index].fileStem + ".ivf");
        auto created =
            core::IvfWriter::create(path.string(), frame.picture->width(), frame.picture->height());
        if (!created) {
            m_error = created.error().message;
            return;
        }
        file = m_files.emplace(index, std::move(created.value())).first;
        m_paths[index] = path;
    }
    const std::int64_t start = m_recordStart().value_or(frame.receivedUnixMs);
    if (auto written = file->second.writeFrame(frame.encoded, frame.receivedUnixMs - start);
        !written)
        m_error = written.error().message;
}

void VideoRecorder::finish() {
    for (auto& [index, file] : m_files) {
        if (auto closed = file.close(); !closed && !m_error)
            m_error = closed.error().message;
    }
}

std::optional<fs::path> VideoRecorder::fileOf(std::size_t trackIndex) const {
    auto it = m_paths.find(trackIndex);
    if (it == m_paths.end())
        return std::nullopt;
    return it->second;
}

} // namespace diyuma::cli
