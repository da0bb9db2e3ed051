"""A fresh bot per scenario on the embedded parts: fakeredis, SQLite in a temp folder, the
Impulse emulator in memory, a virtual clock.

Building a bot took ~0.1 s, mostly the Alembic upgrade of the new SQLite file and parsing
the seed's YAML. So one eval run migrates a template database once and each scenario starts
from a copy of it (the upgrade at start then finds nothing to do), and the seed is parsed
once and handed to every bot as the same records in JSON (the emulator reads that in ~1 ms).
Now ~0.03 s. Nothing else is shared: every scenario has its own Redis, database file,
emulator state and clock.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dancebot.adapters.clock import VirtualClock
from dancebot.adapters.crm.impulse.emulator.seed import load_seed, seed_document
from dancebot.adapters.crm.impulse.emulator.state import EmulatorState
from dancebot.adapters.storage.db.engine import DEFAULT_SQLITE_NAME, database_url
from dancebot.adapters.storage.db.migrate import upgrade_database
from dancebot.adapters.storage.redis_connection import make_redis
from dancebot.domain.messages import Channel
from dancebot.entrypoints.bootstrap import Services, build_services
from dancebot.entrypoints.settings import Settings
from dancebot.evaluation.chat import Recorder, ScenarioChat
from dancebot.evaluation.model import Scenario
from dancebot.testing.fake_llm import FakeLLM

# The CRM client gives up after this long; `fault: {crm: slow}` makes the emulator answer
# after SLOW_CRM_DELAY_SECONDS instead of the 35 s of SCENARIOS.md, which is just as much
# "too slow" for the client and keeps a run short (each slow call still costs its retries).
CRM_TIMEOUT_SECONDS = 1.0
SLOW_CRM_DELAY_SECONDS = 3.0


@dataclass(frozen=True)
class BotFiles:
    """The studio a run evaluates: its knowledge base and CRM seed."""

    kb_path: Path
    seed_path: Path


@dataclass(frozen=True)
class LlmSetup:
    """The LLM a run uses: settings overrides (``llm_*``) and, for ``--llm fake|liar``, the
    fake server's state (a ``fault: {llm: down}`` step makes it fail)."""

    settings: dict[str, Any] = field(default_factory=lambda: {"llm_provider": "off"})
    fake: FakeLLM | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.settings.get("llm_provider", "off") != "off")


@dataclass
class ScenarioBot:
    """One scenario's bot and the ends of its conversation."""

    services: Services
    clock: VirtualClock
    recorder: Recorder
    chat: ScenarioChat
    llm: LlmSetup = field(default_factory=LlmSetup)

    @property
    def emulator(self) -> EmulatorState:
        if self.services.emulator is None:  # pragma: no cover - eval always embeds it
            raise RuntimeError("dancebot eval needs the embedded CRM emulator")
        return self.services.emulator

    async def state(self) -> str:
        """The chat's FSM state now (``idle`` when it has no session)."""
        session = await self.services.deps.sessions.load(self.chat.channel, self.chat.chat_id)
        return session.state.value if session is not None else "idle"

    def crm_snapshot(self) -> dict[str, Any]:
        return self.emulator.snapshot()

    def active_reservation_ids(self) -> set[int]:
        return {
            int(r["id"]) for r in self.emulator.snapshot()["reservation"] if not r.get("deleted")
        }


class Workspace:
    """One eval run's temp folder: the template database and a folder per scenario."""

    def __init__(
        self,
        files: BotFiles,
        root: Path,
        llm: LlmSetup | None = None,
        *,
        database_url: str | None = None,
    ) -> None:
        self.files = files
        self.llm = llm or LlmSetup()
        self.rejections: Counter[str] = Counter()  # the policy enforcer's, by rule
        self._root = root
        self._database_url = database_url  # set: every scenario writes its audit rows there
        self._template = root / "template" / DEFAULT_SQLITE_NAME
        self._seed_json = root / "seed.json"
        self._count = 0

    @classmethod
    @asynccontextmanager
    async def open(
        cls, files: BotFiles, llm: LlmSetup | None = None, *, keep_database: str | None = None
    ) -> AsyncIterator[Workspace]:
        """Create the folder, migrate the template and convert the seed; everything is
        removed afterwards. Raises ``SeedError`` for an invalid seed.

        ``keep_database``: a database URL every scenario writes its audit rows to (migrated
        here, kept afterwards: ``dancebot report`` reads it) instead of a throwaway copy."""
        with tempfile.TemporaryDirectory(prefix="dancebot-eval-") as root:
            url = None if keep_database is None else database_url(keep_database, var_dir=Path(root))
            workspace = cls(files, Path(root), llm, database_url=url)
            seed = load_seed(files.seed_path)
            document = seed_document(seed.timezone, seed.records)
            workspace._seed_json.write_text(json.dumps(document), encoding="utf-8")
            await upgrade_database(url or database_url(None, var_dir=workspace._template.parent))
            yield workspace

    @asynccontextmanager
    async def bot(self, scenario: Scenario) -> AsyncIterator[ScenarioBot]:
        """A fresh bot for ``scenario``, its clock at ``scenario.now``. Raises what
        ``build_services`` raises (an invalid KB or seed)."""
        self._count += 1
        var_dir = self._root / f"scenario-{self._count}"
        var_dir.mkdir()
        if self._database_url is None:
            shutil.copyfile(self._template, var_dir / DEFAULT_SQLITE_NAME)
        clock = VirtualClock(scenario.now)
        recorder = Recorder(clock)
        try:
            async with build_services(
                self.settings(var_dir),
                clock=clock,
                outbox=recorder,
                admin=recorder,
                redis=make_redis(None),
            ) as services:
                chat = ScenarioChat(
                    clock=clock,
                    channel=Channel(scenario.channel),
                    chat_id=scenario.user.chat_id,
                    sender_name=scenario.user.first_name,
                    sender_phone=scenario.sender_phone,
                )
                yield ScenarioBot(
                    services=services, clock=clock, recorder=recorder, chat=chat, llm=self.llm
                )
                if services.ai is not None and services.ai.phraser is not None:
                    self.rejections.update(services.ai.phraser.rejections)
        finally:
            shutil.rmtree(var_dir, ignore_errors=True)

    def settings(self, var_dir: Path) -> Settings:
        """Embedded everything, whatever the environment says (explicit values win)."""
        return Settings(
            _env_file=None,
            dancebot_env="test",
            kb_path=self.files.kb_path,
            impulse_emulator_seed=self._seed_json,
            impulse_emulator_state="memory",
            impulse_base_url=None,
            impulse_timeout_seconds=CRM_TIMEOUT_SECONDS,
            redis_url=None,
            database_url=self._database_url,
            DANCEBOT_VAR_DIR=var_dir,
            **self.llm.settings,
        )
