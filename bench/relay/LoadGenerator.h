#pragma once
// The load generator of the relay benchmark. It opens one UDP socket per simulated
// participant (conferences x members), each bound to its own loopback address 127.1.x.y so
// that the relay's per-source-IP rate limit on Create/Join sees ordinary clients, and
// connected to the target. Then:
//   - relay mode: the real protocol through diyuma_core's wire API (Hello -> Cookie,
//     Create -> Created for the first member of each conference, Join -> Joined for all,
//     Roster changes acknowledged with RosterAck), and Leave at the end;
//   - bare mode: the 8-byte registration of BareRegistration.h.
// During the load phase it sends RTP packets of packetBytes bytes round-robin from all
// participants at ratePps in total (0: as fast as it can while still draining its sockets)
// and receives everything the target forwards. A forwarded packet is counted as delivered if
// it arrives before the end of the load window and as late if it arrives in the drain time
// after it. Each SSRC names its conference, so deliveries that cross conferences or come back
// to their sender are counted as such.
//
// Tiers mode (videoLayers > 0; docs/PERFORMANCE.md section 1.1): every participant announces
// an audio stream and videoLayers simulcast video streams (StreamInfo layer 0.. at 180/360/720
// lines) and sends LayeredSender's mix (audio of packetBytes, video frames of 1, 2, 5 packets
// of about 1000 bytes, with the transport-wide sequence number and frame marking); against
// the relay each participant also reports what the relay numbered for it in transport-wide
// feedback every feedbackInterval, answers PLIs with a key frame and keeps the latest
// ReceiveReport, and answers nothing else (no NACKs, no Subscribe; it sends all layers
// whatever LayersWanted says, so the offered load is the same in every run). With
// Packets::Plain the same datagrams (sizes and order) go out as audio-like RTP without
// extensions on one announced audio SSRC: the old forwarding path under the same load.
// SSRCs: (conference + 1) << 10 | member << 2 | stream (0 audio, 1 + video layer).
//
// Thread: one thread calls everything.

#include "diyuma/wire/Control.h"
#include "diyuma/wire/TransportFeedback.h"

#include "FeedbackReporter.h"
#include "LayeredSender.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace diyuma::bench {

namespace wire = core::wire;

enum class LoadTarget { Relay, Bare };

struct LoadConfig {
    sockaddr_in target{};
    LoadTarget mode = LoadTarget::Relay;
    std::size_t conferences = 10;
    std::size_t members = 10;
    std::size_t packetBytes = 160; ///< whole UDP payload: 12-byte RTP header + payload
    /// 0: plain audio-like RTP of packetBytes (the default). 1..3: tiers mode (see above;
    /// packetBytes is the audio packets' size).
    std::size_t videoLayers = 0;
    Packets packets = Packets::Layered; ///< tiers mode: with extensions, or plain RTP
    /// Tiers mode: how often receivers send transport-wide feedback.
    std::chrono::duration<double> feedbackInterval{0.05};
    /// Load at the same rate before the measured window (the relay's estimators settle).
    std::chrono::duration<double> warmup{0.0};
    double ratePps = 0; ///< packets sent per second in total; 0 = as fast as possible
    std::chrono::duration<double> duration{5.0};
    std::chrono::duration<double> drain{0.3};
    std::uint32_t firstLocalIp = 0x7F010001; ///< 127.1.0.1, host order
    int socketBufferBytes = 1 << 20;
    std::size_t burst = 64; ///< most packets sent between two receive drains
    /// Poll the sockets without sleeping during the load window (the load generator owns its
    /// core); false: sleep in epoll until the next packet is due.
    bool busyPoll = true;
    std::chrono::duration<double> setupTimeout{15.0};
    pid_t watchPid = 0; ///< the target's process: its CPU time over the window (0: none)
    int watchCore = -1; ///< the target's core: its busy time over the window (-1: none)
    /// Sent SIGUSR2 at the start and the end of the load window (bench_alloc_counter prints
    /// its count then; 0: none).
    pid_t markPid = 0;
};

struct LoadResult {
    std::uint64_t sent = 0;
    std::uint64_t sendFailures = 0;    ///< send() refused (ENOBUFS, EAGAIN, ECONNREFUSED...)
    std::uint64_t delivered = 0;       ///< media received within the load window
    std::uint64_t deliveredLate = 0;   ///< media received in the drain time after it
    std::uint64_t selfDeliveries = 0;  ///< own packets sent back (must stay 0)
    std::uint64_t misrouted = 0;       ///< packets from another conference (must stay 0)
    std::uint64_t controlReceived = 0; ///< control datagrams during the load phase
    double windowSeconds = 0;          ///< measured length of the load window
    double setupSeconds = 0;
    double cpuSeconds = 0;          ///< this process's CPU during the load window
    double targetCpuSeconds = -1;   ///< watchPid's utime+stime over the window (-1: none)
    double coreBusySeconds = -1;    ///< watchCore's busy time over the window (-1: none)
    double coreSoftirqSeconds = -1; ///< of which softirq
    double coreStealSeconds = -1;   ///< watchCore's steal time over the window
    std::uint64_t warmupSent = 0;   ///< packets sent during the warm-up

