#include "diyuma/relay/StateFile.h"

#include "diyuma/id/ConferenceId.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

namespace diyuma::relay {

namespace {
constexpr std::string_view kFormat = "diyuma-relay-state";
constexpr int kVersion = 1;
constexpr std::size_t kMaxFileBytes = 64u * 1024 * 1024;

core::Error makeError(StateFileError code, std::string message) {
    return core::Error{static_cast<int>(code), std::move(message)};
}

std::string errnoText(int error) {
    return std::strerror(error);
}

std::string toHex(std::span<const std::uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const auto b : bytes) {
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 15]);
    }
    return out;
}

int hexValue(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool fromHex(std::string_view text, std::span<std::uint8_t> out) {
    if (text.size() != out.size() * 2)
        return false;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int hi = hexValue(text[2 * i]);
        const int lo = hexValue(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    return true;
}

/// Closes a file descriptor when it goes out of scope.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0)
            ::close(fd);
    }
};

std::string folderOf(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos)
        return ".";
    if (slash == 0)
        return "/";
    return path.substr(0, slash);
}
} // namespace

StateFile::StateFile(std::string path, core::LogSink* log) : m_path(std::move(path)), m_log(log) {}

std::string StateFile::serialize(std::span<const ConferenceRecord> records) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& r : records) {
        list.push_back({
            {"id", core::ConferenceId(r.id).toString()},
            {"verifier", toHex(r.verifier)},
            {"flags", r.flags},
            {"createdUnixMs", r.createdUnixMs},
            {"lastActiveUnixMs", r.lastActiveUnixMs},
            {"everJoined", r.everJoined},
        });
    }
    nlohmann::ordered_json doc = {
        {"format", kFormat}, {"version", kVersion}, {"conferences", std::move(list)}};
    return doc.dump(1) + "\n";
}

core::Result<std::vector<ConferenceRecord>> StateFile::deserialize(std::string_view text,
                                                                   std::string_view origin) {
    auto damaged = [&](std::string_view what) {
        return makeError(StateFileError::Damaged,
                         fmt::format("state file {} is damaged: {}", origin, what));
    };
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
        return damaged("the file is empty");
    nlohmann::ordered_json doc =
        nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded())
        return damaged("not valid JSON");
    if (!doc.is_object())
        return damaged("the top level is not a JSON object");
    if (!doc.contains("format") || doc["format"] != kFormat)
        return damaged(fmt::format("\"format\" is not \"{}\"", kFormat));
    if (!doc.contains("version") || !doc["version"].is_number_integer())
        return damaged("\"version\" is missing");
    if (doc["version"] != kVersion)
        return damaged(fmt::format("version {} is not supported (this relay reads version {})",
                                   doc["version"].dump(), kVersion));
    if (!doc.contains("conferences") || !doc["conferences"].is_array())
        return damaged("\"conferences\" is not a list");

    std::vector<ConferenceRecord> records;
    std::set<std::uint64_t> seen;
    std::size_t index = 0;
    for (const auto& entry : doc["conferences"]) {
        auto bad = [&](std::string_view what) {
            return damaged(fmt::format("conference #{}: {}", index, what));
        };
        if (!entry.is_object())
            return bad("not an object");
        ConferenceRecord r;
        const auto id = entry.find("id");
        if (id == entry.end() || !id->is_string())
            return bad("\"id\" is missing");
        const auto parsed = core::ConferenceId::parse(id->get<std::string>());
        if (!parsed)
            return bad(fmt::format("\"id\" {} is not a conference ID", id->dump()));
        r.id = parsed->value();
        if (!seen.insert(r.id).second)
            return bad(fmt::format("\"id\" {} appears twice", id->dump()));
        const auto verifier = entry.find("verifier");
        if (verifier == entry.end() || !verifier->is_string() ||
            !fromHex(verifier->get<std::string>(), r.verifier))
            return bad("\"verifier\" is not 64 hex digits");
        const auto flags = entry.find("flags");
        if (flags == entry.end() || !flags->is_number_unsigned() ||
            flags->get<std::uint64_t>() > 0xFFFFFFFFu)
            return bad("\"flags\" is not a 32-bit unsigned number");
        r.flags = static_cast<std::uint32_t>(flags->get<std::uint64_t>());
        const auto created = entry.find("createdUnixMs");
        if (created == entry.end() || !created->is_number_integer())
            return bad("\"createdUnixMs\" is not an integer");
        r.createdUnixMs = created->get<std::int64_t>();
        const auto active = entry.find("lastActiveUnixMs");
        if (active == entry.end() || !active->is_number_integer())
            return bad("\"lastActiveUnixMs\" is not an integer");
        r.lastActiveUnixMs = active->get<std::int64_t>();
        const auto joined = entry.find("everJoined");
        if (joined == entry.end() || !joined->is_boolean())
            return bad("\"everJoined\" is not true or false");
        r.everJoined = joined->get<bool>();
        records.push_back(r);
        ++index;
    }
    return records;
}

