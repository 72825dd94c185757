#pragma once
// Real audio devices through PortAudio 19.6, for the desktop app.
//
// Capture and playback are two separate PortAudio streams (one full-duplex stream through
// ALSA's pulse plugin was measured running ~11 % slow). Each callback only copies between
// the device buffer and a lock-free single-producer/single-consumer ring (audio/SpscRing.h):
// no allocation, lock, blocking call or logging in a callback. The media thread (CallRunner)
// takes and gives 10 ms blocks through AudioCaptureSource / AudioPlaybackSink, and a drift
// compensator (audio/DriftCompensator.h) resamples by a few hundred ppm so that the ring
// fill stays near its target although the device clocks and the steady clock differ.
//
// PortAudio 19.6 has no hot-plug: AudioSystem::reinitialize() terminates and initializes the
// library again (call it when the settings dialog opens or a device failed). A device that
// fails mid-call is reported through status(); the app shows it and calls reopen(), which
// falls back to the default device when the chosen one is gone.
//
// Thread: AudioSystem, open(), reopen(), playSound() and the destructors belong to one
// controlling thread (the GUI thread); reopen() may run while the media thread keeps calling
// readBlock()/playBlock() (the media thread then gets silence until the new stream delivers).
// readBlock()/playBlock() are the media thread's; levelDbfs(), status(), lastError() and
// stats() may be read from any thread. Destroy every device before its AudioSystem.
//
// Latency and drift are measured in docs/PERFORMANCE.md ("Audio devices"); the threads are in
// docs/THREADS.md.

#include "diyuma/session/AudioDevice.h"
#include "diyuma/util/Result.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace diyuma::devices {

namespace detail {
struct DeviceCommon;
}

/// Error::code values of the devices module.
enum class DeviceErrorCode {
    Init = 1,       ///< Pa_Initialize failed
    NoDevice = 2,   ///< no input (or output) device at all
    Format = 3,     ///< the device refuses 48 kHz mono int16
    Open = 4,       ///< Pa_OpenStream / Pa_StartStream failed
    StreamOpen = 5, ///< reinitialize() while a stream is open
};

struct DeviceInfo {
    std::string name; ///< "Host API: device name", stable across runs (what settings keep)
    bool isDefault = false;
    int maxChannels = 0;
};

/// PortAudio's library state (Pa_Initialize / Pa_Terminate) and device lists.
class AudioSystem {
public:
    [[nodiscard]] static core::Result<std::unique_ptr<AudioSystem>> create();
    ~AudioSystem();
    AudioSystem(const AudioSystem&) = delete;
    AudioSystem& operator=(const AudioSystem&) = delete;

    /// Terminates and initializes PortAudio again so that new devices appear. No stream may
    /// be open.
    [[nodiscard]] core::Status reinitialize();
    [[nodiscard]] std::vector<DeviceInfo> inputDevices() const;
    [[nodiscard]] std::vector<DeviceInfo> outputDevices() const;

    /// Streams opened on this system and not yet closed (controlling thread).
    [[nodiscard]] int openStreams() const { return m_openStreams; }

private:
    friend struct detail::DeviceCommon;
    AudioSystem() = default;
    bool m_initialized = false;
    int m_openStreams = 0;
};

enum class DeviceStatus : std::uint8_t {
    Running,
    Failed, ///< the stream stopped or errored (device gone); lastError() says why
    Stopped,
};

/// Figures for tests, benchmarks and a details view; a snapshot published by the media thread
/// after each block (and by the callback for `callbacks`). Any thread.
struct DeviceStats {
    /// The device's sample clock over the media thread's steady clock, as the drift
    /// compensator has settled on it (1.003: the device runs 0.3 % fast).
    double driftRatio = 1.0;
    bool driftLocked = false;    ///< the compensator has locked on (tracks slowly, see its header)
    double fillMs = 0;           ///< ring fill the compensator sees (low-passed)
    double targetFillMs = 0;     ///< what it steers to
    double streamLatencyMs = 0;  ///< PortAudio's latency figure for the open stream
    std::uint64_t underruns = 0; ///< capture: blocks the ring could not fill; playback: the
                                 ///< callback ran dry after playing audio
    std::uint64_t drops = 0;     ///< backlogs dropped after a stall
    std::uint64_t overflowSamples = 0; ///< samples that did not fit into a full ring
    std::uint64_t callbacks = 0;       ///< PortAudio callbacks so far
};

/// The microphone: a PortAudio input stream feeding a ring.
class CaptureDevice final : public core::AudioCaptureSource {
public:
    /// Opens `deviceName` (empty or not found: the default input; usedDeviceName() tells
    /// which) at 48 kHz mono int16 (PortAudio converts), and starts it.
    [[nodiscard]] static core::Result<std::unique_ptr<CaptureDevice>>
    open(AudioSystem& system, const std::string& deviceName);
    ~CaptureDevice() override;

    /// Media thread: the next 10 ms, drift-compensated. False (and silence) on underrun.
    bool readBlock(std::span<std::int16_t> block) override;

    /// Stops the stream and opens it again (same name, else the default device).
    [[nodiscard]] core::Status reopen(AudioSystem& system);
    [[nodiscard]] const std::string& usedDeviceName() const;
    /// Peak level of the last ~50 ms in dBFS (-100 when silent); any thread.
    [[nodiscard]] float levelDbfs() const;
    [[nodiscard]] DeviceStatus status() const;
    [[nodiscard]] std::string lastError() const;
    [[nodiscard]] DeviceStats stats() const;

private:
    struct State;
    explicit CaptureDevice(std::unique_ptr<State> state);
    std::unique_ptr<State> m_state;
};

/// The speaker: a ring drained by a PortAudio output stream. Plays the engine's mix.
class PlaybackDevice final : public core::AudioPlaybackSink {
public:
    [[nodiscard]] static core::Result<std::unique_ptr<PlaybackDevice>>
    open(AudioSystem& system, const std::string& deviceName);
    ~PlaybackDevice() override;

    /// Media thread: queues the mix (drift-compensated); per-participant blocks are ignored.
    void playBlock(std::span<const core::ParticipantAudioBlock> participants,
                   std::span<const std::int16_t> mix) override;
    /// Controlling thread, outside a call's use of this device or alongside it: mixes a short
    /// sound (48 kHz mono, at most a few seconds) into what is played, without blocking
    /// (for "play test sound" and join/leave chimes).
    void playSound(std::span<const std::int16_t> samples);

    [[nodiscard]] core::Status reopen(AudioSystem& system);
    [[nodiscard]] const std::string& usedDeviceName() const;
    [[nodiscard]] DeviceStatus status() const;
    [[nodiscard]] std::string lastError() const;
    [[nodiscard]] DeviceStats stats() const;

private:
    struct State;
    explicit PlaybackDevice(std::unique_ptr<State> state);
    std::unique_ptr<State> m_state;
};

} // namespace diyuma::devices
