// VideoFrameAssembler: frames from RTP packets in order, out of order, duplicated, lost and
// recovered by NACK, lost for good (key frame needed, PLI throttled), across the 16-bit
// sequence wrap, across a padding gap, and after a jump beyond its ring. Time is a FakeClock.

#include "diyuma/video/VideoFrameAssembler.h"
#include "diyuma/video/Vp8Packetizer.h"

#include "FakeClock.h"

#include <QtTest/QtTest>
#include <algorithm>
#include <array>
#include <chrono>
#include <vector>

using namespace diyuma::core;
using namespace std::chrono_literals;
using diyuma::test::FakeClock;

namespace {

using Bytes = std::vector<std::uint8_t>;

struct Packet {
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    bool marker = false;
    Bytes payload;
};

/// A synthetic VP8 frame: a valid payload header (key: with start code and 640x360) and
/// `bytes` in all, the rest a pattern unique to `tag`.
Bytes vp8Frame(bool key, std::size_t bytes, std::uint8_t tag) {
    Bytes f = key ? Bytes{0x50, 0x2A, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0x68, 0x01}
                  : Bytes{0x31, 0x01, 0x00};
    while (f.size() < bytes)
        f.push_back(static_cast<std::uint8_t>(tag + f.size()));
    return f;
}

/// Sends frames as packets of at most 104 payload bytes (100 of VP8 data).
class Sender {
public:
    explicit Sender(std::uint16_t firstSequence) : m_sequence(firstSequence) {}

    std::vector<Packet> frame(const Bytes& data) {
        Vp8Packetizer packetizer(data, m_pictureId++, 104);
        std::vector<Packet> out;
        std::array<std::uint8_t, 200> buffer{};
        for (std::size_t i = 0; i < packetizer.packetCount(); ++i) {
            auto payload = packetizer.writePayload(i, buffer);
            out.push_back({m_sequence++, m_timestamp, packetizer.marker(i),
                           Bytes(payload.begin(), payload.end())});
        }
        m_timestamp += 3000;
        return out;
    }
    void skipSequences(std::uint16_t n) { m_sequence = static_cast<std::uint16_t>(m_sequence + n); }
    void skipPictures(std::uint16_t n) {
        m_pictureId = static_cast<std::uint16_t>(m_pictureId + n);
    }

private:
    std::uint16_t m_sequence;
    std::uint16_t m_pictureId = 100;
    std::uint32_t m_timestamp = 90000;
};

void deliver(VideoFrameAssembler& a, const std::vector<Packet>& packets) {
    for (const auto& p : packets)
        a.insert(p.sequence, p.timestamp, p.marker, p.payload);
}

std::vector<Bytes> popAll(VideoFrameAssembler& a) {
    std::vector<Bytes> out;
    AssembledVideoFrame f;
    while (a.popFrame(f))
        out.push_back(f.data);
    return out;
}

std::vector<std::uint16_t> nacks(VideoFrameAssembler& a) {
    std::vector<std::uint16_t> out;
    a.collectNacks(out);
    return out;
}

} // namespace

class TestFrameAssembler : public QObject {
    Q_OBJECT
private slots:
    void framesInOrder() {
        FakeClock clock;
        VideoFrameAssembler a(clock);
        Sender s(1000);
        const Bytes key = vp8Frame(true, 350, 1);
        const Bytes d1 = vp8Frame(false, 120, 2);
        const Bytes d2 = vp8Frame(false, 40, 3);
        deliver(a, s.frame(key));
        deliver(a, s.frame(d1));
        deliver(a, s.frame(d2));
        QCOMPARE(popAll(a), (std::vector<Bytes>{key, d1, d2}));
        QVERIFY(nacks(a).empty());
        QVERIFY(!a.needsKeyFrame());
        QCOMPARE(a.counters().framesAssembled, std::uint64_t{3});
        QCOMPARE(a.counters().keyFrames, std::uint64_t{1});
        QCOMPARE(a.counters().packetsReceived, std::uint64_t{4 + 2 + 1});
    }

