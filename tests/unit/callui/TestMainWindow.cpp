// The main window against the real relay on loopback (offscreen, calls without audio devices):
// a link handed over during a call asks first (No stays in the call, Yes leaves it and joins
// the new conference, also when the call ended while the question was open), later launches
// reach the window through SingleInstance, closing the window or leaveAndQuit() leaves the
// call before the application quits (within the two seconds the issue allows), and a full
// conference is explained on the home screen. Other people in the conferences are
// CallControllers (CallUiHarness.h) that watch the roster.

#include "CallUiHarness.h"
#include "HomePage.h"
#include "MainWindow.h"
#include "SingleInstance.h"

#include <QtCore/QStandardPaths>
#include <QtCore/QTemporaryDir>
#include <QtWidgets/QAbstractButton>
#include <QtWidgets/QApplication>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QStackedWidget>
#include <functional>

using namespace diyuma;
using namespace diyuma::test::callui;
using app::MainWindow;
using app::SingleInstance;

namespace {

/// A MainWindow as main() makes it, with settings of the test's own and no audio devices.
struct Window {
    app::AppSettings settings;
    MainWindow window{settings};
    QSignalSpy joined{&window.controller(), &CallController::joined};
    QSignalSpy failed{&window.controller(), &CallController::failed};
    QSignalSpy ended{&window.controller(), &CallController::ended};

    explicit Window(const QString& relay) {
        settings.setJoinLeaveSounds(false);
        settings.setPushToTalk(false);
        window.controller().setUseAudioDevices(false);
        window.setRunOverrides(QStringLiteral("Anna"), relay);
        window.show();
    }
    ~Window() {
        if (window.controller().inCall()) {
            window.controller().leave();
            ended.wait(3000);
        }
    }
    CallController& controller() { return window.controller(); }
    /// "homePage" or "callPage": what the window shows.
    QString page() const {
        const auto* stack = window.findChild<QStackedWidget*>();
        return stack && stack->currentWidget() ? stack->currentWidget()->objectName() : QString();
    }
};

/// Answers the next modal QMessageBox with `button` as soon as it is shown (polling
/// QApplication::activeModalWidget() from a timer, since QMessageBox::question() blocks in
/// its own event loop), after running `before` (if set) while the box is still open.
class ModalAnswerer : public QObject {
public:
    ModalAnswerer(QMessageBox::StandardButton button, std::function<void()> before = {})
        : m_button(button), m_before(std::move(before)) {
        m_timer.setInterval(20);
        connect(&m_timer, &QTimer::timeout, this, [this] { poll(); });
        m_timer.start();
    }
    [[nodiscard]] int answered() const { return m_answered; }
    [[nodiscard]] QString title() const { return m_title; }
    [[nodiscard]] QString text() const { return m_text; }

private:
    void poll() {
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        if (!box || !box->isVisible())
            return;
        m_timer.stop();
        m_title = box->windowTitle();
        m_text = box->text();
        if (m_before)
            m_before();
        if (QAbstractButton* button = box->button(m_button)) {
            ++m_answered;
            button->click();
        } else {
            box->reject(); // a box without that button: the test fails on answered()
        }
    }

