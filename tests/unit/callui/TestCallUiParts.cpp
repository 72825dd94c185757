// The call screen's pure parts: the chimes (which notes, how loud, no clicks), which roster
// changes get a chime, the quality thresholds, the tile layout, the device switch the runner
// holds (forwarding, silence without a device, detach while the media thread runs), and the
// tile's volume control.

#include "diyuma/audio/AudioFormat.h"
#include "diyuma/audio/Goertzel.h"

#include "Chimes.h"
#include "DeviceSwitch.h"
#include "ParticipantTile.h"
#include "QualityIndicator.h"
#include "TileGrid.h"
#include "TileSubscription.h"
#include "VideoRateMeter.h"

#include <QtTest/QSignalSpy>
#include <QtTest/QtTest>
#include <QtWidgets/QMenu>
#include <QtWidgets/QSlider>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

using namespace diyuma;
using namespace std::chrono_literals;
using app::JoinLeaveTracker;

namespace {

double level(const std::vector<std::int16_t>& pcm, double hz, double fromS, double toS) {
    const auto from = static_cast<std::size_t>(fromS * core::kSampleRateHz);
    const auto to = std::min(pcm.size(), static_cast<std::size_t>(toS * core::kSampleRateHz));
    return core::toneLevelDbfs(std::span(pcm).subspan(from, to - from), hz);
}

double peakDbfs(const std::vector<std::int16_t>& pcm) {
    int peak = 0;
    for (auto s : pcm)
        peak = std::max(peak, std::abs(static_cast<int>(s)));
    return 20.0 * std::log10(std::max(1, peak) / 32768.0);
}

core::RosterChange upsert(std::uint32_t id, bool self = false) {
    core::RosterChange c;
    c.op = core::wire::RosterOp::Upsert;
    c.entry.participantId = id;
    c.entry.isSelf = self;
    return c;
}

core::RosterChange remove(std::uint32_t id) {
    core::RosterChange c;
    c.op = core::wire::RosterOp::Remove;
    c.entry.participantId = id;
    return c;
}

/// A capture device that fills blocks with a constant and notices use after destruction.
class FakeCapture final : public core::AudioCaptureSource {
public:
    explicit FakeCapture(std::int16_t value) : m_value(value) {}
    ~FakeCapture() override { m_alive = 0; }
    bool readBlock(std::span<std::int16_t> block) override {
        if (m_alive != kAlive)
            useAfterFree.store(true);
        std::fill(block.begin(), block.end(), m_value);
        return true;
    }
    static inline std::atomic<bool> useAfterFree{false};

private:
    static constexpr std::uint32_t kAlive = 0xA11CE;
    volatile std::uint32_t m_alive = kAlive;
    std::int16_t m_value;
};

class FakePlayback final : public core::AudioPlaybackSink {
public:
    void playBlock(std::span<const core::ParticipantAudioBlock>,
                   std::span<const std::int16_t> mix) override {
        blocks++;
        last = mix.empty() ? 0 : mix[0];
    }
    int blocks = 0;
    std::int16_t last = 0;
};

} // namespace

class TestCallUiParts : public QObject {
    Q_OBJECT
private slots:
    void joinChimeRises() {
        const auto pcm = app::joinChime();
        QVERIFY(pcm.size() > core::kSampleRateHz / 4);
        QVERIFY(pcm.size() < core::kSampleRateHz * 6 / 10);
        // First the lower note (E5), then the higher one (A5).
        QVERIFY(level(pcm, 659.25, 0.0, 0.1) > level(pcm, 880.0, 0.0, 0.1) + 10);
        QVERIFY(level(pcm, 880.0, 0.2, 0.35) > level(pcm, 659.25, 0.2, 0.35) + 10);
        const double peak = peakDbfs(pcm);
        QVERIFY2(peak < -9 && peak > -20, qPrintable(QString::number(peak)));
        // Starts and ends quietly: no click.
        QVERIFY(std::abs(pcm.front()) < 200);
        QVERIFY(std::abs(pcm.back()) < 200);
    }

