"""The Bot API methods the fake answers, each validating its parameters as Telegram does and
answering with a realistic ``result`` (sendMessage returns a full ``Message``)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import JSONResponse

from dancebot.testing.fake_telegram.state import BOT_USER, FakeTelegram, SentMessage

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
MAX_TOPIC_NAME = 128
_CHAT_ID = re.compile(r"^(-?\d+|@\w{5,32})$")
_POLL_STEP = 0.01

Method = Callable[[FakeTelegram, dict[str, Any]], Awaitable[Any]]


class ApiError(Exception):
    """A Bot API error answer: HTTP status = ``error_code``."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


def answer_error(error: ApiError) -> JSONResponse:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": error.code,
        "description": error.description,
    }
    if error.retry_after is not None:
        body["parameters"] = {"retry_after": error.retry_after}
    return JSONResponse(body, status_code=error.code)


def _chat(chat_id: str, *, forum: bool = False) -> dict[str, Any]:
    if chat_id.startswith("@"):
        return {"id": -1001000000001, "title": chat_id[1:], "type": "channel"}
    if chat_id.startswith("-100"):
        chat = {"id": int(chat_id), "title": "Администраторы студии", "type": "supergroup"}
        return {**chat, "is_forum": True} if forum else chat
    if chat_id.startswith("-"):
        return {"id": int(chat_id), "title": "Администраторы студии", "type": "group"}
    return {"id": int(chat_id), "first_name": "Клиент", "type": "private"}


def _target_chat(state: FakeTelegram, params: dict[str, Any]) -> str:
    chat_id = str(params.get("chat_id", "")).strip()
    if not chat_id:
        raise ApiError(400, "Bad Request: chat_id is empty")
    if not _CHAT_ID.match(chat_id) or chat_id == "0":
        raise ApiError(400, "Bad Request: chat not found")
    if chat_id in state.blocked_chats:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    return chat_id


def _buttons(markup: Any) -> tuple[tuple[str, str], ...]:
    if markup is None:
        return ()
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard", [])
    buttons: list[tuple[str, str]] = []
    for row in rows:
        for button in row:
            data = str(button.get("callback_data", ""))
            if not 0 < len(data.encode()) <= MAX_CALLBACK_DATA:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            buttons.append((str(button.get("text", "")), data))
    return tuple(buttons)


def _thread(state: FakeTelegram, chat_id: str, params: dict[str, Any]) -> int | None:
    """``message_thread_id``: a topic of this forum, or absent."""
    raw = params.get("message_thread_id")
    if raw in (None, ""):
        return None
    try:
        thread_id = int(raw)
    except (TypeError, ValueError):
        raise ApiError(400, "Bad Request: invalid message thread identifier") from None
    if thread_id not in state.topics.get(chat_id, {}):
        raise ApiError(400, "Bad Request: message thread not found")
    return thread_id


