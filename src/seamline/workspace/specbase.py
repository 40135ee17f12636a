"""The base of every workspace spec model: unknown keys are errors, values are frozen."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

ID = r"^[a-z0-9][a-z0-9_-]*$"
Sensitivity = Literal["public", "internal", "personal", "special"]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