    void reorderedAndDuplicatedPackets() {
        FakeClock clock;
        VideoFrameAssembler a(clock);
        Sender s(7);
        const Bytes key = vp8Frame(true, 500, 1);
        const Bytes d1 = vp8Frame(false, 300, 2);
        auto packets = s.frame(key);
        auto more = s.frame(d1);
        packets.insert(packets.end(), more.begin(), more.end());
        std::reverse(packets.begin(), packets.end());
        packets.push_back(packets[2]); // and two duplicates
        packets.push_back(packets[5]);
        deliver(a, packets);
        QCOMPARE(popAll(a), (std::vector<Bytes>{key, d1}));
        QCOMPARE(a.counters().packetsDuplicate, std::uint64_t{2});
        deliver(a, {packets[0]}); // an old one again, after its frame was taken: late
        QCOMPARE(a.counters().packetsLate, std::uint64_t{1});
    }

    void startsOnlyAtAKeyFrame() {
        FakeClock clock;
        VideoFrameAssembler a(clock);
        Sender s(50);
        deliver(a, s.frame(vp8Frame(false, 200, 1)));
        QVERIFY(popAll(a).empty());
        QVERIFY(a.takeKeyFrameRequest()); // ask at once
        const Bytes key = vp8Frame(true, 200, 2);
        const Bytes d = vp8Frame(false, 200, 3);
        deliver(a, s.frame(key));
        deliver(a, s.frame(d));
        QCOMPARE(popAll(a), (std::vector<Bytes>{key, d}));
        QCOMPARE(a.counters().framesDropped, std::uint64_t{1});
        QVERIFY(!a.takeKeyFrameRequest());
    }

    void lossIsNackedAndRecovered() {
        FakeClock clock;
        VideoFrameAssembler a(clock);
        Sender s(65500); // the frames cross the sequence wrap
        const Bytes key = vp8Frame(true, 300, 1);
        const Bytes d1 = vp8Frame(false, 300, 2);
        const Bytes d2 = vp8Frame(false, 300, 3);
        deliver(a, s.frame(key));
        auto p1 = s.frame(d1);
        const Packet lost = p1[1];
        p1.erase(p1.begin() + 1);
        deliver(a, p1);
        deliver(a, s.frame(d2));
        QCOMPARE(popAll(a), std::vector<Bytes>{key});
        QVERIFY(nacks(a).empty()); // within the reorder allowance
        clock.advance(5ms);
        QCOMPARE(nacks(a), std::vector<std::uint16_t>{lost.sequence});
        clock.advance(10ms);
        QVERIFY(nacks(a).empty()); // not again before the retry interval
        clock.advance(10ms);
        QCOMPARE(nacks(a), std::vector<std::uint16_t>{lost.sequence});
        deliver(a, {lost});
        QCOMPARE(popAll(a), (std::vector<Bytes>{d1, d2}));
        QCOMPARE(a.counters().packetsRecovered, std::uint64_t{1});
        QCOMPARE(a.counters().nacksSent, std::uint64_t{2});
        QVERIFY(!a.needsKeyFrame());
    }

    void retryIntervalFollowsRttAndRetriesEnd() {
        FakeClock clock;
        VideoAssemblerConfig config;
        config.maxNackRetries = 3;
        config.maxWaitForLost = 10s;
        VideoFrameAssembler a(clock, config);
        a.setRtt(100ms); // retries every 125 ms
        Sender s(0);
        deliver(a, s.frame(vp8Frame(true, 100, 1)));
        auto p = s.frame(vp8Frame(false, 250, 2));
        deliver(a, {p[0], p[2]});
        clock.advance(5ms);
        QCOMPARE(nacks(a).size(), std::size_t{1});
        clock.advance(100ms);
        QVERIFY(nacks(a).empty());
        clock.advance(25ms);
        QCOMPARE(nacks(a).size(), std::size_t{1});
        clock.advance(125ms);
        QCOMPARE(nacks(a).size(), std::size_t{1});
        clock.advance(100ms);
        (void)popAll(a);
        QVERIFY(!a.needsKeyFrame()); // the last request still has time to be answered...
        clock.advance(25ms);
        QVERIFY(nacks(a).empty()); // three requests were all it gets
        (void)popAll(a);
        QVERIFY(a.needsKeyFrame()); // ...now it is given up
        QCOMPARE(a.counters().gapsGivenUp, std::uint64_t{1});
    }

