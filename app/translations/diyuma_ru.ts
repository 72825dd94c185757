<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ru" sourcelanguage="en">
<context>
    <name>InputChecks</name>
    <message>
        <location filename="../src/AppOptions.cpp" line="+15"/>
        <source>diyuma: error: %1 (see diyuma --help)</source>
        <translation>diyuma: ошибка: %1 (см. diyuma --help)</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Enter your name: the others see it in the call.</source>
        <translation>Введите своё имя: его увидят остальные участники звонка.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>That name is too long: at most %1 bytes of UTF-8 are allowed, it has %2.</source>
        <translation>Имя слишком длинное: допускается не больше %1 байт в UTF-8, а в нём %2.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>That name contains characters that cannot be sent (control characters).</source>
        <translation>В имени есть символы, которые нельзя отправить (управляющие символы).</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Enter the relay address, e.g. %1.</source>
        <translation>Введите адрес ретранслятора, например %1.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>“%1” is not a relay address. Write HOST:PORT, e.g. relay.example.org:47400 or [::1]:47400.</source>
        <translation>«%1» — не адрес ретранслятора. Укажите ХОСТ:ПОРТ, например relay.example.org:47400 или [::1]:47400.</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Enter a conference ID or paste an invite link.</source>
        <translation>Введите ID конференции или вставьте ссылку-приглашение.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>That is not a Diyuma invite link: “%1”. Invite links start with diyuma://</source>
        <translation>Это не ссылка-приглашение Diyuma: «%1». Такие ссылки начинаются с diyuma://</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The relay address in that invite link is not valid: “%1”.</source>
        <translation>В этой ссылке-приглашении неверный адрес ретранслятора: «%1».</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The admin part of that link is damaged. Check that the whole link was copied.</source>
        <translation>Часть ссылки для администратора повреждена. Проверьте, что ссылка скопирована целиком.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>That is not a conference ID or invite link: “%1”. An ID has 12 letters and digits, like 7HKQ-2M9X-4DRA.</source>
        <translation>Это не ID конференции и не ссылка-приглашение: «%1». ID состоит из 12 латинских букв и цифр, например 7HKQ-2M9X-4DRA.</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Diyuma Conference: start or join a voice conference.

