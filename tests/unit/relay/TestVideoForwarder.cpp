// VideoForwarder: one receiver's view of a simulcast sender. The stream follows the share of
// the receiver's downlink and its height limit (highest that fits; down at once when even
// half its frame rate does not fit, up after a held margin), switches only at a key frame of
// the target stream (the current one goes on meanwhile, at its base layer when the switch
// is down), and the receiver's sequence numbers run on across switches with no gap, no
// duplicate and wrap-around, NACKs finding the stream and packet they mean.

#include "diyuma/relay/VideoForwarder.h"

#include <QtTest/QtTest>
#include <array>
#include <map>
#include <set>
#include <vector>

using diyuma::relay::FrameInfo;
using diyuma::relay::LayerRates;
using diyuma::relay::StreamRate;
using diyuma::relay::VideoForwarder;
using namespace std::chrono_literals;

namespace {

VideoForwarder::TimePoint at(int ms) {
    return VideoForwarder::TimePoint(std::chrono::milliseconds(1'000'000 + ms));
}

/// 180p, 360p, 720p at what a sender of ours sends (TL0, +TL1, +TL2 cumulative).
const std::array<StreamRate, 3> kStreams{
    StreamRate{180, LayerRates{{64'000, 96'000, 160'000}}},
    StreamRate{360, LayerRates{{210'000, 315'000, 530'000}}},
    StreamRate{720, LayerRates{{640'000, 960'000, 1'600'000}}},
};

/// A sender of three streams: every picture is a frame of each, two packets per frame;
/// sequence numbers of the streams are far apart (and stream 1 wraps), timestamps shared.
struct Simulcast {
    std::array<std::uint16_t, 3> next{1000, 65500, 30000};
    std::uint32_t timestamp = 90000;
    int picture = 0;
    struct Packet {
        std::size_t stream;
        std::uint16_t sequence;
        std::uint32_t timestamp;
        FrameInfo frame;
    };
    /// The packets of the next picture, lowest stream first; `keyOn` streams make key frames.
    std::vector<Packet> picturePackets(std::set<std::size_t> keyOn = {}) {
        std::vector<Packet> out;
        static constexpr std::uint8_t kPattern[] = {0, 2, 1, 2};
        const std::uint8_t tid = kPattern[picture % 4];
        for (std::size_t s = 0; s < 3; ++s) {
            const bool key = keyOn.count(s) != 0;
            for (int p = 0; p < 2; ++p) {
                FrameInfo f;
                f.temporalId = key ? 0 : tid;
                f.keyFrame = key;
                f.layerSync = !key && tid != 0;
                f.startOfFrame = p == 0;
                out.push_back({s, next[s]++, timestamp, f});
            }
        }
        timestamp += 3000;
        ++picture;
        return out;
    }
};

/// What the receiver got: (out number, stream, in number).
struct Received {
    std::uint16_t out;
    std::size_t stream;
    std::uint16_t in;
};

void feed(VideoForwarder& f, const std::vector<Simulcast::Packet>& packets,
          std::vector<Received>& got) {
    for (const auto& p : packets)
        if (auto o = f.onPacket(p.stream, p.sequence, p.timestamp, p.frame))
            got.push_back({*o, p.stream, p.sequence});
}

void checkContinuous(const std::vector<Received>& got) {
    for (std::size_t i = 1; i < got.size(); ++i)
        QCOMPARE(got[i].out, static_cast<std::uint16_t>(got[i - 1].out + 1));
}

} // namespace

class TestVideoForwarder : public QObject {
    Q_OBJECT

private slots:
    void firstChoiceIsTheHighestThatFits() {
        VideoForwarder f(3);
        QVERIFY(!f.target());
        f.update(10'000'000, kStreams, 0xFFFF, at(0));
        QCOMPARE(f.target().value_or(9), std::size_t{2});
        QVERIFY(f.wantsKeyFrame()); // nothing forwarded before the target's key frame
        QVERIFY(!f.current());
        VideoForwarder mid(3);
        mid.update(700'000, kStreams, 0xFFFF, at(0));
        QCOMPARE(mid.target().value_or(9), std::size_t{1});
        VideoForwarder low(3);
        low.update(50'000, kStreams, 0xFFFF, at(0));
        QCOMPARE(low.target().value_or(9), std::size_t{0}); // the lowest, even if it fits not
        // The subscription's height limit comes first.
        VideoForwarder limited(3);
        limited.update(10'000'000, kStreams, 360, at(0));
        QCOMPARE(limited.target().value_or(9), std::size_t{1});
        VideoForwarder tiny(3);
        tiny.update(10'000'000, kStreams, 100, at(0));
        QCOMPARE(tiny.target().value_or(9), std::size_t{0}); // the lowest is always allowed
        // A stream that sends nothing now counts at its nominal rate (720p: ~1.6 Mbit/s).
        std::array<StreamRate, 3> idleTop = kStreams;
        idleTop[2].rates = LayerRates{};
        VideoForwarder idle(3);
        idle.update(1'500'000, idleTop, 0xFFFF, at(0));
        QCOMPARE(idle.target().value_or(9), std::size_t{1});
        idle.update(1'800'000, idleTop, 0xFFFF, at(50)); // fits, not with the margin
        idle.update(1'800'000, idleTop, 0xFFFF, at(1100));
        QCOMPARE(idle.target().value_or(9), std::size_t{1});
        idle.update(2'000'000, idleTop, 0xFFFF, at(1150));
        idle.update(2'000'000, idleTop, 0xFFFF, at(2150));
        QCOMPARE(idle.target().value_or(9), std::size_t{2});
    }

    void nothingBeforeTheKeyFrameThenOneStream() {
        VideoForwarder f(3);
        Simulcast sim;
        std::vector<Received> got;
        f.update(10'000'000, kStreams, 0xFFFF, at(0));
        feed(f, sim.picturePackets(), got);
        QVERIFY(got.empty()); // no key frame of the target yet
        feed(f, sim.picturePackets({0}), got);
        QVERIFY(got.empty()); // a key frame of another stream does not start it
        feed(f, sim.picturePackets({2}), got);
        QCOMPARE(got.size(), std::size_t{2});
        QCOMPARE(f.current().value_or(9), std::size_t{2});
        QVERIFY(!f.wantsKeyFrame());
        for (int i = 0; i < 8; ++i)
            feed(f, sim.picturePackets(), got);
        QCOMPARE(got.size(), std::size_t{18});
        for (const auto& r : got)
            QCOMPARE(r.stream, std::size_t{2});
        checkContinuous(got);
        QCOMPARE(f.spatialSwitches(), std::uint64_t{0}); // a start is no switch
    }

    void switchDownWaitsForTheKeyFrameAtTheBaseLayer() {
        VideoForwarder f(3);
        Simulcast sim;
        std::vector<Received> got;
        f.update(10'000'000, kStreams, 0xFFFF, at(0));
        feed(f, sim.picturePackets({2}), got);
        for (int i = 0; i < 7; ++i)
            feed(f, sim.picturePackets(), got);
        // The link drops to 600 kbit/s: 720p's half rate (960k) does not fit: down at once
        // to 360p, which fits whole.
        f.update(600'000, kStreams, 0xFFFF, at(50));
        QCOMPARE(f.target().value_or(9), std::size_t{1});
        QCOMPARE(f.current().value_or(9), std::size_t{2});
        QVERIFY(f.wantsKeyFrame());
        QVERIFY(f.leaving(2)); // its repairs are not worth the link any more
        const std::size_t before = got.size();
        for (int i = 0; i < 4; ++i) // pictures 8..11: TL0 TL2 TL1 TL2: only the TL0 one
            feed(f, sim.picturePackets(), got);
        QCOMPARE(got.size() - before, std::size_t{2});
        QCOMPARE(f.temporalLayer().value_or(9), std::uint8_t{0}); // held at its base meanwhile
        feed(f, sim.picturePackets({1}), got);
        QCOMPARE(f.current().value_or(9), std::size_t{1});
        QCOMPARE(f.spatialSwitches(), std::uint64_t{1});
        QVERIFY(!f.wantsKeyFrame());
        QVERIFY(f.leaving(2));
        QVERIFY(!f.leaving(1));
        for (int i = 0; i < 8; ++i)
            feed(f, sim.picturePackets(), got);
        checkContinuous(got); // no gap, no duplicate across the switch (and stream 1 wraps)
        std::set<std::uint16_t> outs;
        for (const auto& r : got)
            QVERIFY(outs.insert(r.out).second);
        QCOMPARE(got.back().stream, std::size_t{1});
        // After the switch all of 360p's temporal layers come (it fits whole).
        QCOMPARE(f.temporalLayer().value_or(9), std::uint8_t{2});
    }

    void switchUpAfterHoldingTheMargin() {
        VideoForwarder f(3);
        Simulcast sim;
        std::vector<Received> got;
        f.update(600'000, kStreams, 0xFFFF, at(0));
        QCOMPARE(f.target().value_or(9), std::size_t{1});
        feed(f, sim.picturePackets({1}), got);
        // 1.7 Mbit/s: 720p (1.6M) fits but not with the 15 % margin: stays.
        for (int ms = 50; ms <= 3000; ms += 50)
            f.update(1'700'000, kStreams, 0xFFFF, at(ms));
        QCOMPARE(f.target().value_or(9), std::size_t{1});
        // 2.5 Mbit/s held for a second: up.
        for (int ms = 3050; ms < 4050; ms += 50) {
            f.update(2'500'000, kStreams, 0xFFFF, at(ms));
            QCOMPARE(f.target().value_or(9), std::size_t{1});
        }
        f.update(2'500'000, kStreams, 0xFFFF, at(4050));
        QCOMPARE(f.target().value_or(9), std::size_t{2});
        QVERIFY(f.wantsKeyFrame());
        // Meanwhile 360p goes on whole (and is repaired); the switch happens at 720p's key
        // frame.
        QVERIFY(!f.leaving(1));
        feed(f, sim.picturePackets(), got);
        QCOMPARE(got.back().stream, std::size_t{1});
        feed(f, sim.picturePackets({2}), got);
        QCOMPARE(f.current().value_or(9), std::size_t{2});
        feed(f, sim.picturePackets(), got);
        QCOMPARE(got.back().stream, std::size_t{2});
        checkContinuous(got);
        // A dip while the up-switch waits for its key frame cancels it.
        VideoForwarder g(3);
        g.update(600'000, kStreams, 0xFFFF, at(0));
        feed(g, sim.picturePackets({1}), got);
        g.update(2'500'000, kStreams, 0xFFFF, at(50));
        g.update(2'500'000, kStreams, 0xFFFF, at(1100));
        QCOMPARE(g.target().value_or(9), std::size_t{2});
        g.update(1'000'000, kStreams, 0xFFFF, at(1150));
        QCOMPARE(g.target().value_or(9), std::size_t{1});
        QVERIFY(!g.wantsKeyFrame());
    }

    void heightLimitLoweredSwitchesAtOnce() {
        VideoForwarder f(3);
        f.update(10'000'000, kStreams, 0xFFFF, at(0));
        QCOMPARE(f.target().value_or(9), std::size_t{2});
        f.update(10'000'000, kStreams, 180, at(50));
        QCOMPARE(f.target().value_or(9), std::size_t{0});
        // And raised again: up after the hold like any up-switch.
        f.update(10'000'000, kStreams, 720, at(100));
        QCOMPARE(f.target().value_or(9), std::size_t{0});
        f.update(10'000'000, kStreams, 720, at(1200));
        QCOMPARE(f.target().value_or(9), std::size_t{2});
    }

    void lowestStreamPausesOnlyWhenItsBaseDoesNotFit() {
        VideoForwarder f(3);
        Simulcast sim;
        std::vector<Received> got;
        f.update(300'000, kStreams, 0xFFFF, at(0));
        QCOMPARE(f.target().value_or(9), std::size_t{0});
        feed(f, sim.picturePackets({0}), got);
        f.update(40'000, kStreams, 0xFFFF, at(50)); // under 64k / 1.2
        feed(f, sim.picturePackets(), got);
        QVERIFY(f.paused());
        QVERIFY(!f.wantsKeyFrame()); // not while paused
        f.update(300'000, kStreams, 0xFFFF, at(100));
        f.update(300'000, kStreams, 0xFFFF, at(1200));
        QVERIFY(f.wantsKeyFrame()); // to resume
        // A higher stream whose base layer does not fit either is stopped until the switch
        // down (it would only queue ahead of the key frame), and that is no pause: the lowest
        // stream fits.
        VideoForwarder g(3);
        std::vector<Received> fromG;
        g.update(10'000'000, kStreams, 0xFFFF, at(0));
        feed(g, sim.picturePackets({2}), fromG);
        g.update(400'000, kStreams, 0xFFFF, at(50)); // 720p's base is 640k, over 1.2 x 400k
        QCOMPARE(g.target().value_or(9), std::size_t{0});
        QVERIFY(!g.paused());
        QVERIFY(g.wantsKeyFrame());
        const std::size_t before = fromG.size();
        for (int i = 0; i < 4; ++i)
            feed(g, sim.picturePackets(), fromG);
        QCOMPARE(fromG.size(), before);
        QVERIFY(!g.temporalLayer());
        feed(g, sim.picturePackets({0}), fromG);
        QCOMPARE(g.current().value_or(9), std::size_t{0});
        QCOMPARE(fromG.back().stream, std::size_t{0});
        QVERIFY(!g.paused());
        checkContinuous(fromG);
    }

    void nacksFindStreamAndPacketAcrossASwitch() {
        VideoForwarder f(3);
        Simulcast sim;
        std::vector<Received> got;
        f.update(10'000'000, kStreams, 0xFFFF, at(0));
        feed(f, sim.picturePackets({2}), got);
        for (int i = 0; i < 3; ++i)
            feed(f, sim.picturePackets(), got);
        // Lose the middle packet of stream 2's next picture on the way to the relay: the gap
        // stays a gap (a real loss the receiver may NACK).
        auto next = sim.picturePackets();
        std::erase_if(next, [](const auto& p) { return p.stream == 2 && !p.frame.startOfFrame; });
        feed(f, next, got);
        const std::uint16_t lostOut = static_cast<std::uint16_t>(got.back().out + 1);
        const std::uint16_t lostIn = static_cast<std::uint16_t>(got.back().in + 1);
        const std::uint32_t lostTimestamp = sim.timestamp - 3000;
        feed(f, sim.picturePackets(), got); // the next picture comes: the gap is inside
        const std::uint16_t lastOld = got.back().out;
        QCOMPARE(lastOld, static_cast<std::uint16_t>(lostOut + 2));
        f.update(600'000, kStreams, 0xFFFF, at(50));
        feed(f, sim.picturePackets({1}), got); // switch down to stream 1
        QCOMPARE(f.current().value_or(9), std::size_t{1});
        // The new stream starts right after the newest number of the old one.
        const auto firstNew =
            std::find_if(got.begin(), got.end(), [](const Received& r) { return r.stream == 1; });
        QCOMPARE(firstNew->out, static_cast<std::uint16_t>(lastOld + 1));
        // Every number maps back to its stream and packet.
        for (const auto& r : got) {
            const auto in = f.toInput(r.out);
            QVERIFY(in.has_value());
            QCOMPARE(in->stream, r.stream);
            QCOMPARE(in->sequence, r.in);
        }
        const auto lost = f.toInput(lostOut);
        QVERIFY(lost.has_value());
        QCOMPARE(lost->stream, std::size_t{2});
        QCOMPARE(lost->sequence, lostIn);
        // The late packet of the old stream fills its own gap, nothing newer of it passes.
        QCOMPARE(f.onPacket(2, lostIn, lostTimestamp, FrameInfo{}).value_or(0), lostOut);
        QVERIFY(!f.onPacket(2, sim.next[2]++, sim.timestamp, FrameInfo{0, false, true, true}));
    }

    void sharesFollowDemandAndTheSpeaker() {
        using diyuma::relay::ShareRequest;
        std::array<int, 4> shares{};
        // Room for all: everyone gets its demand, the rest alike.
        const std::array<ShareRequest, 4> thumbnails{
            ShareRequest{160'000, false}, ShareRequest{160'000, false},
            ShareRequest{160'000, false}, ShareRequest{1'600'000, false}};
        diyuma::relay::allocateShares(4'000'000, thumbnails, shares);
        for (std::size_t i = 0; i < 3; ++i)
            QCOMPARE(shares[i], 160'000 + 480'000);
        QCOMPARE(shares[3], 1'600'000 + 480'000);
        // Short: in proportion to demand (each the same fraction of it).
        diyuma::relay::allocateShares(1'040'000, thumbnails, shares);
        QCOMPARE(shares[0], 80'000);
        QCOMPARE(shares[3], 800'000);
        // The speaker weighs twice; what the small ones do not need goes to the big one.
        auto speaking = thumbnails;
        speaking[3].speaking = true;
        diyuma::relay::allocateShares(1'040'000, speaking, shares);
        QCOMPARE(shares[0], 1'040'000 * 160 / 3680);
        QCOMPARE(shares[3], static_cast<int>(1'040'000LL * 3200 / 3680));
        auto quietSmall = thumbnails;
        quietSmall[0].speaking = true; // a speaker that needs little: gets all it needs
        diyuma::relay::allocateShares(1'200'000, quietSmall, shares);
        QCOMPARE(shares[0], 160'000);
        QCOMPARE(shares[1], shares[2]);
        QVERIFY(std::abs(shares[1] + shares[2] + shares[3] - 1'040'000) <= 2);
        QCOMPARE(shares[3], static_cast<int>(1'040'000LL * 1600 / 1920));
        // Nothing to share.
        diyuma::relay::allocateShares(0, thumbnails, shares);
        for (int share : shares)
            QCOMPARE(share, 0);
        // The demand: the best stream within the height limit, measured or nominal.
        QCOMPARE(VideoForwarder::demandBps(kStreams, 0xFFFF), 1'600'000);
        QCOMPARE(VideoForwarder::demandBps(kStreams, 400), 530'000);
        QCOMPARE(VideoForwarder::demandBps(kStreams, 10), 160'000);
        std::array<StreamRate, 3> idle = kStreams;
        idle[2].rates = LayerRates{};
        QCOMPARE(VideoForwarder::demandBps(idle, 720), 1'500'000 * 106 / 100);
    }

    void singleStreamIsForwardedAtOnce() {
        VideoForwarder f(1);
        QCOMPARE(f.current().value_or(9), std::size_t{0});
        QVERIFY(!f.wantsKeyFrame());
        FrameInfo delta;
        delta.startOfFrame = true;
        QCOMPARE(f.onPacket(0, 500, 1000, delta).value_or(0), std::uint16_t{500});
        const std::array<StreamRate, 1> one{kStreams[2]};
        f.update(10'000'000, one, 0xFFFF, at(0));
        QCOMPARE(f.target().value_or(9), std::size_t{0});
        QCOMPARE(f.spatialSwitches(), std::uint64_t{0});
    }

    void manySwitchesStayContinuous() {
        // Up and down every few pictures for a long time (numbers wrap several times).
        VideoForwarder f(3);
        Simulcast sim;
        std::vector<Received> got;
        f.update(10'000'000, kStreams, 0xFFFF, at(0));
        feed(f, sim.picturePackets({2}), got);
        int ms = 0;
        for (int round = 0; round < 400; ++round) {
            const bool low = round % 2 == 0;
            ms += 1100;
            for (int t = 0; t < 2; ++t)
                f.update(low ? 600'000 : 2'500'000, kStreams, 0xFFFF, at(ms + t * 1100));
            ms += 1100;
            const std::size_t target = f.target().value_or(9);
            QCOMPARE(target, low ? std::size_t{1} : std::size_t{2});
            for (int i = 0; i < 90; ++i)
                feed(f,
                     sim.picturePackets(i == 1 ? std::set<std::size_t>{target}
                                               : std::set<std::size_t>{}),
                     got);
            QCOMPARE(f.current().value_or(9), target);
        }
        checkContinuous(got);
        QCOMPARE(f.spatialSwitches(), std::uint64_t{400});
        QVERIFY(got.size() > 65536); // wrapped
    }
};

QTEST_APPLESS_MAIN(TestVideoForwarder)
#include "TestVideoForwarder.moc"
