#include "diyuma/devices/AudioDevices.h"

#include "diyuma/audio/AudioFormat.h"
#include "diyuma/audio/DriftCompensator.h"
#include "diyuma/audio/SpscRing.h"

#include "PortAudioStream.h"

#include <portaudio.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <mutex>

namespace diyuma::devices {

using detail::Direction;
using Clock = std::chrono::steady_clock;

namespace {

// Ring sizes: room for a stall of a few hundred ms before anything is lost; the compensator
// drops such a backlog anyway. Powers of two.
constexpr std::size_t kRingSamples = 16384;        // 341 ms
constexpr std::size_t kSoundRingSamples = 1 << 18; // 5.4 s of playSound()
// Fill targets (samples in the ring when the media thread calls). Measured against the
// pulse plugin with 20 ms streams (5 ms periods) and a media thread on a shared, loaded 2-core
// machine (docs/PERFORMANCE.md): capture must hold a block plus the device's burst plus the
// media thread's lateness (20 ms gave 1-2 underruns per 8 s there, 30 ms none); playback must
// hold out a device period plus that lateness (20 ms: none).
constexpr std::size_t kCaptureTargetFill = 3 * core::kBlockSamples;  // 30 ms
constexpr std::size_t kPlaybackTargetFill = 2 * core::kBlockSamples; // 20 ms
constexpr std::chrono::milliseconds kPollInterval{100};
/// No callback for this long while the stream claims to be active: the device is gone.
/// (The pulse plugin takes up to ~1.5 s to deliver the first callback after a start.)
constexpr std::chrono::milliseconds kStallTimeout{3000};
constexpr int kPeakWindowSamples = 50 * core::kSamplesPerMs;
constexpr std::size_t kTailSamples = 96; // 2 ms fade to silence on a playback underrun

std::int64_t nowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
}

core::Error deviceError(DeviceErrorCode code, std::string message) {
    return core::Error{static_cast<int>(code), std::move(message)};
}

std::vector<DeviceInfo> listDevices(Direction direction) {
    std::vector<DeviceInfo> list;
    const PaDeviceIndex count = Pa_GetDeviceCount();
    const PaDeviceIndex def =
        direction == Direction::Input ? Pa_GetDefaultInputDevice() : Pa_GetDefaultOutputDevice();
    for (PaDeviceIndex i = 0; i < count; ++i) {
        const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
        if (!info)
            continue;
        const int channels =
            direction == Direction::Input ? info->maxInputChannels : info->maxOutputChannels;
        if (channels > 0)
            list.push_back(DeviceInfo{detail::deviceName(i), i == def, channels});
    }
    return list;
}

} // namespace

// ---------------------------------------------------------------------------------------
// AudioSystem

core::Result<std::unique_ptr<AudioSystem>> AudioSystem::create() {
    std::unique_ptr<AudioSystem> system(new AudioSystem());
    if (const PaError e = Pa_Initialize(); e != paNoError)
        return deviceError(DeviceErrorCode::Init,
                           "cannot initialise PortAudio: " + detail::errorText(e));
    system->m_initialized = true;
    return system;
}

AudioSystem::~AudioSystem() {
    if (m_initialized)
        Pa_Terminate();
}

core::Status AudioSystem::reinitialize() {
    if (m_openStreams > 0)
        return deviceError(DeviceErrorCode::StreamOpen,
                           "cannot rescan audio devices while a device is open");
    if (m_initialized)
        Pa_Terminate();
    m_initialized = false;
    if (const PaError e = Pa_Initialize(); e != paNoError)
        return deviceError(DeviceErrorCode::Init,
                           "cannot initialise PortAudio: " + detail::errorText(e));
    m_initialized = true;
    return core::Ok{};
}

std::vector<DeviceInfo> AudioSystem::inputDevices() const {
    return m_initialized ? listDevices(Direction::Input) : std::vector<DeviceInfo>{};
}
std::vector<DeviceInfo> AudioSystem::outputDevices() const {
    return m_initialized ? listDevices(Direction::Output) : std::vector<DeviceInfo>{};
}

// ---------------------------------------------------------------------------------------
// What both devices share: the stream, its health and the published figures.

namespace detail {

struct DeviceCommon {
    explicit DeviceCommon(Direction dir) : direction(dir) {}

    const Direction direction;
    std::string requestedName; ///< what the caller asked for (kept across reopen)
    std::string usedName;      ///< what is open
    AudioSystem* system = nullptr;

