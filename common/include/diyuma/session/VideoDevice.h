#pragma once
// What CallEngine needs from video devices: a source of pictures (camera, test pattern, Y4M
// file) and a sink for what it received and decoded (the app's tiles, diyuma-cli's IVF
// recorder, test fakes).
//
// Thread: both are called only from the engine's thread (CallEngine::processVideo). A camera
// delivering on another thread puts a latest-frame hand-off in between.

#include "diyuma/video/VideoFrame.h"

#include <cstdint>
#include <span>
#include <string_view>

namespace diyuma::core {

class VideoSource {
public:
    virtual ~VideoSource() = default;
    /// Called when the engine wants the next picture (at most at its frame rate). Fills `out`
    /// (resizing it as needed; the engine reuses it) with a picture newer than the last one,
    /// its captureUnixMs set, and returns true; false if there is none (camera off, no new
    /// picture yet).
    virtual bool readFrame(VideoFrame& out) = 0;
};

/// One picture received from a remote participant.
struct ReceivedVideoFrame {
    std::uint32_t participantId = 0;
    std::string_view name;                 ///< display name (valid during the call only)
    const VideoFrame* picture = nullptr;   ///< decoded; valid during the call only
    std::span<const std::uint8_t> encoded; ///< the complete VP8 frame as received
    bool keyFrame = false;
    std::uint32_t rtpTimestamp = 0;
    std::int64_t receivedUnixMs = 0; ///< when it was complete and decoded
};

class VideoFrameSink {
public:
    virtual ~VideoFrameSink() = default;
    virtual void onVideoFrame(const ReceivedVideoFrame& frame) = 0;
};

} // namespace diyuma::core
