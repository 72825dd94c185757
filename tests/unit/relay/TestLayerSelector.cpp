// LayerSelector: the temporal layers one receiver gets of one stream. The target follows the
// share of the receiver's downlink (highest layer that fits; paused only when the base layer
// does not), goes down at once and up only after holding with a margin (no flapping at the
// edge), and the forwarded layer changes only where the stream allows: down at the next
// frame, up at a sync frame of the layer or a key frame, back from a pause at a key frame.

#include "diyuma/relay/LayerSelector.h"

#include <QtTest/QtTest>

using diyuma::relay::LayerRates;
using diyuma::relay::LayerSelector;
using namespace std::chrono_literals;

namespace {

const LayerRates kRates{{100'000, 150'000, 300'000}};

LayerSelector::TimePoint at(int ms) {
    return LayerSelector::TimePoint(std::chrono::milliseconds(1'000'000 + ms));
}

} // namespace

class TestLayerSelector : public QObject {
    Q_OBJECT

private slots:
    void targetIsTheHighestLayerThatFits() {
        LayerSelector s;
        s.update(1'000'000, kRates, at(0));
        QCOMPARE(s.target().value_or(9), std::uint8_t{2});
        s.update(200'000, kRates, at(50));
        QCOMPARE(s.target().value_or(9), std::uint8_t{1}); // down at once
        s.update(120'000, kRates, at(100));
        QCOMPARE(s.target().value_or(9), std::uint8_t{0});
        s.update(90'000, kRates, at(150));
        QCOMPARE(s.target().value_or(9), std::uint8_t{0}); // TL0 just over: within tolerance
        s.update(80'000, kRates, at(200));
        QVERIFY(s.paused()); // TL0 over 1.2 x the share: not even it fits
        // One layer only: all or nothing.
        LayerSelector single;
        single.update(80'000, LayerRates{{100'000, 100'000, 100'000}}, at(0));
        QVERIFY(single.paused());
        LayerSelector singleFits;
        singleFits.update(200'000, LayerRates{{100'000, 0, 0}}, at(0)); // as a meter says it
        QCOMPARE(singleFits.target().value_or(9), std::uint8_t{2});     // everything it sends
        LayerSelector singleShort;
        singleShort.update(80'000, LayerRates{{100'000, 0, 0}}, at(0));
        QVERIFY(singleShort.paused());
    }

    void upSwitchesWaitAndDoNotFlap() {
        LayerSelector s;
        s.update(120'000, kRates, at(0));
        QCOMPARE(s.target().value_or(9), std::uint8_t{0});
        // Room for everything: held for a second first.
        for (int ms = 50; ms < 1000; ms += 50) {
            s.update(1'000'000, kRates, at(ms));
            QCOMPARE(s.target().value_or(9), std::uint8_t{0});
        }
        s.update(1'000'000, kRates, at(1050));
        QCOMPARE(s.target().value_or(9), std::uint8_t{2});
        // Around TL1's rate (150k): 170k fits but not with the margin, 140k does not fit.
        LayerSelector edge;
        edge.update(120'000, kRates, at(0));
        for (int i = 0; i < 100; ++i)
            edge.update(i % 2 == 0 ? 170'000 : 140'000, kRates, at(50 * i));
        QCOMPARE(edge.target().value_or(9), std::uint8_t{0});
        // A dip during the hold restarts it.
        LayerSelector dip;
        dip.update(120'000, kRates, at(0));
        dip.update(1'000'000, kRates, at(100));
        dip.update(120'000, kRates, at(600));
        dip.update(1'000'000, kRates, at(700));
        dip.update(1'000'000, kRates, at(1200));
        QCOMPARE(dip.target().value_or(9), std::uint8_t{0});
        dip.update(1'000'000, kRates, at(1750));
        QCOMPARE(dip.target().value_or(9), std::uint8_t{2});
    }

    void forwardingChangesWhereTheStreamAllows() {
        LayerSelector s;
        s.update(1'000'000, kRates, at(0));
        QVERIFY(s.onFrame(0, false, true));
        QVERIFY(s.onFrame(2, true, false));
        s.update(120'000, kRates, at(50)); // down to TL0: the very next TL1/TL2 frame is dropped
        QVERIFY(!s.onFrame(1, true, false));
        QVERIFY(!s.onFrame(2, false, false));
        QVERIFY(s.onFrame(0, false, false));
        QCOMPARE(s.current().value_or(9), std::uint8_t{0});
        // Up to everything: a TL2 frame that needs TL1 is not a place to start.
        s.update(1'000'000, kRates, at(100));
        s.update(1'000'000, kRates, at(1200));
        QCOMPARE(s.target().value_or(9), std::uint8_t{2});
        QVERIFY(!s.onFrame(2, false, false));
        QCOMPARE(s.current().value_or(9), std::uint8_t{0});
        QVERIFY(s.onFrame(1, true, false)); // TL1 refers to TL0 only: TL0..1 from here
        QCOMPARE(s.current().value_or(9), std::uint8_t{1});
        QVERIFY(!s.onFrame(2, false, false));
        QVERIFY(s.onFrame(0, false, false));
        QVERIFY(s.onFrame(2, true, false)); // a TL2 sync frame: everything from here
        QCOMPARE(s.current().value_or(9), std::uint8_t{2});
        QVERIFY(s.onFrame(2, false, false));
        QCOMPARE(s.switches(), std::uint64_t{3});
    }

    void pauseResumesAtAKeyFrame() {
        LayerSelector s;
        s.update(1'000'000, kRates, at(0));
        QVERIFY(s.onFrame(0, false, true));
        s.update(50'000, kRates, at(50));
        QVERIFY(s.paused());
        QVERIFY(!s.onFrame(0, false, false));
        QVERIFY(!s.current());
        QVERIFY(!s.wantsKeyFrame()); // paused: nothing wanted yet
        s.update(1'000'000, kRates, at(100));
        s.update(1'000'000, kRates, at(1200));
        QVERIFY(!s.paused());
        QVERIFY(s.wantsKeyFrame());
        QVERIFY(!s.onFrame(0, false, false)); // a delta frame cannot start the stream again
        QVERIFY(s.onFrame(0, false, true));
        QCOMPARE(s.current().value_or(9), std::uint8_t{2});
        QVERIFY(!s.wantsKeyFrame());
    }
};

QTEST_APPLESS_MAIN(TestLayerSelector)
#include "TestLayerSelector.moc"