    // The stream: opened and closed by the controlling thread; the media thread polls it
    // under try_lock so that it never waits for a reopen.
    std::mutex streamMutex;
    detail::Stream stream;

    std::atomic<DeviceStatus> status{DeviceStatus::Stopped};
    /// Set by PortAudio's finished callback (any PortAudio thread); cleared before a start.
    std::atomic<bool> finished{false};
    /// Callbacks so far (the callback's relaxed increment; the watchdog only needs progress).
    std::atomic<std::uint64_t> callbacks{0};
    std::atomic<std::uint64_t> overflowSamples{0};
    /// The last callback's steady-clock time (ns) and frame count, for the compensator's
    /// phase (see DriftCompensator.h). Relaxed: a slightly stale pair only makes one
    /// measurement a little off, and the loop low-passes it.
    std::atomic<std::int64_t> lastCallbackNs{0};
    std::atomic<std::uint32_t> lastCallbackFrames{0};

    mutable std::mutex errorMutex;
    std::string error; ///< guarded by errorMutex; never touched by a callback

    // Published by the media thread after each block for stats().
    std::atomic<double> driftRatio{1.0};
    std::atomic<bool> driftLocked{false};
    std::atomic<double> fillMs{0};
    std::atomic<double> targetFillMs{0};
    std::atomic<double> latencyMs{0};
    std::atomic<std::uint64_t> underruns{0};
    std::atomic<std::uint64_t> drops{0};

    // Media thread only: the poll schedule and the watchdog.
    Clock::time_point lastPoll{};
    Clock::time_point lastProgress{};
    std::uint64_t lastCallbacks = 0;

    const char* what() const { return direction == Direction::Input ? "input" : "output"; }

    void setError(std::string message) {
        std::lock_guard lock(errorMutex);
        error = std::move(message);
    }

    void fail(std::string message) {
        setError(std::move(message));
        status.store(DeviceStatus::Failed);
    }

    /// Controlling thread: closes whatever is open, then opens the remembered device (or the
    /// default) and starts it.
    core::Status openStream(PaStreamCallback* callback, void* userData) {
        std::lock_guard lock(streamMutex);
        if (stream.isOpen()) {
            stream.close();
            --system->m_openStreams;
        }
        status.store(DeviceStatus::Stopped);
        const PaDeviceIndex device = detail::findDevice(requestedName, direction);
        if (device == paNoDevice) {
            std::string message = std::string("no audio ") + what() + " device";
            fail(message);
            return deviceError(DeviceErrorCode::NoDevice, std::move(message));
        }
        finished.store(false);
        auto opened = detail::Stream::open(device, direction, callback, &onFinished, userData);
        if (!opened) {
            fail(opened.error().message);
            return opened.error();
        }
        stream = std::move(opened.value());
        ++system->m_openStreams;
        usedName = detail::deviceName(device);
        latencyMs.store(stream.latencySeconds() * 1000.0);
        setError({});
        lastCallbacks = callbacks.load();
        lastProgress = Clock::now(); // poll() reads both only while holding streamMutex
        status.store(DeviceStatus::Running);
        return core::Ok{};
    }

    void closeStream() {
        std::lock_guard lock(streamMutex);
        if (stream.isOpen()) {
            stream.close();
            --system->m_openStreams;
        }
        status.store(DeviceStatus::Stopped);
    }

    static void onFinished(void* userData);

    /// Callback: notes its time (steady_clock reads the vDSO clock: no system call).
    void noteCallback(unsigned long frames) {
        lastCallbackNs.store(nowNs(), std::memory_order_relaxed);
        lastCallbackFrames.store(static_cast<std::uint32_t>(frames), std::memory_order_relaxed);
        callbacks.fetch_add(1, std::memory_order_relaxed);
    }

    /// Media thread: samples the device has moved since its last callback, within a period.
    double phaseSamples() const {
        const std::int64_t last = lastCallbackNs.load(std::memory_order_relaxed);
        if (last == 0)
            return 0;
        const double elapsedS = static_cast<double>(nowNs() - last) * 1e-9;
        const double frames = lastCallbackFrames.load(std::memory_order_relaxed);
        return std::clamp(elapsedS * core::kSampleRateHz, 0.0, frames);
    }

