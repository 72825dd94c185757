// The state file: atomic writes, strict loading (a damaged file is an error, never an empty
// state), and the round trip through a real RelayCore restart.

#include "diyuma/relay/StateFile.h"

#include "RelayTestHarness.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

using namespace diyuma;
using namespace diyuma::test;
using relay::ConferenceRecord;
using relay::StateFile;
using relay::StateFileError;

namespace {
std::vector<ConferenceRecord> sampleRecords() {
    ConferenceRecord a;
    a.id = 0x0123456789ABCDEULL;
    a.verifier.fill(0xAB);
    a.flags = 1;
    a.createdUnixMs = 1'700'000'000'000;
    a.lastActiveUnixMs = 1'700'000'123'456;
    a.everJoined = true;
    ConferenceRecord b;
    b.id = 42;
    for (std::size_t i = 0; i < b.verifier.size(); ++i)
        b.verifier[i] = static_cast<std::uint8_t>(i);
    b.createdUnixMs = 1'700'000'000'001;
    b.lastActiveUnixMs = b.createdUnixMs;
    return {a, b};
}

void writeText(const QString& path, const QByteArray& text) {
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(text);
}
} // namespace

class TestStateFile : public QObject {
    Q_OBJECT
private slots:
    void roundTrip() {
        QTemporaryDir dir;
        const auto path = dir.filePath("state.json").toStdString();
        StateFile file(path);
        const auto records = sampleRecords();
        auto written = file.write(records);
        QVERIFY2(written.ok(), written.ok() ? "" : written.error().message.c_str());
        QVERIFY(!QFile::exists(QString::fromStdString(path + ".tmp")));
        auto loaded = StateFile::load(path);
        QVERIFY(loaded.ok());
        QVERIFY(*loaded == records);
        // Human-readable IDs in the file.
        QFile raw(QString::fromStdString(path));
        QVERIFY(raw.open(QIODevice::ReadOnly));
        const auto text = raw.readAll();
        QVERIFY(text.contains("\"id\": \"0000-0000-001A\"") || text.contains("\"0000-0000-001A\""));
        // Rewriting replaces the whole file.
        QVERIFY(file.write(std::span(records).first(1)).ok());
        QCOMPARE(StateFile::load(path)->size(), std::size_t{1});
        QVERIFY(file.write({}).ok());
        QVERIFY(StateFile::load(path)->empty());
    }

    void missingFileIsEmpty() {
        QTemporaryDir dir;
        auto loaded = StateFile::load(dir.filePath("nothing-here.json").toStdString());
        QVERIFY(loaded.ok());
        QVERIFY(loaded->empty());
    }

    void damagedFilesAreErrors_data() {
        QTest::addColumn<QByteArray>("text");
        QTest::newRow("empty") << QByteArray("");
        QTest::newRow("garbage") << QByteArray("\x01\x02 not json");
        QTest::newRow("cut short") << QByteArray(
            "{\"format\":\"diyuma-relay-state\",\"version\":1,\"conferences\":[{\"id\":");
        QTest::newRow("array") << QByteArray("[]");
        QTest::newRow("wrong format")
            << QByteArray("{\"format\":\"other\",\"version\":1,\"conferences\":[]}");
        QTest::newRow("future version")
            << QByteArray("{\"format\":\"diyuma-relay-state\",\"version\":2,\"conferences\":[]}");
        QTest::newRow("no list") << QByteArray("{\"format\":\"diyuma-relay-state\",\"version\":1}");
        const QByteArray good =
            "{\"id\":\"0000-0000-001A\",\"verifier\":\"" + QByteArray(64, 'a') +
            "\",\"flags\":0,\"createdUnixMs\":1,\"lastActiveUnixMs\":2,\"everJoined\":false}";
        auto wrap = [](const QByteArray& entries) {
            return "{\"format\":\"diyuma-relay-state\",\"version\":1,\"conferences\":[" + entries +
                   "]}";
        };
        QTest::newRow("bad id") << wrap(QByteArray(good).replace("0000-0000-001A", "XYZ"));
        QTest::newRow("short verifier")
            << wrap(QByteArray(good).replace(QByteArray(64, 'a'), QByteArray(62, 'a')));
        QTest::newRow("non-hex verifier")
            << wrap(QByteArray(good).replace(QByteArray(64, 'a'), QByteArray(64, 'g')));
        QTest::newRow("negative flags")
            << wrap(QByteArray(good).replace("\"flags\":0", "\"flags\":-1"));
        QTest::newRow("missing everJoined")
            << wrap(QByteArray(good).replace(",\"everJoined\":false", ""));
        QTest::newRow("string time")
            << wrap(QByteArray(good).replace("\"createdUnixMs\":1", "\"createdUnixMs\":\"1\""));
        QTest::newRow("duplicate id") << wrap(good + "," + good);
    }
    void damagedFilesAreErrors() {
        QFETCH(QByteArray, text);
        QTemporaryDir dir;
        const auto path = dir.filePath("state.json");
        writeText(path, text);
        auto loaded = StateFile::load(path.toStdString());
        QVERIFY(!loaded.ok());
        QCOMPARE(loaded.error().code, static_cast<int>(StateFileError::Damaged));
        const auto& message = loaded.error().message;
        QVERIFY2(message.find(path.toStdString()) != std::string::npos, message.c_str());
        QVERIFY2(message.find('\n') == std::string::npos, message.c_str());
    }

    void unreadableIsAnError() {
        QTemporaryDir dir;
        auto loaded = StateFile::load(dir.path().toStdString()); // a folder, not a file
        QVERIFY(!loaded.ok());
        QCOMPARE(loaded.error().code, static_cast<int>(StateFileError::Unreadable));
    }

    void writeIntoMissingFolderFails() {
        QTemporaryDir dir;
        StateFile file(dir.filePath("no/such/folder/state.json").toStdString());
        auto written = file.write(sampleRecords());
        QVERIFY(!written.ok());
        QCOMPARE(written.error().code, static_cast<int>(StateFileError::WriteFailed));
        QVERIFY(!file.save(sampleRecords()));
    }

    void relayRestartKeepsConferences() {
        QTemporaryDir dir;
        const auto path = dir.filePath("state.json").toStdString();
        std::uint64_t id = 0;
        wire::AdminSecret secret{};
        {
            StateFile store(path);
            Harness h({}, &store);
            auto created = h.create(addr(1));
            QVERIFY(created);
            id = created->conferenceId;
            secret = created->adminSecret;
            QVERIFY(h.core.stats().stateSaves >= 1);
        }
        auto loaded = StateFile::load(path);
        QVERIFY(loaded.ok());
        QCOMPARE(loaded->size(), std::size_t{1});
        StateFile store(path);
        Harness h({}, &store);
        h.core.restore(*loaded, h.clock.now());
        auto joined = h.join(addr(2), id, "Back", 1, secret);
        QVERIFY(joined);
        QCOMPARE(joined->role, wire::Role::Admin);
        QVERIFY(StateFile::load(path)->at(0).everJoined); // the first join was saved
    }
};

QTEST_GUILESS_MAIN(TestStateFile)
#include "TestStateFile.moc"
