"""A small demo workspace run through every stage twice: in clear and encrypted."""

from __future__ import annotations

import pytest
from atrest_kit import DemoRun, new_key, run_demo


@pytest.fixture(scope="package")
def encrypted_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return run_demo(tmp_path_factory.mktemp("enc") / "ws", new_key())


@pytest.fixture(scope="package")
def plain_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return run_demo(tmp_path_factory.mktemp("plain") / "ws", None)
