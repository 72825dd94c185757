#pragma once
// The desktop app's command line,
//     diyuma [LINK_OR_ID] [--name NAME] [--relay HOST:PORT] [--new-instance]
// and the input checks it shares with the home screen (display name, relay address,
// conference ID or invite link), whose messages are translated and fit to show a person.
//
// Thread: any (pure functions); the messages need the translators installed first to come out
// in the person's language.

#include "diyuma/id/InviteLink.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <optional>

namespace diyuma::app {

/// Exit code for bad arguments (the same as diyuma-cli).
inline constexpr int kUsageExitCode = 2;

/// What the command line asked for, already checked.
struct AppOptions {
    QString linkOrId;         ///< trimmed; empty: just open the home screen
    QString name;             ///< --name, trimmed: this run only (not remembered); empty if absent
    QString relay;            ///< --relay as HOST:PORT (normalised); empty if absent
    bool newInstance = false; ///< --new-instance: do not hand over to a running instance
};

/// The result of parsing: either options to run with, or an exit code with text for stdout
/// (--help, --version) or stderr (bad arguments, exit code kUsageExitCode).
struct ParsedCommandLine {
    std::optional<AppOptions> options;
    int exitCode = 0;
    QString out;
    QString err;
};

/// `arguments` as QCoreApplication::arguments() gives them (program name first).
[[nodiscard]] ParsedCommandLine parseAppOptions(const QStringList& arguments);

/// The checks behind the command line and the home screen. Each returns nullopt or an empty
/// message when the input is fine, else a message that says what is wrong.
class InputChecks {
    Q_DECLARE_TR_FUNCTIONS(InputChecks)
public:
    /// 1..64 bytes of UTF-8 (wire::kMaxNameBytes) without control characters, after trimming.
    [[nodiscard]] static QString checkDisplayName(const QString& name);
    /// "HOST:PORT", "HOST", "[V6]:PORT" or "[V6]".
    [[nodiscard]] static std::optional<core::RelayAddress> parseRelay(const QString& text,
                                                                      QString* error);
    /// A bare conference ID (then `defaultRelay`) or an invite/admin link.
    [[nodiscard]] static std::optional<core::Invite>
    parseLinkOrId(const QString& text, const core::RelayAddress& defaultRelay, QString* error);
};

} // namespace diyuma::app
