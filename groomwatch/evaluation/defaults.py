"""Documented defaults of an assessment, kept import-light so `groomwatch --help` stays fast.

The deployment defaults describe a large messaging service: 1 grooming conversation in 10,000
(the base rate the EDPB-EDPS opinion's arithmetic uses), 10 million conversations scanned a day,
and 5 minutes of a reviewer's time per flag.
"""

DEFAULT_BASE_RATE = 1e-4
DEFAULT_VOLUME = 10_000_000
DEFAULT_HANDLING_MINUTES = 5.0
DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
#: perturbation strength for robustness checks (probability per character/word, see data.perturb)
DEFAULT_PERTURB_RATE = 0.1
