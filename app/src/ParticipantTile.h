#pragma once
// One participant on the call screen: a rounded tile with their video (our own mirrored, as a
// mirror shows it) or, without video, an initials avatar and a short caption saying why
// ("Camera off", "Video only for the admin"; a warning for "Video paused: your connection is
// too slow"); the name ("You" marked), an admin badge, a muted
// icon and a speaking highlight (a coloured border, and a ring around the avatar that follows
// the audio level). Others' tiles have a volume control: the
// small speaker button in the corner or the context menu (a slider, 0 to 200 %).
// When we are the admin, the menu of another's tile also has the admin's actions: mute, mute
// without letting them unmute, allow unmuting, remove (after a confirmation).
// The tile shows what it is told; CallPage feeds it from the CallController's snapshot.
//
// Thread: GUI thread only.

#include <QtGui/QImage>
#include <QtWidgets/QWidget>

class QMenu;
class QSlider;
class QToolButton;

namespace diyuma::app {

class ParticipantTile : public QWidget {
    Q_OBJECT
public:
    ParticipantTile(quint32 participantId, bool isSelf, QWidget* parent = nullptr);

    quint32 participantId() const { return m_participantId; }
    bool isSelf() const { return m_isSelf; }
    QString displayName() const { return m_name; }
    bool isMuted() const { return m_muted; }
    bool isSpeaking() const { return m_speaking; }
    bool isAdmin() const { return m_admin; }
    float volume() const { return m_volume; }

    void setDisplayName(const QString& name);
    void setAdmin(bool admin);
    void setMuted(bool muted);
    /// `levelDbfs`: speech level (-100 silent .. 0 full scale), drives the avatar ring.
    void setSpeaking(bool speaking, float levelDbfs);
    /// Our playout gain for this participant (1 = as received); shown when not 1.
    void setVolume(float gain);
    /// The latest picture (already mirrored for the self-view), drawn to fill the tile; a null
    /// image goes back to the avatar.
    void setVideo(const QImage& picture);
    bool hasVideo() const { return !m_video.isNull(); }
    const QImage& video() const { return m_video; }
    /// How the caption reads: quietly (camera off, no video) or as a warning the person
    /// should notice (video paused because our connection is too slow).
    enum class CaptionTone { Quiet, Warning };
    Q_ENUM(CaptionTone)
    /// Under the avatar when there is no video (empty: nothing).
    void setVideoCaption(const QString& caption, CaptionTone tone = CaptionTone::Quiet);
    QString videoCaption() const { return m_videoCaption; }
    CaptionTone videoCaptionTone() const { return m_captionTone; }

    /// The volume menu (also opened from the context menu); null for our own tile.
    QMenu* volumeMenu() const { return m_volumeMenu; }
    /// Shows the admin's actions in the menu (we are admin; not on our own tile).
    void setAdminActionsVisible(bool visible);

    enum class AdminAction { Mute, MuteLocked, AllowUnmute, Remove };
    Q_ENUM(AdminAction)

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

signals:
    /// The person moved the volume slider (gain 0..2).
    void volumeChanged(quint32 participantId, float gain);
    /// The admin chose an action for this participant (Remove only after confirming).
    void adminActionRequested(quint32 participantId,
                              diyuma::app::ParticipantTile::AdminAction action);

protected:
    void paintEvent(QPaintEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void enterEvent(QEnterEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    void buildVolumeMenu();
    void updateVolumeButton();
    QRectF avatarRect() const;
    void paintVideo(QPainter& p, const QRectF& box);
    void paintNameRow(QPainter& p, const QRectF& box);

    quint32 m_participantId;
    bool m_isSelf;
    QString m_name;
    bool m_admin = false;
    bool m_muted = false;
    bool m_speaking = false;
    float m_levelDbfs = -100.0F;
    float m_volume = 1.0F;
    bool m_hovered = false;
    QImage m_video;
    QString m_videoCaption;
    CaptionTone m_captionTone = CaptionTone::Quiet;
    QMenu* m_volumeMenu = nullptr;
    QSlider* m_volumeSlider = nullptr;
    QToolButton* m_volumeButton = nullptr;
    QList<QAction*> m_adminActions; ///< in m_volumeMenu, shown for admins only
};

} // namespace diyuma::app