With a conference ID or an invite link (diyuma://HOST:PORT/ID) it joins that conference at once. A bare ID uses --relay, else the remembered relay; a link names its own relay.</source>
        <translation>Diyuma Конференция: создайте голосовую конференцию или присоединитесь к ней.

С ID конференции или ссылкой-приглашением (diyuma://ХОСТ:ПОРТ/ID) программа сразу присоединяется к этой конференции. Для одного ID используется --relay, а без него — запомненный ретранслятор; ссылка сама указывает свой ретранслятор.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Conference ID (e.g. 7HKQ-2M9X-4DRA) or invite link to join.</source>
        <translation>ID конференции (например, 7HKQ-2M9X-4DRA) или ссылка-приглашение.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Display name for this run (the remembered name stays as it is).</source>
        <translation>Имя только для этого запуска (запомненное имя не меняется).</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Relay for a bare ID and for new conferences in this run.</source>
        <translation>Ретранслятор для ID без ссылки и для новых конференций в этом запуске.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Start a separate instance instead of handing the link to a running one.</source>
        <translation>Запустить отдельный экземпляр, а не передавать ссылку уже запущенному.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Show this help and exit.</source>
        <translation>Показать эту справку и выйти.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Show the version and exit.</source>
        <translation>Показать версию и выйти.</translation>
    </message>
    <message>
        <location line="+49"/>
        <source>expected at most one conference ID or link, got %1 arguments</source>
        <translation>ожидается не больше одного ID конференции или ссылки, а получено аргументов: %1</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>--%1 was given more than once</source>
        <translation>--%1 указан больше одного раза</translation>
    </message>
</context>
<context>
    <name>diyuma::app::CallController</name>
    <message>
        <location filename="../src/CallController.cpp" line="+282"/>
        <source>The sound system could not be started (%1). The call goes on without microphone and speaker.</source>
        <translation>Не удалось запустить звуковую систему (%1). Звонок продолжается без микрофона и динамика.</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>The microphone could not be opened (%1). The call goes on, but the others cannot hear you.</source>
        <translation>Не удалось открыть микрофон (%1). Звонок продолжается, но вас не слышно.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>The speaker could not be opened (%1). The call goes on, but you cannot hear the others.</source>
        <translation>Не удалось открыть динамик (%1). Звонок продолжается, но вы не слышите остальных.</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>The %1 stopped working (%2). Trying to reconnect…</source>
        <translation>Перестал работать %1 (%2). Пробуем подключить снова…</translation>
    </message>
    <message>
        <location line="+19"/>
        <location line="+31"/>
        <source>The %1 works again (%2).</source>
        <translation>Снова работает %1 (%2).</translation>
    </message>
    <message>
        <location line="-11"/>
        <source>The sound system stopped working. The call goes on without microphone and speaker.</source>
        <translation>Звуковая система перестала работать. Звонок продолжается без микрофона и динамика.</translation>
    </message>
    <message>
        <location line="+19"/>
        <location line="+32"/>
        <source>microphone</source>
        <translation>микрофон</translation>
    </message>
    <message>
        <location line="-31"/>
        <source>No microphone is available. The call goes on, but the others cannot hear you.</source>
        <translation>Нет доступного микрофона. Звонок продолжается, но вас не слышно.</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+28"/>
        <source>speaker</source>
        <translation>динамик</translation>
    </message>
    <message>
        <location line="-27"/>
        <source>No speaker is available. The call goes on, but you cannot hear the others.</source>
        <translation>Нет доступного динамика. Звонок продолжается, но вы не слышите остальных.</translation>
    </message>
    <message>
        <location line="+42"/>
        <source>The sound system could not be started (%1).</source>
        <translation>Не удалось запустить звуковую систему (%1).</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>The speaker could not be opened (%1).</source>
        <translation>Не удалось открыть динамик (%1).</translation>
    </message>
    <message>
        <location line="+48"/>
        <source>The relay at %1 does not answer. Check the address and that the relay is running.</source>
        <translation>Ретранслятор %1 не отвечает. Проверьте адрес и что ретранслятор запущен.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>There is no conference %1 on the relay %2. Check the ID or the invite link; the conference may have ended.</source>
        <translation>На ретрансляторе %2 нет конференции %1. Проверьте ID или ссылку-приглашение: возможно, конференция уже закончилась.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The conference %1 is full. Try again later.</source>
        <translation>В конференции %1 нет свободных мест. Попробуйте позже.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>This admin link does not belong to the conference %1. Ask for a new link or join with the invite link.</source>
        <translation>Эта ссылка администратора не подходит к конференции %1. Попросите новую ссылку или войдите по ссылке-приглашению.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The relay at %1 speaks another protocol version. Update Diyuma Conference or the relay.</source>
        <translation>Ретранслятор %1 использует другую версию протокола. Обновите Diyuma Конференцию или ретранслятор.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The relay at %1 is busy. Try again in a moment.</source>
        <translation>Ретранслятор %1 перегружен. Попробуйте чуть позже.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The admin removed you from the conference %1. You can come back later.</source>
        <translation>Администратор удалил вас из конференции %1. Вернуться можно будет позже.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The relay at %1 cannot host another conference right now.</source>
        <translation>Ретранслятор %1 сейчас не может принять ещё одну конференцию.</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Video is turned off in Settings.</source>
        <translation>Видео выключено в настройках.</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>No camera was found: the others hear you but do not see you. The test pattern can be chosen in Settings.</source>
        <translation>Камера не найдена: вас слышат, но не видят. В настройках можно выбрать тестовую картинку.</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>The camera works again (%1).</source>
        <translation>Камера снова работает (%1).</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>A call is already running. Leave it first.</source>
        <translation>Звонок уже идёт. Сначала выйдите из него.</translation>
    </message>
</context>
<context>
    <name>diyuma::app::CallDetailsDialog</name>
    <message>
        <location filename="../src/CallDetailsDialog.cpp" line="+69"/>
        <source>Connection details</source>
        <translation>Подробности соединения</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Round trip to the relay:</source>
        <translation>Задержка до ретранслятора и обратно:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Audio packet loss:</source>
        <translation>Потери аудиопакетов:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sent:</source>
        <translation>Отправлено:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Received:</source>
        <translation>Получено:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Your upload (estimate):</source>
        <translation>Скорость отправки (оценка):</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Your download (relay&apos;s estimate):</source>
        <translation>Скорость приёма (оценка ретранслятора):</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Your video:</source>
        <translation>Ваше видео:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>How fast we can send to the relay, as our congestion control measures it</source>
        <translation>С какой скоростью мы можем отправлять на ретранслятор, по измерениям нашего контроля перегрузки</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>How fast the relay can send to us, as it measures it; it picks the size of everyone&apos;s video to fit</source>
        <translation>С какой скоростью ретранслятор может отправлять нам, по его измерениям; под неё он подбирает размер видео всех участников</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Your camera is sent in up to three sizes; only the sizes someone receives and your upload carries are sent</source>
        <translation>Изображение с вашей камеры отправляется в трёх размерах; отправляются только те, которые кто-то получает и которые выдерживает ваша скорость отправки</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Audio received</source>
        <translation>Полученный звук</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+18"/>
        <source>Participant</source>
        <translation>Участник</translation>
    </message>
    <message>
        <location line="-18"/>
        <source>Received</source>
        <translation>Получено</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Lost</source>
        <translation>Потеряно</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Late</source>
        <translation>Опоздало</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Jitter (ms)</source>
        <translation>Джиттер (мс)</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Buffer (ms)</source>
        <translation>Буфер (мс)</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Concealed</source>
        <translation>Замаскировано</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>FEC recovered</source>
        <translation>Восстановлено FEC</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Audio packets received</source>
        <translation>Получено аудиопакетов</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Audio packets lost</source>
        <translation>Потеряно аудиопакетов</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Packets that arrived too late to play</source>
        <translation>Пакеты, пришедшие слишком поздно для воспроизведения</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Interarrival jitter (RFC 3550)</source>
        <translation>Джиттер интервалов прихода (RFC 3550)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Mean jitter-buffer delay</source>
        <translation>Средняя задержка джиттер-буфера</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>20 ms frames made up by packet-loss concealment</source>
        <translation>Кадры по 20 мс, восполненные маскировкой потерь</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>20 ms frames recovered from forward error correction</source>
        <translation>Кадры по 20 мс, восстановленные прямой коррекцией ошибок (FEC)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Video received</source>
        <translation>Полученное видео</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Picture</source>
        <translation>Изображение</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Layer</source>
        <translation>Слой</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Bitrate</source>
        <translation>Битрейт</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Freezes</source>
        <translation>Зависания</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The size and frame rate of the pictures arriving now</source>
        <translation>Размер и частота кадров изображения, которое приходит сейчас</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Which of the sender&apos;s sizes the relay forwards to you, and at which frame rate: it follows your download speed and the tile&apos;s size</source>
        <translation>Какой из размеров отправителя ретранслятор пересылает вам и с какой частотой кадров: это зависит от скорости приёма и размера плитки</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Video received over the last seconds, packet headers included</source>
        <translation>Видео, полученное за последние секунды, вместе с заголовками пакетов</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Pauses in the picture longer than three frames</source>
        <translation>Остановки изображения дольше трёх кадров</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>%1 Mbit/s</source>
        <translation>%1 Мбит/с</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 kbit/s</source>
        <translation>%1 кбит/с</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>%1 ms</source>
        <translation>%1 мс</translation>
    </message>
    <message>
        <location line="+0"/>
        <location line="+9"/>
        <location line="+3"/>
        <source>not measured yet</source>
        <translation>ещё не измерено</translation>
    </message>
    <message>
        <location line="-11"/>
        <source>%1 % over the last few seconds</source>
        <translation>%1 % за последние несколько секунд</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 audio packets (%2 kB)%3</source>
        <translation>аудиопакетов: %1 (%2 КБ)%3</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>, microphone off</source>
        <translation>, микрофон выключен</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 datagrams</source>
        <translation>датаграмм: %1</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>not sent</source>
        <translation>не отправляется</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>nothing sent now (nobody receives it, or the camera is off)</source>
        <translation>сейчас ничего не отправляется (никто его не получает или камера выключена)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>sending %1</source>
        <translation>отправляется %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>not sent now: %1</source>
        <translation>сейчас не отправляется: %1</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>%1 (left)</source>
        <translation>%1 (нет в звонке)</translation>
    </message>
    <message>
        <location line="+49"/>
        <source>%1, %2 fps</source>
        <translation>%1, %2 кадр/с</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>waiting for the first picture</source>
        <translation>ожидание первого кадра</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>full frame rate</source>
        <translation>полная частота кадров</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>half frame rate</source>
        <translation>половина частоты кадров</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>quarter frame rate</source>
        <translation>четверть частоты кадров</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 of %2, %3</source>
        <translation>%1 из %2, %3</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>starting</source>
        <translation>запускается</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Paused: your connection is too slow</source>
        <translation>Приостановлено: ваше соединение слишком медленное</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Not shown: private view</source>
        <translation>Не показывается: приватный просмотр</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Not requested</source>
        <translation>Не запрошено</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No video</source>
        <translation>Нет видео</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>%1 on average</source>
        <translation>%1 в среднем</translation>
    </message>
</context>
<context>
    <name>diyuma::app::CallPage</name>
    <message>
        <location filename="../src/CallPage.cpp" line="+101"/>
        <source>Dismiss</source>
        <translation>Скрыть</translation>
    </message>
    <message>
        <location line="+100"/>
        <source>Conference</source>
        <translation>Конференция</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The conference ID: others can join with it</source>
        <translation>ID конференции: по нему могут присоединиться другие</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+8"/>
        <source>Private view</source>
        <translation>Приватный просмотр</translation>
    </message>
    <message>
        <location line="-6"/>
        <source>Private view: only the admin sees everyone&apos;s video; the others see only the admin&apos;s.</source>
        <translation>Приватный просмотр: видео всех участников видит только администратор, остальные видят только видео администратора.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Private view: only you (the admin) see everyone&apos;s video; the others see only yours. Click to switch.</source>
        <translation>Приватный просмотр: видео всех видите только вы (администратор), остальные видят только ваше. Нажмите, чтобы переключить.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>You are admin</source>
        <translation>Вы администратор</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Time in this call</source>
        <translation>Время в звонке</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Show or hide the participants list</source>
        <translation>Показать или скрыть список участников</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Settings: devices, push-to-talk, sounds</source>
        <translation>Настройки: устройства, режим рации, звуки</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>You are the only one here. Copy the invite link and send it to the people you want to talk to.</source>
        <translation>Кроме вас, здесь пока никого нет. Скопируйте ссылку-приглашение и отправьте её тем, с кем хотите поговорить.</translation>
    </message>
    <message>
        <location line="+51"/>
        <location line="+6"/>
        <location line="+59"/>
        <source>Copy invite link</source>
        <translation>Копировать приглашение</translation>
    </message>
    <message>
        <location line="-62"/>
        <source>Copy the link others can join with</source>
        <translation>Скопировать ссылку, по которой могут присоединиться другие</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Copy admin link</source>
        <translation>Копировать ссылку администратора</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Whoever opens the admin link joins as admin: share it with care</source>
        <translation>Кто откроет ссылку администратора, войдёт как администратор: делитесь ею осторожно</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Leave</source>
        <translation>Выйти</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Leave the conference</source>
        <translation>Выйти из конференции</translation>
    </message>
    <message>
        <location line="+163"/>
        <source>Hold Space to talk</source>
        <translation>Удерживайте пробел, чтобы говорить</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Talking</source>
        <translation>Вы говорите</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Push-to-talk is on (Settings): the microphone is open while you hold Space</source>
        <translation>Включён режим рации (в настройках): микрофон открыт, пока вы удерживаете пробел</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Push-to-talk</source>
        <translation>Режим рации</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Muted by the admin</source>
        <translation>Выключен администратором</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The admin muted you; you can unmute once the admin allows it</source>
        <translation>Администратор выключил ваш микрофон; включить его можно, когда администратор разрешит</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Unmute</source>
        <translation>Включить микрофон</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Mute</source>
        <translation>Выключить микрофон</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Turn the microphone on (Ctrl+D)</source>
        <translation>Включить микрофон (Ctrl+D)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Turn the microphone off (Ctrl+D)</source>
        <translation>Выключить микрофон (Ctrl+D)</translation>
    </message>
    <message>
        <location line="+17"/>
        <location line="+26"/>
        <source>No video</source>
        <translation>Нет видео</translation>
    </message>
    <message>
        <location line="-26"/>
        <source>Stop video</source>
        <translation>Выключить видео</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Start video</source>
        <translation>Включить видео</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>This call is audio-only</source>
        <translation>В этом звонке только звук</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Turn your camera off</source>
        <translation>Выключить камеру</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Turn your camera on</source>
        <translation>Включить камеру</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Video off in Settings</source>
        <translation>Видео выключено в настройках</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No camera</source>
        <translation>Нет камеры</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Camera off</source>
        <translation>Камера выключена</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Video only for the admin</source>
        <translation>Видео только для администратора</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Video paused: your connection is too slow</source>
        <translation>Видео приостановлено: ваше соединение слишком медленное</translation>
    </message>
    <message>
        <location line="+59"/>
        <source>This conference is in private view: only the admin sees everyone&apos;s video. You see the admin&apos;s video, and only the admin sees yours.</source>
        <translation>В этой конференции приватный просмотр: видео всех видит только администратор. Вы видите видео администратора, и только он видит ваше.</translation>
    </message>
    <message>
        <location line="+102"/>
        <source>People · %1</source>
        <translation>Участники · %1</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>%1 (You)</source>
        <translation>%1 (вы)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>admin</source>
        <translation>администратор</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>muted</source>
        <translation>микрофон выключен</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Admin link copied</source>
        <translation>Ссылка администратора скопирована</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Link copied</source>
        <translation>Ссылка скопирована</translation>
    </message>
    <message>
        <location line="+70"/>
        <source>The admin muted you. You can unmute once the admin allows it.</source>
        <translation>Администратор выключил ваш микрофон. Включить его можно, когда администратор разрешит.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The admin muted you. You can unmute yourself when you want to speak.</source>
        <translation>Администратор выключил ваш микрофон. Вы можете включить его, когда захотите говорить.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The admin allows you to unmute again.</source>
        <translation>Администратор снова разрешает вам включить микрофон.</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Reconnecting… The connection to the relay was lost.</source>
        <translation>Переподключение… Связь с ретранслятором потеряна.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reconnecting… %1</source>
        <translation>Переподключение… %1</translation>
    </message>
</context>
<context>
    <name>diyuma::app::CameraCapture</name>
    <message>
        <location filename="../src/CameraCapture.cpp" line="+94"/>
        <source>The camera &quot;%1&quot; was disconnected. The call goes on without your video.</source>
        <translation>Камера «%1» отключена. Звонок продолжается без вашего видео.</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>No camera was found. The call goes on without your video; the test pattern can be chosen in Settings.</source>
        <translation>Камера не найдена. Звонок продолжается без вашего видео; в настройках можно выбрать тестовую картинку.</translation>
    </message>
    <message>
        <location line="+44"/>
        <source>The camera stopped: %1. The call goes on without your video.</source>
        <translation>Камера остановилась: %1. Звонок продолжается без вашего видео.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>unknown error</source>
        <translation>неизвестная ошибка</translation>
    </message>
</context>
<context>
    <name>diyuma::app::HomePage</name>
    <message>
        <location filename="../src/HomePage.cpp" line="+78"/>
        <source>Settings</source>
        <translation>Настройки</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Audio devices, sounds and language</source>
        <translation>Аудиоустройства, звуки и язык</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Diyuma Conference</source>
        <translation>Diyuma Конференция</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Start a conference, share the link, and talk.</source>
        <translation>Создайте конференцию, поделитесь ссылкой и говорите.</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Your name</source>
        <translation>Ваше имя</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>How the others see you</source>
        <translation>Как вас увидят остальные</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Relay server</source>
        <translation>Ретранслятор</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>HOST:PORT of the relay that carries the call. An invite link names its own relay.</source>
        <translation>ХОСТ:ПОРТ ретранслятора, через который идёт звонок. Ссылка-приглашение указывает свой ретранслятор.</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>New conference</source>
        <translation>Новая конференция</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>You get an invite link to send to the others.</source>
        <translation>Вы получите ссылку-приглашение, чтобы отправить её остальным.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Private view</source>
        <translation>Приватный просмотр</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Only you, the admin, see everyone&apos;s video; the others see only yours.</source>
        <translation>Видео всех участников видите только вы как администратор; остальные видят только ваше.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Only you see everyone&apos;s video; the others see only yours.</source>
        <translation>Видео всех видите только вы; остальные видят только ваше.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Start new conference</source>
        <translation>Начать конференцию</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Join a conference</source>
        <translation>Присоединиться к конференции</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Paste an invite link or type the conference ID.</source>
        <translation>Вставьте ссылку-приглашение или введите ID конференции.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>7HKQ-2M9X-4DRA or diyuma://…</source>
        <translation>7HKQ-2M9X-4DRA или diyuma://…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Join</source>
        <translation>Присоединиться</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
</context>
<context>
    <name>diyuma::app::MainWindow</name>
    <message>
        <location filename="../src/MainWindow.cpp" line="+23"/>
        <source>Starting a conference on %1…</source>
        <translation>Создаём конференцию на %1…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Joining the conference through %1…</source>
        <translation>Подключаемся к конференции через %1…</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Diyuma Conference</source>
        <translation>Diyuma Конференция</translation>
    </message>
    <message>
        <location line="+84"/>
        <source>Leave the current call?</source>
        <translation>Выйти из текущего звонка?</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>You are in a call. Leave it and join the other conference?

%1</source>
        <translation>Вы сейчас в звонке. Выйти из него и присоединиться к другой конференции?

%1</translation>
    </message>
</context>
<context>
    <name>diyuma::app::ParticipantListDelegate</name>
    <message>
        <location filename="../src/ParticipantListDelegate.cpp" line="+66"/>
        <source>Admin</source>
        <translation>Администратор</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>%1 (You)</source>
        <translation>%1 (вы)</translation>
    </message>
</context>
<context>
    <name>diyuma::app::ParticipantTile</name>
    <message>
        <location filename="../src/ParticipantTile.cpp" line="+40"/>
        <location line="+61"/>
        <source>Volume</source>
        <translation>Громкость</translation>
    </message>
    <message>
        <location line="-55"/>
        <source>Volume of this participant</source>
        <translation>Громкость этого участника</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Silence for me</source>
        <translation>Заглушить для меня</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reset volume</source>
        <translation>Сбросить громкость</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Remove %1?</source>
        <translation>Удалить %1?</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remove %1 from the conference? They cannot come back with the invite link for 10 minutes.</source>
        <translation>Удалить %1 из конференции? В течение 10 минут вернуться по ссылке-приглашению не получится.</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Mute for everyone</source>
        <translation>Выключить микрофон</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Mute and keep muted</source>
        <translation>Выключить микрофон без права включить</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Allow to unmute</source>
        <translation>Разрешить включить микрофон</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remove from the conference…</source>
        <translation>Удалить из конференции…</translation>
    </message>
    <message>
        <location line="+40"/>
        <source>%1 (you)</source>
        <translation>%1 (вы)</translation>
    </message>
    <message>
        <location line="+167"/>
        <source>%1 (You)</source>
        <translation>%1 (вы)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Admin</source>
        <translation>Администратор</translation>
    </message>
</context>
<context>
    <name>diyuma::app::QualityIndicator</name>
    <message>
        <location filename="../src/QualityIndicator.cpp" line="+24"/>
        <source>Connection quality</source>
        <translation>Качество соединения</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>RTT %1 ms, loss %2 %</source>
        <translation>Задержка %1 мс, потери %2 %</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Measuring the connection…</source>
        <translation>Измеряем соединение…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Click for details</source>
        <translation>Нажмите, чтобы увидеть подробности</translation>
    </message>
</context>
<context>
    <name>diyuma::app::SettingsDialog</name>
    <message>
        <location filename="../src/SettingsDialog.cpp" line="+40"/>
        <location line="+254"/>
        <source>System default</source>
        <translation>Системное по умолчанию</translation>
    </message>
    <message>
        <location line="-251"/>
        <source>%1 (default)</source>
        <translation>%1 (по умолчанию)</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+256"/>
        <source>%1 (not connected)</source>
        <translation>%1 (не подключено)</translation>
    </message>
    <message>
        <location line="-245"/>
        <source>Settings</source>
        <translation>Настройки</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Audio</source>
        <translation>Звук</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Microphone</source>
        <translation>Микрофон</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Input level: speak to see it move</source>
        <translation>Уровень сигнала микрофона: скажите что-нибудь, и шкала оживёт</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Input level</source>
        <translation>Уровень</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Play test sound</source>
        <translation>Проверить звук</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Speaker</source>
        <translation>Динамик</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Echo cancellation and noise suppression</source>
        <translation>Подавление эха и шума</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Keeps the others from hearing themselves through your speakers</source>
        <translation>Чтобы собеседники не слышали самих себя из ваших динамиков</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Video</source>
        <translation>Видео</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Camera</source>
        <translation>Камера</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Standard (640 × 360)</source>
        <translation>Обычное (640 × 360)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HD (1280 × 720)</source>
        <translation>HD (1280 × 720)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quality</source>
        <translation>Качество</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Data saver: video at most 640 × 360</source>
        <translation>Экономия трафика: видео не больше 640 × 360</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>For slow or metered connections: the others&apos; video is received at most at 640 × 360, and yours is sent at most at 640 × 360 (never in HD).</source>
        <translation>Для медленных или платных соединений: видео остальных принимается не больше чем в 640 × 360, а ваше отправляется не больше чем в 640 × 360 (никогда в HD).</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Camera and quality take effect in the next call. Data saver takes effect at once, for the video you receive and the video you send.</source>
        <translation>Камера и качество вступят в силу в следующем звонке. Экономия трафика действует сразу — и на принимаемое, и на отправляемое видео.</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Calls</source>
        <translation>Звонки</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Push to talk (hold Space to speak)</source>
        <translation>Режим рации (говорите, удерживая пробел)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Play a sound when someone joins or leaves</source>
        <translation>Звуковой сигнал, когда кто-то входит или выходит</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Language</source>
        <translation>Язык</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>System language</source>
        <translation>Язык системы</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Takes effect after a restart.</source>
        <translation>Вступит в силу после перезапуска.</translation>
    </message>
    <message>
        <location line="+96"/>
        <source>Audio devices are not available: the sound system could not be started. Calls still work, without sound.</source>
        <translation>Аудиоустройства недоступны: не удалось запустить звуковую систему. Звонки работают, но без звука.</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>The list of audio devices could not be read: %1</source>
        <translation>Не удалось получить список аудиоустройств: %1</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>No audio devices were found. Check that a microphone or speaker is connected.</source>
        <translation>Аудиоустройства не найдены. Проверьте, что микрофон или динамик подключены.</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>System default (no camera found)</source>
        <translation>Системная по умолчанию (камера не найдена)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Test pattern (a moving picture)</source>
        <translation>Тестовая картинка (движущаяся)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No video</source>
        <translation>Нет видео</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>The microphone could not be opened: %1</source>
        <translation>Не удалось открыть микрофон: %1</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>The microphone stopped working: %1</source>
        <translation>Микрофон перестал работать: %1</translation>
    </message>
</context>
<context>
    <name>diyuma::app::SingleInstance</name>
    <message>
        <location filename="../src/SingleInstance.cpp" line="+86"/>
        <source>another instance is already listening on %1</source>
        <translation>другой экземпляр уже слушает %1</translation>
    </message>
</context>
</TS>