    /// Media thread: at most every kPollInterval, asks PortAudio whether the stream still
    /// runs and checks that callbacks keep coming.
    void poll() {
        const auto now = Clock::now();
        if (now - lastPoll < kPollInterval)
            return;
        lastPoll = now;
        if (status.load() != DeviceStatus::Running)
            return;
        std::unique_lock lock(streamMutex, std::try_to_lock);
        if (!lock.owns_lock() || !stream.isOpen())
            return; // a reopen is under way
        const auto prefix = [this] {
            return std::string("audio ") + what() + " device \"" + usedName + "\" ";
        };
        if (finished.load()) {
            fail(prefix() + "stopped (the stream ended; is the device or sound server gone?)");
            return;
        }
        if (const PaError active = stream.isActive(); active < 0) {
            fail(prefix() + "failed: " + detail::errorText(active));
            return;
        } else if (active == 0) {
            fail(prefix() + "stopped");
            return;
        }
        const std::uint64_t c = callbacks.load(std::memory_order_relaxed);
        if (c != lastCallbacks) {
            lastCallbacks = c;
            lastProgress = now;
        } else if (now - lastProgress > kStallTimeout) {
            fail(prefix() + "stopped delivering audio (no callback for " +
                 std::to_string(kStallTimeout.count() / 1000) + " s)");
        }
    }

    DeviceStatus currentStatus() const {
        const DeviceStatus s = status.load();
        // The finished callback may have fired before the media thread polled (or with no
        // media thread at all): report it at once.
        if (s == DeviceStatus::Running && finished.load())
            return DeviceStatus::Failed;
        return s;
    }

    std::string currentError() const {
        std::lock_guard lock(errorMutex);
        if (error.empty() && status.load() == DeviceStatus::Running && finished.load())
            return std::string("audio ") + what() + " device \"" + usedName + "\" stopped";
        return error;
    }

    DeviceStats stats() const {
        DeviceStats s;
        s.driftRatio = driftRatio.load();
        s.driftLocked = driftLocked.load();
        s.fillMs = fillMs.load();
        s.targetFillMs = targetFillMs.load();
        s.streamLatencyMs = latencyMs.load();
        s.underruns = underruns.load();
        s.drops = drops.load();
        s.overflowSamples = overflowSamples.load();
        s.callbacks = callbacks.load();
        return s;
    }
};

void DeviceCommon::onFinished(void* userData) {
    // Runs on a PortAudio thread when the stream ends for any reason (also our own abort,
    // which is why openStream() clears the flag before starting).
    static_cast<DeviceCommon*>(userData)->finished.store(true);
}

} // namespace detail

using detail::DeviceCommon;

namespace {

core::DriftCompensatorConfig compensatorConfig(std::size_t target) {
    core::DriftCompensatorConfig config;
    config.targetFillSamples = target;
    config.maxBlockSamples = core::kBlockSamples;
    return config;
}

} // namespace

// ---------------------------------------------------------------------------------------
// CaptureDevice

struct CaptureDevice::State : DeviceCommon {
    State() : DeviceCommon(Direction::Input), compensator(compensatorConfig(kCaptureTargetFill)) {
        targetFillMs.store(static_cast<double>(kCaptureTargetFill) / core::kSamplesPerMs);
    }

    core::SpscRing<std::int16_t> ring{kRingSamples}; ///< callback -> media thread
    core::DriftCompensator compensator;              ///< media thread

    // Callback only: the peak of the current 50 ms window.
    int windowPeak = 0;
    int windowSamples = 0;
    std::atomic<int> publishedPeak{0}; ///< the last complete window's peak, 0..32768

    static int callback(const void* input, void* output, unsigned long frames,
                        const PaStreamCallbackTimeInfo* timeInfo, PaStreamCallbackFlags flags,
                        void* userData);
};

int CaptureDevice::State::callback(const void* input, void* /*output*/, unsigned long frames,
                                   const PaStreamCallbackTimeInfo* /*timeInfo*/,
                                   PaStreamCallbackFlags /*flags*/, void* userData) {
    // Real-time: copy, measure, count. No allocation, lock, logging or system call.
    auto* s = static_cast<State*>(static_cast<DeviceCommon*>(userData));
    if (input) {
        const std::span<const std::int16_t> in(static_cast<const std::int16_t*>(input), frames);
        const std::size_t written = s->ring.write(in);
        if (written < in.size())
            s->overflowSamples.fetch_add(in.size() - written, std::memory_order_relaxed);
        for (const std::int16_t v : in) {
            s->windowPeak = std::max(s->windowPeak, std::abs(static_cast<int>(v)));
            if (++s->windowSamples >= kPeakWindowSamples) {
                // Relaxed: a meter value on its own, nothing else is published with it.
                s->publishedPeak.store(s->windowPeak, std::memory_order_relaxed);
                s->windowPeak = 0;
                s->windowSamples = 0;
            }
        }
    }
    s->noteCallback(frames);
    return paContinue;
}

