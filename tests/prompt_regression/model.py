"""The prompt regression suites' format (contract §21): YAML, one suite per file.

```yaml
suite: understanding
threshold: 0.9                 # optional, the contract's 90 %
cases:
  - id: book-hiphop-wednesday
    task: understand           # understand | rephrase | answer
    input: "хочу на хип-хоп в среду"
    state: idle                # understand: the dialogue state and the bot's open question
    awaiting: null
    snippets: []               # answer: the KB snippets handed to the model
    allowed_times: []          # rephrase: clock times the reply may name
    expect:
      commands: [start_booking]      # understand: kinds that must be there
      not_commands: [unclear]
      service_id: hiphop             # understand: some command names this service
      contains: ["19:00"]            # rephrase/answer: the text sent (case-insensitive)
      not_contains: ["₽"]
      sent: true                     # rephrase/answer: false = must be replaced (None)
    fake: {...}                # what the fake provider answers; ignored by a real provider
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Expect(_Model):
    commands: list[str] = Field(default_factory=list)
    not_commands: list[str] = Field(default_factory=list)
    service_id: str | None = None
    contains: list[str] = Field(default_factory=list)
    not_contains: list[str] = Field(default_factory=list)
    sent: bool = True


class Case(_Model):
    id: str
    task: Literal["understand", "rephrase", "answer"]
    input: str
    state: str = "idle"
    awaiting: str | None = None
    snippets: list[str] = Field(default_factory=list)
    allowed_times: list[str] = Field(default_factory=list)
    expect: Expect = Field(default_factory=Expect)
    fake: dict[str, Any] | str | None = None


class Suite(_Model):
    suite: str
    threshold: float = Field(default=0.9, ge=0, le=1)
    cases: list[Case] = Field(min_length=1)


def load_suites(paths: list[Path]) -> list[Suite]:
    """Every ``*.yaml`` under ``paths``. Raises ``ValueError`` naming the bad file."""
    files: list[Path] = []
    for path in paths:
        files += sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
    suites = []
    for file in files:
        try:
            suites.append(Suite.model_validate(yaml.safe_load(file.read_text(encoding="utf-8"))))
        except Exception as exc:
            raise ValueError(f"{file}: {exc}") from exc
    return suites
