#pragma once
// What the call-screen tests share: request builders and one person in a call (settings,
// controller and page, shown offscreen).

#include "AppSettings.h"
#include "CallController.h"
#include "CallPage.h"
#include "ParticipantTile.h"
#include "Processes.h"

#include <QtNetwork/QUdpSocket>
#include <QtTest/QSignalSpy>
#include <QtTest/QtTest>
#include <QtWidgets/QListWidget>

namespace diyuma::test::callui {

using app::CallController;
using app::CallPage;
using app::ParticipantTile;

constexpr int kJoinTimeoutMs = 8000;
constexpr int kRosterTimeoutMs = 5000;

inline core::CallRequest joinRequest(const QString& linkOrId, const QString& relay,
                                     const QString& name) {
    auto relayAddress = core::parseRelayAddress(relay.toStdString());
    auto invite = core::parseInvite(linkOrId.toStdString(), *relayAddress);
    core::CallRequest request;
    request.mode = core::CallRequest::Mode::Join;
    request.relay = *relayAddress;
    if (invite) {
        request.conferenceId = invite->id.value();
        request.adminSecret = invite->adminSecret;
    }
    request.name = name.toStdString();
    return request;
}

inline core::CallRequest createRequest(const QString& relay, const QString& name,
                                       bool privateView) {
    core::CallRequest request;
    request.mode = core::CallRequest::Mode::CreateAndJoin;
    request.relay = *core::parseRelayAddress(relay.toStdString());
    request.name = name.toStdString();
    request.privateView = privateView;
    return request;
}

/// A UDP port on 127.0.0.1 with nobody behind it (bound, read, closed).
inline quint16 deadPort() {
    QUdpSocket socket;
    socket.bind(QHostAddress::LocalHost, 0);
    return socket.localPort();
}

/// The remote tile named `name` on `page`, or null.
inline ParticipantTile* tileNamed(const CallPage& page, const QString& name) {
    for (auto* tile : page.findChildren<ParticipantTile*>())
        if (tile->displayName() == name)
            return tile;
    return nullptr;
}

inline bool listHas(const QListWidget* list, const QString& text) {
    for (int i = 0; i < list->count(); ++i)
        if (list->item(i)->text().contains(text))
            return true;
    return false;
}

inline const core::CallParticipant* participantNamed(const core::CallSnapshot& snap,
                                                     const std::string& name) {
    for (const auto& p : snap.participants)
        if (p.name == name)
            return &p;
    return nullptr;
}

/// One person in a call: settings, controller and page, shown offscreen.
struct Person {
    app::AppSettings settings;
    CallController controller{settings};
    CallPage page{controller, settings};
    QSignalSpy joined{&controller, &CallController::joined};
    QSignalSpy failed{&controller, &CallController::failed};
    QSignalSpy ended{&controller, &CallController::ended};
    QSignalSpy deviceProblem{&controller, &CallController::deviceProblem};

    explicit Person(bool useDevices = false) {
        settings.setJoinLeaveSounds(false);
        settings.setPushToTalk(false);
        controller.setUseAudioDevices(useDevices);
        page.resize(1000, 650);
        page.show();
    }
    ~Person() {
        if (controller.inCall()) {
            controller.leave();
            ended.wait(3000);
        }
    }
    bool start(core::CallRequest request) {
        QString error;
        if (!controller.start(std::move(request), &error)) {
            qWarning() << "start failed:" << error;
            return false;
        }
        return true;
    }
    template <typename T>
    T* child(const char* name) {
        return page.findChild<T*>(QString::fromLatin1(name));
    }
};

} // namespace diyuma::test::callui
