// Our packets, checked with tools nobody here wrote: tshark captures a client's RTP on
// loopback and its RTP stream analysis must show no loss and no sequence errors; GStreamer's
// rtpopusdepay ! opusdec decodes the captured stream back into the tone that was sent.

#include "diyuma/audio/Goertzel.h"
#include "diyuma/audio/WavFile.h"

#include "Processes.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QRegularExpression>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

using namespace diyuma;
using diyuma::test::RelayProcess;

class TestStandards : public QObject {
    Q_OBJECT
private slots:
    void capturedRtpIsStandard() {
        RelayProcess relay;
        QVERIFY2(relay.start(), qPrintable(relay.error()));
        auto links = test::createConference(relay.address());
        QCOMPARE(links.size(), 2);
        QTemporaryDir dir;
        const QString pcap = dir.filePath("capture.pcap");

        // Capture what is sent to the relay's port (classic pcap: pcapparse reads only that).
        QProcess tshark;
        tshark.setProcessChannelMode(QProcess::MergedChannels);
        tshark.start("tshark", {"-i", "lo", "-F", "pcap", "-w", pcap, "-f",
                                QString("udp and dst port %1").arg(relay.port())});
        QVERIFY2(tshark.waitForStarted(5000), "tshark is not installed (scripts/install-deps.sh)");
        QElapsedTimer timer;
        timer.start();
        QByteArray tsharkOut;
        while (!tsharkOut.contains("Capturing on") && timer.elapsed() < 15000) {
            tshark.waitForReadyRead(200);
            tsharkOut += tshark.readAll();
        }
        QVERIFY2(tsharkOut.contains("Capturing on"), tsharkOut.constData());

        auto r = test::runCli(
            {"join", links[0], "--name", "Tone", "--send-audio", "tone:440", "--duration", "4"},
            20000);
        QVERIFY2(r.finished && r.exitCode == 0, r.err.constData());
        QTest::qWait(500);
        tshark.terminate();
        QVERIFY(tshark.waitForFinished(10000));

        // 1. tshark's RTP stream analysis: one Opus stream, no loss, no sequence problems.
        QProcess analysis;
        analysis.start("tshark",
                       {"-r", pcap, "-q", "-d", QString("udp.port==%1,rtp").arg(relay.port()), "-z",
                        "rtp,streams"});
        QVERIFY(analysis.waitForFinished(30000));
        const QString report = QString::fromUtf8(analysis.readAllStandardOutput());
        qInfo("%s", qPrintable(report));
        QStringList streams;
        for (const auto& line : report.split('\n'))
            if (line.contains(QRegularExpression("0x[0-9a-fA-F]{8}")))
                streams << line.simplified();
        QCOMPARE(streams.size(), 1);
        const QStringList cols = streams.first().split(' ');
        // Start End SrcIP SrcPort DstIP DstPort SSRC Payload Pkts Lost (pct) ... Problem?
        const int pktsIndex = 8;
        QVERIFY2(cols.size() > pktsIndex + 1, qPrintable(streams.first()));
        QVERIFY2(cols[pktsIndex].toInt() >= 180, qPrintable(streams.first()));  // 4 s of 20 ms
        QCOMPARE(cols[pktsIndex + 1], QString("0"));                            // lost
        QVERIFY2(!streams.first().endsWith(" X"), qPrintable(streams.first())); // problem flag

        // 2. GStreamer decodes the captured packets into the tone.
        const QString wav = dir.filePath("decoded.wav");
        QProcess gst;
        gst.setProcessChannelMode(QProcess::MergedChannels);
        gst.start("gst-launch-1.0",
                  {"-q",
                   "filesrc",
                   "location=" + pcap,
                   "!",
                   "pcapparse",
                   QString("dst-port=%1").arg(relay.port()),
                   "!",
                   "application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=111",
                   "!",
                   "rtpopusdepay",
                   "!",
                   "opusdec",
                   "!",
                   "audioconvert",
                   "!",
                   "audioresample",
                   "!",
                   "audio/x-raw,format=S16LE,rate=48000,channels=1",
                   "!",
                   "wavenc",
                   "!",
                   "filesink",
                   "location=" + wav});
        QVERIFY(gst.waitForFinished(30000));
        QVERIFY2(gst.exitCode() == 0, gst.readAll().constData());
        auto pcm = core::readAudioFileAs48kMono(wav.toStdString());
        QVERIFY2(pcm, pcm ? "" : pcm.error().message.c_str());
        QVERIFY2(pcm->size() > 48000 * 3, qPrintable(QString::number(pcm->size())));
        auto middle = std::span(*pcm).subspan(48000, 48000 * 2);
        double tone = core::toneLevelDbfs(middle, 440.0);
        qInfo("GStreamer-decoded 440 Hz level: %.1f dBFS", tone);
        QVERIFY(tone > -16.0 && tone < -8.0); // sent at -12 dBFS
        QVERIFY(core::toneLevelDbfs(middle, 620.0) < tone - 30.0);
    }
};

QTEST_GUILESS_MAIN(TestStandards)
#include "TestStandards.moc"
