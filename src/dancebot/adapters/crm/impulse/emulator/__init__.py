"""A stateful emulator of Impulse CRM (DESIGN §7, docs/impulse_api.md): what tests, the
embedded default, ``dancebot chat``/``eval`` and the benchmarks talk to, over HTTP."""

from __future__ import annotations

from dancebot.adapters.crm.impulse.emulator.app import create_emulator_app
from dancebot.adapters.crm.impulse.emulator.booking import EmulatorError
from dancebot.adapters.crm.impulse.emulator.seed import Seed, SeedError, load_seed, parse_seed
from dancebot.adapters.crm.impulse.emulator.state import FAULT_MODES, EmulatorState, Fault

__all__ = [
    "FAULT_MODES",
    "EmulatorError",
    "EmulatorState",
    "Fault",
    "Seed",
    "SeedError",
    "create_emulator_app",
    "load_seed",
    "parse_seed",
]
