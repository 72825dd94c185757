// Two CallEngines joined through an in-memory fake relay, stepped by a fake clock in 10 ms
// ticks: what one sends, the other hears (Goertzel), nobody hears themselves, RTP headers
// follow RFC 3550/7587, and stats add up.

#include "diyuma/audio/AudioFormat.h"
#include "diyuma/audio/Goertzel.h"
#include "diyuma/audio/Tone.h"
#include "diyuma/session/CallEngine.h"

#include "FakeClock.h"
#include "FakeRelay.h"

#include <QtTest/QtTest>
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

using namespace diyuma;
using namespace diyuma::core;
using namespace std::chrono_literals;
using test::stateName;

namespace {
/// A tone for `toneBlocks` blocks, then silence for `silenceBlocks`, then the tone again.
class ScriptedSource final : public AudioCaptureSource {
public:
    ScriptedSource(double hz, int toneBlocks = 1 << 30, int silenceBlocks = 0)
        : m_tone(hz), m_toneBlocks(toneBlocks), m_silenceBlocks(silenceBlocks) {}
    bool readBlock(std::span<std::int16_t> block) override {
        const int n = m_block++;
        if (n >= m_toneBlocks && n < m_toneBlocks + m_silenceBlocks)
            std::fill(block.begin(), block.end(), std::int16_t{0});
        else
            m_tone.generate(block);
        return true;
    }

private:
    ToneGenerator m_tone;
    int m_toneBlocks;
    int m_silenceBlocks;
    int m_block = 0;
};

/// Keeps everything played, per participant name and as the mix.
class CollectingSink final : public AudioPlaybackSink {
public:
    void playBlock(std::span<const ParticipantAudioBlock> participants,
                   std::span<const std::int16_t> mix) override {
        for (const auto& p : participants) {
            auto& pcm = byName[std::string(p.name)];
            if (pcm.size() < mixed.size())
                pcm.resize(mixed.size(), 0); // late joiner: silence first
            pcm.insert(pcm.end(), p.samples.begin(), p.samples.end());
        }
        mixed.insert(mixed.end(), mix.begin(), mix.end());
    }
    double level(const std::vector<std::int16_t>& pcm, double hz, double fromS, double toS) {
        const auto from = static_cast<std::size_t>(fromS * kSampleRateHz);
        const auto to = static_cast<std::size_t>(toS * kSampleRateHz);
        if (pcm.size() < to)
            return -200;
        return toneLevelDbfs(std::span(pcm).subspan(from, to - from), hz);
    }
    std::map<std::string, std::vector<std::int16_t>> byName;
    std::vector<std::int16_t> mixed;
};

struct Party {
    Party(test::FakeClock& clock, test::FakeRelay& relay, std::string name,
          std::unique_ptr<AudioCaptureSource> src)
        : source(std::move(src)) {
        index = relay.addClient([this](std::span<const std::uint8_t> d) { engine->onDatagram(d); });
        CallEngineConfig config;
        config.name = std::move(name);
        auto made =
            CallEngine::create(clock, relay.endpoint(index), source.get(), &sink, nullptr, config);
        if (!made)
            qFatal("engine: %s", made.error().message.c_str());
        engine = std::move(made.value());
    }
    std::unique_ptr<AudioCaptureSource> source;
    CollectingSink sink;
    std::unique_ptr<CallEngine> engine;
    std::size_t index = 0;
};

struct Call {
    test::FakeClock clock;
    test::FakeRelay relay;
    std::vector<std::unique_ptr<Party>> parties;

    Party& add(std::string name, std::unique_ptr<AudioCaptureSource> source) {
        parties.push_back(
            std::make_unique<Party>(clock, relay, std::move(name), std::move(source)));
        Party& p = *parties.back();
        if (!p.engine->join(relay.conferenceId).ok())
            qFatal("join failed to start");
        relay.deliver();
        return p;
    }
    /// Advances `ms` milliseconds in 10 ms ticks, delivering datagrams as they are sent.
    void run(int ms) {
        for (int t = 0; t < ms; t += 10) {
            clock.advance(10ms);
            for (auto& p : parties) {
                p->engine->tick();
                p->engine->processAudioBlock();
            }
            relay.deliver();
        }
    }
};
} // namespace

