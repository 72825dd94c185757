#pragma once
// Keeps the fill level of an SPSC ring near a target although the two sides of the ring run on
// different clocks (a sound card's crystal vs the media thread's steady clock: typically
// within +-0.5 %, handled up to the ratio clamp, +-2.5 % by default).
//
// It sits on the media thread's side of a device ring and resamples by a slowly steered
// ratio r = input samples per output sample:
//
//   capture:  device callback ──► ring ──► pull(): reads ~480*r, writes exactly 480 ──► engine
//   playback: engine ──► push(): reads exactly 480, writes ~480/r ──► ring ──► device callback
//
// In both directions a fuller ring means "take more input per output", so r rises with the
// fill error. The controller is a PI loop on the fill level smoothed by a one-pole low-pass
// (time constant fillSmoothing), r clamped to 1 +- maxRatioDeviation (the integrator stops at
// the clamp). It runs in two modes, because r is what the listener hears as pitch:
//   - acquiring (from the start): gains for a critically damped loop with natural frequency
//     controllerBandwidth, fast enough to learn a drift of a few percent within seconds, but
//     a fill offset of 10 ms moves r by 1 %;
//   - tracking, once the fill has stayed within lockBand of the target for lockSeconds: the
//     drift learnt is kept, a fill offset is worked off with time constant
//     trackingOffsetSeconds and at most maxTrackingCorrection off that drift (0.25 %: a
//     10 ms offset that the load of the machine leaves in the ring is gone in seconds,
//     unheard), and the drift itself follows slowly (trackingDriftSeconds; it integrates
//     only while the correction is not at its limit). If the error still grows for
//     kUnlockSeconds with the correction at its limit, the drift has changed: acquiring again.
// The resampler is a 32-tap Kaiser-windowed sinc (512 phases, linear between
// phases): flat to ~18 kHz, images and interpolation error below -80 dB on a tone.
//
// Large disturbances are not left to the slow loop (and do not steer it: while one lasts the
// ratio is the drift learnt so far, and after a jump the fill average starts again):
//   - fill above target + dropMargin on kDropBlocks calls in a row (after a stall of either
//     side): the excess is dropped at once (pull: discarded from the ring; push: not written,
//     until the fill, which the device keeps lowering meanwhile, is back at the target);
//   - underrun (pull: the ring cannot supply a block; push: the consumer reports one through
//     its underrun counter): the block is silence, pull() waits until the ring holds the
//     target again (and discards what a device's burst put above it: the backlog of a start
//     or a stall), push() pads the ring with silence up to the target.
// Every such jump is de-clicked: the output's first samples after it are offset so that they
// start at the last sample the listener heard, the offset decaying over 2 ms (raised cosine),
// and an underrun ends in a 2 ms decay to silence instead of a step.
//
// Devices deliver and take audio in bursts (a period at a time), so the fill seen every 10 ms
// is a sawtooth sampled at a slowly drifting phase: a slow beat the low-pass cannot remove,
// which would wobble the ratio. The caller may pass the part of the device's period elapsed
// since its last callback (`phaseSamples`, from the callback's time stamp): the loop then
// sees the fill as if the device moved samples continuously. 0 when unknown.
//
// No real time inside: the ring's fill (and the optional phase) is the only input, so a test
// drives it with a simulated clock. Allocation only in the constructor.
//
// Thread: one compensator per ring, used only by that ring's media-thread side (the consumer
// for pull(), the producer for push()); the getters are for that thread too.

#include "diyuma/audio/AudioFormat.h"
#include "diyuma/audio/SpscRing.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace diyuma::core {

struct DriftCompensatorConfig {
    /// The fill level (samples in the ring when the media thread calls, before it takes or
    /// adds its block) that the loop steers to.
    std::size_t targetFillSamples = 4 * kBlockSamples;
    /// Fill above target + this on kDropBlocks calls in a row is dropped at once.
    std::size_t dropMarginSamples = 8 * kBlockSamples;
    /// Largest block pull() is asked for / push() is given.
    std::size_t maxBlockSamples = kBlockSamples;
    double maxRatioDeviation = 0.025;    ///< r stays within 1 +- this
    double controllerBandwidthRad = 0.5; ///< acquiring: natural frequency of the PI loop, rad/s
    double fillSmoothingSeconds = 0.25;  ///< time constant of the fill low-pass
    /// Acquiring turns to tracking when the smoothed fill has stayed this close to the target
    /// for lockSeconds.
    double lockBandSamples = 2 * kSamplesPerMs;
    double lockSeconds = 2.0;
    double trackingOffsetSeconds = 5.0;    ///< tracking: time constant a fill offset decays with
    double trackingDriftSeconds = 60.0;    ///< tracking: time constant of the drift's integrator
    double maxTrackingCorrection = 0.0025; ///< tracking: |r - 1 - drift learnt| stays below this
    int sampleRateHz = kSampleRateHz;
};

class DriftCompensator {
public:
    static constexpr int kDropBlocks = 10;             ///< calls in a row above the drop margin
    static constexpr double kUnlockSeconds = 2.0;      ///< see "tracking" above
    static constexpr std::size_t kDeclickSamples = 96; ///< 2 ms at 48 kHz

    explicit DriftCompensator(const DriftCompensatorConfig& config = {});
    ~DriftCompensator();
    DriftCompensator(const DriftCompensator&) = delete;
    DriftCompensator& operator=(const DriftCompensator&) = delete;

