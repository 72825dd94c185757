// SequenceRewriter: what a receiver sees of a stream the relay thins out. Forwarded packets
// are consecutive (no gap counted as loss, no duplicate), real losses stay gaps of their size
// and a late packet fills its own hole, duplicates get the same answer, numbers wrap, and a
// NACK for an out number finds the in number it stands for.

#include "diyuma/relay/SequenceRewriter.h"

#include <QtTest/QtTest>
#include <map>
#include <random>
#include <set>
#include <vector>

using diyuma::relay::SequenceRewriter;

class TestSequenceRewriter : public QObject {
    Q_OBJECT

private slots:
    void dropsCloseTheirGaps() {
        SequenceRewriter r;
        std::vector<std::uint16_t> out;
        // Frames of 2 packets; every second frame dropped (a top temporal layer).
        for (std::uint16_t in = 100; in < 140; ++in) {
            const bool forward = ((in - 100) / 2) % 2 == 0;
            const auto o = r.onPacket(in, forward);
            QCOMPARE(o.has_value(), forward);
            if (o)
                out.push_back(*o);
        }
        QCOMPARE(out.size(), std::size_t{20});
        for (std::size_t i = 1; i < out.size(); ++i)
            QCOMPARE(out[i], static_cast<std::uint16_t>(out[i - 1] + 1));
        QCOMPARE(out.front(), std::uint16_t{100}); // nothing dropped before the first
        QCOMPARE(r.offset(), std::uint16_t{20});
        // NACKs name out numbers: they map back to the packets that were sent.
        QCOMPARE(r.toInput(100).value_or(0), std::uint16_t{100});
        QCOMPARE(r.toInput(102).value_or(0), std::uint16_t{104});
        QCOMPARE(r.toInput(119).value_or(0), std::uint16_t{137});
        QCOMPARE(r.toInput(120).value_or(0), std::uint16_t{140}); // not sent yet: the next
    }

    void lossStaysAGapAndLateArrivalsFillIt() {
        SequenceRewriter r;
        QCOMPARE(r.onPacket(10, true).value_or(0), std::uint16_t{10});
        QVERIFY(!r.onPacket(11, false)); // dropped: later ones move down one
        QCOMPARE(r.onPacket(12, true).value_or(0), std::uint16_t{11});
        // 13 and 14 are late (or lost): 15 leaves a gap of two for them.
        QCOMPARE(r.onPacket(15, true).value_or(0), std::uint16_t{14});
        QCOMPARE(r.onPacket(14, true).value_or(0), std::uint16_t{13}); // fills its own slot
        QCOMPARE(r.toInput(13).value_or(0), std::uint16_t{14});
        QCOMPARE(r.toInput(12).value_or(0), std::uint16_t{13}); // still missing: ask the sender
        // A duplicate gets the same number; a duplicate of a dropped one stays dropped.
        QCOMPARE(r.onPacket(15, true).value_or(0), std::uint16_t{14});
        QVERIFY(!r.onPacket(11, true));
        // A late packet that is dropped leaves its hole (the receiver gives up on it).
        QVERIFY(!r.onPacket(13, false));
        QVERIFY(!r.toInput(12)); // now it stands for no packet
        QCOMPARE(r.onPacket(16, true).value_or(0), std::uint16_t{15});
        // Far too old to place.
        QVERIFY(!r.onPacket(static_cast<std::uint16_t>(16 - SequenceRewriter::kHistory - 5), true));
    }

    void wrapsAround() {
        SequenceRewriter r;
        std::vector<std::uint16_t> out;
        std::uint16_t lastIn = 0;
        for (int i = 0; i < 200; ++i) {
            const auto in = static_cast<std::uint16_t>(65450 + i);
            if (auto o = r.onPacket(in, i % 3 != 1)) {
                out.push_back(*o);
                lastIn = in;
            }
        }
        for (std::size_t i = 1; i < out.size(); ++i)
            QCOMPARE(out[i], static_cast<std::uint16_t>(out[i - 1] + 1));
        QCOMPARE(lastIn, std::uint16_t{112}); // 65450 + 198, across the wrap
        QCOMPARE(r.toInput(out.back()).value_or(0), lastIn);
    }

