"""Harmonize: compile each dataset's mapping to one SQL plan and run it on the engine."""

from seamline.harmonize.plan import HarmonizePlan, compile_dataset
from seamline.harmonize.run import HarmonizeResult, explain, harmonize_dataset

__all__ = ["HarmonizePlan", "HarmonizeResult", "compile_dataset", "explain", "harmonize_dataset"]
