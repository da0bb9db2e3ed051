"""Prompt regression (contract §21): ``python -m tests.prompt_regression.runner [PATHS]``.

Each case runs 3 times (temperature 0) through the real AI layer (providers, parser,
validation, policy enforcer) and passes on 2 of 3; a suite passes when ≥ its threshold
(90 %) of its cases pass. Exit 0 when every suite passes, 1 when one does not (the deploy
gate), 2 when the suites or the provider settings are invalid.

``--llm auto`` (default) uses the configured provider when ``LLM_PROVIDER``/``LLM_MODEL``/
``LLM_API_KEY`` are set, else the fake LLM server (its cases' ``fake`` answers), over HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.prompt_regression.model import Case, Suite, load_suites

from dancebot.adapters.clock import VirtualClock
from dancebot.adapters.storage.db.audit import SqlAuditLog
from dancebot.adapters.storage.db.engine import make_engine, make_sessionmaker
from dancebot.adapters.storage.db.migrate import upgrade_database
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.adapters.storage.redis_connection import make_redis
from dancebot.domain.fsm import State
from dancebot.domain.messages import Channel
from dancebot.domain.session import Session
from dancebot.entrypoints.ai_layer import AiLayer, build_ai_layer
from dancebot.entrypoints.logging import configure_logging
from dancebot.entrypoints.settings import PROJECT_ROOT, Settings
from dancebot.evaluation.llm import LlmNotConfigured, fake_settings, real_settings
from dancebot.kb.loader import load_kb
from dancebot.kb.schema import KnowledgeBase
from dancebot.testing.fake_llm import FakeLLM, Reply, serve_fake_llm

RUNS = 3
NEEDED = 2
SUITES = Path(__file__).resolve().parent / "suites"
NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # Monday morning in the studio


class _Admin:
    async def notify_admin(self, text: str, *, trace_id: str | None = None) -> None:
        print(f"admin: {text}", file=sys.stderr)


@asynccontextmanager
async def ai_layer(mode: str, kb: KnowledgeBase) -> AsyncIterator[tuple[AiLayer, FakeLLM | None]]:
    """The AI layer as bootstrap builds it, on the fake server or the configured provider."""
    with tempfile.TemporaryDirectory(prefix="prompt-regression-") as root:
        url = f"sqlite+aiosqlite:///{root}/audit.db"
        await upgrade_database(url)
        engine = make_engine(url)
        audit = SqlAuditLog(make_sessionmaker(engine))
        try:
            if mode == "real":
                async with _built(real_settings(), audit) as layer:
                    yield layer, None
            else:
                fake = FakeLLM()
                async with (
                    serve_fake_llm(fake, kb=kb) as server,
                    _built(fake_settings(server), audit) as layer,
                ):
                    yield layer, fake
        finally:
            await audit.flush()
            await engine.dispose()


@asynccontextmanager
async def _built(overrides: dict[str, Any], audit: SqlAuditLog) -> AsyncIterator[AiLayer]:
    settings = Settings(_env_file=None, llm_phrasing_temperature=0.0, **overrides)
    redis = make_redis(None)
    layer = build_ai_layer(
        settings,
        redis=redis,
        keys=RedisKeys(prefix="prompt-regression"),
        audit=audit,
        clock=VirtualClock(NOW),
        admin=_Admin(),
    )
    if layer is None:  # pragma: no cover - the settings always name a provider
        raise LlmNotConfigured("no LLM")
    try:
        yield layer
    finally:
        await redis.aclose()


async def run_case(case: Case, layer: AiLayer, kb: KnowledgeBase, fake: FakeLLM | None) -> bool:
    """One run of ``case``: True when every expectation holds."""
    if fake is not None and case.fake is not None:
        answer = case.fake
        fake.script(Reply(text=answer) if isinstance(answer, str) else Reply(output=answer))
    session = Session.start(Channel.TELEGRAM, f"regression-{case.id}", now=NOW)
    session.state = State(case.state)
    session.slots.awaiting = case.awaiting
    expect = case.expect
    if case.task == "understand":
        today = NOW.astimezone(kb.tz).date()
        understanding = await layer.generator.generate(
            case.input, session, kb, today, trace_id=case.id
        )
        if understanding is None:
            return False
        kinds = set(understanding.kinds)
        services = {getattr(c, "service_id", None) for c in understanding.commands}
        return (
            set(expect.commands) <= kinds
            and not set(expect.not_commands) & kinds
            and (expect.service_id is None or expect.service_id in services)
        )
    text = await _phrase(case, layer, kb, session)
    if text is None:
        return not expect.sent
    folded = text.casefold()
    return (
        expect.sent
        and all(part.casefold() in folded for part in expect.contains)
        and not any(part.casefold() in folded for part in expect.not_contains)
    )


async def _phrase(case: Case, layer: AiLayer, kb: KnowledgeBase, session: Session) -> str | None:
    phraser = layer.phraser
    if phraser is None:  # pragma: no cover - LLM_PHRASING=false
        return None
    if case.task == "rephrase":
        return await phraser.rephrase(
            case.input,
            session=session,
            kb=kb,
            allowed_times=case.allowed_times,
            trace_id=case.id,
        )
    return await phraser.answer(
        case.input, session=session, kb=kb, snippets=case.snippets, trace_id=case.id
    )


async def run_suites(paths: list[Path], *, mode: str, kb_path: Path) -> int:
    """Run every suite under ``paths``; the exit code (0 pass, 1 below a threshold)."""
    suites = load_suites(paths)
    kb = load_kb(kb_path)
    failed = 0
    async with ai_layer(mode, kb) as (layer, fake):
        for suite in suites:
            failed += not await _run_suite(suite, layer, kb, fake)
    print(f"{len(suites) - failed} suites passed, {failed} failed ({mode})")
    return 1 if failed else 0


async def _run_suite(suite: Suite, layer: AiLayer, kb: KnowledgeBase, fake: FakeLLM | None) -> bool:
    passed = 0
    for case in suite.cases:
        wins = sum([await run_case(case, layer, kb, fake) for _ in range(RUNS)])
        ok = wins >= NEEDED
        passed += ok
        print(f"  {'✓' if ok else '✗'} {suite.suite}/{case.id}: {wins}/{RUNS}", file=sys.stderr)
    share = passed / len(suite.cases)
    ok = share >= suite.threshold
    print(
        f"{'PASS' if ok else 'FAIL'} {suite.suite}: {passed}/{len(suite.cases)} "
        f"({share:.0%}, threshold {suite.threshold:.0%})"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.prompt_regression.runner")
    parser.add_argument("paths", nargs="*", type=Path, default=[SUITES])
    parser.add_argument("--llm", choices=["auto", "fake", "real"], default="auto")
    parser.add_argument("--kb", type=Path, default=PROJECT_ROOT / "knowledge/studio_tatyana.yaml")
    args = parser.parse_args(argv)
    configure_logging(level="ERROR")
    mode = args.llm
    if mode == "auto":
        try:
            real_settings()
            mode = "real"
        except LlmNotConfigured:
            mode = "fake"
    try:
        return asyncio.run(run_suites(args.paths, mode=mode, kb_path=args.kb))
    except (ValueError, LlmNotConfigured) as exc:
        print(f"prompt regression cannot run: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
