from __future__ import annotations

import pytest

from dancebot.nlu.intents import Intent, detect_intents


@pytest.mark.parametrize(
    ("text", "top"),
    [
        ("Хочу записаться на контемп", Intent.BOOKING),
        ("запишите меня на среду", Intent.BOOKING),
        ("есть места на хип-хоп?", Intent.BOOKING),
        ("хочу отменить запись", Intent.CANCEL),
        ("не приду завтра", Intent.CANCEL),
        ("расписание контемпа", Intent.SCHEDULE),
        ("во сколько занятия по растяжке", Intent.SCHEDULE),
        ("сколько стоит хип-хоп", Intent.PRICE),
        ("какая цена абонемента", Intent.PRICE),
        ("кто преподаёт хилс", Intent.INFO),
        ("опаздываю на 10 минут", Intent.LATENESS),
        ("позовите администратора", Intent.ADMIN),
        ("хочу оставить жалобу", Intent.ADMIN),
        ("Привет!", Intent.GREETING),
        ("Добрый вечер", Intent.GREETING),
        ("да", Intent.YES),
        ("Да, всё верно", Intent.YES),
        ("нет", Intent.NO),
        ("какая завтра погода", Intent.UNKNOWN),
    ],
)
def test_top_intent(text: str, top: Intent) -> None:
    assert detect_intents(text)[0] == top


def test_booking_outranks_greeting_and_schedule() -> None:
    intents = detect_intents("Привет! Хочу записаться, покажите расписание")
    assert intents[0] == Intent.BOOKING
    assert Intent.SCHEDULE in intents and Intent.GREETING in intents
