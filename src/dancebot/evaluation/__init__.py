"""``dancebot eval``: conversation scenarios (SCENARIOS.md) run through the real pipeline."""