    void leaveChimeFalls() {
        const auto pcm = app::leaveChime();
        QVERIFY(level(pcm, 880.0, 0.0, 0.1) > level(pcm, 659.25, 0.0, 0.1) + 10);
        QVERIFY(level(pcm, 659.25, 0.2, 0.35) > level(pcm, 880.0, 0.2, 0.35) + 10);
        QVERIFY(pcm != app::joinChime());
    }

    void testMelodyIsAnArpeggio() {
        const auto pcm = app::testMelody();
        QVERIFY(pcm.size() > core::kSampleRateHz * 8 / 10);
        QVERIFY(pcm.size() < core::kSampleRateHz * 2);
        QVERIFY(level(pcm, 523.25, 0.0, 0.14) > level(pcm, 1046.5, 0.0, 0.14) + 10);
        QVERIFY(level(pcm, 1046.5, 0.6, 0.9) > level(pcm, 523.25, 0.6, 0.9) + 6);
        QVERIFY(peakDbfs(pcm) < -3);
    }

    void chimesOnlyForRealJoinsAndLeaves() {
        JoinLeaveTracker t;
        const std::uint32_t present[] = {1};
        t.reset(10'000ms, present);
        // The roster burst right after joining: already there, no chime.
        QCOMPARE(t.onChange(upsert(1, true), 10'010ms), JoinLeaveTracker::Sound::None);
        QCOMPARE(t.onChange(upsert(2), 10'020ms), JoinLeaveTracker::Sound::None);
        QCOMPARE(t.onChange(upsert(3), 10'900ms), JoinLeaveTracker::Sound::None);
        // Later: a newcomer rises, a mute change is silent, leaving falls.
        QCOMPARE(t.onChange(upsert(4), 13'000ms), JoinLeaveTracker::Sound::Join);
        QCOMPARE(t.onChange(upsert(4), 14'000ms), JoinLeaveTracker::Sound::None);
        QCOMPARE(t.onChange(remove(2), 15'000ms), JoinLeaveTracker::Sound::Leave);
        QCOMPARE(t.onChange(remove(2), 15'100ms), JoinLeaveTracker::Sound::None);
        QCOMPARE(t.onChange(remove(99), 15'200ms), JoinLeaveTracker::Sound::None);
        // Ourselves never chime (e.g. a roster upsert of our own entry after a rejoin).
        QCOMPARE(t.onChange(upsert(50, true), 16'000ms), JoinLeaveTracker::Sound::None);
        // A rejoin starts a new quiet period.
        const std::uint32_t again[] = {60};
        t.reset(20'000ms, again);
        QCOMPARE(t.onChange(upsert(61), 20'500ms), JoinLeaveTracker::Sound::None);
        QCOMPARE(t.onChange(upsert(62), 22'000ms), JoinLeaveTracker::Sound::Join);
    }

    void qualityThresholds() {
        using app::ConnectionQuality;
        QCOMPARE(app::connectionQuality(std::nullopt, 0), ConnectionQuality::Unknown);
        QCOMPARE(app::connectionQuality(12.0, 0.0), ConnectionQuality::Good);
        QCOMPARE(app::connectionQuality(12.0, 2.0), ConnectionQuality::Fair);
        QCOMPARE(app::connectionQuality(250.0, 0.0), ConnectionQuality::Fair);
        QCOMPARE(app::connectionQuality(500.0, 0.0), ConnectionQuality::Poor);
        QCOMPARE(app::connectionQuality(20.0, 12.0), ConnectionQuality::Poor);

        app::QualityIndicator indicator;
        indicator.setFigures(12.4, 0.0);
        QVERIFY2(indicator.toolTip().startsWith("RTT 12 ms, loss 0.0 %"),
                 qPrintable(indicator.toolTip()));
        QCOMPARE(indicator.quality(), ConnectionQuality::Good);
    }

    void tileLayout() {
        QCOMPARE(app::TileGrid::bestColumns(1, {1200, 600}, 14), 1);
        QCOMPARE(app::TileGrid::bestColumns(2, {1200, 600}, 14), 2);
        QCOMPARE(app::TileGrid::bestColumns(3, {1200, 400}, 14), 3);
        QCOMPARE(app::TileGrid::bestColumns(4, {800, 600}, 14), 2);
        QCOMPARE(app::TileGrid::bestColumns(2, {400, 900}, 14), 1);

        app::TileGrid grid;
        grid.resize(1200, 450);
        std::vector<QWidget*> tiles;
        for (int i = 0; i < 3; ++i)
            tiles.push_back(new QWidget(&grid));
        grid.setTiles(tiles);
        // One row of three, equal sizes, centred, not overlapping, inside the grid.
        for (auto* t : tiles) {
            QCOMPARE(t->size(), tiles[0]->size());
            QCOMPARE(t->y(), tiles[0]->y());
            QVERIFY(grid.rect().contains(t->geometry()));
        }
        QVERIFY(tiles[0]->geometry().right() < tiles[1]->x());
        QVERIFY(std::abs(tiles[0]->x() - (grid.width() - tiles[2]->geometry().right())) <= 2);
    }

    void deviceSwitchForwardsAndFallsSilent() {
        app::CaptureSwitch capture;
        std::array<std::int16_t, core::kBlockSamples> block{};
        block.fill(5);
        QVERIFY(!capture.readBlock(block)); // no device: silence, "nothing captured"
        QVERIFY(std::all_of(block.begin(), block.end(), [](auto s) { return s == 0; }));
        FakeCapture mic(7);
        capture.attach(&mic);
        QVERIFY(capture.readBlock(block));
        QCOMPARE(block[0], std::int16_t{7});
        capture.detach();
        QVERIFY(!capture.readBlock(block));

        app::PlaybackSwitch playback;
        const std::array<std::int16_t, core::kBlockSamples> mix{};
        playback.playBlock({}, mix); // dropped without a device
        FakePlayback speaker;
        playback.attach(&speaker);
        playback.playBlock({}, mix);
        QCOMPARE(speaker.blocks, 1);
    }

    void deviceSwitchDetachWaitsForTheMediaThread() {
        // The media thread reads without pause while the GUI side swaps devices and destroys
        // the old ones right after detach(): none may be used after its destruction.
        app::CaptureSwitch capture;
        FakeCapture::useAfterFree = false;
        std::atomic<bool> stop{false};
        std::atomic<long> reads{0};
        std::thread media([&] {
            std::array<std::int16_t, core::kBlockSamples> block{};
            while (!stop.load()) {
                (void)capture.readBlock(block);
                reads++;
            }
        });
        // Swap until the media thread has really run alongside (a loaded machine may not
        // schedule it at once), at least 2000 times.
        for (int i = 0; i < 2000 || reads.load() < 2000; ++i) {
            auto mic = std::make_unique<FakeCapture>(static_cast<std::int16_t>(i));
            capture.attach(mic.get());
            std::this_thread::yield();
            capture.detach();
            mic.reset();
        }
        stop = true;
        media.join();
        QVERIFY(reads.load() > 0);
        QVERIFY(!FakeCapture::useAfterFree.load());
    }

    void tileVolumeControl() {
        app::ParticipantTile self(1, true);
        QVERIFY(!self.volumeMenu());
        QCOMPARE(self.objectName(), QString("tile-1"));

        app::ParticipantTile other(2, false);
        QSignalSpy changed(&other, &app::ParticipantTile::volumeChanged);
        auto* slider = other.volumeMenu()->findChild<QSlider*>("volumeSlider");
        QVERIFY(slider);
        slider->setValue(150);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.first().at(0).toUInt(), 2u);
        QCOMPARE(changed.first().at(1).toFloat(), 1.5F);
        QCOMPARE(other.volume(), 1.5F);
        // Set from the snapshot: no echo back to the runner.
        other.setVolume(0.5F);
        QCOMPARE(slider->value(), 50);
        QCOMPARE(changed.count(), 1);
        // "Silence for me" in the menu.
        for (auto* action : other.volumeMenu()->actions())
            if (action->text() == "Silence for me")
                action->trigger();
        QCOMPARE(other.volume(), 0.0F);
        QCOMPARE(changed.count(), 2);
    }

    void tileShowsState() {
        app::ParticipantTile tile(3, false);
        tile.setDisplayName("Carol O'Neil");
        tile.setMuted(true);
        tile.setAdmin(true);
        tile.setSpeaking(true, -20.0F);
        QVERIFY(tile.isMuted() && tile.isAdmin() && tile.isSpeaking());
        tile.resize(300, 200);
        // It paints (light and dark) without trouble and with the speaking border in colour.
        for (const QColor window : {QColor(Qt::white), QColor(0x20, 0x22, 0x25)}) {
            QPalette pal = tile.palette();
            pal.setColor(QPalette::Window, window);
            tile.setPalette(pal);
            const QImage image = tile.grab().toImage();
            QCOMPARE(image.pixelColor(image.width() / 2, 2), QColor(0x2e, 0xb8, 0x6e));
        }
    }

    void tileSizeToPictureHeight() {
        using T = app::TileSubscription;
        // Rounded up to the next of 180/360/720; above 720 stays 720; never below 180.
        QCOMPARE(T::stepFor(0, T::kFullCap), 180);
        QCOMPARE(T::stepFor(1, T::kFullCap), 180);
        QCOMPARE(T::stepFor(180, T::kFullCap), 180);
        QCOMPARE(T::stepFor(181, T::kFullCap), 360);
        QCOMPARE(T::stepFor(360, T::kFullCap), 360);
        QCOMPARE(T::stepFor(361, T::kFullCap), 720);
        QCOMPARE(T::stepFor(2160, T::kFullCap), 720);
        // Data saver: at most 360.
        QCOMPARE(T::stepFor(100, T::kDataSaverCap), 180);
        QCOMPARE(T::stepFor(300, T::kDataSaverCap), 360);
        QCOMPARE(T::stepFor(700, T::kDataSaverCap), 360);
        // A 16:9 tile needs its height; a wider one what the cropped picture needs.
        QCOMPARE(T::neededHeight(640, 360), 360);
        QCOMPARE(T::neededHeight(800, 200), 450);
        QCOMPARE(T::neededHeight(200, 300), 300);
        QCOMPARE(T::neededHeight(-5, -5), 0);
    }

    void tileSizesToSubscription() {
        using T = app::TileSubscription;
        // Device pixels: a 1.5x screen makes a 400x225 tile 600x338 -> 360.
        std::vector<app::TileView> tiles{{7, 600, 338, true},     // 360
                                         {9, 1200, 675, true},    // 720
                                         {11, 300, 169, true},    // 180
                                         {12, 1200, 675, false}}; // hidden: the smallest
        auto sub = T::subscriptionFor(tiles, T::kFullCap);
        QCOMPARE(sub.defaultMaxHeight, 720); // no tile yet: at most the cap
        QCOMPARE(sub.maxHeightByParticipant.size(), std::size_t{4});
        QCOMPARE(sub.maxHeightFor(7), 360);
        QCOMPARE(sub.maxHeightFor(9), 720);
        QCOMPARE(sub.maxHeightFor(11), 180);
        QCOMPARE(sub.maxHeightFor(12), 180);
        QCOMPARE(sub.maxHeightFor(99), 720);
        sub = T::subscriptionFor(tiles, T::kDataSaverCap);
        QCOMPARE(sub.defaultMaxHeight, 360);
        QCOMPARE(sub.maxHeightFor(9), 360);
        QCOMPARE(sub.maxHeightFor(11), 180);

        // Told only when a tile crosses a step.
        T tiers;
        auto first = tiers.update(tiles);
        QVERIFY(first.has_value());
        QCOMPARE(first->maxHeightFor(9), 720);
        QVERIFY(!tiers.update(tiles).has_value()); // the same again: nothing
        tiles[0].heightPx = 300;                   // smaller, same step
        tiles[1].widthPx = 1190;
        QVERIFY(!tiers.update(tiles).has_value());
        tiles[0].heightPx = 361; // over 360: now 720
        auto grown = tiers.update(tiles);
        QVERIFY(grown.has_value());
        QCOMPARE(grown->maxHeightFor(7), 720);
        tiles[3].visible = true; // shown again: its size counts
        QCOMPARE(tiers.update(tiles)->maxHeightFor(12), 720);
        tiles.pop_back(); // someone left: listed no more (the default then)
        QCOMPARE(tiers.update(tiles)->maxHeightByParticipant.size(), std::size_t{3});
        // Data saver switched on with the same tiles: everyone at most 360 at once.
        tiers.setCap(T::kDataSaverCap);
        auto capped = tiers.recompute();
        QVERIFY(capped.has_value());
        QCOMPARE(capped->defaultMaxHeight, 360);
        QCOMPARE(capped->maxHeightFor(7), 360);
        QCOMPARE(capped->maxHeightFor(11), 180);
        QVERIFY(!tiers.recompute().has_value());
        QCOMPARE(*tiers.current(), *capped);
        // A new call sends again.
        tiers.reset();
        QVERIFY(!tiers.current().has_value());
        QVERIFY(tiers.update(tiles).has_value());
    }

    void videoRatesOverTheLastSeconds() {
        app::VideoRateMeter meter;
        auto stats = [](std::uint64_t frames, std::uint64_t bytes) {
            core::CallStats s;
            core::RemoteAudioStats remote;
            remote.participantId = 5;
            remote.video.emplace();
            remote.video->framesDecoded = frames;
            remote.video->rtpBytesReceived = bytes;
            s.remotes.push_back(remote);
            return s;
        };
        QVERIFY(!meter.ratesOf(5).has_value());
        // 30 fps and 500 kbit/s for 3 s, then 15 fps and 125 kbit/s (a switch down).
        std::uint64_t frames = 0;
        std::uint64_t bytes = 0;
        for (int t = 0; t <= 3000; t += 100) {
            meter.add(t, stats(frames, bytes));
            frames += 3;
            bytes += 6250;
            // Not from less than a second of samples (a first burst would mislead).
            QCOMPARE(meter.ratesOf(5).has_value(), t >= 1000);
        }
        QVERIFY(meter.ratesOf(5).has_value());
        QVERIFY(std::abs(meter.ratesOf(5)->framesPerSecond - 30.0) < 0.5);
        QVERIFY(std::abs(meter.ratesOf(5)->bitrateBps - 500'000.0) < 5000.0);
        for (int t = 3100; t <= 6000; t += 100) {
            frames += 1; // lagging one sample behind the rate, as counts do
            bytes += 1562;
            meter.add(t, stats(frames, bytes));
        }
        // Only the last two seconds count: the new rate, not the call's average.
        QVERIFY2(std::abs(meter.ratesOf(5)->framesPerSecond - 10.0) < 0.5,
                 qPrintable(QString::number(meter.ratesOf(5)->framesPerSecond)));
        QVERIFY(std::abs(meter.ratesOf(5)->bitrateBps - 125'000.0) < 2000.0);
        QVERIFY(!meter.ratesOf(6).has_value());
        // Gone from the stats: forgotten.
        meter.add(6100, core::CallStats{});
        QVERIFY(!meter.ratesOf(5).has_value());
    }

    void tileWarningCaption() {
        app::ParticipantTile tile(3, false);
        tile.setDisplayName("Bob");
        tile.resize(400, 225);
        tile.setVideoCaption("No video");
        const QImage quiet = tile.grab().toImage();
        QCOMPARE(tile.videoCaptionTone(), app::ParticipantTile::CaptionTone::Quiet);
        tile.setVideoCaption("Video paused: your connection is too slow",
                             app::ParticipantTile::CaptionTone::Warning);
        QCOMPARE(tile.videoCaptionTone(), app::ParticipantTile::CaptionTone::Warning);
        const QImage warning = tile.grab().toImage();
        // The warning has a tinted pill behind it: amber-ish pixels under the avatar that the
        // quiet caption does not have.
        auto amber = [](const QImage& image) {
            int n = 0;
            for (int y = image.height() / 2; y < image.height(); ++y)
                for (int x = 0; x < image.width(); ++x) {
                    const QColor c = image.pixelColor(x, y);
                    n += c.red() > c.blue() + 25 && c.green() > c.blue() + 10 ? 1 : 0;
                }
            return n;
        };
        QVERIFY2(amber(warning) > amber(quiet) + 200,
                 qPrintable(QStringLiteral("%1 vs %2").arg(amber(warning)).arg(amber(quiet))));
    }
};

QTEST_MAIN(TestCallUiParts)
#include "TestCallUiParts.moc"