    void randomReorderKeepsOutputUniqueAndOrdered() {
        // A stream with drops decided per packet, delivered with reordering and duplicates:
        // every out number is given to one in number only, and in numbers keep their order.
        std::mt19937 rng(7);
        SequenceRewriter r;
        std::vector<std::uint16_t> order;
        for (int i = 0; i < 5000; ++i)
            order.push_back(static_cast<std::uint16_t>(60000 + i));
        for (std::size_t i = 0; i + 1 < order.size(); ++i)
            if (rng() % 10 == 0)
                std::swap(order[i], order[i + 1]);
        std::map<std::uint16_t, std::uint16_t> outToIn;
        std::map<std::uint16_t, std::uint16_t> inToOut;
        for (std::size_t i = 0; i < order.size(); ++i) {
            const std::uint16_t in = order[i];
            const bool forward = (in % 7) != 3;
            const int copies = rng() % 20 == 0 ? 2 : 1;
            for (int c = 0; c < copies; ++c) {
                if (auto o = r.onPacket(in, forward)) {
                    QVERIFY(forward);
                    if (auto seen = inToOut.find(in); seen != inToOut.end()) {
                        QCOMPARE(seen->second, *o); // a duplicate: the same number
                        continue;
                    }
                    QVERIFY2(!outToIn.count(*o), qPrintable(QString("out %1 given twice").arg(*o)));
                    outToIn[*o] = in;
                    inToOut[in] = *o;
                    QCOMPARE(r.toInput(*o).value_or(0), in);
                }
            }
        }
        // Order: a later in number never gets an earlier out number (compared unwrapped).
        std::int64_t lastOut = -1;
        for (int i = 0; i < 5000; ++i) {
            const auto in = static_cast<std::uint16_t>(60000 + i);
            auto it = inToOut.find(in);
            if (it == inToOut.end())
                continue;
            std::int64_t o = it->second;
            while (o < lastOut - 30000)
                o += 65536;
            QVERIFY(o > lastOut);
            lastOut = o;
        }
        QVERIFY(inToOut.size() > 4000);
    }

    void continuesOnANewStreamAcrossTheWrap() {
        // A simulcast switch: stream A (numbers near 65500) up to a point, then stream B
        // (numbers near 30000): the receiver's numbers run on without a gap or a repeat, and
        // each side maps its own numbers back. Late packets of A fill A's gaps only.
        SequenceRewriter a;
        std::vector<std::uint16_t> out;
        for (std::uint16_t in = 65500; in != 20; ++in) // across the wrap; 65510 missing yet
            if (in != 65510)
                out.push_back(a.onPacket(in, true).value_or(0));
        const auto newest = a.newestOut();
        QVERIFY(newest);
        QCOMPARE(*newest, out.back());
        a.freeze();
        SequenceRewriter b;
        b.continueAfter(*newest, 30000);
        QCOMPARE(b.toInput(static_cast<std::uint16_t>(*newest + 1)).value_or(0),
                 std::uint16_t{30000}); // asked for before it arrived: B's first
        for (std::uint16_t in = 30000; in < 30100; ++in) {
            const auto o = b.onPacket(in, in % 4 != 3); // B thinned too
            if (o)
                out.push_back(*o);
        }
        for (std::size_t i = 1; i < out.size(); ++i) {
            const auto expected = static_cast<std::uint16_t>(out[i - 1] + 1);
            if (i == 10) { // the gap A's missing packet left
                QCOMPARE(out[i], static_cast<std::uint16_t>(expected + 1));
                continue;
            }
            QCOMPARE(out[i], expected);
        }
        // Each maps its own numbers, and only those.
        QCOMPARE(b.toInput(out.back()).value_or(0), std::uint16_t{30098});
        QVERIFY(!b.toInput(*newest));
        QCOMPARE(a.toInput(*newest).value_or(0), std::uint16_t{19});
        QVERIFY(!a.toInput(static_cast<std::uint16_t>(*newest + 1))); // frozen: nothing past
        // A's late packet takes its gap's number; nothing newer of A passes; nothing older
        // than B's start passes B.
        QCOMPARE(a.onPacket(65510, true).value_or(0), static_cast<std::uint16_t>(out[9] + 1));
        QVERIFY(!a.onPacket(21, true));
        QVERIFY(!b.onPacket(29999, true));
        // A duplicate of B's newest gets the same number again.
        QCOMPARE(b.onPacket(30098, true).value_or(0), out.back());
    }
};

QTEST_APPLESS_MAIN(TestSequenceRewriter)
#include "TestSequenceRewriter.moc"
