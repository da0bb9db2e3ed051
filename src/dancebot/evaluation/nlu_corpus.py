"""The labelled NLU corpus (tests/nlu/corpus/README.md): reading and validating its files.

Every problem names the file, the item (1-based) and the field, so a mislabelled item is found
at once. Scalars are read as strings (``ScenarioYamlLoader``): YAML 1.1 would turn "2" into a
number, "19:00" into 1140 and a date into a ``date``, which is not what a client typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any

import phonenumbers
import yaml

from dancebot.domain.commands import COMMAND_TYPES, HandoffReason, InfoTopic
from dancebot.domain.fsm import State
from dancebot.evaluation.loader import ScenarioYamlLoader
from dancebot.kb.loader import KnowledgeBaseError, load_kb
from dancebot.kb.schema import KnowledgeBase

DEFAULT_KB = Path("knowledge/studio_tatyana.yaml")
ASKED = (
    "service",
    "lesson",
    "name",
    "phone",
    "contact",
    "same_phone",
    "confirm",
    "pick_booking",
    "confirm_cancel",
    "period",
)
ENTITY_KINDS = (
    "services",
    "day",
    "at",
    "not_before",
    "not_after",
    "weekdays",
    "phone",
    "name",
    "attendee",
)
QUALIFIED = {
    "ask_info": tuple(t.value for t in InfoTopic),
    "handoff": tuple(r.value for r in HandoffReason),
    "choose_option": (),  # an index: 1-based, or -1 for "the last one"
}
_ITEM_KEYS = {"text", "state", "asked", "offered", "service", "commands", "entities", "ignore"}
_ITEM_KEYS |= {"note"}
_FILE_KEYS = {"kb", "today", "now_time", "items", "description"}


class CorpusError(Exception):
    """The corpus is invalid; ``problems`` are lines like ``file: items[3].commands: ...``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Expected:
    """What an item's labels say: command labels (a multiset) and normalised entities."""

    commands: tuple[str, ...]
    entities: dict[str, Any] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CorpusItem:
    path: Path
    number: int  # 1-based position in its file
    text: str
    state: State
    asked: str | None
    offered: int | None
    service: str | None  # the service already chosen earlier in the conversation
    expected: Expected
    kb_path: Path
    today: date
    now_time: time

    @property
    def where(self) -> str:
        return f"{self.path}:items[{self.number}]"


@dataclass
class Corpus:
    items: list[CorpusItem]
    kbs: dict[Path, KnowledgeBase]


def discover(paths: Iterable[Path], split: str = "all") -> list[Path]:
    """Every corpus ``*.yaml`` under ``paths`` (sorted); ``split`` keeps only the files below a
    folder named ``dev`` or ``test``."""
    files: list[Path] = []
    for path in paths:
        found = sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
        files += [f for f in found if split == "all" or split in f.parts[:-1]]
    return files


def load_corpus(files: list[Path], *, root: Path) -> Corpus:
    """Read and validate ``files``; raise ``CorpusError`` naming every problem."""
    problems: list[str] = []
    items: list[CorpusItem] = []
    kbs: dict[Path, KnowledgeBase] = {}
    if not files:
        raise CorpusError(["no corpus files found"])
    for path in files:
        items += _load_file(path, root=root, kbs=kbs, problems=problems)
    if problems:
        raise CorpusError(problems)
    return Corpus(items=items, kbs=kbs)


def _load_file(
    path: Path, *, root: Path, kbs: dict[Path, KnowledgeBase], problems: list[str]
) -> list[CorpusItem]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=ScenarioYamlLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(f"{path}: cannot read it as YAML ({exc})")
        return []
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        problems.append(f"{path}: must be a mapping with `today` and a list `items`")
        return []
    for key in set(data) - _FILE_KEYS:
        problems.append(f"{path}: unknown key {key!r}")
    kb_path = _resolve(Path(str(data.get("kb") or DEFAULT_KB)), root)
    kb = _kb(kb_path, kbs, path, problems)
    today = _date(data.get("today"), f"{path}: today", problems)
    now_time = _time(data.get("now_time") or "10:00", f"{path}: now_time", problems)
    if kb is None or today is None or now_time is None:
        return []
    context = _FileContext(path, kb_path, kb, today, now_time)
    items = []
    for number, raw in enumerate(data["items"], start=1):
        item = context.item(number, raw, problems)
        if item is not None:
            items.append(item)
    return items


