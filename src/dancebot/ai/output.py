"""The command generator's structured output, its 3-step parser (contract §11: parse →
extract from a code block → retry → None) and its validation against the KB.

A model never computes dates (RFC §10 CC-2): ``WhenSpec.text`` carries the client's words
and the dialogue manager resolves them with the deterministic temporal parser. Dates a model
fills in anyway (``day``, ``days``, ``period_start``, ``period_end``) are stripped here; times
of day and weekdays it read off the message stay.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_ai import ModelRetry

from dancebot.ai.prompts import RETRY_PROMPT
from dancebot.domain.commands import Command, Entities, Understanding
from dancebot.kb.schema import KnowledgeBase

_CODE_BLOCK = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.DOTALL)
_BARE_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
_E164 = re.compile(r"\+\d{10,15}")
_DATE_FIELDS = ("day", "days", "period_start", "period_end")
_WHEN_KEYS = ("when", "to")


class ModelCommands(BaseModel):
    """What the model returns: the message's commands in order and its entities."""

    model_config = ConfigDict(extra="forbid")

    commands: list[Command] = Field(min_length=1)
    entities: Entities = Field(default_factory=Entities)


def parse_text_output(text: str) -> ModelCommands:
    """Steps 1–2 of the parser for a model that answered in prose: the whole text as JSON,
    else the JSON in a code block (or the outermost braces). Raises ``ModelRetry`` (step 3:
    pydantic-ai asks the model once more) when neither validates."""
    for candidate in _json_candidates(text):
        try:
            return ModelCommands.model_validate(json.loads(candidate))
        except (ValueError, ValidationError):
            continue
    raise ModelRetry(RETRY_PROMPT)


def _json_candidates(text: str) -> Iterator[str]:
    yield text.strip()
    yield from (m.group(1) for m in _CODE_BLOCK.finditer(text))
    bare = _BARE_OBJECT.search(text)
    if bare:
        yield bare.group(0)


@dataclass(frozen=True)
class Checked:
    understanding: Understanding | None  # None: nothing valid was left
    dropped: list[str]  # why commands or values were dropped (for the log)


def check_output(output: ModelCommands, kb: KnowledgeBase) -> Checked:
    """``output`` as an ``Understanding`` (source "llm") with everything the KB does not
    back removed: commands naming an unknown service, invalid choices; dates stripped,
    phones that are not E.164 dropped."""
    service_ids = {s.id for s in kb.services}
    dropped: list[str] = []
    commands: list[dict[str, Any]] = []
    for command in output.commands:
        data = command.model_dump(mode="json", exclude_none=True)
        problem = _problem(data, service_ids)
        if problem:
            dropped.append(f"{data['type']}: {problem}")
            continue
        commands.append(_cleaned(data, dropped))
    entities = _cleaned(output.entities.model_dump(mode="json", exclude_none=True), dropped)
    entities["service_ids"] = [s for s in entities.get("service_ids", []) if s in service_ids]
    if not commands:
        return Checked(None, dropped)
    try:
        understanding = Understanding.model_validate(
            {"commands": commands, "entities": entities, "source": "llm"}
        )
    except ValidationError as exc:  # pragma: no cover - the fields were valid before
        return Checked(None, [*dropped, f"revalidation: {exc.error_count()} errors"])
    return Checked(understanding, dropped)


def _problem(data: dict[str, Any], service_ids: set[str]) -> str | None:
    for service_id in _service_ids(data):
        if service_id not in service_ids:
            return f"service {service_id!r} is not in the KB"
    if data["type"] == "choose_option" and not (data["index"] >= 1 or data["index"] == -1):
        return f"option {data['index']} does not exist"
    return None


def _service_ids(data: dict[str, Any]) -> Iterator[str]:
    if isinstance(data.get("service_id"), str):
        yield data["service_id"]
    ref = data.get("ref")
    if isinstance(ref, dict) and isinstance(ref.get("service_id"), str):
        yield ref["service_id"]


def _cleaned(data: dict[str, Any], dropped: list[str]) -> dict[str, Any]:
    """Dates stripped from every ``when``/``to`` (a ``ref``'s too), bad phones removed."""
    for holder in (data, data.get("ref")):
        if not isinstance(holder, dict):
            continue
        for key in _WHEN_KEYS:
            when = holder.get(key)
            if isinstance(when, dict):
                holder[key] = _without_dates(when, dropped)
    phone = data.get("phone")
    if isinstance(phone, str) and not _E164.fullmatch(phone):
        dropped.append("phone: not E.164")
        del data["phone"]
    return data


def _without_dates(when: dict[str, Any], dropped: list[str]) -> dict[str, Any] | None:
    invented = [f for f in _DATE_FIELDS if when.get(f)]
    if invented:
        dropped.append(f"dates computed by the model: {invented}")
    kept = {k: v for k, v in when.items() if k not in _DATE_FIELDS and v not in (None, [], ())}
    return kept or None