class TestCallEngine : public QObject {
    Q_OBJECT
private slots:
    void toneFromAIsHeardByBAndNotByA() {
        Call call;
        Party& a = call.add("Alice", std::make_unique<ScriptedSource>(440.0));
        Party& b = call.add("Bob", std::make_unique<ScriptedSource>(620.0));
        QVERIFY(a.engine->joined());
        QVERIFY(b.engine->joined());
        call.run(2000);

        // B's track of Alice: 440 Hz loud and clear, no 620 Hz (its own) leaking in.
        QVERIFY(b.sink.byName.count("Alice") == 1);
        QCOMPARE(b.sink.byName.size(), std::size_t{1}); // never itself
        const auto& heardByB = b.sink.byName["Alice"];
        const double aAtB = b.sink.level(heardByB, 440, 1.0, 2.0);
        QVERIFY2(aAtB > -16.0, qPrintable(QString::number(aAtB)));
        QVERIFY(b.sink.level(heardByB, 620, 1.0, 2.0) < aAtB - 30.0);
        QVERIFY(b.sink.level(b.sink.mixed, 620, 1.0, 2.0) < -50.0);
        QVERIFY(b.sink.level(b.sink.mixed, 440, 1.0, 2.0) > -16.0);

        QCOMPARE(a.sink.byName.size(), std::size_t{1});
        QVERIFY(a.sink.level(a.sink.byName["Bob"], 620, 1.0, 2.0) > -16.0);
        QVERIFY(a.sink.level(a.sink.mixed, 440, 1.0, 2.0) < -50.0);

        // Stats: ~100 packets of 20 ms in 2 s, nothing lost on a perfect link.
        auto stats = b.engine->stats();
        QCOMPARE(stats.remotes.size(), std::size_t{1});
        QCOMPARE(stats.remotes[0].name, std::string("Alice"));
        QVERIFY(stats.remotes[0].packetsReceived >= 95);
        QCOMPARE(stats.remotes[0].packetsLost, std::uint64_t{0});
        QVERIFY(stats.remotes[0].jitterBufferDelayMs < 80.0);
        QVERIFY(stats.audioPacketsSent >= 95);
        QVERIFY(stats.sendStartUnixMs.has_value());
        QVERIFY(stats.playoutStartUnixMs.has_value());
        QCOMPARE(*stats.sendStartUnixMs, *stats.playoutStartUnixMs); // same tick, same clock
        QVERIFY(stats.relayRttMs.has_value());
    }

    void muteStopsSendingAndUnmuteResumes() {
        Call call;
        Party& a = call.add("Alice", std::make_unique<ScriptedSource>(440.0));
        Party& b = call.add("Bob", nullptr);
        call.run(1000);
        const auto sentBefore = a.engine->stats().audioPacketsSent;
        a.engine->setMuted(true);
        QVERIFY(a.engine->muted());
        call.run(1000);
        QCOMPARE(a.engine->stats().audioPacketsSent, sentBefore); // nothing leaves while muted
        QVERIFY(a.engine->stats().audioFramesMuted >= 49);
        QVERIFY(a.engine->stats().captureLevelDbfs > -20.0F); // the meter still shows the mic
        const auto& heard = b.sink.byName["Alice"];
        QVERIFY(b.sink.level(heard, 440, 1.5, 2.0) < -60.0);
        a.engine->setMuted(false);
        call.run(1000);
        QVERIFY(b.sink.level(b.sink.byName["Alice"], 440, 2.5, 3.0) > -16.0);
    }

    void participantGainScalesOnlyThatParticipant() {
        Call call;
        Party& a = call.add("Alice", std::make_unique<ScriptedSource>(440.0));
        Party& c = call.add("Carol", std::make_unique<ScriptedSource>(970.0));
        Party& b = call.add("Bob", nullptr);
        b.engine->setParticipantGain(a.engine->session().joinInfo().participantId, 0.25F);
        b.engine->setParticipantGain(99, 9.0F); // not (yet) present: kept, clamped, harmless
        call.run(2000);
        const double alice = b.sink.level(b.sink.mixed, 440, 1.0, 2.0);
        const double carol = b.sink.level(b.sink.mixed, 970, 1.0, 2.0);
        // 0.25 is -12 dB; both tones are sent at the same level.
        QVERIFY2(std::abs((carol - alice) - 12.04) < 1.0,
                 qPrintable(QString("alice %1 carol %2").arg(alice).arg(carol)));
        // The level meter reads what arrived, before our volume.
        const auto stats = b.engine->stats();
        QCOMPARE(stats.remotes.size(), std::size_t{2});
        QVERIFY(std::abs(stats.remotes[0].levelDbfs - stats.remotes[1].levelDbfs) < 2.0F);
        (void)c;
    }

