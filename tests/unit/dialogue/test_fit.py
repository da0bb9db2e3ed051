from __future__ import annotations

import pytest

from dancebot.dialogue.fit import fit
from dancebot.dialogue.replies import Reply
from dancebot.domain.messages import Button, Channel


def test_short_reply_is_untouched() -> None:
    reply = Reply("Привет", (Button(title="Да"),))
    assert fit(reply, Channel.WHATSAPP) == [reply]


@pytest.mark.parametrize(("channel", "limit"), [(Channel.WHATSAPP, 200), (Channel.TELEGRAM, 300)])
def test_long_reply_is_cut_at_sentences_and_keeps_every_word(channel: Channel, limit: int) -> None:
    text = " ".join(f"Предложение номер {n} про сменную обувь и одежду." for n in range(20))
    parts = fit(Reply(text, (Button(title="Да"),)), channel)
    assert len(parts) > 1
    assert all(len(p.text) <= limit for p in parts)
    assert " ".join(p.text for p in parts).split() == text.split()
    assert [p.buttons for p in parts[:-1]] == [()] * (len(parts) - 1)
    assert parts[-1].buttons == (Button(title="Да"),)


def test_lines_stay_whole_when_they_fit() -> None:
    lines = [f"• понедельник, {n} марта, 19:00–20:30" for n in range(1, 10)]
    parts = fit(Reply("\n".join(lines)), Channel.WHATSAPP)
    assert all(len(p.text) <= 200 for p in parts)
    assert [line for p in parts for line in p.text.split("\n")] == lines
