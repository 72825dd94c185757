#pragma once
// A sender (tone -> Opus -> RTP numbering, DTX packets not sent, as CallEngine does) and a
// link with a per-packet fate (delay, drop, duplicate) feeding an AudioJitterBuffer, all
// stepped by a FakeClock in 1 ms steps with a pull every 10 ms.

#include "diyuma/audio/AudioJitterBuffer.h"
#include "diyuma/audio/OpusEncoder.h"
#include "diyuma/audio/Tone.h"

#include "FakeClock.h"

#include <QtTest/QtTest>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <numbers>
#include <vector>

namespace diyuma::test {

struct SentPacket {
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    std::vector<std::uint8_t> payload;
};

class JitterHarness {
public:
    /// Delays (ms) after sending at which copies of packet `index` (0, 1, ... in sending
    /// order) arrive: {} drops it, {0, 5} duplicates it.
    using Fate = std::function<std::vector<int>(int index)>;
    /// Whether the source is silent (digital zeros, so DTX) in 20 ms frame `frame`.
    using Silence = std::function<bool(int frame)>;

    explicit JitterHarness(core::JitterBufferConfig config = {}, double toneHz = 440.0,
                           std::uint16_t firstSequence = 1000, std::uint32_t firstTimestamp = 0)
        : m_jitter(m_clock, config), m_tone(toneHz), m_sequence(firstSequence),
          m_timestamp(firstTimestamp) {
        auto encoder = core::OpusEncoder::create();
        if (!encoder)
            qFatal("opus encoder: %s", encoder.error().message.c_str());
        m_encoder.emplace(std::move(encoder.value()));
    }

    Fate fate = [](int) { return std::vector<int>{0}; };
    Silence silence = [](int) { return false; };
    /// If > 0, the tone's amplitude swings between 20 % and 100 % at this rate, like
    /// syllables: Opus' voice activity detection then sees "speech" and adds FEC data, which
    /// it does not for a steady tone.
    double syllableHz = 0;

    /// Runs `frames` frames (20 ms each) of sending, delivering and pulling.
    void run(int frames) {
        for (int i = 0; i < frames * 20; ++i) {
            if (m_ms % 20 == 0)
                sendFrame();
            deliverDue();
            if (m_ms % 10 == 0)
                pullBlock();
            m_clock.advance(std::chrono::milliseconds(1));
            ++m_ms;
        }
    }

    core::AudioJitterBuffer& jitter() { return m_jitter; }
    FakeClock& clock() { return m_clock; }
    [[nodiscard]] core::JitterBufferStats stats() const { return m_jitter.stats(); }
    /// Everything pulled so far (48 kHz mono).
    const std::vector<std::int16_t>& played() const { return m_played; }
    const std::vector<core::PullResult>& results() const { return m_results; }
    /// currentDelayMs after each pull.
    const std::vector<double>& delays() const { return m_delays; }
    /// targetDelayMs after each pull.
    const std::vector<double>& targets() const { return m_targets; }
    const std::vector<SentPacket>& sent() const { return m_sent; }
    int framesEncoded() const { return m_frame; }

    /// Samples [fromS, toS) seconds of the played audio.
    std::span<const std::int16_t> playedBetween(double fromS, double toS) const {
        const auto from = static_cast<std::size_t>(fromS * 48000);
        const auto to = std::min(m_played.size(), static_cast<std::size_t>(toS * 48000));
        return std::span(m_played).subspan(from, to - from);
    }

private:
    void sendFrame() {
        std::array<std::int16_t, 960> pcm{};
        if (!silence(m_frame))
            m_tone.generate(pcm);
        if (syllableHz > 0) {
            for (std::size_t i = 0; i < pcm.size(); ++i) {
                const double t = (m_frame * 960.0 + static_cast<double>(i)) / 48000.0;
                const double gain = 0.6 + 0.4 * std::sin(2.0 * std::numbers::pi * syllableHz * t);
                pcm[i] = static_cast<std::int16_t>(std::lround(pcm[i] * gain));
            }
        }
        std::array<std::uint8_t, 1275> out{};
        const int bytes = m_encoder->encode(pcm, out);
        if (bytes < 0)
            qFatal("encode failed");
        ++m_frame;
        const std::uint32_t ts = m_timestamp;
        m_timestamp += 960;
        if (bytes <= 2)
            return; // DTX: not sent; RTP time runs on, sequence numbers do not
        SentPacket p{m_sequence++, ts, std::vector<std::uint8_t>(out.begin(), out.begin() + bytes)};
        const int index = static_cast<int>(m_sent.size());
        m_sent.push_back(p);
        for (int delayMs : fate(index))
            m_inFlight.emplace(m_ms + delayMs, p);
    }
    void deliverDue() {
        while (!m_inFlight.empty() && m_inFlight.begin()->first <= m_ms) {
            const SentPacket& p = m_inFlight.begin()->second;
            m_jitter.insert(p.sequence, p.timestamp, p.payload);
            m_inFlight.erase(m_inFlight.begin());
        }
    }
    void pullBlock() {
        std::array<std::int16_t, 480> block{};
        m_results.push_back(m_jitter.pull(block));
        m_played.insert(m_played.end(), block.begin(), block.end());
        m_delays.push_back(m_jitter.stats().currentDelayMs);
        m_targets.push_back(m_jitter.stats().targetDelayMs);
    }

    FakeClock m_clock;
    core::AudioJitterBuffer m_jitter;
    std::optional<core::OpusEncoder> m_encoder;
    core::ToneGenerator m_tone;
    std::uint16_t m_sequence;
    std::uint32_t m_timestamp;
    std::int64_t m_ms = 0;
    int m_frame = 0;
    std::multimap<std::int64_t, SentPacket> m_inFlight; ///< by arrival ms, then sending order
    std::vector<SentPacket> m_sent;
    std::vector<std::int16_t> m_played;
    std::vector<core::PullResult> m_results;
    std::vector<double> m_delays;
    std::vector<double> m_targets;
};

} // namespace diyuma::test
