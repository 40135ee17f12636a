"""Normalizers: the steps that make the values of different agencies comparable."""

from seamline.normalize.base import Normalizer, SqlStep, StepContext, StepOptions, StepResult
from seamline.normalize.registry import NormalizerRegistry, default_normalizers

__all__ = [
    "Normalizer",
    "NormalizerRegistry",
    "SqlStep",
    "StepContext",
    "StepOptions",
    "StepResult",
    "default_normalizers",
]