    // Tiers mode (all within the load window unless said otherwise).
    std::array<std::uint64_t, kStreamsPerParticipant> sentByStream{};      ///< 0 audio, 1 + layer
    std::array<std::uint64_t, kStreamsPerParticipant> deliveredByStream{}; ///< forwarded copies
    std::uint64_t probesReceived = 0;   ///< the relay's probe packets (PT 127)
    std::uint64_t rtcpReceived = 0;     ///< RTCP from the target (its feedback, PLIs)
    std::uint64_t plisReceived = 0;     ///< PLIs for one of our streams
    std::uint64_t feedbackSent = 0;     ///< transport feedback packets sent
    std::uint64_t feedbackOverflow = 0; ///< arrivals not recorded (FeedbackReporter full)
    std::uint64_t keyFrames = 0;        ///< key frames sent (warm-up included)
    std::uint64_t layersWantedReceived = 0;
    /// The last ReceiveReport of each receiver at the end (relay tiers mode): its entries by
    /// what they say, and the downlink estimates.
    /// [stream][temporal layer], temporal 3: a stream but no temporal layer (255 in the report)
    std::array<std::array<std::uint64_t, 4>, kMaxVideoLayers> forwardingLayers{};
    std::uint64_t reportsPaused = 0;
    std::uint64_t reportsWaiting = 0; ///< Forwarding without layers yet (key frame coming)
    std::uint64_t reportsOther = 0;
    std::uint64_t receiversWithReport = 0;
    std::vector<std::uint32_t> downlinkBps; ///< sorted
};

class LoadGenerator {
public:
    explicit LoadGenerator(LoadConfig config);
    ~LoadGenerator();
    LoadGenerator(const LoadGenerator&) = delete;
    LoadGenerator& operator=(const LoadGenerator&) = delete;

    /// Opens the sockets and joins every participant. False with a one-line message.
    [[nodiscard]] bool setup(std::string& error);
    /// Sends and receives for the configured duration (plus the drain time).
    [[nodiscard]] LoadResult run();
    /// Relay mode: sends Leave from every participant. Bare mode: nothing.
    void leave();

private:
    struct Participant {
        int fd = -1;
        std::size_t conference = 0;
        std::uint32_t ssrc = 0;
        std::uint16_t sequence = 0;
        std::uint32_t rtpTimestamp = 0;
        std::uint32_t nextRequestId = 1;
        std::uint32_t rosterApplied = 0;
        wire::Cookie cookie{};
        std::vector<std::uint8_t> packet; ///< the RTP packet, rewritten in place per send
        // Tiers mode:
        std::array<std::uint32_t, kStreamsPerParticipant> ssrcs{};
        std::unique_ptr<LayeredSender> sender;
        std::unique_ptr<FeedbackReporter> feedback; ///< relay tiers mode only
        std::optional<wire::ReceiveReportMsg> lastReport;
    };
    enum class Reply { Ignore, Done, Fail };
    using RequestFn = std::function<std::span<const std::uint8_t>(std::size_t participant,
                                                                  std::span<std::uint8_t> buf)>;
    using ReplyFn =
        std::function<Reply(std::size_t participant, std::span<const std::uint8_t> datagram)>;

    bool openSockets(std::string& error);
    /// Sends request(p) to every participant in `who` (again every 250 ms for those without
    /// an answer) until onReply says Done for all of them, Fail for one, or time runs out.
    bool exchange(const std::string& phase, const std::vector<std::size_t>& who,
                  const RequestFn& request, const ReplyFn& onReply, std::string& error);
    bool setupRelay(std::string& error);
    bool setupBare(std::string& error);
    /// Receives everything queued on participant p's socket; calls `onDatagram` for each.
    void drainSocket(std::size_t p,
                     const std::function<void(std::size_t, std::span<const std::uint8_t>)>& on);
    /// Acknowledges a Roster (relay mode); true if `datagram` was control.
    bool handleControl(std::size_t p, std::span<const std::uint8_t> datagram);
    void sendControl(std::size_t p, const wire::ControlMessage& message);
    void sendMedia(std::size_t p, LoadResult& result);
    /// Tiers mode: one datagram from the target to participant p.
    void onLayeredDatagram(std::size_t p, std::span<const std::uint8_t> datagram,
                           LoadResult& result, bool inWindow);
    void flushFeedback(LoadResult& result);
    void summarizeReports(LoadResult& result) const;
    [[nodiscard]] std::uint32_t ssrcOf(std::size_t conference, std::size_t member,
                                       std::size_t stream = 0) const;
    [[nodiscard]] bool tiers() const { return m_config.videoLayers > 0; }

    LoadConfig m_config;
    std::vector<Participant> m_participants;
    std::vector<std::uint64_t> m_conferenceIds;
    int m_epoll = -1;

    static constexpr std::size_t kRecvBatch = 64;
    static constexpr std::size_t kBufferBytes = 1500;
    std::vector<std::uint8_t> m_recvBuffers;
    std::vector<iovec> m_recvIov;
    std::vector<mmsghdr> m_recvMsgs;
    std::vector<std::uint8_t> m_controlBuffer;
    std::string m_failure; ///< set by a ReplyFn that returns Fail
    double m_setupSeconds = 0;
    unsigned m_streamBits = 0;   ///< SSRC bits naming the stream: 0 plain, 2 tiers
    bool m_sendFeedback = false; ///< relay tiers mode with extensions
    std::chrono::steady_clock::time_point m_origin;  ///< arrival times count from here
    std::chrono::steady_clock::time_point m_arrival; ///< when the current batch arrived
    wire::TransportFeedbackBuilder m_feedbackBuilder;
    std::vector<std::uint8_t> m_feedbackBuffer;
    std::uint64_t m_layersWanted = 0;
};

} // namespace diyuma::bench
