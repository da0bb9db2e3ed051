"""Builders of realistic incoming Telegram updates (Bot API ``Update`` JSON, as a webhook body
or a getUpdates item), for unit tests, integration tests and e2e webhook posts.

Shapes follow the Bot API's Update / Message / CallbackQuery / ChatMemberUpdated objects as
real clients send them: a private chat's id equals the user's id; an animation also carries a
``document`` and a venue a ``location`` (Telegram keeps both for old clients); contact phones
come without "+". Ids increase per process so every update and message is distinct.
"""

from __future__ import annotations

import itertools
import time
from datetime import datetime
from functools import partial
from typing import Any

from dancebot.testing.fake_telegram.state import BOT_USER

DEFAULT_FIRST_NAME = "Анна"
_GROUP_MEMBER_ID = 5_000_001  # who writes in a group chat unless told otherwise

_update_ids = itertools.count(800_000_001)
_message_ids = itertools.count(501)
_callback_ids = itertools.count(4_382_749_823_749_823_001)
_file_ids = itertools.count(1)

Moment = datetime | int | None


def webhook_headers(secret: str | None) -> dict[str, str]:
    """The headers Telegram puts on a webhook POST (the secret one only when set)."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return headers


def text_update(
    chat_id: int,
    text: str,
    *,
    message_id: int | None = None,
    first_name: str = DEFAULT_FIRST_NAME,
    user_id: int | None = None,
    date: Moment = None,
    update_id: int | None = None,
) -> dict[str, Any]:
    message = _message(chat_id, message_id, first_name, user_id, date, {"text": text})
    return _update(update_id, message=message)


def edited_update(
    chat_id: int,
    text: str,
    *,
    message_id: int,
    date: Moment = None,
    edit_date: Moment = None,
    first_name: str = DEFAULT_FIRST_NAME,
    update_id: int | None = None,
) -> dict[str, Any]:
    """The client edited message ``message_id``; ``edit_date`` defaults to ``date`` + 30 s."""
    sent = _unix(date)
    edited = _unix(edit_date) if edit_date is not None else sent + 30
    fields = {"text": text, "edit_date": edited}
    message = _message(chat_id, message_id, first_name, None, sent, fields)
    return _update(update_id, edited_message=message)


def topic_update(
    chat_id: int,
    thread_id: int,
    text: str,
    *,
    message_id: int | None = None,
    first_name: str = "Татьяна",
    user_id: int | None = None,
    date: Moment = None,
    edit_date: Moment = None,
    update_id: int | None = None,
) -> dict[str, Any]:
    """Someone (an admin) writes ``text`` in forum topic ``thread_id`` of supergroup
    ``chat_id``; with ``edit_date`` it is an edit of message ``message_id``."""
    fields: dict[str, Any] = {"text": text, **_in_topic(thread_id)}
    if edit_date is not None:
        fields["edit_date"] = _unix(edit_date)
    message = _message(chat_id, message_id, first_name, user_id, date, fields)
    message["chat"]["is_forum"] = True
    if edit_date is not None:
        return _update(update_id, edited_message=message)
    return _update(update_id, message=message)


def _in_topic(thread_id: int) -> dict[str, Any]:
    # Telegram marks a message in a topic with both fields; a reply thread has only the first
    return {"message_thread_id": thread_id, "is_topic_message": True}


def callback_update(
    chat_id: int,
    data: str,
    *,
    callback_id: str | None = None,
    message_id: int | None = None,
    message_text: str = "Выберите вариант:",
    first_name: str = DEFAULT_FIRST_NAME,
    update_id: int | None = None,
    thread_id: int | None = None,
) -> dict[str, Any]:
    """A press on an inline button with callback ``data`` under the bot's message (in a
    group: by a member; under a message in forum topic ``thread_id`` when given)."""
    user = _user(chat_id, first_name)
    keyboard = {"inline_keyboard": [[{"text": data, "callback_data": data}]]}
    chat = _chat(chat_id, first_name)
    bot_message: dict[str, Any] = {
        "message_id": message_id if message_id is not None else next(_message_ids),
        "from": {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")},
        "chat": chat,
        "date": int(time.time()) - 5,
        "text": message_text,
        "reply_markup": keyboard,
    }
    if thread_id is not None:
        bot_message.update(_in_topic(thread_id))
        chat["is_forum"] = True
    query = {
        "id": callback_id if callback_id is not None else str(next(_callback_ids)),
        "from": user,
        "message": bot_message,
        "chat_instance": "-3287349872398472931",
        "data": data,
    }
    return _update(update_id, callback_query=query)


def contact_update(
    chat_id: int,
    phone_number: str,
    *,
    own: bool = True,
    first_name: str = DEFAULT_FIRST_NAME,
    message_id: int | None = None,
    update_id: int | None = None,
) -> dict[str, Any]:
    """A shared contact; ``own`` = the sender's own number ("share my phone" button)."""
    contact: dict[str, Any] = {"phone_number": phone_number, "first_name": first_name}
    contact["user_id"] = _user(chat_id, first_name)["id"] if own else 7_000_000_001
    fields = {"contact": contact}
    message = _message(chat_id, message_id, first_name, None, None, fields)
    return _update(update_id, message=message)


def media_update(
    kind: str,
    chat_id: int,
    *,
    caption: str | None = None,
    message_id: int | None = None,
    first_name: str = DEFAULT_FIRST_NAME,
    date: Moment = None,
    update_id: int | None = None,
) -> dict[str, Any]:
    """A non-text message: voice, sticker, photo, video, video_note, animation, document,
    location, venue, audio, poll or dice."""
    if kind not in _MEDIA:
        raise ValueError(f"unknown media kind {kind!r}; one of {sorted(_MEDIA)}")
    fields = _MEDIA[kind]()
    if caption is not None:
        fields["caption"] = caption
    message = _message(chat_id, message_id, first_name, None, date, fields)
    return _update(update_id, message=message)


