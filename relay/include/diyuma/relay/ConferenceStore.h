#pragma once
// What survives a relay restart: one record per conference, and the interface RelayCore
// saves them through (StateFile implements it; tests use a fake).
//
// Thread: ConferenceStore::save is called by RelayCore on the relay's I/O thread.

#include "diyuma/crypto/Hmac.h"

#include <cstdint>
#include <span>

namespace diyuma::relay {

struct ConferenceRecord {
    std::uint64_t id = 0;          ///< 60-bit conference ID
    core::Sha256Digest verifier{}; ///< adminVerifier(secret); the secret itself is never kept
    std::uint32_t flags = 0;       ///< wire::ConferenceFlags bits
    std::int64_t createdUnixMs = 0;
    std::int64_t lastActiveUnixMs = 0; ///< last join/leave (wall clock)
    bool everJoined = false;           ///< false: the unused TTL applies, true: the empty TTL
    bool operator==(const ConferenceRecord&) const = default;
};

class ConferenceStore {
public:
    virtual ~ConferenceStore() = default;
    /// Replaces the stored set with `records` (all conferences that exist now). Called when
    /// conferences are created, first joined or removed, never per packet. Returns false if
    /// it could not be saved (the implementation reports why).
    virtual bool save(std::span<const ConferenceRecord> records) = 0;
};

} // namespace diyuma::relay
