"""Connectors: one subpackage per kind of source, each of the same shape.

``sources/<kind>/options.py`` holds the pydantic model of the dataset's ``source:``
block, ``sources/<kind>/reader.py`` the :class:`~seamline.sources.base.Reader`, and
``sources/<kind>/__init__.py`` a ``register(registry)`` function, called through the
same plugin mechanism a third-party connector uses (see :mod:`seamline.plugins`).
"""
