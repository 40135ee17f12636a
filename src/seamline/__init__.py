"""seamline: own the seams between agency systems."""

__version__ = "0.1.0"
