"""The contract of a normalizer: one step of a field's ``normalize:`` list.

A dataset field declares its steps in YAML, e.g.::

    - column: PIN
      attribute: national_id
      normalize:
        - identifier: {scheme: kg_pin}
    - column: birth
      normalize:
        - date: {formats: ["DD.MM.YYYY", "YYYY-MM-DD"]}

Each step is a :class:`Normalizer` class registered under its key (``identifier``,
``date``, ``name``, ``transliterate``, ``phone``, ``email``, ``text``, ``address``...).
A step turns a batch of input values into output values plus a **flag** per value
(a function of that value alone: the harmonizer computes each distinct value once and
reuses the result wherever the value repeats):
null where the value is fine, else a short machine name (``invalid_identifier``,
``ambiguous_date``, ``unparseable_date``...). Nothing is dropped: a flagged value keeps
its best output (often null) and the original stays in the harmonized row.

A step offers SQL (sqlglot trees the engine runs in the compiled plan) where the
transformation is expressible in SQL, and always offers a vectorized Arrow
implementation (whole batches, no Python loop per value where avoidable) that the plan
calls as a user-defined function otherwise. Both must give the same result; tests
check that on fixtures.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pyarrow as pa
from pydantic import BaseModel, ConfigDict
from sqlglot import exp


class StepOptions(BaseModel):
    """Base of every normalizer's options (the mapping under its key)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


@dataclass(frozen=True)
class StepContext:
    """What a step may need besides its options."""

    country: str | None = None
    """The workspace's default country (ISO 3166-1 alpha-2), e.g. for phone numbers."""
    extras: dict[str, Any] = field(default_factory=dict)
    """Named lookups the compiler provides (e.g. declared identifier schemes)."""


@dataclass
class StepResult:
    """Output values of one step and a flag per value (null = fine)."""

    values: pa.Array[Any]
    flags: pa.Array[Any]
    """``pa.string()`` array, same length; null where the value is fine."""


@dataclass(frozen=True)
class SqlStep:
    """A step as SQL: the output value and the flag, both over the input expression."""

    value: exp.Expr
    flag: exp.Expr
    """A text expression, NULL where the value is fine."""
    shared: tuple[exp.Expr, ...] = ()
    """Subexpressions of ``value`` and ``flag`` over the input that they repeat (often
    inside CASE branches, where the engine does not share them), and that are safe to
    compute for every row. The compiler computes each once, in a projection before the
    step, and refers to it by name; innermost first (a later one may contain an
    earlier one)."""


class Normalizer(ABC):
    """One normalizer kind. Subclasses set ``key``, ``options_model`` and ``output_type``."""

    key: ClassVar[str]
    options_model: ClassVar[type[StepOptions]]
    output_type: ClassVar[pa.DataType] = pa.string()
    flags: ClassVar[tuple[str, ...]] = ()
    """Every flag this step can raise (for docs and findings)."""
    doubts: ClassVar[tuple[str, ...]] = ()
    """The flags among ``flags`` that keep a value which is one reading of several (not
    an error, not a repair): reconcile puts a golden value that only such values support
    on the worklist instead of publishing it unasked."""
    memoize: ClassVar[bool] = False
    """Whether results per distinct value are kept across batches (Python-per-value steps)."""
    prefer_sql: ClassVar[bool] = True
    """Whether the compiler uses :meth:`sql` when offered (False: the Arrow path is faster)."""

    def __init__(self, options: StepOptions, context: StepContext | None = None) -> None:
        self.options = options
        self.context = context or StepContext()

    def sql(self, value: exp.Expr) -> SqlStep | None:
        """The step as SQL over ``value`` (a text expression), or None if not expressible."""
        return None

    @abstractmethod
    def arrow(self, values: pa.Array[Any]) -> StepResult:
        """The step over a batch of values (usually ``pa.string()``)."""

    def output_for(self, input_type: pa.DataType) -> pa.DataType:
        """The Arrow type of the output for a given input type."""
        return self.output_type


def combine_flags(first: pa.Array[Any], second: pa.Array[Any]) -> pa.Array[Any]:
    """The first non-null flag of two steps (a value flagged early stays flagged)."""
    import pyarrow.compute as pc

    return pc.coalesce(first, second)
