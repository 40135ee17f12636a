"""The derive stage: derived datasets (``derived/*.yaml``) computed by SQL, in lineage order."""

from seamline.derive.run import DerivedResult, derive_one
from seamline.derive.stage import DeriveStage

__all__ = ["DeriveStage", "DerivedResult", "derive_one"]