    void processorSeesPlayoutAndShapesCapture() {
        struct HalvingProcessor final : AudioProcessor {
            void analyzePlayout(std::span<const std::int16_t> block) override {
                ++playoutBlocks;
                for (auto s : block)
                    peak = std::max(peak, std::abs(static_cast<int>(s)));
            }
            void processCapture(std::span<std::int16_t> block) override {
                ++captureBlocks;
                for (auto& s : block)
                    s = static_cast<std::int16_t>(s / 4);
            }
            int playoutBlocks = 0;
            int captureBlocks = 0;
            int peak = 0;
        } processor;
        Call call;
        Party& a = call.add("Alice", std::make_unique<ScriptedSource>(440.0));
        Party& b = call.add("Bob", std::make_unique<ScriptedSource>(620.0));
        a.engine->setAudioProcessor(&processor);
        call.run(2000);
        QVERIFY(processor.captureBlocks >= 190);
        QCOMPARE(processor.playoutBlocks, processor.captureBlocks);
        QVERIFY(processor.peak > 1000); // Bob's tone reached the far-end input
        const double unprocessed = a.sink.level(a.sink.mixed, 620, 1.0, 2.0);
        const double processed = b.sink.level(b.sink.mixed, 440, 1.0, 2.0);
        QVERIFY2(std::abs((unprocessed - processed) - 12.04) < 1.5,
                 qPrintable(QString("%1 vs %2").arg(unprocessed).arg(processed)));
    }

    void rtpHeadersFollowTheRfcs() {
        Call call;
        Party& a = call.add("Alice", std::make_unique<ScriptedSource>(440.0));
        call.add("Bob", nullptr); // listens only: announces nothing, sends nothing
        call.run(1000);
        std::vector<test::FakeRelay::Rtp> fromA;
        for (const auto& r : call.relay.rtpSeen) {
            QCOMPARE(r.from, a.index); // Bob sent no RTP
            fromA.push_back(r);
        }
        QVERIFY(fromA.size() >= 45);
        QVERIFY(fromA.front().marker); // a talkspurt starts
        for (std::size_t i = 0; i < fromA.size(); ++i) {
            QCOMPARE(fromA[i].payloadType, std::uint8_t{111});
            QCOMPARE(fromA[i].ssrc, a.engine->audioSsrc());
            QVERIFY(fromA[i].payloadBytes > 2);
            if (i == 0)
                continue;
            QVERIFY(!fromA[i].marker);
            QCOMPARE(static_cast<std::uint16_t>(fromA[i].sequence - fromA[i - 1].sequence),
                     std::uint16_t{1});
            QCOMPARE(fromA[i].timestamp - fromA[i - 1].timestamp, std::uint32_t{960});
        }
        QCOMPARE(call.parties[1]->engine->stats().audioPacketsSent, std::uint64_t{0});
    }

    void dtxSilenceThenMarker() {
        Call call;
        // 1 s tone, 2 s digital silence, then tone again.
        Party& a = call.add("Alice", std::make_unique<ScriptedSource>(440.0, 100, 200));
        Party& b = call.add("Bob", nullptr);
        call.run(4000);
        auto stats = a.engine->stats();
        QVERIFY2(stats.audioFramesDtx > 50, qPrintable(QString::number(stats.audioFramesDtx)));
        const auto& rtp = call.relay.rtpSeen;
        // Sequence numbers stay contiguous (one per packet sent) while timestamps jump over
        // the untransmitted frames, and the packet after the gap carries the marker.
        bool sawGapWithMarker = false;
        for (std::size_t i = 1; i < rtp.size(); ++i) {
            QCOMPARE(static_cast<std::uint16_t>(rtp[i].sequence - rtp[i - 1].sequence),
                     std::uint16_t{1});
            const std::uint32_t dt = rtp[i].timestamp - rtp[i - 1].timestamp;
            QCOMPARE(dt % 960, std::uint32_t{0});
            if (dt > 960 && rtp[i].marker)
                sawGapWithMarker = true;
            if (dt == 960)
                QVERIFY(!rtp[i].marker);
        }
        QVERIFY(sawGapWithMarker);
        // The tone comes back after the silence.
        QVERIFY(b.sink.level(b.sink.byName["Alice"], 440, 3.5, 4.0) > -16.0);
    }

