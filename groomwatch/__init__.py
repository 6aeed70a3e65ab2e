"""groomwatch: detect online grooming in chat and assess detectors by their error rates."""

__version__ = "0.1.0"
