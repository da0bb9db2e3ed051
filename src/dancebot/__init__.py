"""DanceBot: a dance studio chat assistant backend."""
