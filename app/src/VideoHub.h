#pragma once
// Where the pictures of a call meet the screen. The media thread writes, the GUI reads the
// newest and never waits for more than a copy:
//  - PictureSlot: the latest picture of one stream (an older one not yet shown is simply
//    replaced: the renderer never makes the media thread wait);
//  - VideoHub: the VideoFrameSink of the call (one slot per remote participant) plus the slot
//    of our own picture (the self-view);
//  - LocalVideoSource: the VideoSource of the call: the test pattern or the camera's latest
//    picture (scaled to the size we send), nothing while the camera is off; every picture it
//    hands the encoder is also put in the self-view slot.
//
// Thread: PictureSlot and VideoHub are safe from any thread (a mutex held for one copy).
// readFrame()/onVideoFrame() run on the media thread; setEnabled() and the rest on the GUI.

#include "diyuma/session/VideoDevice.h"
#include "diyuma/util/Clock.h"
#include "diyuma/video/VideoFrame.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

namespace diyuma::app {

class PictureSlot {
public:
    /// Replaces the picture (the buffer is reused: no allocation once it is big enough).
    void store(const core::VideoFrame& picture);
    /// Copies the picture into `out` if it is newer than `seen` (and updates `seen`).
    bool fetchIfNewer(std::uint64_t& seen, core::VideoFrame& out) const;
    /// Forgets the picture (a new call, a participant who left).
    void clear();
    /// How many pictures were stored so far (0: none).
    std::uint64_t sequence() const;

private:
    mutable std::mutex m_mutex;
    core::VideoFrame m_picture;   ///< guarded by m_mutex
    std::uint64_t m_sequence = 0; ///< guarded by m_mutex
};

class VideoHub final : public core::VideoFrameSink {
public:
    /// A decoded picture of a remote participant (media thread).
    void onVideoFrame(const core::ReceivedVideoFrame& frame) override;

    /// The newest picture of `participantId` if newer than `seen`.
    bool fetchIfNewer(std::uint32_t participantId, std::uint64_t& seen,
                      core::VideoFrame& out) const;
    /// Our own picture as sent (self-view).
    PictureSlot& self() { return m_self; }
    /// Forgets every picture (between calls).
    void clear();

private:
    mutable std::mutex m_mutex; ///< guards the map, not the slots (each has its own)
    std::map<std::uint32_t, std::unique_ptr<PictureSlot>> m_remote;
    PictureSlot m_self;
};

class LocalVideoSource final : public core::VideoSource {
public:
    enum class Kind { Pattern, Camera };
    /// `camera` (Kind::Camera) holds the camera's pictures in their own size; the pictures
    /// sent are width x height. `self` receives each picture sent. Both must outlive this.
    LocalVideoSource(Kind kind, int width, int height, const PictureSlot* camera,
                     PictureSlot& self);

    bool readFrame(core::VideoFrame& out) override;

    /// Camera (or pattern) on or off; off sends nothing and clears the self-view.
    void setEnabled(bool enabled);
    bool enabled() const { return m_enabled.load(std::memory_order_relaxed); }

private:
    const Kind m_kind;
    const int m_width;
    const int m_height;
    const PictureSlot* const m_camera;
    PictureSlot& m_self;
    core::SystemClock m_clock;
    // Relaxed is enough: the flag carries no other data with it (the slots lock).
    std::atomic<bool> m_enabled{true};
    // Media thread only.
    std::uint32_t m_patternFrame = 0;
    std::uint64_t m_cameraSeen = 0;
    core::VideoFrame m_cameraPicture;
};

} // namespace diyuma::app
