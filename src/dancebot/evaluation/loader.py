"""Finding scenario files and reading them; a bad file becomes a ``LoadProblem``, never a crash.

YAML is read with plain scalars kept as strings (only ``null``/``~`` is special): YAML 1.1
would turn ``press: Yes`` into ``True``, ``user: 19:00`` into the number 1140 and ``now``
into a datetime, silently changing what the user "typed". Pydantic turns the strings into
numbers and booleans where the model asks for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dancebot.evaluation.model import STEP_KINDS, Scenario

_KEPT_TAGS = {"tag:yaml.org,2002:null", "tag:yaml.org,2002:merge"}


class ScenarioYamlLoader(yaml.SafeLoader):
    """SafeLoader that resolves no implicit types except null (and ``<<`` merges)."""


ScenarioYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag in _KEPT_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class LoadedScenario:
    path: Path
    scenario: Scenario


@dataclass(frozen=True)
class LoadProblem:
    """A path that gave no runnable scenario; ``scenario_id`` is the file's stem (or its
    ``id`` when that could be read)."""

    path: Path
    scenario_id: str
    message: str


def discover(paths: list[Path]) -> list[Path | LoadProblem]:
    """Files to load, in order: a file as given, a folder as all ``*.yaml`` below it, sorted.
    A missing path or a folder without scenarios is a ``LoadProblem``; a file named twice is
    loaded once."""
    found: list[Path | LoadProblem] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*.yaml") if p.is_file())
            if not files:
                found.append(LoadProblem(path, path.name, f"{path}: no *.yaml files below it"))
        elif path.is_file():
            files = [path]
        else:
            found.append(LoadProblem(path, path.stem, f"{path}: no such file or folder"))
            continue
        for file in files:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                found.append(file)
    return found


def load_scenario(path: Path) -> LoadedScenario | LoadProblem:
    """Read and validate one file. Every problem names the file and where in it."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=ScenarioYamlLoader)
    except OSError as exc:
        return LoadProblem(path, path.stem, f"{path}: cannot read it ({exc.strerror or exc})")
    except UnicodeDecodeError:
        return LoadProblem(path, path.stem, f"{path}: not UTF-8 text")
    except yaml.YAMLError as exc:
        return LoadProblem(path, path.stem, f"{path}: not valid YAML: {exc}")
    if not isinstance(data, dict):
        return LoadProblem(
            path, path.stem, f"{path}: must hold one mapping (id, now, channel, user, steps)"
        )
    scenario_id = str(data.get("id") or path.stem)
    try:
        return LoadedScenario(path, Scenario.model_validate(data))
    except ValidationError as exc:
        problems = "; ".join(describe_error(error) for error in exc.errors())
        return LoadProblem(path, scenario_id, f"{path}: {problems}")


def load_all(paths: list[Path]) -> list[LoadedScenario | LoadProblem]:
    """Every scenario under ``paths``; a second file using an id already seen is a problem."""
    results: list[LoadedScenario | LoadProblem] = []
    first_file: dict[str, Path] = {}
    for item in discover(paths):
        if isinstance(item, LoadProblem):
            results.append(item)
            continue
        loaded = load_scenario(item)
        if isinstance(loaded, LoadedScenario):
            scenario_id = loaded.scenario.id
            if scenario_id in first_file:
                loaded = LoadProblem(
                    item,
                    scenario_id,
                    f"{item}: id {scenario_id!r} is already used by {first_file[scenario_id]}",
                )
            else:
                first_file[scenario_id] = item
        results.append(loaded)
    return results


def describe_error(error: Any) -> str:
    """One pydantic error as ``steps[3].expect: unknown key 'reply_contain'``."""
    loc = list(error.get("loc", ()))
    # A step's location holds the union tag after its index: ("steps", 2, "user", ...).
    if len(loc) > 2 and loc[0] == "steps" and isinstance(loc[1], int) and loc[2] in STEP_KINDS:
        del loc[2]
    path = _path(loc)
    if error.get("type") == "extra_forbidden":
        parent = _path(loc[:-1]) or "the file"
        return f"{parent}: unknown key {loc[-1]!r}"
    if error.get("type") == "missing":
        return f"{path}: required"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{path}: {message}" if path else message


def _path(loc: list[Any]) -> str:
    text = ""
    for index, part in enumerate(loc):
        if isinstance(part, int):
            # Steps and list items are numbered from 1 for people.
            text += f"[{part + 1}]"
        else:
            text += ("." if index else "") + str(part)
    return text