    void lateJoinerAndLeaver() {
        Call call;
        Party& a = call.add("Alice", std::make_unique<ScriptedSource>(440.0));
        call.run(500);
        Party& c = call.add("Carol", std::make_unique<ScriptedSource>(970.0));
        call.run(1000);
        QVERIFY(a.sink.byName.count("Carol") == 1);
        QVERIFY(c.sink.byName.count("Alice") == 1);
        QVERIFY(c.sink.level(c.sink.byName["Alice"], 440, 0.5, 1.0) > -16.0);
        c.engine->leave();
        call.run(300);
        auto stats = a.engine->stats();
        QCOMPARE(stats.remotes.size(), std::size_t{1});
        QVERIFY(!stats.remotes[0].present);
        QVERIFY(stats.remotes[0].packetsReceived > 40);
        QCOMPARE(stateName(c.engine->session().state()), stateName(SessionState::Left));
        const auto sentByC = c.engine->stats().audioPacketsSent;
        call.run(200);
        QCOMPARE(c.engine->stats().audioPacketsSent, sentByC); // silent after leaving
    }

    void strayAndBrokenDatagramsAreCounted() {
        Call call;
        Party& a = call.add("Alice", nullptr);
        call.run(100);
        std::array<std::uint8_t, 64> buffer{};
        std::array<std::uint8_t, 20> payload{};
        wire::RtpHeaderFields h;
        h.ssrc = 0xDEADBEEF; // nobody announced it
        auto rtp = wire::writeRtp(h, payload, buffer);
        a.engine->onDatagram(rtp);
        const std::uint8_t broken[] = {0x80, 111, 0};
        a.engine->onDatagram(broken);
        const std::uint8_t unknown[] = {0x42, 1, 2, 3};
        a.engine->onDatagram(unknown);
        auto stats = a.engine->stats();
        QCOMPARE(stats.rtpUnknownSsrc, std::uint64_t{1});
        QCOMPARE(stats.rtpMalformed, std::uint64_t{1});
        QCOMPARE(stats.unknownDatagrams, std::uint64_t{1});
        QVERIFY(a.engine->joined());
    }

    void unknownConferenceReachesTheListener() {
        test::FakeClock clock;
        test::FakeRelay relay;
        struct L final : ClientSessionListener {
            void onError(const SessionError& e) override { errors.push_back(e); }
            std::vector<SessionError> errors;
        } listener;
        std::unique_ptr<CallEngine> engine;
        auto index =
            relay.addClient([&](std::span<const std::uint8_t> d) { engine->onDatagram(d); });
        CallEngineConfig config;
        config.name = "Eve";
        engine = std::move(
            CallEngine::create(clock, relay.endpoint(index), nullptr, nullptr, &listener, config)
                .value());
        QVERIFY(engine->join(relay.conferenceId + 1).ok());
        relay.deliver();
        QCOMPARE(listener.errors.size(), std::size_t{1});
        QCOMPARE(listener.errors[0].code, SessionErrorCode::UnknownConference);
        engine->processAudioBlock(); // harmless when not joined
    }

    void badBitrateIsRejected() {
        test::FakeClock clock;
        test::RecordingTransport transport;
        CallEngineConfig config;
        config.name = "X";
        config.audioBitrateBps = 100;
        QVERIFY(!CallEngine::create(clock, transport, nullptr, nullptr, nullptr, config).ok());
    }
};

int runTestCallEngine(int argc, char** argv) {
    TestCallEngine t;
    return QTest::qExec(&t, argc, argv);
}

#include "TestCallEngine.moc"