def _resolve(path: Path, root: Path) -> Path:
    return path if path.is_absolute() or path.exists() else root / path


def _kb(
    kb_path: Path, kbs: dict[Path, KnowledgeBase], path: Path, problems: list[str]
) -> KnowledgeBase | None:
    if kb_path not in kbs:
        try:
            kbs[kb_path] = load_kb(kb_path)
        except (KnowledgeBaseError, OSError) as exc:
            problems.append(f"{path}: kb {kb_path}: {exc}")
            return None
    return kbs[kb_path]


@dataclass(frozen=True)
class _FileContext:
    path: Path
    kb_path: Path
    kb: KnowledgeBase
    today: date
    now_time: time

    def item(self, number: int, raw: Any, problems: list[str]) -> CorpusItem | None:
        where = f"{self.path}: items[{number}]"
        before = len(problems)
        if not isinstance(raw, dict):
            problems.append(f"{where}: must be a mapping with `text` and `commands`")
            return None
        problems += [f"{where}: unknown key {key!r}" for key in set(raw) - _ITEM_KEYS]
        text = raw.get("text")
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}.text: required, a non-empty string")
        state = _state(raw.get("state") or "idle", f"{where}.state", problems)
        asked = raw.get("asked")
        if asked is not None and asked not in ASKED:
            problems.append(f"{where}.asked: {asked!r} is not one of {', '.join(ASKED)}")
        offered = _offered(raw.get("offered"), f"{where}.offered", problems)
        service = raw.get("service")
        if service is not None and service not in self.service_ids:
            problems.append(f"{where}.service: {service!r} is not a service of {self.kb_path}")
        commands = _commands(raw.get("commands"), offered, f"{where}.commands", problems)
        entities = self.entities(raw.get("entities"), f"{where}.entities", problems)
        ignore = _ignore(raw.get("ignore"), f"{where}.ignore", problems)
        if len(problems) > before or state is None or not isinstance(text, str):
            return None
        return CorpusItem(
            path=self.path,
            number=number,
            text=text,
            state=state,
            asked=asked,
            offered=offered,
            service=service,
            expected=Expected(
                tuple(_last_option(label, offered) for label in commands), entities, ignore
            ),
            kb_path=self.kb_path,
            today=self.today,
            now_time=self.now_time,
        )

    @property
    def service_ids(self) -> set[str]:
        return {service.id for service in self.kb.services}

    def entities(self, raw: Any, where: str, problems: list[str]) -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            problems.append(f"{where}: must be a mapping of entity kinds")
            return {}
        values: dict[str, Any] = {}
        for kind, value in raw.items():
            spot = f"{where}.{kind}"
            if kind not in ENTITY_KINDS:
                problems.append(f"{spot}: unknown entity kind; one of {', '.join(ENTITY_KINDS)}")
            elif kind == "services":
                values[kind] = self.services(value, spot, problems)
            else:
                values[kind] = _ENTITY_PARSERS[kind](value, spot, problems)
        return values

    def services(self, value: Any, where: str, problems: list[str]) -> frozenset[str]:
        ids = [value] if isinstance(value, str) else value
        if not isinstance(ids, list) or not ids:
            problems.append(f"{where}: a non-empty list of service ids")
            return frozenset()
        unknown = [i for i in ids if i not in self.service_ids]
        if unknown:
            known = ", ".join(sorted(self.service_ids))
            problems.append(f"{where}: {unknown} not in {self.kb_path} (ids: {known})")
        return frozenset(ids)