    /// Consumer side: fills `out` (<= maxBlockSamples) with resampled audio from `ring`.
    /// Returns false when `out` is (mostly) silence because the ring ran dry or is still
    /// refilling to the target (at the start, too).
    /// `phaseSamples`: samples the device has captured since its last callback (not yet in
    /// the ring).
    bool pull(SpscRing<std::int16_t>& ring, std::span<std::int16_t> out, double phaseSamples = 0);

    /// Producer side: resamples `in` (<= maxBlockSamples) into `ring`. `consumerUnderruns`
    /// is the consumer's running count of blocks it could not fill (any starting value): a
    /// change makes push() pad the ring back up to the target. Returns the samples written.
    /// `phaseSamples`: samples the device has played since its last callback took from the
    /// ring.
    std::size_t push(std::span<const std::int16_t> in, SpscRing<std::int16_t>& ring,
                     std::uint64_t consumerUnderruns, double phaseSamples = 0);

    /// The ratio in use, input samples per output sample (1.003: the producer's clock is
    /// 0.3 % fast relative to the consumer's).
    [[nodiscard]] double ratio() const { return m_ratio; }
    /// The drift learnt so far: r - 1 without the correction of a fill offset.
    [[nodiscard]] double driftEstimate() const { return m_drift; }
    /// True once the loop has locked on (see "tracking" above).
    [[nodiscard]] bool tracking() const { return m_tracking; }
    /// The low-passed fill level the loop sees, in samples.
    [[nodiscard]] double smoothedFillSamples() const { return m_smoothedFill; }
    /// Underruns: pull() found too little in the ring / push() saw the consumer's count move.
    [[nodiscard]] std::uint64_t underruns() const { return m_underruns; }
    /// Times the excess above target + dropMargin was dropped; samples dropped in total (with
    /// what pull() discards above the target when it has refilled).
    [[nodiscard]] std::uint64_t drops() const { return m_drops; }
    [[nodiscard]] std::uint64_t droppedSamples() const { return m_droppedSamples; }
    /// push(): samples that did not fit into the ring (it was full).
    [[nodiscard]] std::uint64_t overflowSamples() const { return m_overflowSamples; }
    [[nodiscard]] const DriftCompensatorConfig& config() const { return m_config; }

private:
    void updateController(double fill, std::size_t blockSamples);
    void acquire(double e, double dt);
    void track(double e, double dt);
    /// Tracking: the correction for fill error e, unclamped.
    [[nodiscard]] double trackingCorrection(double e) const;
    /// The ratio from the drift learnt so far alone.
    void holdDriftEstimate();
    /// After a jump of the fill (drop, pad): the average starts again at the target, the
    /// fill the jump leaves, so the backlog before it does not steer the ratio.
    void restartFillAverage();
    std::size_t excessToDrop(std::size_t fill);
    /// pull(): discards `count` samples from the ring and restarts the resampler after them.
    void discardFromRing(SpscRing<std::int16_t>& ring, std::size_t count);
    void resamplePending(std::span<float> out, std::size_t count);
    std::size_t generateAvailable(std::span<float> out);
    void keepHistory();
    void output(std::span<const float> in, std::span<std::int16_t> out);
    void outputTail(std::span<std::int16_t> out);

    DriftCompensatorConfig m_config;
    double m_kp;        ///< acquiring: ratio per sample of fill error
    double m_ki;        ///< acquiring: ratio per sample-second of fill error
    double m_smoothing; ///< low-pass time constant, seconds

    double m_ratio = 1.0;
    double m_drift = 0;    ///< the drift learnt (the PI loop's integral part), r - 1
    double m_smoothedFill; ///< samples
    bool m_tracking = false;
    double m_inBandSeconds = 0;      ///< acquiring: how long the fill has been within lockBand
    double m_saturatedSeconds = 0;   ///< tracking: how long the correction has been at its limit
    double m_saturatedFromError = 0; ///< tracking: |error| when it reached the limit
    int m_aboveMarginCalls = 0;
    std::size_t m_minFillAbove = 0;

    std::unique_ptr<float[]> m_in; ///< resampler input: history, then new samples
    std::size_t m_inCapacity;
    std::size_t m_inLength;
    double m_pos; ///< index into m_in of the next output sample's centre
    std::unique_ptr<float[]> m_scratch;
    std::unique_ptr<std::int16_t[]> m_scratch16;
    std::size_t m_scratchCapacity;

    // State of the output as the listener hears it (for de-clicking).
    float m_lastOut = 0;
    float m_lastBeforeBlock = 0; ///< push(): m_lastOut before the block being written
    bool m_declickArmed = false;
    float m_declickOffset = 0;
    std::size_t m_declickDone = kDeclickSamples;

    bool m_refilling = true;          ///< pull(): waiting for the ring to reach the target
    bool m_seenConsumerCount = false; ///< push(): m_consumerUnderruns is valid
    std::uint64_t m_consumerUnderruns = 0;
    std::size_t m_skipOutputs = 0; ///< push(): outputs still to drop

    std::uint64_t m_underruns = 0;
    std::uint64_t m_drops = 0;
    std::uint64_t m_droppedSamples = 0;
    std::uint64_t m_overflowSamples = 0;
};

} // namespace diyuma::core