CaptureDevice::CaptureDevice(std::unique_ptr<State> state) : m_state(std::move(state)) {}

CaptureDevice::~CaptureDevice() {
    if (m_state)
        m_state->closeStream();
}

core::Result<std::unique_ptr<CaptureDevice>> CaptureDevice::open(AudioSystem& system,
                                                                 const std::string& deviceName) {
    auto state = std::make_unique<State>();
    state->system = &system;
    state->requestedName = deviceName;
    auto opened = state->openStream(&State::callback, static_cast<DeviceCommon*>(state.get()));
    if (!opened)
        return opened.error();
    return std::unique_ptr<CaptureDevice>(new CaptureDevice(std::move(state)));
}

bool CaptureDevice::readBlock(std::span<std::int16_t> block) {
    State& s = *m_state;
    s.poll();
    const bool ok = s.compensator.pull(s.ring, block, s.phaseSamples());
    s.driftRatio.store(s.compensator.ratio(), std::memory_order_relaxed);
    s.driftLocked.store(s.compensator.tracking(), std::memory_order_relaxed);
    s.fillMs.store(s.compensator.smoothedFillSamples() / core::kSamplesPerMs,
                   std::memory_order_relaxed);
    s.underruns.store(s.compensator.underruns(), std::memory_order_relaxed);
    s.drops.store(s.compensator.drops(), std::memory_order_relaxed);
    return ok;
}

core::Status CaptureDevice::reopen(AudioSystem& system) {
    m_state->system = &system;
    return m_state->openStream(&State::callback, static_cast<DeviceCommon*>(m_state.get()));
}

const std::string& CaptureDevice::usedDeviceName() const {
    return m_state->usedName;
}

float CaptureDevice::levelDbfs() const {
    if (m_state->currentStatus() != DeviceStatus::Running)
        return -100.0F;
    const int peak = m_state->publishedPeak.load(std::memory_order_relaxed);
    if (peak <= 0)
        return -100.0F;
    return std::max(-100.0F, static_cast<float>(20.0 * std::log10(peak / 32768.0)));
}

DeviceStatus CaptureDevice::status() const {
    return m_state->currentStatus();
}
std::string CaptureDevice::lastError() const {
    return m_state->currentError();
}
DeviceStats CaptureDevice::stats() const {
    return m_state->stats();
}

// ---------------------------------------------------------------------------------------
// PlaybackDevice

struct PlaybackDevice::State : DeviceCommon {
    State() : DeviceCommon(Direction::Output), compensator(compensatorConfig(kPlaybackTargetFill)) {
        targetFillMs.store(static_cast<double>(kPlaybackTargetFill) / core::kSamplesPerMs);
    }

    core::SpscRing<std::int16_t> ring{kRingSamples};           ///< media thread -> callback
    core::SpscRing<std::int16_t> soundRing{kSoundRingSamples}; ///< controlling thread -> cb
    core::DriftCompensator compensator;                        ///< media thread
    /// Times the callback ran dry right after playing audio (an underrun event, not every
    /// empty callback: with no call running the ring is simply idle). Release: the
    /// compensator pads after seeing it, nothing else depends on it.
    std::atomic<std::uint64_t> callbackUnderruns{0};

    // Callback only.
    bool hadAudio = false;
    float lastSample = 0;

    static int callback(const void* input, void* output, unsigned long frames,
                        const PaStreamCallbackTimeInfo* timeInfo, PaStreamCallbackFlags flags,
                        void* userData);
};

