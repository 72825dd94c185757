#pragma once
// Synthetic and file video sources for diyuma-cli (stand-ins for a camera), and the recorder
// of received video.
//
//   PatternVideoSource   the moving test pattern (core/video/TestPattern.h), frame numbers
//                        0, 1, 2... and the capture time from the clock stamped in
//   Y4mVideoSource       a .y4m file, looped, stamped with the capture time
//   VideoRecorder        DIR/<participant>.ivf per remote participant: the complete VP8
//                        frames as received, timestamps in ms since record.start_unix_ms
//
// Thread: called by CallEngine::processVideo on diyuma-cli's loop thread.

#include "diyuma/cli/ParticipantLabels.h"
#include "diyuma/session/VideoDevice.h"
#include "diyuma/util/Clock.h"
#include "diyuma/util/Result.h"
#include "diyuma/video/VideoFiles.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace diyuma::cli {

class PatternVideoSource final : public core::VideoSource {
public:
    PatternVideoSource(const core::Clock& clock, int width, int height)
        : m_clock(clock), m_width(width), m_height(height) {}
    bool readFrame(core::VideoFrame& out) override;
    [[nodiscard]] std::uint32_t framesRendered() const { return m_next; }

private:
    const core::Clock& m_clock;
    int m_width;
    int m_height;
    std::uint32_t m_next = 0;
};

class Y4mVideoSource final : public core::VideoSource {
public:
    Y4mVideoSource(const core::Clock& clock, core::Y4mReader reader)
        : m_clock(clock), m_reader(std::move(reader)) {}
    bool readFrame(core::VideoFrame& out) override;
    [[nodiscard]] const core::Y4mReader& reader() const { return m_reader; }
    /// The first read error (reading stops there).
    [[nodiscard]] const std::optional<std::string>& error() const { return m_error; }

private:
    const core::Clock& m_clock;
    core::Y4mReader m_reader;
    std::optional<std::string> m_error;
};

class VideoRecorder final : public core::VideoFrameSink {
public:
    /// Creates `dir` if needed. `labels` names the files (DIR/<stem>.ivf); `recordStartUnixMs`
    /// gives the recording's time zero (the stats' record.start_unix_ms) once it is known.
    [[nodiscard]] static core::Result<std::unique_ptr<VideoRecorder>>
    create(const std::filesystem::path& dir, ParticipantLabels& labels,
           std::function<std::optional<std::int64_t>()> recordStartUnixMs);

    void onVideoFrame(const core::ReceivedVideoFrame& frame) override;
    /// Closes every file (writing its frame count).
    void finish();
    [[nodiscard]] const std::optional<std::string>& error() const { return m_error; }
    /// The file of a track, if one was opened.
    [[nodiscard]] std::optional<std::filesystem::path> fileOf(std::size_t trackIndex) const;

private:
    VideoRecorder(std::filesystem::path dir, ParticipantLabels& labels,
                  std::function<std::optional<std::int64_t>()> recordStartUnixMs)
        : m_dir(std::move(dir)), m_labels(labels), m_recordStart(std::move(recordStartUnixMs)) {}

    std::filesystem::path m_dir;
    ParticipantLabels& m_labels;
    std::function<std::optional<std::int64_t>()> m_recordStart;
    std::map<std::size_t, core::IvfWriter> m_files; ///< by track index
    std::map<std::size_t, std::filesystem::path> m_paths;
    std::optional<std::string> m_error;
};

} // namespace diyuma::cli
