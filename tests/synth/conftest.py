"""Shared generated data for the synth tests: generated once per session, it is deterministic."""

from __future__ import annotations

import pytest

from groomwatch.data.record import Conversation
from groomwatch.data.synth import SynthConfig, generate


@pytest.fixture(scope="session")
def corpus() -> list[Conversation]:
    """A mid-sized six-language run with many grooming conversations, for property checks."""
    return generate(SynthConfig(n=3000, prevalence=0.5, seed=11))
