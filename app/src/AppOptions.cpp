#include "AppOptions.h"

#include "diyuma/wire/Limits.h"
#include "diyuma/wire/Text.h"

#include <QtCore/QCommandLineParser>

namespace diyuma::app {

namespace {

QString usageError(const QString& message) {
    QString line = message;
    line.replace(QLatin1Char('\n'), QLatin1Char(' '));
    return InputChecks::tr("diyuma: error: %1 (see diyuma --help)").arg(line) + QLatin1Char('\n');
}

// Longer than any link we make; keeps a pasted novel out of error messages.
QString shortened(const QString& text) {
    constexpr int kMaxShown = 80;
    return text.size() > kMaxShown ? text.left(kMaxShown) + QChar(0x2026) : text;
}

} // namespace

QString InputChecks::checkDisplayName(const QString& name) {
    const QString trimmed = name.trimmed();
    if (trimmed.isEmpty())
        return tr("Enter your name: the others see it in the call.");
    const QByteArray utf8 = trimmed.toUtf8();
    if (static_cast<std::size_t>(utf8.size()) > core::wire::kMaxNameBytes)
        return tr("That name is too long: at most %1 bytes of UTF-8 are allowed, it has %2.")
            .arg(core::wire::kMaxNameBytes)
            .arg(utf8.size());
    if (!core::wire::isValidWireText(std::string_view(utf8.constData(), utf8.size())))
        return tr("That name contains characters that cannot be sent (control characters).");
    return {};
}

std::optional<core::RelayAddress> InputChecks::parseRelay(const QString& text, QString* error) {
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty()) {
        if (error)
            *error = tr("Enter the relay address, e.g. %1.").arg(QStringLiteral("127.0.0.1:47400"));
        return std::nullopt;
    }
    auto parsed = core::parseRelayAddress(trimmed.toStdString());
    if (!parsed) {
        if (error)
            *error = tr("\u201c%1\u201d is not a relay address. Write HOST:PORT, e.g. "
                        "relay.example.org:47400 or [::1]:47400.")
                         .arg(shortened(trimmed));
        return std::nullopt;
    }
    return parsed.value();
}

std::optional<core::Invite> InputChecks::parseLinkOrId(const QString& text,
                                                       const core::RelayAddress& defaultRelay,
                                                       QString* error) {
    const QString trimmed = text.trimmed();
    auto parsed = core::parseInvite(trimmed.toStdString(), defaultRelay);
    if (parsed)
        return parsed.value();
    if (error) {
        switch (static_cast<core::InviteError>(parsed.error().code)) {
        case core::InviteError::Empty:
            *error = tr("Enter a conference ID or paste an invite link.");
            break;
        case core::InviteError::BadScheme:
            *error = tr("That is not a Diyuma invite link: \u201c%1\u201d. Invite links start "
                        "with diyuma://")
                         .arg(shortened(trimmed));
            break;
        case core::InviteError::BadAddress:
            *error = tr("The relay address in that invite link is not valid: \u201c%1\u201d.")
                         .arg(shortened(trimmed));
            break;
        case core::InviteError::BadAdminSecret:
            *error = tr("The admin part of that link is damaged. Check that the whole link was "
                        "copied.");
            break;
        case core::InviteError::BadId:
        default:
            *error = tr("That is not a conference ID or invite link: \u201c%1\u201d. An ID has 12 "
                        "letters and digits, like 7HKQ-2M9X-4DRA.")
                         .arg(shortened(trimmed));
            break;
        }
    }
    return std::nullopt;
}

