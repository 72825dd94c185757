// The home screen, driven like a person would: typing into the fields found by object name,
// clicking and pressing Enter. Checks what is refused (and said) before anything is sent,
// what request goes out, what is remembered, the busy state and error display.

#include "AppSettings.h"
#include "HomePage.h"

#include <QtCore/QTemporaryDir>
#include <QtTest/QSignalSpy>
#include <QtTest/QtTest>
#include <QtWidgets/QApplication>
#include <QtWidgets/QCheckBox>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QToolButton>
#include <memory>

using diyuma::app::AppSettings;
using diyuma::app::HomePage;
using diyuma::core::CallRequest;

Q_DECLARE_METATYPE(diyuma::core::CallRequest)

namespace {
constexpr const char* kId = "7HKQ-2M9X-4DRA";
}

class TestHomePage : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::unique_ptr<AppSettings> m_settings;
    std::unique_ptr<HomePage> m_page;

    template <typename T>
    T* find(const char* name) {
        auto* widget = m_page->findChild<T*>(QString::fromLatin1(name));
        if (!widget)
            qFatal("no widget named %s", name);
        return widget;
    }
    QLineEdit* nameEdit() { return find<QLineEdit>("nameEdit"); }
    QLineEdit* relayEdit() { return find<QLineEdit>("relayEdit"); }
    QLineEdit* joinEdit() { return find<QLineEdit>("joinEdit"); }
    QPushButton* joinButton() { return find<QPushButton>("joinButton"); }
    QPushButton* startButton() { return find<QPushButton>("startButton"); }
    QLabel* errorLabel() { return find<QLabel>("errorLabel"); }

    // QTest::keyClicks() only knows ASCII; other characters go as key events carrying text,
    // which is what an input method delivers.
    static void typeText(QWidget* widget, const QString& text) {
        for (const QChar ch : text) {
            if (ch.unicode() < 0x80)
                QTest::keyClick(widget, ch.toLatin1());
            else
                QTest::sendKeyEvent(QTest::Click, widget, Qt::Key_unknown, QString(ch),
                                    Qt::NoModifier);
        }
    }
    static void retype(QLineEdit* edit, const QString& text) {
        edit->setFocus();
        edit->selectAll();
        QTest::keyClick(edit, Qt::Key_Backspace);
        typeText(edit, text);
        QCOMPARE(edit->text(), text);
    }
    QString shownError() { return errorLabel()->isVisible() ? errorLabel()->text() : QString(); }

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_dir.path());
        qRegisterMetaType<CallRequest>();
    }

    void init() {
        QSettings(QSettings::NativeFormat, QSettings::UserScope, QStringLiteral("Diyuma"),
                  QStringLiteral("Diyuma Conference"))
            .clear();
        m_settings = std::make_unique<AppSettings>();
        m_page = std::make_unique<HomePage>(*m_settings);
        m_page->resize(900, 640);
        m_page->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_page.get()));
    }

    void cleanup() {
        m_page.reset();
        m_settings.reset();
    }

    void showsRememberedValues() {
        m_page.reset();
        m_settings->setDisplayName(QStringLiteral("Алиса"));
        m_settings->setRelay(QStringLiteral("relay.example.org:9000"));
        m_settings->setPrivateViewByDefault(true);
        m_page = std::make_unique<HomePage>(*m_settings);
        QCOMPARE(nameEdit()->text(), QStringLiteral("Алиса"));
        QCOMPARE(relayEdit()->text(), QStringLiteral("relay.example.org:9000"));
        QVERIFY(find<QCheckBox>("privateViewCheck")->isChecked());
        QVERIFY(!find<QCheckBox>("privateViewCheck")->toolTip().isEmpty());
        QVERIFY(!errorLabel()->isVisibleTo(m_page.get()));
    }

    void defaultRelayWhenNothingRemembered() {
        QCOMPARE(relayEdit()->text(), AppSettings::defaultRelay());
        QVERIFY(nameEdit()->text().isEmpty());
        QVERIFY(!errorLabel()->isVisible());
    }

    void refusesBadInputBeforeSending_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("relay");
        QTest::addColumn<QString>("join");
        QTest::addColumn<QString>("expected");
        QTest::addColumn<QString>("focused");
        QTest::newRow("no name") << ""
                                 << "127.0.0.1:47400" << kId << "Enter your name"
                                 << "nameEdit";
        QTest::newRow("blank name") << "   "
                                    << "127.0.0.1:47400" << kId << "Enter your name"
                                    << "nameEdit";
        QTest::newRow("name too long (UTF-8 bytes)")
            << QString(33, QChar(0x0416)) << "127.0.0.1:47400" << kId << "too long"
            << "nameEdit";
        QTest::newRow("nothing to join") << "Bob"
                                         << "127.0.0.1:47400"
                                         << ""
                                         << "Enter a conference ID"
                                         << "joinEdit";
        QTest::newRow("not an id")
            << "Bob"
            << "127.0.0.1:47400"
            << "hello world"
            << "That is not a conference ID or invite link: \u201chello world\u201d"
            << "joinEdit";
        QTest::newRow("web link") << "Bob"
                                  << "127.0.0.1:47400"
                                  << "https://example.org/x"
                                  << "not a Diyuma invite link"
                                  << "joinEdit";
        QTest::newRow("bad relay for an id") << "Bob"
                                             << "relay:0" << kId << "is not a relay address"
                                             << "relayEdit";
        QTest::newRow("empty relay for an id") << "Bob"
                                               << "" << kId << "Enter the relay address"
                                               << "relayEdit";
    }
    void refusesBadInputBeforeSending() {
        QFETCH(QString, name);
        QFETCH(QString, relay);
        QFETCH(QString, join);
        QFETCH(QString, expected);
        QFETCH(QString, focused);
        QSignalSpy joins(m_page.get(), &HomePage::joinRequested);
        retype(nameEdit(), name);
        retype(relayEdit(), relay);
        retype(joinEdit(), join);
        QTest::mouseClick(joinButton(), Qt::LeftButton);
        QCOMPARE(joins.count(), 0);
        QVERIFY2(shownError().contains(expected), qPrintable(shownError()));
        QCOMPARE(m_page->errorText(), shownError());
        QCOMPARE(QApplication::focusWidget()->objectName(), focused);
        // Nothing bad was remembered.
        QVERIFY(m_settings->displayName().isEmpty());
    }

    void typingClearsTheError() {
        QTest::mouseClick(joinButton(), Qt::LeftButton);
        QVERIFY(!shownError().isEmpty());
        QTest::keyClicks(nameEdit(), QStringLiteral("B"));
        QVERIFY(shownError().isEmpty());
    }

    void enterInTheJoinFieldJoinsById() {
        QSignalSpy joins(m_page.get(), &HomePage::joinRequested);
        retype(nameEdit(), QStringLiteral("  Алиса "));
        retype(relayEdit(), QStringLiteral("relay.example.org:9000"));
        retype(joinEdit(), QStringLiteral("7hkq-2m9x-4dra"));
        QTest::keyClick(joinEdit(), Qt::Key_Return);
        QCOMPARE(joins.count(), 1);
        const auto request = joins.at(0).at(0).value<CallRequest>();
        QCOMPARE(request.mode, CallRequest::Mode::Join);
        QCOMPARE(request.name, std::string("Алиса"));
        QCOMPARE(request.relay.host, std::string("relay.example.org"));
        QCOMPARE(request.relay.port, 9000);
        QCOMPARE(request.conferenceId, diyuma::core::ConferenceId::parse(kId)->value());
        QVERIFY(!request.adminSecret);
        QVERIFY(shownError().isEmpty());
        // Remembered for the next run.
        QCOMPARE(m_settings->displayName(), QStringLiteral("Алиса"));
        QCOMPARE(m_settings->relay(), QStringLiteral("relay.example.org:9000"));
    }

    void aLinkBringsItsOwnRelay() {
        QSignalSpy joins(m_page.get(), &HomePage::joinRequested);
        retype(nameEdit(), QStringLiteral("Bob"));
        retype(relayEdit(), QStringLiteral("not a relay!")); // irrelevant for a link
        diyuma::core::Invite invite;
        invite.relay = {"10.1.2.3", 5555};
        invite.id = *diyuma::core::ConferenceId::parse(kId);
        invite.adminSecret = diyuma::core::wire::AdminSecret{9, 8, 7};
        m_page->setJoinText(QStringLiteral("  ") + QString::fromStdString(invite.adminLink()));
        QTest::mouseClick(joinButton(), Qt::LeftButton);
        QCOMPARE(joins.count(), 1);
        const auto request = joins.at(0).at(0).value<CallRequest>();
        QCOMPARE(request.relay, invite.relay);
        QCOMPARE(request.conferenceId, invite.id.value());
        QVERIFY(request.adminSecret);
        QCOMPARE(*request.adminSecret, *invite.adminSecret);
        // The relay field was not used, so its text is not remembered.
        QCOMPARE(m_settings->relay(), AppSettings::defaultRelay());
    }

    void startsAPrivateConference() {
        QSignalSpy starts(m_page.get(), &HomePage::startRequested);
        retype(nameEdit(), QStringLiteral("Admin"));
        retype(relayEdit(), QStringLiteral("[::1]"));
        auto* privateView = find<QCheckBox>("privateViewCheck");
        QVERIFY(!privateView->isChecked());
        // On the box itself (the widget is as wide as its card).
        QTest::mouseClick(privateView, Qt::LeftButton, {}, QPoint(8, privateView->height() / 2));
        QVERIFY(privateView->isChecked());
        QTest::mouseClick(startButton(), Qt::LeftButton);
        QCOMPARE(starts.count(), 1);
        const auto request = starts.at(0).at(0).value<CallRequest>();
        QCOMPARE(request.mode, CallRequest::Mode::CreateAndJoin);
        QVERIFY(request.privateView);
        QCOMPARE(request.relay.host, std::string("::1"));
        QCOMPARE(request.relay.port, diyuma::core::kDefaultRelayPort);
        QCOMPARE(m_settings->relay(), QStringLiteral("[::1]:47400"));
        QVERIFY(m_settings->privateViewByDefault());
    }

    void startRefusesBadRelay() {
        QSignalSpy starts(m_page.get(), &HomePage::startRequested);
        retype(nameEdit(), QStringLiteral("Admin"));
        retype(relayEdit(), QStringLiteral("host:70000"));
        QTest::mouseClick(startButton(), Qt::LeftButton);
        QCOMPARE(starts.count(), 0);
        QVERIFY2(
            shownError().contains(QStringLiteral("\u201chost:70000\u201d is not a relay address")),
            qPrintable(shownError()));
    }

    void commandLineValuesAreNotRemembered() {
        m_settings->setDisplayName(QStringLiteral("Remembered"));
        m_page->setNameOverride(QStringLiteral("Just today"));
        m_page->setRelayOverride(QStringLiteral("other.example:1"));
        QSignalSpy joins(m_page.get(), &HomePage::joinRequested);
        m_page->setJoinText(QString::fromLatin1(kId));
        QVERIFY(m_page->submitJoin());
        const auto request = joins.at(0).at(0).value<CallRequest>();
        QCOMPARE(request.name, std::string("Just today"));
        QCOMPARE(request.relay.host, std::string("other.example"));
        QCOMPARE(m_settings->displayName(), QStringLiteral("Remembered"));
        QCOMPARE(m_settings->relay(), AppSettings::defaultRelay());
        // Once the person edits the field it is theirs again.
        retype(nameEdit(), QStringLiteral("Edited"));
        QVERIFY(m_page->submitJoin());
        QCOMPARE(m_settings->displayName(), QStringLiteral("Edited"));
    }

    void busyStateDisablesInputAndOffersCancel() {
        QSignalSpy cancels(m_page.get(), &HomePage::cancelRequested);
        QSignalSpy joins(m_page.get(), &HomePage::joinRequested);
        retype(nameEdit(), QStringLiteral("Bob"));
        m_page->setJoinText(QString::fromLatin1(kId));
        m_page->setBusy(true, QStringLiteral("Joining the conference through 127.0.0.1:47400…"));
        QVERIFY(m_page->isBusy());
        QVERIFY(find<QWidget>("busyPanel")->isVisible());
        QCOMPARE(find<QLabel>("busyLabel")->text(),
                 QStringLiteral("Joining the conference through 127.0.0.1:47400…"));
        for (const char* name :
             {"nameEdit", "relayEdit", "joinEdit", "joinButton", "startButton", "privateViewCheck"})
            QVERIFY2(!find<QWidget>(name)->isEnabled(), name);
        QTest::keyClick(joinEdit(), Qt::Key_Return);
        QTest::mouseClick(joinButton(), Qt::LeftButton);
        QVERIFY(!m_page->submitJoin());
        QCOMPARE(joins.count(), 0);

        auto* cancel = find<QPushButton>("cancelButton");
        QVERIFY(cancel->isVisible() && cancel->isEnabled());
        QTest::mouseClick(cancel, Qt::LeftButton);
        QCOMPARE(cancels.count(), 1);

        m_page->setBusy(false);
        QVERIFY(!find<QWidget>("busyPanel")->isVisible());
        QVERIFY(joinButton()->isEnabled());
        QVERIFY(nameEdit()->isEnabled());
    }

    void showsFailuresFromTheCall() {
        const QString message = QStringLiteral(
            "The relay at 127.0.0.1:47400 did not answer. Check the address and that it runs.");
        m_page->showError(message);
        QVERIFY(errorLabel()->isVisible());
        QCOMPARE(errorLabel()->text(), message);
        QCOMPARE(m_page->errorText(), message);
        // Shown as plain text: a conference name with markup stays text.
        m_page->showError(QStringLiteral("<b>full</b>"));
        QCOMPARE(errorLabel()->textFormat(), Qt::PlainText);
        m_page->clearError();
        QVERIFY(!errorLabel()->isVisible());
        QVERIFY(m_page->errorText().isEmpty());
    }

    void settingsButtonAsksForTheDialog() {
        QSignalSpy asks(m_page.get(), &HomePage::settingsRequested);
        QTest::mouseClick(find<QToolButton>("settingsButton"), Qt::LeftButton);
        QCOMPARE(asks.count(), 1);
    }
};

QTEST_MAIN(TestHomePage)
#include "TestHomePage.moc"