voice_update = partial(media_update, "voice")
sticker_update = partial(media_update, "sticker")
photo_update = partial(media_update, "photo")
video_update = partial(media_update, "video")
document_update = partial(media_update, "document")
location_update = partial(media_update, "location")


def service_update(chat_id: int, *, new_chat_title: str = "Студия: админы") -> dict[str, Any]:
    """A service notice in a group (its title changed): no one said anything."""
    fields = {"new_chat_title": new_chat_title}
    message = _message(chat_id, None, DEFAULT_FIRST_NAME, None, None, fields)
    return _update(None, message=message)


def my_chat_member_update(chat_id: int, *, status: str = "kicked") -> dict[str, Any]:
    """The bot's membership changed ("kicked": the user blocked the bot)."""
    bot = {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")}
    member = {
        "chat": _chat(chat_id, DEFAULT_FIRST_NAME),
        "from": _user(chat_id, DEFAULT_FIRST_NAME),
        "date": int(time.time()),
        "old_chat_member": {"user": bot, "status": "member"},
        "new_chat_member": {"user": bot, "status": status, "until_date": 0},
    }
    return _update(None, my_chat_member=member)


def channel_post_update(channel_id: int, text: str) -> dict[str, Any]:
    channel = {"id": channel_id, "title": "Новости студии", "type": "channel"}
    post = {
        "message_id": next(_message_ids),
        "sender_chat": channel,
        "chat": channel,
        "date": int(time.time()),
        "text": text,
    }
    return _update(None, channel_post=post)


def _update(update_id: int | None, **body: Any) -> dict[str, Any]:
    return {"update_id": update_id if update_id is not None else next(_update_ids), **body}


def _message(
    chat_id: int,
    message_id: int | None,
    first_name: str,
    user_id: int | None,
    date: Moment,
    fields: dict[str, Any],
) -> dict[str, Any]:
    return {
        "message_id": message_id if message_id is not None else next(_message_ids),
        "from": _user(chat_id, first_name, user_id),
        "chat": _chat(chat_id, first_name),
        "date": _unix(date),
        **fields,
    }


def _user(chat_id: int, first_name: str, user_id: int | None = None) -> dict[str, Any]:
    uid = user_id if user_id is not None else (chat_id if chat_id > 0 else _GROUP_MEMBER_ID)
    return {"id": uid, "is_bot": False, "first_name": first_name, "language_code": "ru"}


def _chat(chat_id: int, first_name: str) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "first_name": first_name, "type": "private"}
    kind = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "title": "Администраторы студии", "type": kind}


def _unix(moment: Moment) -> int:
    if moment is None:
        return int(time.time())
    if isinstance(moment, datetime):
        return int(moment.timestamp())
    return moment


def _file(prefix: str) -> dict[str, Any]:
    n = next(_file_ids)
    return {"file_id": f"{prefix}ACAgIAAxkBAAI{n:06d}", "file_unique_id": f"AgAD{n:06d}"}


def _animation() -> dict[str, Any]:
    clip = {**_file("CgA"), "file_name": "dance.mp4", "mime_type": "video/mp4", "file_size": 80_211}
    return {"animation": {**clip, "width": 320, "height": 240, "duration": 2}, "document": clip}


def _venue() -> dict[str, Any]:
    where = {"latitude": 55.751244, "longitude": 37.618423}
    venue = {"location": where, "title": "Студия танца", "address": "ул. Тверская, 1"}
    return {"venue": venue, "location": where}


_MEDIA: dict[str, Any] = {
    "voice": lambda: {
        "voice": {**_file("AwA"), "duration": 3, "mime_type": "audio/ogg", "file_size": 9_812}
    },
    "sticker": lambda: {
        "sticker": {
            **_file("CAA"),
            "width": 512,
            "height": 512,
            "emoji": "💃",
            "set_name": "DanceMoves",
            "is_animated": False,
            "is_video": False,
            "type": "regular",
            "file_size": 23_140,
        }
    },
    "photo": lambda: {
        "photo": [
            {**_file("AgA"), "width": 90, "height": 67, "file_size": 1_530},
            {**_file("AgA"), "width": 1280, "height": 960, "file_size": 120_876},
        ]
    },
    "video": lambda: {
        "video": {
            **_file("BAA"),
            "width": 720,
            "height": 1280,
            "duration": 5,
            "mime_type": "video/mp4",
            "file_size": 1_204_311,
        }
    },
    "video_note": lambda: {
        "video_note": {**_file("DQA"), "length": 384, "duration": 4, "file_size": 301_223}
    },
    "animation": _animation,
    "document": lambda: {
        "document": {
            **_file("BQA"),
            "file_name": "справка.pdf",
            "mime_type": "application/pdf",
            "file_size": 48_302,
        }
    },
    "location": lambda: {"location": {"latitude": 55.751244, "longitude": 37.618423}},
    "venue": _venue,
    "audio": lambda: {
        "audio": {
            **_file("CQA"),
            "duration": 181,
            "mime_type": "audio/mpeg",
            "title": "Libertango",
            "performer": "Astor Piazzolla",
            "file_size": 4_321_876,
        }
    },
    "poll": lambda: {
        "poll": {
            "id": "5370885217316683811",
            "question": "Какое направление?",
            "options": [
                {"persistent_id": "0", "text": "Contemporary", "voter_count": 0},
                {"persistent_id": "1", "text": "Jazz-funk", "voter_count": 0},
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": True,
            "members_only": False,
        }
    },
    "dice": lambda: {"dice": {"emoji": "🎲", "value": 4}},
}