core::Result<std::vector<ConferenceRecord>> StateFile::load(const std::string& path) {
    Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (file.fd < 0) {
        const int error = errno;
        if (error == ENOENT)
            return std::vector<ConferenceRecord>{};
        return makeError(StateFileError::Unreadable,
                         fmt::format("cannot open state file {}: {}", path, errnoText(error)));
    }
    struct stat info {};
    if (::fstat(file.fd, &info) != 0 || !S_ISREG(info.st_mode))
        return makeError(StateFileError::Unreadable,
                         fmt::format("state file {} is not a regular file", path));
    if (static_cast<std::uint64_t>(info.st_size) > kMaxFileBytes)
        return makeError(
            StateFileError::Damaged,
            fmt::format("state file {} is damaged: larger than {} bytes", path, kMaxFileBytes));
    std::string text;
    char buffer[65536];
    for (;;) {
        const auto n = ::read(file.fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return makeError(StateFileError::Unreadable,
                             fmt::format("cannot read state file {}: {}", path, errnoText(errno)));
        }
        if (n == 0)
            break;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > kMaxFileBytes)
            return makeError(
                StateFileError::Damaged,
                fmt::format("state file {} is damaged: larger than {} bytes", path, kMaxFileBytes));
    }
    return deserialize(text, path);
}

core::Status StateFile::write(std::span<const ConferenceRecord> records) const {
    const std::string text = serialize(records);
    const std::string temp = m_path + ".tmp";
    auto failed = [&](std::string_view step) {
        return makeError(
            StateFileError::WriteFailed,
            fmt::format("cannot save state file {}: {}: {}", m_path, step, errnoText(errno)));
    };
    {
        Fd file{::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
        if (file.fd < 0)
            return failed(fmt::format("open {}", temp));
        std::size_t done = 0;
        while (done < text.size()) {
            const auto n = ::write(file.fd, text.data() + done, text.size() - done);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                const auto error = failed("write");
                ::unlink(temp.c_str());
                return error;
            }
            done += static_cast<std::size_t>(n);
        }
        if (::fsync(file.fd) != 0) {
            const auto error = failed("fsync");
            ::unlink(temp.c_str());
            return error;
        }
    }
    if (::rename(temp.c_str(), m_path.c_str()) != 0) {
        const auto error = failed("rename");
        ::unlink(temp.c_str());
        return error;
    }
    // The rename is durable only once the folder is synced; a failure here is not fatal
    // (the new file is in place), so it is ignored.
    Fd folder{::open(folderOf(m_path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (folder.fd >= 0)
        (void)::fsync(folder.fd);
    return core::Ok{};
}

bool StateFile::save(std::span<const ConferenceRecord> records) {
    auto status = write(records);
    if (!status.ok() && m_log != nullptr)
        m_log->log(core::LogCategory::Relay, core::LogLevel::Error, status.error().message);
    return status.ok();
}

} // namespace diyuma::relay
