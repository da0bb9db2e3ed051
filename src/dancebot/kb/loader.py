"""Load and validate a knowledge-base YAML file, with problems an operator can act on.

``load_kb`` either returns a valid ``KnowledgeBase`` or raises ``KnowledgeBaseError`` whose
text names the file, each field (``teachers[2].rating``) and the problem in plain words.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from dancebot.kb.schema import CROSS_REFERENCE_ERROR, SCHEMA_VERSION, KnowledgeBase


@dataclass(frozen=True)
class KbProblem:
    """One thing wrong with a KB file. ``field`` is a path like ``services[0].price_single``,
    ``line 12`` for a YAML syntax error, or empty for the file as a whole."""

    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}" if self.field else self.problem


class KnowledgeBaseError(Exception):
    """The KB file is missing, is not YAML, or does not follow schema v1.0."""

    def __init__(self, path: str | Path, problems: Sequence[KbProblem]) -> None:
        self.path = str(path)
        self.problems = list(problems)
        super().__init__(self.path)

    def lines(self) -> list[str]:
        return [f"{self.path}: {problem}" for problem in self.problems]

    def __str__(self) -> str:
        return "\n".join(self.lines())


def load_kb(path: str | Path) -> KnowledgeBase:
    """Read and validate the KB at ``path``. Raises ``KnowledgeBaseError``."""
    data = _read_yaml(Path(path))
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise KnowledgeBaseError(
            path,
            [KbProblem("", f"the top level must be a mapping of sections, the file is {kind}")],
        )
    try:
        return KnowledgeBase.model_validate(data)
    except ValidationError as exc:
        raise KnowledgeBaseError(path, _problems(exc.errors())) from exc


def validate_kb_file(path: str | Path) -> list[str]:
    """Problems with the KB at ``path``, one human-readable line each; empty when it is valid."""
    try:
        load_kb(path)
    except KnowledgeBaseError as exc:
        return exc.lines()
    return []


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe loader that refuses a key repeated in one mapping (PyYAML keeps the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_yaml(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise KnowledgeBaseError(path, [KbProblem("", "file not found")]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeBaseError(path, [KbProblem("", f"cannot read the file: {exc}")]) from exc
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        what = " ".join(p for p in (exc.context, exc.problem) if p) or "YAML syntax error"
        raise KnowledgeBaseError(path, [KbProblem(where, f"YAML syntax error: {what}")]) from exc
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError(path, [KbProblem("", f"YAML syntax error: {exc}")]) from exc


def field_path(loc: Sequence[int | str]) -> str:
    """``("teachers", 2, "rating")`` → ``teachers[2].rating``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _problems(errors: list[ErrorDetails]) -> list[KbProblem]:
    problems: list[KbProblem] = []
    for error in errors:
        if error["type"] == CROSS_REFERENCE_ERROR:
            found = error.get("ctx", {}).get("problems", ())
            problems += [KbProblem(field, problem) for field, problem in found]
            continue
        problems.append(KbProblem(field_path(error["loc"]), _in_plain_words(error)))
    return problems


_PLAIN: dict[str, str] = {
    "extra_forbidden": f"unknown field (not in schema v{SCHEMA_VERSION})",
    "missing": "required field is missing",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "string_type": "must be text",
    "list_type": "must be a list",
    "dict_type": "must be a mapping (section with fields)",
    "model_type": "must be a mapping (section with fields)",
    "model_attributes_type": "must be a mapping (section with fields)",
    "date_from_datetime_parsing": "must be a date like 2026-12-31",
    "date_parsing": "must be a date like 2026-12-31",
    "date_type": "must be a date like 2026-12-31",
}


def _in_plain_words(error: ErrorDetails) -> str:
    kind = error["type"]
    if error["loc"] == ("schema_version",) and kind == "literal_error":
        return f'must be the string "{SCHEMA_VERSION}" (got {_short(error["input"])})'
    if kind in _PLAIN:
        got = "" if kind in ("missing", "extra_forbidden") else f" (got {_short(error['input'])})"
        return _PLAIN[kind] + got
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    if kind == "too_short" and error["loc"] == ("services",):
        return "at least one service is required"
    return f"{error['msg']} (got {_short(error['input'])})"


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
