"""What the bot writes to the studio's admin chat, in one place (client-facing texts are in
``replies``). Phones appear in full here: the admin chat is the studio's own; logs mask them.
"""

from __future__ import annotations

from dancebot.dialogue.formatting import hhmm, long_day
from dancebot.domain.session import OfferedLesson, Session
from dancebot.nlu.phone import display_phone


def _chat(session: Session) -> str:
    return f"{session.channel.value}:{session.chat_id}"


def cancel_failed(booking_id: int, error: str, session: Session) -> str:
    return (
        f"Не удалось отменить запись #{booking_id} ({error}): {_chat(session)}. Отмените вручную."
    )


def move_old_kept(booking_id: int, error: str) -> str:
    return (
        f"Перенос: новая запись создана, старую #{booking_id} отменить не удалось "
        f"({error}). Отмените вручную."
    )


def bookings_unreadable(session: Session, *, reschedule: bool) -> str:
    verb = "перенести" if reschedule else "отменить"
    return f"Клиент хочет {verb} запись, а CRM не отвечает: {_chat(session)}"


def trial_price_unknown(service_name: str, session: Session) -> str:
    return (
        f"Клиент спрашивает цену пробного занятия {service_name}, в базе знаний её нет "
        f"({session.channel.value}, чат {session.chat_id}). Ответить: /reply {session.chat_id} …"
    )


def series_unfinished(session: Session) -> str:
    slots = session.slots
    return (
        f"Серийная запись не завершена (CRM не ответила вовремя): {slots.client_name}, "
        f"{display_phone(slots.client_phone or '')}, чат {_chat(session)}. "
        "Проверьте в CRM, какие занятия записаны."
    )


def booking_refused(session: Session, service_name: str, chosen: OfferedLesson, error: str) -> str:
    slots = session.slots
    return (
        f"⚠️ Не удалось записать ({error}) и других занятий нет: "
        f"{slots.client_name}, {display_phone(slots.client_phone or '')}, "
        f"{service_name} — {long_day(chosen.date)}, {hhmm(chosen.start)}. "
        f"Клиенту обещан ответ: /reply {session.chat_id} текст"
    )


def engine_failure(session: Session, error: str) -> str:
    return f"Сбой бота в чате {_chat(session)} ({error}); клиенту обещан ответ администратора."


def late_notice(who: str, session: Session, minutes: int | None, what: str) -> str:
    how = f" на {minutes} мин" if minutes else ""
    return (
        f"⏰ Опоздание: {who} ({session.channel.value}, чат {session.chat_id}) "
        f"задержится{how}; {what}. Предупредите преподавателя."
    )


def fallback_booked(entry_id: int) -> str:
    return f"✅ Заявка #{entry_id} записана в CRM автоматически."


def fallback_refused(entry_id: int, error: str, phone: str, chat_id: str) -> str:
    return (
        f"⚠️ Заявка #{entry_id}: CRM отказала ({error}). "
        f"Свяжитесь с клиентом: {display_phone(phone)}, чат {chat_id}."
    )


def unknown_chat(chat_id: str) -> str:
    return f"Чат {chat_id} не найден (нет активной сессии)."


def case_closed(chat_id: str) -> str:
    return f"Диалог с чатом {chat_id} закрыт, бот снова отвечает сам."


def took(admin: str | None) -> str:
    return f"🙋 {admin or 'Администратор'} взял(а) диалог. Пишите ответ прямо в этой теме."


def edit_ignored() -> str:
    return "✏️ Исправленное сообщение клиенту не отправлено: он уже получил первое. Напишите новое."


def topic_hint() -> str:
    return "Пишите ответ прямо в этой теме — он уйдёт клиенту. [Решено] вернёт клиента боту."


def help() -> str:
    return (
        "Команды: /reply ID текст — ответить клиенту; /close ID — вернуть клиента боту; "
        "/fallback — очередь заявок; /done N — закрыть заявку."
    )


def still_waiting(session: Session) -> str:
    return (
        f"⏰ Клиент ждёт ответа уже 2 часа: {_chat(session)}. Ответить: /reply {session.chat_id} …"
    )


def stuck_without_details(session: Session) -> str:
    return (
        "Запись не завершилась, а данных для заявки не хватает: "
        f"{_chat(session)}. Свяжитесь с клиентом."
    )