    void givenUpLossWaitsForTheNextKeyFrame() {
        FakeClock clock;
        VideoFrameAssembler a(clock);
        Sender s(300);
        const Bytes key = vp8Frame(true, 100, 1);
        deliver(a, s.frame(key));
        auto p = s.frame(vp8Frame(false, 300, 2));
        p.erase(p.begin()); // the delta frame's first packet never comes
        deliver(a, p);
        deliver(a, s.frame(vp8Frame(false, 100, 3)));
        QCOMPARE(popAll(a), std::vector<Bytes>{key});
        clock.advance(1s);
        QVERIFY(popAll(a).empty());
        QVERIFY(a.needsKeyFrame());
        QVERIFY(a.takeKeyFrameRequest());
        clock.advance(100ms);
        QVERIFY(!a.takeKeyFrameRequest()); // throttled
        clock.advance(150ms);
        QVERIFY(a.takeKeyFrameRequest());
        QCOMPARE(a.counters().keyFrameRequests, std::uint64_t{2});
        deliver(a, s.frame(vp8Frame(false, 100, 4))); // deltas before the key frame: useless
        const Bytes key2 = vp8Frame(true, 200, 5);
        const Bytes after = vp8Frame(false, 100, 6);
        deliver(a, s.frame(key2));
        deliver(a, s.frame(after));
        QCOMPARE(popAll(a), (std::vector<Bytes>{key2, after}));
        QVERIFY(a.counters().framesDropped >= 2);
        QVERIFY(nacks(a).empty()); // nothing older is asked for any more
    }

    void completeKeyFrameEndsTheWaitForOlderFrames() {
        // A relay switches us to another simulcast stream while the old one's last frame
        // misses a packet: the new stream's key frame, once complete, is shown at once (the
        // older frame is not waited for), and the missing packet before it is asked for only
        // until the key frame's first packet is here.
        FakeClock clock;
        VideoFrameAssembler a(clock);
        Sender s(500);
        const Bytes key = vp8Frame(true, 100, 1);
        deliver(a, s.frame(key));
        QCOMPARE(popAll(a), std::vector<Bytes>{key});
        auto broken = s.frame(vp8Frame(false, 300, 2));
        const std::uint16_t lost = broken[1].sequence;
        broken.erase(broken.begin() + 1);
        deliver(a, broken);
        clock.advance(10ms);
        QCOMPARE(nacks(a), std::vector<std::uint16_t>{lost});
        auto newKey = s.frame(vp8Frame(true, 300, 3));
        deliver(a, {newKey.front()});
        clock.advance(100ms);
        QVERIFY(popAll(a).empty()); // the key frame is not complete yet
        QVERIFY(nacks(a).empty());  // and the old packet is not worth asking for
        deliver(a, {newKey.begin() + 1, newKey.end()});
        const Bytes after = vp8Frame(false, 100, 4);
        deliver(a, s.frame(after));
        QCOMPARE(popAll(a), (std::vector<Bytes>{vp8Frame(true, 300, 3), after}));
        QVERIFY(!a.needsKeyFrame());
        QCOMPARE(a.counters().gapsGivenUp, std::uint64_t{0});
        QCOMPARE(a.counters().framesDropped, std::uint64_t{1});
    }

    void whileAKeyFrameIsNeededOlderPacketsAreNotAskedFor() {
        FakeClock clock;
        VideoFrameAssembler a(clock);
        Sender s(700);
        deliver(a, s.frame(vp8Frame(true, 100, 1)));
        (void)popAll(a);
        a.requestKeyFrame(); // the decoder failed
        auto old = s.frame(vp8Frame(false, 300, 2));
        old.erase(old.begin() + 1);
        deliver(a, old);
        // That frame was sent after we asked; its gap may hide the key frame's start.
        clock.advance(10ms);
        QCOMPARE(nacks(a).size(), std::size_t{1});
        // Asked again (the decoder failed again): only what comes after that is asked for.
        auto more = s.frame(vp8Frame(false, 300, 3));
        const std::uint16_t gapAfter = more[1].sequence;
        more.erase(more.begin() + 1);
        a.requestKeyFrame();
        deliver(a, more);
        clock.advance(100ms);
        QCOMPARE(nacks(a), std::vector<std::uint16_t>{gapAfter});
    }

