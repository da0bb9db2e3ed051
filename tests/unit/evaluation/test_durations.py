from __future__ import annotations

from datetime import timedelta

import pytest

from dancebot.evaluation.durations import parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("3d", timedelta(days=3)),
        ("47h", timedelta(hours=47)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d 2h 3m 4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("2H", timedelta(hours=2)),
        ("0s", timedelta(0)),
    ],
)
def test_durations_as_scenarios_write_them(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "90", "h", "1.5h", "30m1h", "2 часа", "-1h", "1w"])
def test_anything_else_is_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match="90s, 15m, 2h, 3d or 1h30m"):
        parse_duration(text)
