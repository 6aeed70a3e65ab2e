"""Synthetic, non-explicit grooming and look-alike benign conversations.

``generate(SynthConfig(...))`` returns labelled conversation records; the same config always
gives the same records. Sexual content never appears: the sexual stage is steering language
that names no act. Redaction tokens such as ``[IMAGE]`` appear only with
``redaction_tokens=True``.
"""

from groomwatch.data.synth.config import SynthConfig, load_config
from groomwatch.data.synth.generate import GENERATOR_VERSION, generate, iter_conversations

__all__ = ["GENERATOR_VERSION", "SynthConfig", "generate", "iter_conversations", "load_config"]