    void paddingGapIsCrossedByPictureId() {
        FakeClock clock;
        VideoFrameAssembler a(clock);
        Sender s(10);
        const Bytes key = vp8Frame(true, 100, 1);
        deliver(a, s.frame(key));
        s.skipSequences(3); // e.g. padding packets we did not get
        const Bytes d = vp8Frame(false, 100, 2);
        deliver(a, s.frame(d));
        QCOMPARE(popAll(a), (std::vector<Bytes>{key, d})); // no waiting
        // A whole frame lost: the picture ID jumps, so the next frame must wait, then fail.
        s.skipSequences(1);
        s.skipPictures(1);
        deliver(a, s.frame(vp8Frame(false, 100, 3)));
        QVERIFY(popAll(a).empty());
        clock.advance(1s);
        QVERIFY(popAll(a).empty());
        QVERIFY(a.needsKeyFrame());
    }

    void malformedPacketsAreCounted() {
        FakeClock clock;
        VideoFrameAssembler a(clock);
        a.insert(1, 0, false, Bytes{});          // no descriptor
        a.insert(2, 0, false, Bytes{0x90});      // extension announced, missing
        a.insert(3, 0, true, Bytes{0x10, 0x50}); // a frame start with a 1-byte VP8 header
        QCOMPARE(a.counters().packetsMalformed, std::uint64_t{3});
        QCOMPARE(a.counters().packetsReceived, std::uint64_t{0});
        QVERIFY(!a.takeKeyFrameRequest()); // nothing valid seen: no stream to ask
    }

    void jumpBeyondTheRingStartsOver() {
        FakeClock clock;
        VideoAssemblerConfig config;
        config.capacityPackets = 128;
        VideoFrameAssembler a(clock, config);
        Sender s(0);
        const Bytes key = vp8Frame(true, 100, 1);
        deliver(a, s.frame(key));
        QCOMPARE(popAll(a), std::vector<Bytes>{key});
        s.skipSequences(5000);
        deliver(a, s.frame(vp8Frame(false, 100, 2)));
        QCOMPARE(a.counters().bufferResets, std::uint64_t{1});
        QVERIFY(a.needsKeyFrame());
        QVERIFY(nacks(a).empty()); // the 5000 are not asked for
        const Bytes key2 = vp8Frame(true, 100, 3);
        deliver(a, s.frame(key2));
        QCOMPARE(popAll(a), std::vector<Bytes>{key2});
    }

    void jumpOfMoreThanHalfTheSequenceSpaceStartsOver() {
        // 40000 packets unseen (e.g. withheld): the new numbers look "behind" as 16-bit
        // differences. They must not be taken as late forever.
        FakeClock clock;
        VideoFrameAssembler a(clock);
        Sender s(1000);
        const Bytes key = vp8Frame(true, 100, 1);
        deliver(a, s.frame(key));
        QCOMPARE(popAll(a), std::vector<Bytes>{key});
        s.skipSequences(40000);
        const Bytes key2 = vp8Frame(true, 100, 2);
        deliver(a, s.frame(vp8Frame(false, 100, 3)));
        deliver(a, s.frame(key2));
        QCOMPARE(popAll(a), std::vector<Bytes>{key2});
        QVERIFY(a.counters().bufferResets >= 1);
    }

    void decoderErrorAsksForAKeyFrame() {
        FakeClock clock;
        VideoFrameAssembler a(clock);
        Sender s(0);
        deliver(a, s.frame(vp8Frame(true, 100, 1)));
        (void)popAll(a);
        a.requestKeyFrame();
        deliver(a, s.frame(vp8Frame(false, 100, 2)));
        QVERIFY(popAll(a).empty());
        QVERIFY(a.takeKeyFrameRequest());
    }
};

QTEST_APPLESS_MAIN(TestFrameAssembler)
#include "TestFrameAssembler.moc"
