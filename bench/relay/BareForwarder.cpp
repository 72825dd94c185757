#include "BareForwarder.h"

#include "BareRegistration.h"
#include "Udp4.h"

#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <span>

namespace diyuma::bench {

BareForwarder::BareForwarder(BareForwarderConfig config)
    : m_config(config), m_buffers(config.recvBatch * kBufferBytes), m_from(config.recvBatch),
      m_recvIov(config.recvBatch), m_recvMsgs(config.recvBatch), m_sendIov(config.recvBatch),
      m_sendMsgs(config.recvBatch * (config.maxGroupMembers - 1)) {
    for (std::size_t i = 0; i < config.recvBatch; ++i) {
        m_recvIov[i] = {m_buffers.data() + i * kBufferBytes, kBufferBytes};
        msghdr& header = m_recvMsgs[i].msg_hdr;
        header.msg_name = &m_from[i];
        header.msg_namelen = sizeof(sockaddr_in);
        header.msg_iov = &m_recvIov[i];
        header.msg_iovlen = 1;
    }
}

BareForwarder::~BareForwarder() {
    if (m_fd >= 0)
        ::close(m_fd);
}

bool BareForwarder::open(const sockaddr_in& listen, std::string& error) {
    m_fd = openUdpSocket(listen, m_config.socketBufferBytes, Blocking::Yes, error);
    if (m_fd < 0)
        return false;
    // A blocking recvmmsg that wakes up now and then, so a stop request that raced with the
    // call is seen within 200 ms even when no datagram arrives.
    timeval timeout{0, 200'000};
    (void)::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return true;
}

sockaddr_in BareForwarder::localAddress() const {
    return localEndpoint(m_fd);
}

void BareForwarder::run(const std::atomic<bool>& stop) {
    const auto batch = static_cast<unsigned>(m_config.recvBatch);
    while (!stop.load(std::memory_order_relaxed)) {
        for (std::size_t i = 0; i < m_config.recvBatch; ++i)
            m_recvMsgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
        // MSG_WAITFORONE: block for the first datagram, then take what is already queued.
        const int count = ::recvmmsg(m_fd, m_recvMsgs.data(), batch, MSG_WAITFORONE, nullptr);
        ++m_stats.recvCalls;
        if (count <= 0)
            continue; // EINTR (stop signal), EAGAIN (SO_RCVTIMEO) or a transient error
        handleBatch(static_cast<std::size_t>(count));
    }
}

void BareForwarder::handleBatch(std::size_t count) {
    m_stats.received += count;
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t length = m_recvMsgs[i].msg_len;
        const std::span<const std::uint8_t> bytes(m_buffers.data() + i * kBufferBytes, length);
        if (const auto group = parseRegistration(bytes)) {
            registerMember(m_from[i], *group, i);
            continue;
        }
        const auto found = m_groupOf.find(endpointKey(m_from[i]));
        if (found == m_groupOf.end()) {
            ++m_stats.unknownSource;
            continue;
        }
        m_sendIov[i] = {m_buffers.data() + i * kBufferBytes, length};
        const std::uint64_t self = endpointKey(m_from[i]);
        for (sockaddr_in& member : m_groups[found->second]) {
            if (endpointKey(member) == self)
                continue;
            msghdr& header = m_sendMsgs[m_pending++].msg_hdr;
            header.msg_name = &member;
            header.msg_namelen = sizeof member;
            header.msg_iov = &m_sendIov[i];
            header.msg_iovlen = 1;
        }
    }
    flush();
}

void BareForwarder::registerMember(const sockaddr_in& from, std::uint32_t group, std::size_t slot) {
    // Queued copies point into the member lists; send them before a list may grow.
    flush();
    ++m_stats.registrations;
    const auto key = endpointKey(from);
    if (!m_groupOf.contains(key)) {
        auto [it, added] =
            m_groupIndex.try_emplace(group, static_cast<std::uint32_t>(m_groups.size()));
        if (added)
            m_groups.emplace_back();
        auto& members = m_groups[it->second];
        if (members.size() >= m_config.maxGroupMembers)
            return; // refused: no acknowledgement
        members.push_back(from);
        m_groupOf.emplace(key, it->second);
    }
    // The acknowledgement is the registration itself, sent back.
    (void)::sendto(m_fd, m_buffers.data() + slot * kBufferBytes, kRegistrationBytes, 0,
                   reinterpret_cast<const sockaddr*>(&from), sizeof from);
}

void BareForwarder::flush() {
    std::size_t done = 0;
    while (done < m_pending) {
        // The kernel takes at most UIO_MAXIOV (1024) messages per call.
        const auto chunk = static_cast<unsigned>(std::min<std::size_t>(m_pending - done, 1024));
        const int sent = ::sendmmsg(m_fd, m_sendMsgs.data() + done, chunk, 0);
        ++m_stats.sendCalls;
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent <= 0) {
            ++m_stats.sendFailures; // the first message failed: skip it and go on
            ++done;
            continue;
        }
        m_stats.forwarded += static_cast<std::uint64_t>(sent);
        done += static_cast<std::size_t>(sent);
    }
    m_pending = 0;
}

} // namespace diyuma::bench
