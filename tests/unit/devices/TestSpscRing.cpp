// SpscRing: capacity rounding, full and empty, wrap-around, partial reads and writes, and two
// threads moving a long counting sequence through a small ring (every sample, in order).

#include "diyuma/audio/SpscRing.h"

#include <QtTest/QtTest>
#include <array>
#include <atomic>
#include <numeric>
#include <thread>
#include <vector>

using diyuma::core::SpscRing;

class TestSpscRing : public QObject {
    Q_OBJECT
private slots:
    void capacityIsPowerOfTwo() {
        QCOMPARE(SpscRing<std::int16_t>(1).capacity(), std::size_t{2});
        QCOMPARE(SpscRing<std::int16_t>(8).capacity(), std::size_t{8});
        QCOMPARE(SpscRing<std::int16_t>(9).capacity(), std::size_t{16});
        QCOMPARE(SpscRing<std::int16_t>(4800).capacity(), std::size_t{8192});
    }

    void emptyAndFull() {
        SpscRing<std::int16_t> ring(8);
        std::array<std::int16_t, 10> buf{};
        QCOMPARE(ring.readAvailable(), std::size_t{0});
        QCOMPARE(ring.writeAvailable(), std::size_t{8});
        QCOMPARE(ring.read(buf), std::size_t{0}); // empty: nothing, no harm
        const std::array<std::int16_t, 10> in{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        QCOMPARE(ring.write(in), std::size_t{8}); // full after 8: the rest is refused
        QCOMPARE(ring.size(), std::size_t{8});
        QCOMPARE(ring.writeAvailable(), std::size_t{0});
        QCOMPARE(ring.write(std::span(in).first(1)), std::size_t{0});
        QCOMPARE(ring.read(buf), std::size_t{8});
        for (int i = 0; i < 8; ++i)
            QCOMPARE(buf[static_cast<std::size_t>(i)], static_cast<std::int16_t>(i + 1));
        QCOMPARE(ring.size(), std::size_t{0});
        QCOMPARE(ring.write({}), std::size_t{0});
        QCOMPARE(ring.read({}), std::size_t{0});
    }

    void wrapAround() {
        SpscRing<std::int16_t> ring(16);
        std::int16_t next = 0;
        std::int16_t expected = 0;
        std::array<std::int16_t, 7> in{};
        std::array<std::int16_t, 5> out{};
        // Chunks of 7 in, 5 out: the positions cross the end of the storage at every offset.
        for (int round = 0; round < 200; ++round) {
            if (ring.writeAvailable() >= in.size()) {
                for (auto& v : in)
                    v = next++;
                QCOMPARE(ring.write(in), in.size());
            }
            const std::size_t got = ring.read(out);
            for (std::size_t i = 0; i < got; ++i)
                QCOMPARE(out[i], expected++);
            QVERIFY(ring.size() <= ring.capacity());
        }
        QVERIFY(expected > 500);
    }

    void partialReadAndDiscard() {
        SpscRing<std::int16_t> ring(8);
        const std::array<std::int16_t, 6> in{10, 11, 12, 13, 14, 15};
        QCOMPARE(ring.write(in), std::size_t{6});
        QCOMPARE(ring.discard(2), std::size_t{2});
        std::array<std::int16_t, 3> out{};
        QCOMPARE(ring.read(out), std::size_t{3});
        QCOMPARE(out, (std::array<std::int16_t, 3>{12, 13, 14}));
        QCOMPARE(ring.discard(100), std::size_t{1}); // only what is there
        QCOMPARE(ring.readAvailable(), std::size_t{0});
    }

    void worksForOtherTriviallyCopyableTypes() {
        struct Pair {
            int a;
            float b;
        };
        SpscRing<Pair> ring(4);
        const std::array<Pair, 3> in{{{1, 1.5F}, {2, 2.5F}, {3, 3.5F}}};
        QCOMPARE(ring.write(in), std::size_t{3});
        std::array<Pair, 3> out{};
        QCOMPARE(ring.read(out), std::size_t{3});
        QCOMPARE(out[2].a, 3);
        QCOMPARE(out[2].b, 3.5F);
    }

    /// One producer and one consumer thread, uneven chunk sizes, a ring much smaller than
    /// the data: every value arrives exactly once and in order. (Run it under TSan too.)
    void twoThreadStress() {
        constexpr std::uint32_t kTotal = 4'000'000;
        SpscRing<std::uint32_t> ring(1024);
        std::atomic<bool> producerDone{false};
        std::thread producer([&] {
            std::array<std::uint32_t, 97> chunk{};
            std::uint32_t next = 0;
            std::size_t spins = 0;
            while (next < kTotal) {
                const std::size_t want =
                    std::min<std::size_t>(1 + (next * 7919U) % chunk.size(), kTotal - next);
                for (std::size_t i = 0; i < want; ++i)
                    chunk[i] = next + static_cast<std::uint32_t>(i);
                const std::size_t n = ring.write(std::span(chunk).first(want));
                next += static_cast<std::uint32_t>(n);
                if (n == 0 && ++spins % 64 == 0)
                    std::this_thread::yield();
            }
            producerDone.store(true);
        });
        std::array<std::uint32_t, 131> out{};
        std::uint32_t expected = 0;
        std::uint32_t errors = 0;
        std::size_t round = 0;
        while (expected < kTotal) {
            const std::size_t want = 1 + (round++ * 31) % out.size();
            const std::size_t n = ring.read(std::span(out).first(want));
            for (std::size_t i = 0; i < n; ++i) {
                if (out[i] != expected)
                    ++errors;
                expected = out[i] + 1;
            }
            if (n == 0)
                std::this_thread::yield();
            if (ring.size() > ring.capacity())
                ++errors;
        }
        producer.join();
        QCOMPARE(errors, 0U);
        QCOMPARE(expected, kTotal);
        QVERIFY(producerDone.load());
        QCOMPARE(ring.readAvailable(), std::size_t{0});
    }
};

QTEST_APPLESS_MAIN(TestSpscRing)
#include "TestSpscRing.moc"
