"""The engine boundary: the only package that imports duckdb (a ruff rule enforces it).

Everything else hands the engine SQL built as sqlglot expression trees (or text with
bound parameters) and gets Arrow tables back, so the same plans can run on another
engine later without touching the stages.
"""

from seamline.engine.duckdb_engine import SPILL_DIR, Engine, EngineError, adopt

__all__ = ["SPILL_DIR", "Engine", "EngineError", "adopt"]
