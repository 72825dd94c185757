#pragma once
// The one place that talks to PortAudio's C API for streams: device lookup by the stable
// "Host API: device" name, the 48 kHz mono int16 format check, and an RAII stream that is
// aborted and closed on destruction.
//
// Thread: the controlling thread (open/close), except isActive(), which the media thread
// calls while the controlling thread is kept out by the owner's mutex.

#include "diyuma/devices/AudioDevices.h"
#include "diyuma/util/Result.h"

#include <portaudio.h>

#include <string>

namespace diyuma::devices::detail {

enum class Direction { Input, Output };

/// "Host API: device name" of a device index.
[[nodiscard]] std::string deviceName(PaDeviceIndex index);

/// PortAudio's error text, with the host API's own message when there is one.
[[nodiscard]] std::string errorText(PaError error);

/// The device called `name` with channels in that direction; else the default; else the
/// first device that has such channels; else paNoDevice.
[[nodiscard]] PaDeviceIndex findDevice(const std::string& name, Direction direction);

/// An open, started PortAudio stream; aborted and closed by the destructor.
class Stream {
public:
    Stream() = default;
    ~Stream() { close(); }
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    Stream(Stream&& other) noexcept { *this = std::move(other); }
    Stream& operator=(Stream&& other) noexcept {
        if (this != &other) {
            close();
            m_stream = other.m_stream;
            m_input = other.m_input;
            other.m_stream = nullptr;
        }
        return *this;
    }

    /// Opens `device` (48 kHz, mono, paInt16) with `callback` and `userData`, sets the
    /// finished callback, and starts it. Errors name the device and say what failed.
    [[nodiscard]] static core::Result<Stream> open(PaDeviceIndex device, Direction direction,
                                                   PaStreamCallback* callback,
                                                   PaStreamFinishedCallback* finished,
                                                   void* userData);

    /// Aborts and closes (idempotent). After it returns no callback runs any more.
    void close();
    [[nodiscard]] bool isOpen() const { return m_stream != nullptr; }
    /// 1 active, 0 stopped, < 0 a PortAudio error.
    [[nodiscard]] PaError isActive() const;
    /// PortAudio's figure for the stream's latency, seconds.
    [[nodiscard]] double latencySeconds() const;

private:
    PaStream* m_stream = nullptr;
    bool m_input = true;
};

} // namespace diyuma::devices::detail
