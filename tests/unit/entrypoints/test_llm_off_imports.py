"""With ``LLM_PROVIDER=off`` (the default) a process never loads pydantic-ai or the providers'
SDKs: they cost seconds of start-up and ~100 MB per process (issue 12). Run in a fresh
interpreter, so what other tests imported does not count."""

from __future__ import annotations

from tests.unit.entrypoints.fresh_process import SERVICES, last_line

_SCRIPT = (
    SERVICES
    + """
async def check(services):
    assert services.kb is not None

asyncio.run(with_services(
    check,
    impulse_emulator_seed=Path("seeds/studio_tatyana.yaml"),
    impulse_emulator_state="memory",
))
heavy = sorted(m for m in ("pydantic_ai", "anthropic", "openai") if m in sys.modules)
print("loaded:" + ",".join(heavy))
"""
)


def test_services_without_an_llm_do_not_import_the_llm_stack() -> None:
    assert last_line(_SCRIPT) == "loaded:"
