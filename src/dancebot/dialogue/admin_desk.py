"""The default admin desk: everything in the one admin chat, answered with ``/reply`` —
the texts the admin chat has always had (docs/decisions.md, D17)."""

from __future__ import annotations

from dancebot.ports.outbox import AdminNotifier, ClientRef


def reply_hint(client: ClientRef) -> str:
    return f"Ответить: /reply {client.chat_id} ваш ответ\nЗакрыть: /close {client.chat_id}"


class PlainAdminDesk:
    """``AdminDesk`` over the plain admin chat (``AdminNotifier``)."""

    def __init__(self, admin: AdminNotifier) -> None:
        self._admin = admin

    async def open_case(
        self, client: ClientRef, *, title: str, card: str, trace_id: str | None = None
    ) -> None:
        await self._admin.notify_admin(f"{card}\n{reply_hint(client)}", trace_id=trace_id)

    async def client_wrote(
        self, client: ClientRef, *, who: str, text: str, trace_id: str | None = None
    ) -> None:
        await self._admin.notify_admin(
            f"💬 {who} ({client.channel.value}, чат {client.chat_id}): {text}\n"
            f"Ответить: /reply {client.chat_id} …",
            trace_id=trace_id,
        )

    async def tell(
        self, client: ClientRef | None, text: str, *, reply_to_callback: str | None = None
    ) -> None:
        await self._admin.notify_admin(text)

    async def client_in(self, thread_id: int) -> ClientRef | None:
        return None
