"""Pure domain: models, FSM, policies. Imports nothing outside stdlib and pydantic."""
