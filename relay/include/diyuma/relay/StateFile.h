#pragma once
// The relay's state file (--state-file): conferences as JSON, so IDs and admin verifiers
// survive a restart and invite links stay valid.
//
//   {"format":"diyuma-relay-state","version":1,"conferences":[
//     {"id":"7HKQ-2M9X-4DRA","verifier":"<64 hex digits>","flags":0,
//      "createdUnixMs":1700000000000,"lastActiveUnixMs":1700000000000,"everJoined":false}]}
//
// Writes are atomic: a temporary file next to the target, fsync, rename, fsync of the
// folder. Loading is strict: a file that exists but cannot be read or parsed completely is
// an error (never silently treated as empty); a missing file is an empty state.
//
// Thread: load is a free-standing function; a StateFile object belongs to the thread that
// drives RelayCore.

#include "diyuma/relay/ConferenceStore.h"
#include "diyuma/util/Log.h"
#include "diyuma/util/Result.h"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace diyuma::relay {

enum class StateFileError { Unreadable = 1, Damaged = 2, WriteFailed = 3 };

class StateFile final : public ConferenceStore {
public:
    /// `log` may be null; save failures are then only returned.
    explicit StateFile(std::string path, core::LogSink* log = nullptr);

    /// Reads the file at `path`. Missing: an empty list. Unreadable or damaged: an error
    /// whose message names the file and the problem in one line.
    [[nodiscard]] static core::Result<std::vector<ConferenceRecord>> load(const std::string& path);

    /// The JSON text for `records`, and its strict inverse (`origin` names the source in
    /// error messages).
    [[nodiscard]] static std::string serialize(std::span<const ConferenceRecord> records);
    [[nodiscard]] static core::Result<std::vector<ConferenceRecord>>
    deserialize(std::string_view text, std::string_view origin);

    /// Writes atomically; the error says what failed (with errno text).
    [[nodiscard]] core::Status write(std::span<const ConferenceRecord> records) const;

    /// ConferenceStore: write() and log a failure.
    bool save(std::span<const ConferenceRecord> records) override;

    [[nodiscard]] const std::string& path() const { return m_path; }

private:
    std::string m_path;
    core::LogSink* m_log;
};

} // namespace diyuma::relay
