#include "PortAudioStream.h"

#include "diyuma/audio/AudioFormat.h"

#include <algorithm>

namespace diyuma::devices::detail {

namespace {

/// Measured with ALSA's pulse plugin (docs/PERFORMANCE.md, "Audio devices"): an output
/// stream asked for its default low latency (8.7 ms) ran about a third slow in xruns, one
/// at 20 ms ran at 48000 samples/s. Real hardware's low latency is usually below this too,
/// so this floor is what both directions get.
constexpr double kMinSuggestedLatencySeconds = 0.020;

int channelsOf(const PaDeviceInfo& info, Direction direction) {
    return direction == Direction::Input ? info.maxInputChannels : info.maxOutputChannels;
}

core::Error error(DeviceErrorCode code, std::string message) {
    return core::Error{static_cast<int>(code), std::move(message)};
}

} // namespace

std::string deviceName(PaDeviceIndex index) {
    const PaDeviceInfo* info = Pa_GetDeviceInfo(index);
    if (!info)
        return {};
    const PaHostApiInfo* host = Pa_GetHostApiInfo(info->hostApi);
    return std::string(host ? host->name : "?") + ": " + (info->name ? info->name : "?");
}

std::string errorText(PaError error) {
    std::string text = Pa_GetErrorText(error);
    if (error == paUnanticipatedHostError) {
        const PaHostErrorInfo* host = Pa_GetLastHostErrorInfo();
        if (host && host->errorText && *host->errorText)
            text += std::string(" (") + host->errorText + ")";
    }
    return text;
}

PaDeviceIndex findDevice(const std::string& name, Direction direction) {
    const PaDeviceIndex count = Pa_GetDeviceCount();
    if (count <= 0)
        return paNoDevice;
    if (!name.empty()) {
        for (PaDeviceIndex i = 0; i < count; ++i) {
            const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
            if (info && channelsOf(*info, direction) > 0 && deviceName(i) == name)
                return i;
        }
    }
    const PaDeviceIndex def =
        direction == Direction::Input ? Pa_GetDefaultInputDevice() : Pa_GetDefaultOutputDevice();
    if (def != paNoDevice)
        return def;
    for (PaDeviceIndex i = 0; i < count; ++i) {
        const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
        if (info && channelsOf(*info, direction) > 0)
            return i;
    }
    return paNoDevice;
}

core::Result<Stream> Stream::open(PaDeviceIndex device, Direction direction,
                                  PaStreamCallback* callback, PaStreamFinishedCallback* finished,
                                  void* userData) {
    const char* what = direction == Direction::Input ? "input" : "output";
    const PaDeviceInfo* info = Pa_GetDeviceInfo(device);
    if (!info)
        return error(DeviceErrorCode::NoDevice, std::string("no audio ") + what + " device");
    const std::string name = deviceName(device);

    PaStreamParameters params{};
    params.device = device;
    params.channelCount = 1; // PortAudio (or ALSA's plug layer) mixes down / up
    params.sampleFormat = paInt16;
    params.suggestedLatency = std::max(
        kMinSuggestedLatencySeconds, direction == Direction::Input ? info->defaultLowInputLatency
                                                                   : info->defaultLowOutputLatency);
    const PaStreamParameters* in = direction == Direction::Input ? &params : nullptr;
    const PaStreamParameters* out = direction == Direction::Output ? &params : nullptr;

    if (const PaError e = Pa_IsFormatSupported(in, out, core::kSampleRateHz); e != paNoError) {
        if (e == paInvalidSampleRate)
            return error(DeviceErrorCode::Format,
                         "audio " + std::string(what) + " device \"" + name +
                             "\" does not support 48000 Hz (its default is " +
                             std::to_string(static_cast<int>(info->defaultSampleRate)) + " Hz)");
        // Anything else (a sound server that is gone, a busy device) is not about the rate.
        return error(DeviceErrorCode::Open, "cannot open audio " + std::string(what) +
                                                " device \"" + name + "\": " + errorText(e));
    }

    Stream stream;
    stream.m_input = direction == Direction::Input;
    // Unspecified buffer size: PortAudio picks the host's period, which with the pulse plugin
    // is a quarter of the latency; the rings absorb any size.
    PaError e =
        Pa_OpenStream(&stream.m_stream, in, out, core::kSampleRateHz, paFramesPerBufferUnspecified,
                      paClipOff | paDitherOff, callback, userData);
    if (e != paNoError) {
        stream.m_stream = nullptr;
        return error(DeviceErrorCode::Open, "cannot open audio " + std::string(what) +
                                                " device \"" + name + "\": " + errorText(e));
    }
    if (finished)
        Pa_SetStreamFinishedCallback(stream.m_stream, finished);
    e = Pa_StartStream(stream.m_stream);
    if (e != paNoError)
        return error(DeviceErrorCode::Open, "cannot start audio " + std::string(what) +
                                                " device \"" + name + "\": " + errorText(e));
    return stream;
}

void Stream::close() {
    if (!m_stream)
        return;
    // Abort (not stop): nothing queued needs to be played out, and a dead sound server
    // would make Pa_StopStream wait for buffers that never drain.
    Pa_AbortStream(m_stream);
    Pa_CloseStream(m_stream);
    m_stream = nullptr;
}

PaError Stream::isActive() const {
    return m_stream ? Pa_IsStreamActive(m_stream) : 0;
}

double Stream::latencySeconds() const {
    const PaStreamInfo* info = m_stream ? Pa_GetStreamInfo(m_stream) : nullptr;
    if (!info)
        return 0;
    return m_input ? info->inputLatency : info->outputLatency;
}

} // namespace diyuma::devices::detail
