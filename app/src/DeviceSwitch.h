#pragma once
// What the CallRunner holds instead of the audio devices themselves: a capture source and a
// playback sink that forward to a device the GUI thread may swap or remove mid-call (device
// failed, fell back to the default one, re-enumerated). Without a device the capture side
// gives silence (readBlock returns false) and the playback side drops the mix.
//
// Thread: readBlock()/playBlock() on the media thread; attach()/detach() on the GUI thread.
// detach() returns only when the media thread is no longer inside the old device, so the
// caller may then close or destroy it. Both sides only do a few atomic operations: no lock.

#include "diyuma/session/AudioDevice.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace diyuma::app {

template <typename Device>
class DeviceSwitchBase {
public:
    /// GUI thread: the media thread uses `device` from its next block on (null: none).
    void attach(Device* device) {
        // seq_cst (as every access here): detach() relies on a single total order of the
        // store to m_device and the media thread's store/load of m_busy and m_device.
        m_device.store(device);
    }
    /// GUI thread: no device any more; waits (a few microseconds at most, one ring copy)
    /// until the media thread has left the old one.
    void detach() {
        m_device.store(nullptr);
        // If the media thread loaded the old pointer, its m_busy=true came before that load
        // and so before our store in the total order: we see it here until it is done.
        while (m_busy.load())
            std::this_thread::yield();
    }

protected:
    /// Media thread: calls fn(device) with the current device, or returns false when none.
    template <typename Fn>
    bool use(Fn&& fn) {
        m_busy.store(true);
        Device* device = m_device.load();
        bool used = false;
        if (device) {
            fn(*device);
            used = true;
        }
        m_busy.store(false);
        return used;
    }

private:
    std::atomic<Device*> m_device{nullptr};
    std::atomic<bool> m_busy{false};
};

class CaptureSwitch final : public core::AudioCaptureSource,
                            public DeviceSwitchBase<core::AudioCaptureSource> {
public:
    bool readBlock(std::span<std::int16_t> block) override {
        bool captured = false;
        if (!use([&](core::AudioCaptureSource& d) { captured = d.readBlock(block); })) {
            std::fill(block.begin(), block.end(), std::int16_t{0});
            return false;
        }
        return captured;
    }
};

class PlaybackSwitch final : public core::AudioPlaybackSink,
                             public DeviceSwitchBase<core::AudioPlaybackSink> {
public:
    void playBlock(std::span<const core::ParticipantAudioBlock> participants,
                   std::span<const std::int16_t> mix) override {
        (void)use([&](core::AudioPlaybackSink& d) { d.playBlock(participants, mix); });
    }
};

} // namespace diyuma::app
