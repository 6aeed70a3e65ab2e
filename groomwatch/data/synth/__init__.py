"""Synthetic, non-explicit grooming and look-alike benign conversations.

``generate(SynthConfig(...))`` returns labelled conversation records; the same config always
gives the same records. Sexual content never appears: redaction tokens such as
``[SEXUAL_CONTENT]`` stand where it would be.
"""

from groomwatch.data.synth.config import SynthConfig, load_config
from groomwatch.data.synth.generate import GENERATOR_VERSION, generate, iter_conversations

__all__ = ["GENERATOR_VERSION", "SynthConfig", "generate", "iter_conversations", "load_config"]
