#include "VideoHub.h"

#include "diyuma/video/PictureConvert.h"
#include "diyuma/video/TestPattern.h"

#include <cstring>

namespace diyuma::app {

void PictureSlot::store(const core::VideoFrame& picture) {
    if (picture.empty())
        return;
    const std::lock_guard lock(m_mutex);
    if (m_picture.width() != picture.width() || m_picture.height() != picture.height())
        m_picture.resize(picture.width(), picture.height());
    std::memcpy(m_picture.data().data(), picture.data().data(), picture.sizeBytes());
    m_picture.captureUnixMs = picture.captureUnixMs;
    ++m_sequence;
}

bool PictureSlot::fetchIfNewer(std::uint64_t& seen, core::VideoFrame& out) const {
    const std::lock_guard lock(m_mutex);
    if (m_sequence == seen || m_picture.empty())
        return false;
    if (out.width() != m_picture.width() || out.height() != m_picture.height())
        out.resize(m_picture.width(), m_picture.height());
    std::memcpy(out.data().data(), m_picture.data().data(), m_picture.sizeBytes());
    out.captureUnixMs = m_picture.captureUnixMs;
    seen = m_sequence;
    return true;
}

void PictureSlot::clear() {
    const std::lock_guard lock(m_mutex);
    m_picture = core::VideoFrame{};
    ++m_sequence; // whoever showed the old picture sees that something changed
}

std::uint64_t PictureSlot::sequence() const {
    const std::lock_guard lock(m_mutex);
    return m_sequence;
}

void VideoHub::onVideoFrame(const core::ReceivedVideoFrame& frame) {
    if (frame.picture == nullptr)
        return;
    PictureSlot* slot = nullptr;
    {
        const std::lock_guard lock(m_mutex);
        auto& entry = m_remote[frame.participantId];
        if (!entry)
            entry = std::make_unique<PictureSlot>();
        slot = entry.get(); // slots live until clear(), which runs between calls
    }
    slot->store(*frame.picture);
}

bool VideoHub::fetchIfNewer(std::uint32_t participantId, std::uint64_t& seen,
                            core::VideoFrame& out) const {
    const PictureSlot* slot = nullptr;
    {
        const std::lock_guard lock(m_mutex);
        auto it = m_remote.find(participantId);
        if (it == m_remote.end())
            return false;
        slot = it->second.get();
    }
    return slot->fetchIfNewer(seen, out);
}

void VideoHub::clear() {
    const std::lock_guard lock(m_mutex);
    m_remote.clear();
    m_self.clear();
}

LocalVideoSource::LocalVideoSource(Kind kind, int width, int height, const PictureSlot* camera,
                                   PictureSlot& self)
    : m_kind(kind), m_width(width), m_height(height), m_camera(camera), m_self(self) {}

void LocalVideoSource::setEnabled(bool enabled) {
    m_enabled.store(enabled, std::memory_order_relaxed);
    if (!enabled)
        m_self.clear();
}

bool LocalVideoSource::readFrame(core::VideoFrame& out) {
    if (!enabled())
        return false;
    if (out.width() != m_width || out.height() != m_height)
        out.resize(m_width, m_height);
    if (m_kind == Kind::Pattern) {
        core::renderTestPattern(out, core::PatternStamp{m_patternFrame++, m_clock.unixMs()});
    } else {
        if (m_camera == nullptr || !m_camera->fetchIfNewer(m_cameraSeen, m_cameraPicture))
            return false;
        core::scaleI420(m_cameraPicture, out);
    }
    // Off while this picture was made: send it (it is the last), but keep the self-view dark.
    if (enabled())
        m_self.store(out);
    return true;
}

} // namespace diyuma::app