int PlaybackDevice::State::callback(const void* /*input*/, void* output, unsigned long frames,
                                    const PaStreamCallbackTimeInfo* /*timeInfo*/,
                                    PaStreamCallbackFlags /*flags*/, void* userData) {
    // Real-time: copy, mix, count. No allocation, lock, logging or system call.
    auto* s = static_cast<State*>(static_cast<DeviceCommon*>(userData));
    const std::span<std::int16_t> out(static_cast<std::int16_t*>(output), frames);
    if (out.empty())
        return paContinue;
    const std::size_t got = s->ring.read(out);
    if (got < out.size()) {
        if (s->hadAudio && got == 0) {
            s->callbackUnderruns.fetch_add(1, std::memory_order_release);
        } else if (got > 0) {
            s->callbackUnderruns.fetch_add(1, std::memory_order_release);
            s->lastSample = out[got - 1];
        }
        // Fade from the last sample heard to silence instead of a step.
        const float start = s->hadAudio || got > 0 ? s->lastSample : 0.0F;
        for (std::size_t i = got; i < out.size(); ++i) {
            const std::size_t k = i - got;
            const float w = k < kTailSamples ? 1.0F - static_cast<float>(k) / kTailSamples : 0;
            out[i] = static_cast<std::int16_t>(start * w);
        }
        s->hadAudio = false;
        s->lastSample = 0;
    } else {
        s->hadAudio = true;
        s->lastSample = out.back();
    }
    // Mix a test sound or chime on top, saturating.
    std::array<std::int16_t, 256> sound{};
    for (std::size_t done = 0; done < out.size();) {
        const std::size_t want = std::min(sound.size(), out.size() - done);
        const std::size_t n = s->soundRing.read(std::span(sound).first(want));
        if (n == 0)
            break;
        for (std::size_t i = 0; i < n; ++i)
            out[done + i] = static_cast<std::int16_t>(
                std::clamp(out[done + i] + static_cast<int>(sound[i]), -32768, 32767));
        done += n;
    }
    s->noteCallback(frames);
    return paContinue;
}

PlaybackDevice::PlaybackDevice(std::unique_ptr<State> state) : m_state(std::move(state)) {}

PlaybackDevice::~PlaybackDevice() {
    if (m_state)
        m_state->closeStream();
}

core::Result<std::unique_ptr<PlaybackDevice>> PlaybackDevice::open(AudioSystem& system,
                                                                   const std::string& deviceName) {
    auto state = std::make_unique<State>();
    state->system = &system;
    state->requestedName = deviceName;
    auto opened = state->openStream(&State::callback, static_cast<DeviceCommon*>(state.get()));
    if (!opened)
        return opened.error();
    return std::unique_ptr<PlaybackDevice>(new PlaybackDevice(std::move(state)));
}

void PlaybackDevice::playBlock(std::span<const core::ParticipantAudioBlock> /*participants*/,
                               std::span<const std::int16_t> mix) {
    State& s = *m_state;
    s.poll();
    // Until the stream's first callback (the pulse plugin takes ~1.4 s) nothing would play
    // the block; queueing it would only make a backlog to drop later.
    if (s.callbacks.load(std::memory_order_relaxed) == 0)
        return;
    // Acquire: pairs with the callback's release increment (only the count matters).
    s.compensator.push(mix, s.ring, s.callbackUnderruns.load(std::memory_order_acquire),
                       s.phaseSamples());
    // Playback ratio is media samples per device sample; the stats give the device's clock
    // over the media thread's, as for capture.
    s.driftRatio.store(1.0 / s.compensator.ratio(), std::memory_order_relaxed);
    s.driftLocked.store(s.compensator.tracking(), std::memory_order_relaxed);
    s.fillMs.store(s.compensator.smoothedFillSamples() / core::kSamplesPerMs,
                   std::memory_order_relaxed);
    s.underruns.store(s.compensator.underruns(), std::memory_order_relaxed);
    s.drops.store(s.compensator.drops(), std::memory_order_relaxed);
    s.overflowSamples.store(s.compensator.overflowSamples(), std::memory_order_relaxed);
}

void PlaybackDevice::playSound(std::span<const std::int16_t> samples) {
    // Whatever does not fit (a sound still playing) is cut off rather than waited for.
    (void)m_state->soundRing.write(samples);
}

core::Status PlaybackDevice::reopen(AudioSystem& system) {
    m_state->system = &system;
    return m_state->openStream(&State::callback, static_cast<DeviceCommon*>(m_state.get()));
}

const std::string& PlaybackDevice::usedDeviceName() const {
    return m_state->usedName;
}
DeviceStatus PlaybackDevice::status() const {
    return m_state->currentStatus();
}
std::string PlaybackDevice::lastError() const {
    return m_state->currentError();
}
DeviceStats PlaybackDevice::stats() const {
    return m_state->stats();
}

} // namespace diyuma::devices
