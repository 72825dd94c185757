#pragma once
// A lock-free single-producer/single-consumer ring of trivially copyable elements (int16 PCM
// between a real-time audio callback and the media thread).
//
// The capacity is fixed at construction (rounded up to a power of two) and that is the only
// allocation. write() and read() move spans and return how many elements they moved; they
// never block, lock or allocate, so a real-time callback may call its side.
//
// Positions are two free-running 64-bit counters (they never wrap in practice: 2^64 samples
// at 48 kHz is millions of years); `writePos - readPos` is the fill level, `pos & mask` the
// slot. Each counter is written by one side only:
//   - the producer stores m_writePos with release after copying the data in, and the
//     consumer loads it with acquire before copying out, so the consumer sees the samples;
//   - the consumer stores m_readPos with release after copying out, and the producer loads it
//     with acquire before copying in, so the producer never overwrites a slot still being read.
//
// Thread: exactly one producer thread calls write()/writeAvailable(), exactly one consumer
// thread calls read()/discard()/readAvailable(); size() and capacity() are safe from any
// thread (size() is a snapshot that may be stale by the time it is used).

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <type_traits>

namespace diyuma::core {

template <typename T>
requires std::is_trivially_copyable_v<T>
class SpscRing {
public:
    /// Allocates room for at least `minCapacity` elements (rounded up to a power of two,
    /// at least 2).
    explicit SpscRing(std::size_t minCapacity)
        : m_capacity(roundUpPow2(minCapacity)), m_mask(m_capacity - 1),
          m_data(std::make_unique<T[]>(m_capacity)) {}
    SpscRing(const SpscRing&) = delete;
    SpscRing& operator=(const SpscRing&) = delete;

    [[nodiscard]] std::size_t capacity() const { return m_capacity; }

    /// Producer: copies as much of `in` as fits; returns the number of elements written
    /// (less than in.size() when the ring is full).
    std::size_t write(std::span<const T> in) {
        // Relaxed: only this thread writes m_writePos.
        const std::uint64_t w = m_writePos.load(std::memory_order_relaxed);
        // Acquire: pairs with the consumer's release store, so its reads of the slots we are
        // about to overwrite have finished.
        const std::uint64_t r = m_readPos.load(std::memory_order_acquire);
        const std::size_t free = m_capacity - static_cast<std::size_t>(w - r);
        const std::size_t n = std::min(free, in.size());
        copyIn(static_cast<std::size_t>(w) & m_mask, in.first(n));
        // Release: the samples copied above become visible before the new position.
        m_writePos.store(w + n, std::memory_order_release);
        return n;
    }

    /// Consumer: copies up to out.size() elements out; returns how many (fewer when the
    /// ring holds fewer).
    std::size_t read(std::span<T> out) {
        const std::uint64_t r = m_readPos.load(std::memory_order_relaxed); // ours
        // Acquire: pairs with the producer's release store, so the samples are visible.
        const std::uint64_t w = m_writePos.load(std::memory_order_acquire);
        const std::size_t n = std::min(static_cast<std::size_t>(w - r), out.size());
        copyOut(static_cast<std::size_t>(r) & m_mask, out.first(n));
        // Release: our reads of the slots happen before the producer may reuse them.
        m_readPos.store(r + n, std::memory_order_release);
        return n;
    }

    /// Consumer: drops up to `count` of the oldest elements; returns how many.
    std::size_t discard(std::size_t count) {
        const std::uint64_t r = m_readPos.load(std::memory_order_relaxed);
        const std::uint64_t w = m_writePos.load(std::memory_order_acquire);
        const std::size_t n = std::min(static_cast<std::size_t>(w - r), count);
        m_readPos.store(r + n, std::memory_order_release);
        return n;
    }

    /// Consumer: elements that read() can return now (exact for the consumer; the producer
    /// may add more meanwhile).
    [[nodiscard]] std::size_t readAvailable() const {
        const std::uint64_t r = m_readPos.load(std::memory_order_relaxed);
        return static_cast<std::size_t>(m_writePos.load(std::memory_order_acquire) - r);
    }

    /// Producer: elements that write() can take now (exact for the producer).
    [[nodiscard]] std::size_t writeAvailable() const {
        const std::uint64_t w = m_writePos.load(std::memory_order_relaxed);
        return m_capacity - static_cast<std::size_t>(w - m_readPos.load(std::memory_order_acquire));
    }

    /// Any thread: the fill level, in [0, capacity()]. Reads the consumer's position first:
    /// both counters only grow and readPos <= writePos always, so the difference is never
    /// negative; it is clamped in case the producer moved far on between the two loads.
    [[nodiscard]] std::size_t size() const {
        const std::uint64_t r = m_readPos.load(std::memory_order_acquire);
        const std::uint64_t w = m_writePos.load(std::memory_order_acquire);
        return std::min(static_cast<std::size_t>(w - r), m_capacity);
    }

private:
    static std::size_t roundUpPow2(std::size_t n) {
        std::size_t c = 2;
        while (c < n)
            c <<= 1;
        return c;
    }
    void copyIn(std::size_t slot, std::span<const T> in) {
        if (in.empty())
            return; // memcpy's pointers must be valid even for 0 bytes
        const std::size_t first = std::min(in.size(), m_capacity - slot);
        std::memcpy(m_data.get() + slot, in.data(), first * sizeof(T));
        std::memcpy(m_data.get(), in.data() + first, (in.size() - first) * sizeof(T));
    }
    void copyOut(std::size_t slot, std::span<T> out) const {
        if (out.empty())
            return;
        const std::size_t first = std::min(out.size(), m_capacity - slot);
        std::memcpy(out.data(), m_data.get() + slot, first * sizeof(T));
        std::memcpy(out.data() + first, m_data.get(), (out.size() - first) * sizeof(T));
    }

    const std::size_t m_capacity;
    const std::size_t m_mask;
    std::unique_ptr<T[]> m_data;
    // On separate cache lines so that the two sides do not false-share.
    alignas(64) std::atomic<std::uint64_t> m_writePos{0}; ///< written by the producer only
    alignas(64) std::atomic<std::uint64_t> m_readPos{0};  ///< written by the consumer only
};

} // namespace diyuma::core
