// One executable, four Qt Test classes: the control session, the call engine, video
// subscriptions, and diyuma-cli's library parts.

#include <QtCore/QCoreApplication>

int runTestClientSession(int argc, char** argv);
int runTestCallEngine(int argc, char** argv);
int runTestSubscribe(int argc, char** argv);
int runTestCliPieces(int argc, char** argv);

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    int failures = 0;
    failures += runTestClientSession(argc, argv);
    failures += runTestCallEngine(argc, argv);
    failures += runTestSubscribe(argc, argv);
    failures += runTestCliPieces(argc, argv);
    return failures == 0 ? 0 : 1;
}
