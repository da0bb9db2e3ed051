"""Every sentence the bot says, in one place (STYLE §9). Studio facts come from the KB and
the CRM as arguments; nothing studio-specific is written here.

House rules for every template: at most one question, at most two emoji, Telegram ≤ 300 and
WhatsApp ≤ 200 characters once filled in (lists are cut by the callers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from dancebot.dialogue.formatting import hhmm, long_day, plural, rub, short_day
from dancebot.domain.crm import Lesson
from dancebot.domain.messages import Button
from dancebot.kb.schema import KnowledgeBase, Service
from dancebot.nlu.morph import accusative
from dancebot.nlu.phone import display_phone


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)


def greeting(kb: KnowledgeBase) -> Reply:
    return Reply(
        f"Здравствуйте! Это {kb.studio.name} 💃 Расскажу о направлениях и ценах, "
        "покажу расписание и запишу на занятие. Что вас интересует?"
    )


def ask_service(services: Sequence[Service], *, purpose: str = "записаться") -> Reply:
    return Reply(
        f"На какое направление хотите {purpose}?",
        tuple(Button(title=s.name, payload=f"service:{s.id}") for s in services[:10]),
    )


def ask_service_for_prices(services: Sequence[Service]) -> Reply:
    return Reply(
        "Цена зависит от направления. Какое вас интересует?",
        tuple(Button(title=s.name, payload=f"price:{s.id}") for s in services[:10]),
    )


def prices(service: Service) -> Reply:
    parts = [f"разовое занятие — {rub(service.price_single)}"]
    parts.append(f"абонемент на 8 занятий — {rub(service.price_subscription_8)}")
    if service.trial_price is not None:
        parts.append(f"пробное — {rub(service.trial_price)}")
    return Reply(f"{service.name}: " + ", ".join(parts) + ".")


def ask_service_for_schedule(services: Sequence[Service]) -> Reply:
    return Reply(
        "Расписание какого направления показать?",
        tuple(Button(title=s.name, payload=f"schedule:{s.id}") for s in services[:10]),
    )


def schedule(
    service_name: str, lessons: Sequence[Lesson], *, limit: int = 6, ask_to_book: bool = True
) -> Reply:
    lines = [f"{service_name}, ближайшие занятия:"]
    for lesson in lessons[:limit]:
        places = "мест нет" if lesson.is_full else f"мест: {lesson.free_places}"
        lines.append(f"{short_day(lesson.date)} {hhmm(lesson.start)}–{hhmm(lesson.end)} ({places})")
    if not ask_to_book:
        return Reply("\n".join(lines))
    lines.append("Записать вас?")
    return Reply("\n".join(lines), (Button(title="Записаться", payload="book"),))


def day_schedule(day: date, lessons: Sequence[Lesson], *, limit: int) -> Reply:
    if not lessons:
        return Reply(f"На {long_day(day)} занятий нет. Показать другой день?")
    lines = [f"{long_day(day).capitalize()}:"]
    for lesson in lessons[:limit]:
        name = lesson.style_name or lesson.group_name
        places = "мест нет" if lesson.is_full else f"мест: {lesson.free_places}"
        lines.append(f"{hhmm(lesson.start)} {name} ({places})")
    lines.append("Записать на какое-то из них?")
    return Reply("\n".join(lines))


def no_lessons(service_name: str) -> Reply:
    return Reply(
        f"В ближайшие дни свободных занятий {service_name} не нашла. "
        "Уточню у администратора и напишу!"
    )


def offer_lessons(
    service_name: str, lessons: Sequence[Lesson], *, intro: str | None = None
) -> Reply:
    head = intro or f"Ближайшие занятия {service_name}:"
    lines = [head]
    for lesson in lessons:
        lines.append(f"• {long_day(lesson.date)}, {hhmm(lesson.start)}–{hhmm(lesson.end)}")
    lines.append("Какое выбрать?")
    return Reply(
        "\n".join(lines),
        tuple(
            Button(
                title=f"{short_day(x.date)} {hhmm(x.start)}",
                payload=f"lesson:{x.schedule_id}:{x.date}",
            )
            for x in lessons
        ),
    )


def lesson_line(lesson: Lesson) -> str:
    """``Contemporary, начинающие — среда, 4 марта, 19:00–20:30``"""
    return f"{lesson.group_name} — {long_day(lesson.date)}, {hhmm(lesson.start)}–{hhmm(lesson.end)}"


def nothing_then(service_name: str, *, full_only: bool, holiday: str | None) -> str:
    """The head of an offer when nothing fits what the client asked for."""
    if holiday:
        return f"{holiday} Ближайшие занятия:"
    if full_only:
        return "На это время мест уже нет. Есть места:"
    return f"В это время занятий {service_name} нет. Ближайшие:"


def ask_name(chosen: Lesson | None = None, *, attendee: str | None = None) -> Reply:
    head = f"{lesson_line(chosen)}, места есть. " if chosen else ""
    if attendee:
        return Reply(f"{head}Записываю {accusative(attendee)}. Как зовут вас — для связи?")
    return Reply(f"{head}Как вас зовут?")


def ask_phone(name: str | None, chosen: Lesson | None = None) -> Reply:
    head = f"{lesson_line(chosen)}, места есть. " if chosen else ""
    who = f"{name}, оставьте" if name else "Оставьте"
    return Reply(f"{head}{who}, пожалуйста, номер телефона для записи.")


def invalid_phone() -> Reply:
    return Reply("Не получается разобрать номер. Напишите его, пожалуйста, так: +7 999 123-45-67.")


def returning_client(name: str, phone_display: str) -> Reply:
    return Reply(
        f"{name}, записываю на тот же номер {phone_display}?",
        (Button(title="Да"), Button(title="Другой номер")),
    )


def summary(
    *, name: str, phone_display: str, group: str, lesson: Lesson, attendee: str | None = None
) -> Reply:
    who = (
        f"{attendee} (контакт: {name}, {phone_display})" if attendee else f"{name}, {phone_display}"
    )
    return Reply(
        f"Записываю: {who}, {group}, {long_day(lesson.date)}, {hhmm(lesson.start)}. Всё верно?",
        (Button(title="Да"), Button(title="Нет")),
    )


def what_to_change() -> Reply:
    return Reply(
        "Хорошо, поправим. Напишите, что изменить: время, имя или телефон.",
    )


def receipt(
    *, lesson: Lesson, address: str, attendee: str | None = None, name: str | None = None
) -> Reply:
    teacher = f", преподаватель {lesson.teacher_name}" if lesson.teacher_name else ""
    if attendee:
        done = f"Готово, записала {accusative(attendee)} ✅"
    else:
        done = f"Готово, {name}, вы записаны ✅" if name else "Готово, вы записаны ✅"
    return Reply(
        f"{done}\n{lesson.group_name}{teacher}\n"
        f"{long_day(lesson.date)}, {hhmm(lesson.start)}–{hhmm(lesson.end)}\n"
        f"Адрес: {address}"
    )


def already_booked() -> Reply:
    return Reply("Вы уже записаны на это занятие ✅")


def lesson_full(service_name: str, alternatives: Sequence[Lesson]) -> Reply:
    if not alternatives:
        return Reply(
            "На это время мест нет, а других свободных занятий рядом не нашла. "
            "Уточню у администратора и напишу!"
        )
    return offer_lessons(service_name, alternatives, intro="На это время мест уже нет. Есть места:")


def lesson_in_past(service_name: str, alternatives: Sequence[Lesson]) -> Reply:
    if not alternatives:
        return Reply("Это время уже прошло. Уточню у администратора ближайшие занятия и напишу!")
    return offer_lessons(service_name, alternatives, intro="Это время уже прошло. Ближайшие:")


def schedule_changed(service_name: str, alternatives: Sequence[Lesson]) -> Reply:
    if not alternatives:
        return Reply("Расписание изменилось. Уточню у администратора и напишу!")
    return offer_lessons(
        service_name, alternatives, intro="Расписание изменилось. Актуальные занятия:"
    )


def crm_unavailable_booking() -> Reply:
    return Reply(
        "Система записи сейчас не отвечает. Передала вашу заявку администратору — "
        "он подтвердит запись ⏳"
    )


def crm_unavailable_schedule() -> Reply:
    # no "уточню у администратора": nobody was told, so nobody would write (issue 8)
    return Reply(
        "Не могу сейчас проверить расписание: система студии не отвечает. "
        "Напишите, пожалуйста, через несколько минут."
    )


def crm_too_slow() -> Reply:
    """The turn ran out of time waiting for the CRM, and nothing was in the middle of being
    booked: an honest "try again", no promise."""
    return Reply(
        "Система студии сейчас отвечает очень медленно, не дождалась ответа. "
        "Напишите, пожалуйста, ещё раз через несколько минут."
    )


def faq_answer(answer: str) -> Reply:
    return Reply(answer)


def will_ask_admin() -> Reply:
    return Reply("Уточню у администратора и напишу!")


def not_understood() -> Reply:
    return Reply(
        "Не совсем поняла. Могу рассказать о ценах, показать расписание или записать на занятие. "
        "Что вам нужно?"
    )


def text_only() -> Reply:
    return Reply("Я понимаю только текст 😊 Напишите, пожалуйста, словами.")


def pick_from_offered() -> Reply:
    return Reply("Выберите, пожалуйста, занятие из списка или напишите день и время.")


def resume_booking() -> Reply:
    return Reply("А по записи — продолжим?")


def internal_error() -> Reply:
    return Reply(
        "Извините, у меня что-то сломалось. Передала ваш вопрос администратору — он напишет!"
    )


def still_relevant() -> Reply:
    return Reply(
        "Запись ещё актуальна? Подтвердите, и я всё оформлю.",
        (Button(title="Да"), Button(title="Нет")),
    )


def booking_expired() -> Reply:
    return Reply(
        "Не дождалась подтверждения и отменила черновик записи. Напишите, когда будет удобно!"
    )


def booking_stuck() -> Reply:
    return Reply(
        "Система записи долго не отвечает. Передала заявку администратору — он подтвердит запись ⏳"
    )


# --- cancel / reschedule (S5) ---------------------------------------------------------


def ask_phone_for_bookings() -> Reply:
    return Reply("Напишите, пожалуйста, номер телефона, на который вы записывались.")


def no_future_bookings(phone_display: str) -> Reply:
    return Reply(
        f"На номер {phone_display} не нашла будущих записей. Если запись была на другой номер, "
        "напишите его — или позову администратора."
    )


def pick_booking(bookings: Sequence[tuple[str, str, str]], *, reschedule: bool) -> Reply:
    """``bookings``: (line in the text, button label ≤ 20 chars, payload) triples."""
    verb = "перенести" if reschedule else "отменить"
    lines = "\n".join(f"• {line}" for line, _, _ in bookings)
    return Reply(
        f"Ваши записи:\n{lines}\nКакую {verb}?",
        tuple(Button(title=label, payload=payload) for _, label, payload in bookings),
    )


def confirm_cancel(lesson: Lesson, *, late_hours: int | None) -> Reply:
    warning = (
        f"До занятия меньше {late_hours} ч — по правилам студии оно может сгореть. "
        if late_hours is not None
        else ""
    )
    return Reply(
        f"{warning}Отменить запись: {lesson_line(lesson)}?",
        (Button(title="Да, отменить", payload="yes"), Button(title="Нет", payload="no")),
    )


def cancelled(lesson: Lesson) -> Reply:
    return Reply(f"Запись отменена ✅ {lesson_line(lesson)}. Будем ждать вас в другой раз!")


def confirm_cancel_all(labels: Sequence[str]) -> Reply:
    lines = "\n".join(f"• {label}" for label in labels)
    return Reply(
        f"Отменить все записи?\n{lines}",
        (Button(title="Да, отменить", payload="yes"), Button(title="Нет", payload="no")),
    )


def cancelled_all(count: int) -> Reply:
    return Reply(f"Готово, отменила {plural(count, 'запись', 'записи', 'записей')} ✅")


def no_such_booking() -> Reply:
    return Reply("Такой записи у вас не нашла.")


def confirm_cancel_again() -> Reply:
    return Reply(
        "Отменяем эту запись? Ответьте «да» или «нет».",
        (Button(title="Да, отменить", payload="yes"), Button(title="Нет", payload="no")),
    )


def cancel_kept() -> Reply:
    return Reply("Хорошо, запись остаётся в силе.")


def booking_gone() -> Reply:
    return Reply("Эта запись уже отменена — в CRM её нет. Если нужно, запишу заново.")


def reschedule_to_what(lesson: Lesson) -> Reply:
    return Reply(f"Переносим {lesson_line(lesson)}. На какой день и время?")


def rescheduled(old: Lesson, new: Lesson, *, address: str) -> Reply:
    return Reply(
        f"Готово, перенесла ✅ Теперь: {lesson_line(new)}. "
        f"Запись на {short_day(old.date)} {hhmm(old.start)} отменена.\nАдрес: {address}"
    )


def reschedule_old_kept(old: Lesson) -> Reply:
    return Reply(
        f"Новую запись сделать не получилось, поэтому старая осталась: {lesson_line(old)}."
    )


# --- handoff, lateness, info -----------------------------------------------------------


def passing_to_admin() -> Reply:
    return Reply("Передаю администратору ⏳ Он ответит в этом чате.")


def lateness_noted(minutes: int | None, lesson: Lesson | None) -> Reply:
    how = f" на {minutes} мин" if minutes else ""
    if lesson is None:
        return Reply(f"Спасибо, что предупредили! Передам администратору, что вы задержитесь{how}.")
    return Reply(
        f"Спасибо, что предупредили! Передам преподавателю, что вы задержитесь{how} "
        f"({lesson.group_name}, {hhmm(lesson.start)}). Запись остаётся в силе."
    )


def services_list(services: Sequence[Service]) -> Reply:
    names = ", ".join(s.name for s in services)
    return Reply(
        f"У нас есть: {names}. На какое направление записать?",
        tuple(Button(title=s.name, payload=f"service:{s.id}") for s in services[:10]),
    )


def for_beginners(services: Sequence[Service]) -> Reply:
    names = ", ".join(s.name for s in services)
    return Reply(
        f"Начать с нуля можно на: {names}. Записать на пробное?",
        tuple(Button(title=s.name, payload=f"service:{s.id}") for s in services[:10]),
    )


def trial_prices(services: Sequence[Service]) -> Reply:
    parts = ", ".join(f"{s.name} — {rub(s.trial_price)}" for s in services if s.trial_price)
    return Reply(f"Пробное занятие: {parts}.")


def address(where: str) -> Reply:
    return Reply(f"Мы находимся по адресу: {where}.")


def directions(where: str, how: str) -> Reply:
    return Reply(f"Адрес: {where}. {how}")


def studio_phone(phone: str) -> Reply:
    return Reply(f"Телефон студии: {display_phone(phone)}.")


def opening_hours(hours: str) -> Reply:
    return Reply(f"Часы работы: {hours}.")


def pending_noted(names: Sequence[str]) -> Reply:
    return Reply(f"Запишу по очереди: сначала это занятие, потом — {', '.join(names)}.")


def teachers_of(service: Service, teachers: Sequence[tuple[str, str]]) -> Reply:
    """``teachers``: (name, specialization) pairs from the KB."""
    if not teachers:
        return Reply(f"Кто ведёт {service.name}, уточню у администратора и напишу!")
    body = "; ".join(f"{name} — {spec}" for name, spec in teachers)
    return Reply(f"{service.name} ведёт {body}")


def no_comparison(teachers: Sequence[tuple[str, str]]) -> Reply:
    """ "Кто лучше?" — never compare (RFC CC-10): say what each one does, from the KB."""
    body = "\n".join(f"• {name} — {styles}" for name, styles in teachers)
    return Reply(f"Сравнивать преподавателей не буду — у каждого свой стиль 🙂\n{body}")


def holiday_notice(message: str) -> Reply:
    return Reply(message)


def teachers_all(teachers: Sequence[tuple[str, str]]) -> Reply:
    body = "\n".join(f"• {name} — {styles}" for name, styles in teachers)
    return Reply(f"Наши преподаватели:\n{body}")


def admin_later() -> Reply:
    return Reply("Администратор сейчас занят и ответит вам позже. А пока я снова на связи!")


def booking_confirmed_late() -> Reply:
    return Reply("Проверила: запись прошла, вы записаны ✅ Если нужно что-то поменять — напишите.")


# --- serial booking (S6) ----------------------------------------------------------------

_WHY_NOT = {
    "already": "вы уже записаны",
    "full": "мест нет",
    "past": "время прошло",
    "gone": "занятие отменено",
    "crm_down": "система записи не ответила",
    "queued": "система записи не ответила — запишу, как только ответит, и напишу вам",
}


def _day_list(days: Sequence[tuple[date, datetime]]) -> str:
    return ", ".join(f"{d:%d.%m}" for d, _ in days)


def serial_summary(
    *,
    name: str,
    phone_display: str,
    service_name: str,
    days: Sequence[tuple[date, datetime]],
    dropped: int,
    full: Sequence[date] = (),
) -> Reply:
    by_time: dict[str, list[tuple[date, datetime]]] = {}
    for day, start in days:
        by_time.setdefault(hhmm(start), []).append((day, start))
    when = "; ".join(f"в {t}: {_day_list(group)}" for t, group in sorted(by_time.items()))
    extra = f" (ещё {dropped} — за один раз записываю не больше {len(days)})" if dropped else ""
    if full:
        extra += f" ({', '.join(f'{d:%d.%m}' for d in full)} — мест нет)"
    return Reply(
        f"Записываю: {name}, {phone_display}, {service_name} {when} — "
        f"{plural(len(days), 'занятие', 'занятия', 'занятий')}{extra}. Всё верно?",
        (Button(title="Да"), Button(title="Нет")),
    )


def serial_result(
    service_name: str,
    outcomes: Sequence[tuple[date, datetime, str]],
    *,
    unprocessed: int,
    address: str | None,
    full: Sequence[date] = (),
) -> Reply:
    booked = [(d, s) for d, s, r in outcomes if r == "booked"]
    lines = []
    if booked:
        total = len(outcomes) + unprocessed
        lines.append(
            f"Записала на {service_name} ✅ {_day_list(booked)} ({len(booked)} из {total})."
        )
    else:
        lines.append(f"Не получилось записать на {service_name}.")
    for d, _, r in outcomes:
        if r != "booked":
            lines.append(f"{d:%d.%m}: {_WHY_NOT[r]}.")
    if full:
        lines.append(f"{', '.join(f'{d:%d.%m}' for d in full)}: мест нет.")
    if unprocessed:
        lines.append(f"Ещё {unprocessed} не успела оформить — передала администратору.")
    if address:
        lines.append(f"Адрес: {address}")
    return Reply("\n".join(lines))


def serial_nothing(service_name: str) -> Reply:
    return Reply(f"В эти дни занятий {service_name} нет. Уточню у администратора и напишу!")


def serial_dropped() -> Reply:
    return Reply("Хорошо, не записываю. Если захотите другие дни — напишите.")


def ask_serial_period() -> Reply:
    return Reply("На какой период записать? Например: весь март или на 4 недели.")


def trial_unknown() -> Reply:
    return Reply("Про пробное занятие уточню у администратора и напишу!")


def here() -> Reply:
    return Reply("Да, я здесь! Чем помочь?")


def already_started() -> str:
    return "Это занятие уже началось или прошло. Ближайшие:"


def booking_dropped() -> Reply:
    return Reply("Хорошо, оставим. Если передумаете — просто напишите!")


def anything_else() -> Reply:
    return Reply("Хорошо! Если нужно что-то ещё — пишите, я на связи 🙂")


# --- booking fallback queue ---------------------------------------------------------------


def fallback_queued() -> Reply:
    return Reply(
        "Система записи сейчас не отвечает. Записала вашу заявку — администратор подтвердит, "
        "а как только система заработает, я запишу вас сама и напишу ⏳"
    )


def fallback_booked(label: str, *, address: str) -> Reply:
    return Reply(f"Заявка подтверждена, вы записаны ✅ {label}. Адрес: {address}")


def fallback_refused(label: str) -> Reply:
    return Reply(
        f"К сожалению, записать на {label} не получилось: мест уже нет или расписание "
        "изменилось. Администратор свяжется с вами и предложит другое время."
    )


# --- the admin's side -----------------------------------------------------------------------


def from_admin(text: str) -> Reply:
    return Reply(f"Администратор: {text}")


def admin_closed() -> Reply:
    return Reply("Администратор завершил диалог. Если что-то ещё понадобится — пишите, я на связи!")