async def send_message(state: FakeTelegram, params: dict[str, Any]) -> dict[str, Any]:
    chat_id = _target_chat(state, params)
    thread_id = _thread(state, chat_id, params)
    text = str(params.get("text", ""))
    if not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if len(text) > MAX_TEXT:
        raise ApiError(400, "Bad Request: message is too long")
    markup = params.get("reply_markup")
    buttons = _buttons(markup)
    message_id = state.next_message_id()
    state.sent.append(SentMessage(chat_id, message_id, text, buttons, thread_id=thread_id))
    result: dict[str, Any] = {
        "message_id": message_id,
        "from": {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")},
        "chat": _chat(chat_id, forum=chat_id in state.forum_chats),
        "date": int(state.now()),
        "text": text,
    }
    if thread_id is not None:
        result["message_thread_id"] = thread_id
        result["is_topic_message"] = True
    if buttons:
        result["reply_markup"] = markup
    return result


async def create_forum_topic(state: FakeTelegram, params: dict[str, Any]) -> dict[str, Any]:
    """A new topic in a forum supergroup (the bot must be an admin allowed to manage topics;
    the fake assumes it is). Answers a ``ForumTopic``."""
    chat_id = _target_chat(state, params)
    if chat_id not in state.forum_chats:
        raise ApiError(400, "Bad Request: the chat is not a forum")
    name = str(params.get("name", ""))
    if not name.strip():
        raise ApiError(400, "Bad Request: TOPIC_TITLE_EMPTY")
    if len(name) > MAX_TOPIC_NAME:
        raise ApiError(400, "Bad Request: TOPIC_TITLE_TOO_LONG")
    # a topic's id is the id of the service message that created it
    thread_id = state.next_message_id()
    state.topics[chat_id][thread_id] = name
    return {"message_thread_id": thread_id, "name": name, "icon_color": 7322096}


async def pin_chat_message(state: FakeTelegram, params: dict[str, Any]) -> bool:
    chat_id = _target_chat(state, params)
    try:
        message_id = int(params.get("message_id", ""))
    except (TypeError, ValueError):
        raise ApiError(400, "Bad Request: message to pin not found") from None
    if not any(m.chat_id == chat_id and m.message_id == message_id for m in state.sent):
        raise ApiError(400, "Bad Request: message to pin not found")
    state.pinned.append((chat_id, message_id))
    return True


async def answer_callback_query(state: FakeTelegram, params: dict[str, Any]) -> bool:
    query_id = str(params.get("callback_query_id", ""))
    if not query_id:
        raise ApiError(400, "Bad Request: query is too old and response timeout expired")
    state.callback_answers.append(query_id)
    return True


async def send_chat_action(state: FakeTelegram, params: dict[str, Any]) -> bool:
    chat_id = _target_chat(state, params)
    action = str(params.get("action", ""))
    if not action:
        raise ApiError(400, "Bad Request: wrong parameter action in request")
    state.actions.append((chat_id, action))
    return True


async def get_updates(state: FakeTelegram, params: dict[str, Any]) -> list[dict[str, Any]]:
    if state.webhook is not None:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    offset = int(params.get("offset") or 0)
    limit = int(params.get("limit") or 100)
    wait = min(float(params.get("timeout") or 0), state.max_poll_wait)
    # An offset confirms every update below it: Telegram forgets them.
    state.pending_updates[:] = [u for u in state.pending_updates if u["update_id"] >= offset]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    # Tests push updates straight into the state from any loop; polling it needs no wiring.
    while not state.pending_updates and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(_POLL_STEP)
    return state.pending_updates[:limit]


async def set_webhook(state: FakeTelegram, params: dict[str, Any]) -> bool:
    url = str(params.get("url", ""))
    if not url:  # an empty url removes the webhook
        state.webhook = None
        return True
    if not url.startswith("https://"):
        raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    state.webhook = {
        "url": url,
        "secret_token": params.get("secret_token"),
        "allowed_updates": params.get("allowed_updates"),
    }
    if str(params.get("drop_pending_updates", "")).lower() in ("true", "1"):
        state.pending_updates.clear()
    return True


async def delete_webhook(state: FakeTelegram, params: dict[str, Any]) -> bool:
    state.webhook = None
    if str(params.get("drop_pending_updates", "")).lower() in ("true", "1"):
        state.pending_updates.clear()
    return True


async def get_webhook_info(state: FakeTelegram, params: dict[str, Any]) -> dict[str, Any]:
    info: dict[str, Any] = {
        "url": state.webhook["url"] if state.webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(state.pending_updates),
    }
    if state.webhook and state.webhook.get("allowed_updates"):
        info["allowed_updates"] = state.webhook["allowed_updates"]
    return info


async def get_me(state: FakeTelegram, params: dict[str, Any]) -> dict[str, Any]:
    return dict(BOT_USER)


# Bot API method names are case-insensitive.
METHODS: dict[str, Method] = {
    "sendmessage": send_message,
    "answercallbackquery": answer_callback_query,
    "sendchataction": send_chat_action,
    "getupdates": get_updates,
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
    "getme": get_me,
    "createforumtopic": create_forum_topic,
    "pinchatmessage": pin_chat_message,
}
