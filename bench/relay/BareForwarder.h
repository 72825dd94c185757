#pragma once
// The ceiling for the relay benchmark: a UDP forwarder that does nothing a forwarder could do
// without. One blocking socket; recvmmsg takes a batch of datagrams; every datagram from a
// registered address is queued once per other member of its group (all copies point at the
// receive buffer: no copy) and the whole batch leaves in sendmmsg calls. Membership comes
// from the 8-byte registration datagram in BareRegistration.h; there is no parsing, no
// validation, no timers and no per-packet allocation.
//
// Thread: one thread calls everything; the stop flag passed to run() may be set from any
// thread or a signal handler.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace diyuma::bench {

struct BareForwarderConfig {
    std::size_t recvBatch = 64;       ///< datagrams per recvmmsg
    std::size_t maxGroupMembers = 64; ///< registrations beyond this per group are refused
    int socketBufferBytes = 4 << 20;  ///< SO_RCVBUF / SO_SNDBUF wish (same as the relay)
};

struct BareForwarderStats {
    std::uint64_t received = 0;      ///< datagrams taken from the socket
    std::uint64_t registrations = 0; ///< registration datagrams (new or repeated)
    std::uint64_t forwarded = 0;     ///< copies the kernel accepted in sendmmsg
    std::uint64_t unknownSource = 0; ///< media from an address that never registered
    std::uint64_t sendFailures = 0;  ///< copies sendmmsg refused
    std::uint64_t recvCalls = 0;
    std::uint64_t sendCalls = 0;
};

class BareForwarder {
public:
    explicit BareForwarder(BareForwarderConfig config = {});
    ~BareForwarder();
    BareForwarder(const BareForwarder&) = delete;
    BareForwarder& operator=(const BareForwarder&) = delete;

    /// Binds the socket (port 0 picks one). False with a one-line message on failure.
    [[nodiscard]] bool open(const sockaddr_in& listen, std::string& error);
    /// The bound address, valid after open().
    [[nodiscard]] sockaddr_in localAddress() const;
    /// Forwards until `stop` becomes true (checked at least every 200 ms).
    void run(const std::atomic<bool>& stop);
    [[nodiscard]] const BareForwarderStats& stats() const { return m_stats; }

private:
    void handleBatch(std::size_t count);
    void registerMember(const sockaddr_in& from, std::uint32_t group, std::size_t slot);
    void flush();

    BareForwarderConfig m_config;
    int m_fd = -1;
    static constexpr std::size_t kBufferBytes = 1500;
    std::vector<std::uint8_t> m_buffers; ///< recvBatch x kBufferBytes
    std::vector<sockaddr_in> m_from;     ///< source of each received datagram
    std::vector<iovec> m_recvIov;
    std::vector<mmsghdr> m_recvMsgs;
    std::vector<iovec> m_sendIov;    ///< one per received datagram, shared by its copies
    std::vector<mmsghdr> m_sendMsgs; ///< recvBatch x (maxGroupMembers - 1)
    std::size_t m_pending = 0;

    std::unordered_map<std::uint64_t, std::uint32_t> m_groupOf;    ///< endpoint -> group index
    std::unordered_map<std::uint32_t, std::uint32_t> m_groupIndex; ///< group id -> index
    std::vector<std::vector<sockaddr_in>> m_groups;
    BareForwarderStats m_stats;
};

} // namespace diyuma::bench