def _state(value: Any, where: str, problems: list[str]) -> State | None:
    try:
        return State(str(value))
    except ValueError:
        problems.append(f"{where}: {value!r} is not a state ({', '.join(s.value for s in State)})")
        return None


def _offered(value: Any, where: str, problems: list[str]) -> int | None:
    if value is None:
        return None
    if not str(value).isdigit() or int(value) < 1:
        problems.append(f"{where}: a positive number of options on screen")
        return None
    return int(value)


def _commands(value: Any, offered: int | None, where: str, problems: list[str]) -> list[str]:
    if not isinstance(value, list) or not value:
        problems.append(f"{where}: required, a non-empty list of command types")
        return []
    labels = []
    for index, label in enumerate(value, start=1):
        problem = command_problem(str(label), offered)
        if problem:
            problems.append(f"{where}[{index}]: {problem}")
        labels.append(str(label))
    return labels


def command_problem(label: str, offered: int | None) -> str | None:
    """Why ``label`` (``type`` or ``type:qualifier``) is not a valid command label, or None."""
    kind, _, qualifier = label.partition(":")
    if kind not in COMMAND_TYPES:
        return f"{kind!r} is not a command type ({', '.join(COMMAND_TYPES)})"
    if kind not in QUALIFIED:
        return f"{kind} takes no qualifier" if qualifier else None
    if kind == "choose_option":
        if qualifier != "-1" and not qualifier.isdigit():
            return "choose_option needs its index: choose_option:2 (or :-1 for the last)"
        if offered is not None and int(qualifier) > offered:
            return f"choose_option:{qualifier} but only {offered} options were offered"
        return None
    if qualifier not in QUALIFIED[kind]:
        return f"{kind} needs a qualifier, one of: {', '.join(QUALIFIED[kind])}"
    return None


def _last_option(label: str, offered: int | None) -> str:
    """``choose_option:-1`` (the last one) is ``choose_option:N`` when N options were shown."""
    return f"choose_option:{offered}" if label == "choose_option:-1" and offered else label


def _ignore(value: Any, where: str, problems: list[str]) -> frozenset[str]:
    kinds = [] if value is None else value
    if not isinstance(kinds, list) or any(k not in ENTITY_KINDS for k in kinds):
        problems.append(f"{where}: a list of entity kinds ({', '.join(ENTITY_KINDS)})")
        return frozenset()
    return frozenset(kinds)


def _date(value: Any, where: str, problems: list[str]) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{where}: {value!r} is not an ISO date (2026-03-02)")
        return None


def _time(value: Any, where: str, problems: list[str]) -> time | None:
    text = str(value)
    if len(text) != 5 or text[2] != ":":
        problems.append(f"{where}: {value!r} is not a time HH:MM")
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        problems.append(f"{where}: {value!r} is not a time HH:MM")
        return None


def _weekdays(value: Any, where: str, problems: list[str]) -> tuple[int, ...]:
    days = value if isinstance(value, list) else [value]
    if not days or any(not str(d).isdigit() or not 1 <= int(d) <= 7 for d in days):
        problems.append(f"{where}: ISO weekdays 1..7, e.g. [2, 4]")
        return ()
    return tuple(sorted(int(d) for d in days))


def _phone(value: Any, where: str, problems: list[str]) -> str | None:
    text = str(value)
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        problems.append(f"{where}: {value!r} is not a valid phone in E.164 (+79161234567)")
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if e164 != text:
        problems.append(f"{where}: write it in E.164: {e164}")
    return e164


def _text(value: Any, where: str, problems: list[str]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: a non-empty string")
        return None
    return normalise_name(value)


def normalise_name(name: str) -> str:
    """Names compare ignoring case, surrounding punctuation and repeated spaces."""
    return " ".join(name.strip(" .,!?)(").split()).casefold()


_ENTITY_PARSERS: dict[str, Any] = {
    "day": _date,
    "at": _time,
    "not_before": _time,
    "not_after": _time,
    "weekdays": _weekdays,
    "phone": _phone,
    "name": _text,
    "attendee": _text,
}