ParsedCommandLine parseAppOptions(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        InputChecks::tr("Diyuma Conference: start or join a voice conference.\n\n"
                        "With a conference ID or an invite link (diyuma://HOST:PORT/ID) it joins "
                        "that conference at once. A bare ID uses --relay, else the remembered "
                        "relay; a link names its own relay."));
    parser.addPositionalArgument(
        QStringLiteral("LINK_OR_ID"),
        InputChecks::tr("Conference ID (e.g. 7HKQ-2M9X-4DRA) or invite link to join."),
        QStringLiteral("[LINK_OR_ID]"));
    const QCommandLineOption nameOption(
        QStringLiteral("name"),
        InputChecks::tr("Display name for this run (the remembered name stays as it is)."),
        QStringLiteral("NAME"));
    const QCommandLineOption relayOption(
        QStringLiteral("relay"),
        InputChecks::tr("Relay for a bare ID and for new conferences in this run."),
        QStringLiteral("HOST:PORT"));
    const QCommandLineOption newInstanceOption(
        QStringLiteral("new-instance"),
        InputChecks::tr("Start a separate instance instead of handing the link to a running one."));
    const QCommandLineOption helpOption({QStringLiteral("h"), QStringLiteral("help")},
                                        InputChecks::tr("Show this help and exit."));
    const QCommandLineOption versionOption({QStringLiteral("v"), QStringLiteral("version")},
                                           InputChecks::tr("Show the version and exit."));
    parser.addOptions({nameOption, relayOption, newInstanceOption, helpOption, versionOption});
    // Qt's own GUI options (-platform offscreen, -style Fusion...) reach us too, because we parse
    // before QApplication strips them. They are accepted here and left to Qt.
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    for (const char* name :
         {"platform", "platformpluginpath", "platformtheme", "plugin", "qwindowgeometry",
          "qwindowicon", "qwindowtitle", "style", "stylesheet", "display", "session",
          "qmljsdebugger", "visual", "ncols", "cmap", "dialogs"}) {
        QCommandLineOption qtOption(QString::fromLatin1(name), QString(), QStringLiteral("value"));
        qtOption.setFlags(QCommandLineOption::HiddenFromHelp);
        parser.addOption(qtOption);
    }
    for (const char* name : {"reverse", "widgetcount", "sync", "nograb", "dograb"}) {
        QCommandLineOption qtFlag(QString::fromLatin1(name));
        qtFlag.setFlags(QCommandLineOption::HiddenFromHelp);
        parser.addOption(qtFlag);
    }

    ParsedCommandLine result;
    if (!parser.parse(arguments)) {
        result.exitCode = kUsageExitCode;
        result.err = usageError(parser.errorText());
        return result;
    }
    if (parser.isSet(helpOption)) {
        // The usage line names the program as it was started (or a placeholder without an
        // application object); people type "diyuma".
        QString help = parser.helpText();
        const qsizetype lineEnd = help.indexOf(QLatin1Char('\n'));
        QString usage = help.left(lineEnd);
        QStringList programNames{QStringLiteral("<executable_name>")};
        if (QCoreApplication::instance())
            programNames << QCoreApplication::arguments().value(0);
        programNames << arguments.value(0);
        for (const QString& program : std::as_const(programNames))
            if (!program.isEmpty())
                usage.replace(program, QStringLiteral("diyuma"));
        result.out = usage + help.mid(lineEnd);
        return result;
    }
    if (parser.isSet(versionOption)) {
        result.out = QStringLiteral("diyuma %1\n").arg(QStringLiteral(DIYUMA_VERSION));
        return result;
    }

    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1) {
        result.exitCode = kUsageExitCode;
        result.err = usageError(InputChecks::tr("expected at most one conference ID or link, got "
                                                "%1 arguments")
                                    .arg(positional.size()));
        return result;
    }
    // A value given twice is a mistake we name rather than silently take the last one.
    for (const auto* option : {&nameOption, &relayOption}) {
        if (parser.values(*option).size() > 1) {
            result.exitCode = kUsageExitCode;
            result.err = usageError(
                InputChecks::tr("--%1 was given more than once").arg(option->names().constFirst()));
            return result;
        }
    }

    AppOptions options;
    options.newInstance = parser.isSet(newInstanceOption);
    core::RelayAddress defaultRelay;
    if (parser.isSet(relayOption)) {
        QString error;
        auto relay = InputChecks::parseRelay(parser.value(relayOption), &error);
        if (!relay) {
            result.exitCode = kUsageExitCode;
            result.err = usageError(QStringLiteral("--relay: ") + error);
            return result;
        }
        defaultRelay = *relay;
        options.relay = QString::fromStdString(relay->toString());
    }
    if (parser.isSet(nameOption)) {
        const QString error = InputChecks::checkDisplayName(parser.value(nameOption));
        if (!error.isEmpty()) {
            result.exitCode = kUsageExitCode;
            result.err = usageError(QStringLiteral("--name: ") + error);
            return result;
        }
        options.name = parser.value(nameOption).trimmed();
    }
    if (!positional.isEmpty()) {
        QString error;
        if (!InputChecks::parseLinkOrId(positional.constFirst(), defaultRelay, &error)) {
            result.exitCode = kUsageExitCode;
            result.err = usageError(error);
            return result;
        }
        options.linkOrId = positional.constFirst().trimmed();
    }
    result.options = options;
    return result;
}

} // namespace diyuma::app
