"""The demo scenario: four agencies of one invented country, seeded, with ground truth."""

from seamline.demo.generate import DemoSummary, generate_demo

__all__ = ["DemoSummary", "generate_demo"]
