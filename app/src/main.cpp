// diyuma: the desktop app. All logic lives in the diyuma_app library; this file wires the
// edges: command line, translations, theme, single instance and stop signals.

#include "AppOptions.h"
#include "AppSettings.h"
#include "MainWindow.h"
#include "SingleInstance.h"
#include "Theme.h"

#include <sys/socket.h>
#include <unistd.h>

#include <QtCore/QLibraryInfo>
#include <QtCore/QLocale>
#include <QtCore/QSocketNotifier>
#include <QtCore/QTimer>
#include <QtCore/QTranslator>
#include <QtGui/QIcon>
#include <QtWidgets/QApplication>
#include <csignal>
#include <cstdio>

namespace {

using diyuma::app::AppSettings;
using diyuma::app::MainWindow;

// SIGINT/SIGTERM: the handler may only write() a byte; the event loop reads it from the other
// end of the socket pair and leaves the call there.
int g_signalFds[2] = {-1, -1};

extern "C" void onStopSignal(int) {
    const char byte = 1;
    [[maybe_unused]] const auto written = ::write(g_signalFds[0], &byte, 1);
}

bool installStopSignals() {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, g_signalFds) != 0)
        return false;
    struct sigaction action {};
    action.sa_handler = onStopSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    return ::sigaction(SIGINT, &action, nullptr) == 0 &&
           ::sigaction(SIGTERM, &action, nullptr) == 0;
}

// The Qt translations and ours for the chosen language ("" = the system's).
void loadTranslations(QCoreApplication& app, const QString& language) {
    const QLocale locale = language.isEmpty() ? QLocale::system() : QLocale(language);
    if (!language.isEmpty())
        QLocale::setDefault(locale);
    auto* qt = new QTranslator(&app);
    if (qt->load(locale, QStringLiteral("qtbase"), QStringLiteral("_"),
                 QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qt);
    auto* ours = new QTranslator(&app);
    if (ours->load(locale, QStringLiteral("diyuma"), QStringLiteral("_"), QStringLiteral(":/i18n")))
        QCoreApplication::installTranslator(ours);
}

void print(FILE* stream, const QString& text) {
    const QByteArray bytes = text.toLocal8Bit();
    std::fwrite(bytes.constData(), 1, static_cast<std::size_t>(bytes.size()), stream);
    std::fflush(stream);
}

} // namespace

int main(int argc, char** argv) {
    // The command line is read from argv before QApplication exists: the X11 platform plugin
    // would take "--name" for itself, and --help, --version and mistakes need no display.
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);
    auto parsed = diyuma::app::parseAppOptions(arguments);
    if (!parsed.options) {
        // Again, translated, with an application object that needs no display.
        QCoreApplication core(argc, argv);
        loadTranslations(core, AppSettings().language());
        parsed = diyuma::app::parseAppOptions(arguments);
        print(stdout, parsed.out);
        print(stderr, parsed.err);
        return parsed.exitCode;
    }
    const diyuma::app::AppOptions options = *parsed.options;

    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("diyuma"));
    QApplication::setApplicationDisplayName(QStringLiteral("Diyuma Conference"));
    QApplication::setApplicationVersion(QStringLiteral(DIYUMA_VERSION));
    QApplication::setOrganizationName(QStringLiteral("Diyuma"));
    QApplication::setDesktopFileName(QStringLiteral("diyuma"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/diyuma.svg")));

    AppSettings settings;
    loadTranslations(app, settings.language());

    // One instance per user unless asked otherwise: a later launch hands its link over.
    diyuma::app::SingleInstance instance(diyuma::app::SingleInstance::defaultServerName());
    if (!options.newInstance) {
        QString link = options.linkOrId;
        // A bare ID with --relay becomes a full link so the running instance uses that relay.
        if (!link.isEmpty() && !options.relay.isEmpty() && !link.contains(QLatin1String("://"))) {
            QString error;
            if (auto relay = diyuma::app::InputChecks::parseRelay(options.relay, &error))
                if (auto invite = diyuma::app::InputChecks::parseLinkOrId(link, *relay, &error))
                    link = QString::fromStdString(invite->link());
        }
        if (instance.sendToRunning(link))
            return 0;
        QString error;
        if (!instance.listen(&error))
            print(stderr, QStringLiteral("diyuma: warning: cannot listen for other launches "
                                         "(%1); links open new instances\n")
                              .arg(error));
    }

    diyuma::app::applyTheme(app);

    MainWindow window(settings);
    window.setRunOverrides(options.name, options.relay);
    window.acceptLaunchesFrom(instance);

    if (installStopSignals()) {
        auto* notifier = new QSocketNotifier(g_signalFds[1], QSocketNotifier::Read, &app);
        QObject::connect(notifier, &QSocketNotifier::activated, &window, [&window] {
            char buffer[16];
            while (::read(g_signalFds[1], buffer, sizeof buffer) > 0) {
            }
            window.leaveAndQuit();
        });
    } else {
        print(stderr, QStringLiteral("diyuma: warning: cannot catch SIGINT/SIGTERM\n"));
    }

    window.show();
    if (!options.linkOrId.isEmpty())
        QTimer::singleShot(0, &window,
                           [&window, link = options.linkOrId] { window.joinFromText(link); });
    return QApplication::exec();
}