    QTimer m_timer;
    QMessageBox::StandardButton m_button;
    std::function<void()> m_before;
    int m_answered = 0;
    QString m_title;
    QString m_text;
};

/// Runs the application's main event loop (QApplication::exec(), which quit() ends) after
/// `action` has run from inside it; returns exec()'s result, or -1 if nothing quit it within
/// `limitMs`. `elapsedMs` gets the time from `action` to the end of the loop.
int runUntilQuit(const std::function<void()>& action, int limitMs, qint64* elapsedMs) {
    QElapsedTimer timer;
    QTimer::singleShot(0, qApp, [&] {
        timer.start();
        action();
    });
    QTimer safety;
    safety.setSingleShot(true);
    QObject::connect(&safety, &QTimer::timeout, qApp, [] { QCoreApplication::exit(-1); });
    safety.start(limitMs);
    const int result = QApplication::exec();
    *elapsedMs = timer.isValid() ? timer.elapsed() : -1;
    // MainWindow's quit guard may still be pending: let it fire here, outside exec() (where
    // quit() does nothing), so it cannot end the next test's loop.
    QTest::qWait(static_cast<int>(MainWindow::kQuitGuard.count()) + 200);
    // Closing the last window also posts a QEvent::Quit of Qt's own; handled after exec() has
    // returned (in the wait above) it leaves the thread's "quit now" flag set, and every later
    // event loop (QSignalSpy::wait()...) would return at once. A short exec() clears the flag.
    QTimer::singleShot(0, qApp, [] { QCoreApplication::exit(0); });
    QApplication::exec();
    return result;
}

} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
        // Many joins from one address in a short time: no per-IP request limit here.
        QVERIFY2(m_relay.start({"--requests-per-second", "0"}), qPrintable(m_relay.error()));
    }

    void linkDuringCallAsksAndNoStays() {
        const auto first = test::createConference(m_relay.address());
        const auto second = test::createConference(m_relay.address());
        QCOMPARE(first.size(), 2);
        QCOMPARE(second.size(), 2);
        Window anna(m_relay.address());
        anna.window.joinFromText(first[0]); // not in a call: joins at once, no question
        QVERIFY(anna.joined.wait(kJoinTimeoutMs));
        QCOMPARE(anna.page(), QString("callPage"));
        QCOMPARE(anna.controller().inviteLink(), first[0]);
        const auto selfId = anna.controller().snapshot().participantId;

        ModalAnswerer no(QMessageBox::No);
        anna.window.joinFromText(second[0]);
        QCOMPARE(no.answered(), 1);
        QCOMPARE(no.title(), QString("Leave the current call?"));
        QVERIFY2(no.text().contains(second[0]), qPrintable(no.text()));
        // Still in the first call, nothing pending: give a wrongly queued join time to happen.
        QTest::qWait(1500);
        QVERIFY(anna.controller().inCall());
        QCOMPARE(anna.controller().inviteLink(), first[0]);
        QCOMPARE(anna.controller().snapshot().participantId, selfId);
        QCOMPARE(anna.joined.count(), 1);
        QCOMPARE(anna.ended.count(), 0);
        QCOMPARE(anna.page(), QString("callPage"));
    }

    void linkDuringCallAsksAndYesMoves() {
        const auto first = test::createConference(m_relay.address());
        const auto second = test::createConference(m_relay.address());
        QCOMPARE(first.size(), 2);
        QCOMPARE(second.size(), 2);
        Person inFirst;
        Person inSecond;
        QVERIFY(inFirst.start(joinRequest(first[0], m_relay.address(), "Carol")));
        QVERIFY(inSecond.start(joinRequest(second[0], m_relay.address(), "Dan")));
        QTRY_COMPARE_WITH_TIMEOUT(inFirst.joined.count(), 1, kJoinTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(inSecond.joined.count(), 1, kJoinTimeoutMs);

        Window anna(m_relay.address());
        anna.window.joinFromText(first[0]);
        QVERIFY(anna.joined.wait(kJoinTimeoutMs));
        QTRY_VERIFY_WITH_TIMEOUT(participantNamed(inFirst.controller.snapshot(), "Anna"),
                                 kRosterTimeoutMs);

        ModalAnswerer yes(QMessageBox::Yes);
        anna.window.joinFromText(second[0]);
        QCOMPARE(yes.answered(), 1);
        // The first call ends, then the window joins the second conference on its own.
        QTRY_COMPARE_WITH_TIMEOUT(anna.ended.count(), 1, 3000);
        QTRY_COMPARE_WITH_TIMEOUT(anna.joined.count(), 2, kJoinTimeoutMs);
        QCOMPARE(anna.joined.last().first().toBool(), false); // a new call, not a rejoin
        QCOMPARE(anna.controller().inviteLink(), second[0]);
        QCOMPARE(anna.page(), QString("callPage"));
        QCOMPARE(anna.failed.count(), 0);
        // Carol sees Anna go (a Leave, long before the relay's 10 s timeout), Dan sees her come.
        QTRY_VERIFY_WITH_TIMEOUT(!participantNamed(inFirst.controller.snapshot(), "Anna"),
                                 kRosterTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(participantNamed(inSecond.controller.snapshot(), "Anna"),
                                 kRosterTimeoutMs);
    }

    void callEndsWhileAskingThenYesJoinsAtOnce() {
        const auto first = test::createConference(m_relay.address());
        const auto second = test::createConference(m_relay.address());
        QCOMPARE(first.size(), 2);
        QCOMPARE(second.size(), 2);
        Window anna(m_relay.address());
        anna.window.joinFromText(first[0]);
        QVERIFY(anna.joined.wait(kJoinTimeoutMs));

        // While the question is open the call ends (left elsewhere, relay gone...): Yes must
        // then join the new conference now, not wait for the end of some later call.
        bool endedWhileAsking = false;
        ModalAnswerer yes(QMessageBox::Yes, [&] {
            anna.controller().leave();
            endedWhileAsking = anna.ended.wait(3000);
        });
        anna.window.joinFromText(second[0]);
        QCOMPARE(yes.answered(), 1);
        QVERIFY(endedWhileAsking);
        QTRY_COMPARE_WITH_TIMEOUT(anna.joined.count(), 2, kJoinTimeoutMs);
        QCOMPARE(anna.controller().inviteLink(), second[0]);
        QCOMPARE(anna.ended.count(), 1);
        QCOMPARE(anna.page(), QString("callPage"));
    }

    void laterLaunchesReachTheWindow() {
        const auto first = test::createConference(m_relay.address());
        const auto second = test::createConference(m_relay.address());
        QCOMPARE(first.size(), 2);
        QCOMPARE(second.size(), 2);
        // A server name of the test's own (a full path), never a real instance's.
        const QString name = m_dir.filePath("instance");
        SingleInstance running(name);
        QVERIFY(running.listen());
        Window anna(m_relay.address());
        anna.window.acceptLaunchesFrom(running);

        // A launch without a link brings the window back.
        anna.window.showMinimized();
        QVERIFY(anna.window.isMinimized());
        QVERIFY(SingleInstance(name).sendToRunning(QString()));
        QTRY_VERIFY(!anna.window.isMinimized() && anna.window.isVisible());
        QCOMPARE(anna.joined.count(), 0);

        // A launch with a link while not in a call: joined at once, no question.
        // (sendToRunning() runs an event loop until the answer: the join may finish in it.)
        QVERIFY(SingleInstance(name).sendToRunning(first[0]));
        QTRY_COMPARE_WITH_TIMEOUT(anna.joined.count(), 1, kJoinTimeoutMs);
        QCOMPARE(anna.controller().inviteLink(), first[0]);

        // A launch with a link during the call: asked, Yes moves to the other conference.
        ModalAnswerer yes(QMessageBox::Yes);
        QVERIFY(SingleInstance(name).sendToRunning(second[0]));
        QTRY_COMPARE_WITH_TIMEOUT(yes.answered(), 1, 3000);
        QVERIFY2(yes.text().contains(second[0]), qPrintable(yes.text()));
        QTRY_COMPARE_WITH_TIMEOUT(anna.joined.count(), 2, kJoinTimeoutMs);
        QCOMPARE(anna.controller().inviteLink(), second[0]);
        QCOMPARE(anna.ended.count(), 1);
    }

    void closingWhileIdleQuits() {
        Window anna(m_relay.address());
        qint64 elapsedMs = 0;
        const int result = runUntilQuit([&] { anna.window.close(); }, 5000, &elapsedMs);
        QCOMPARE(result, 0);
        QVERIFY(!anna.window.isVisible());
    }

    void closingDuringCallLeavesThenQuits() {
        const auto links = test::createConference(m_relay.address());
        QCOMPARE(links.size(), 2);
        Person carol;
        QVERIFY(carol.start(joinRequest(links[0], m_relay.address(), "Carol")));
        QVERIFY(carol.joined.wait(kJoinTimeoutMs));
        Window anna(m_relay.address());
        anna.window.joinFromText(links[0]);
        QVERIFY(anna.joined.wait(kJoinTimeoutMs));
        QTRY_VERIFY_WITH_TIMEOUT(participantNamed(carol.controller.snapshot(), "Anna"),
                                 kRosterTimeoutMs);

        bool stayedForTheLeave = false;
        qint64 elapsedMs = 0;
        const int result = runUntilQuit(
            [&] {
                anna.window.close();
                // The close is refused until the call has ended.
                stayedForTheLeave = anna.window.isVisible() && anna.controller().inCall();
            },
            10000, &elapsedMs);
        QCOMPARE(result, 0);
        QVERIFY(stayedForTheLeave);
        QVERIFY2(elapsedMs < 2000, qPrintable(QString("quit after %1 ms").arg(elapsedMs)));
        QCOMPARE(anna.ended.count(), 1); // it quit because the call ended, not by the guard
        QVERIFY(!anna.controller().inCall());
        // Carol sees Anna leave (a Leave: the relay's timeout would take 10 s).
        QTRY_VERIFY_WITH_TIMEOUT(!participantNamed(carol.controller.snapshot(), "Anna"), 3000);
    }

    void leaveAndQuitWhileJoiningQuits() {
        // Joining a relay that never answers: the window is busy, not yet in a call.
        Window anna(QStringLiteral("127.0.0.1:%1").arg(deadPort()));
        anna.window.joinFromText(QStringLiteral("7HKQ-2M9X-4DRA"));
        QTRY_VERIFY(anna.window.homePage().isBusy());
        qint64 elapsedMs = 0;
        const int result = runUntilQuit([&] { anna.window.leaveAndQuit(); }, 10000, &elapsedMs);
        QCOMPARE(result, 0);
        QVERIFY2(elapsedMs < 2000, qPrintable(QString("quit after %1 ms").arg(elapsedMs)));
        QVERIFY(!anna.controller().inCall());
        QCOMPARE(anna.joined.count(), 0);
    }

    void fullConferenceIsExplainedOnTheHomeScreen() {
        test::RelayProcess small;
        QVERIFY2(small.start({"--max-participants", "1"}), qPrintable(small.error()));
        const auto links = test::createConference(small.address());
        QCOMPARE(links.size(), 2);
        Person carol;
        QVERIFY(carol.start(joinRequest(links[0], small.address(), "Carol")));
        QVERIFY(carol.joined.wait(kJoinTimeoutMs));

        Window anna(small.address());
        anna.window.joinFromText(links[0]);
        QVERIFY(anna.failed.wait(kJoinTimeoutMs));
        QTRY_COMPARE_WITH_TIMEOUT(anna.ended.count(), 1, 3000);
        const QString id = links[0].section('/', -1);
        const QString shown = anna.window.homePage().errorText();
        QVERIFY2(shown.contains(id) && shown.contains("is full"), qPrintable(shown));
        QCOMPARE(anna.page(), QString("homePage"));
        QVERIFY(!anna.window.homePage().isBusy());
        QCOMPARE(anna.joined.count(), 0);
        // Carol stays alone in her conference.
        QCOMPARE(carol.controller.snapshot().participants.size(), std::size_t{1});
    }

private:
    QTemporaryDir m_dir;
    test::RelayProcess m_relay;
};

QTEST_MAIN(TestMainWindow)
#include "TestMainWindow.moc"
