"""Encryption at rest of the data folder's Parquet files (``encryption:`` in seamline.yaml).

``parquet.ParquetFiles`` is the one door to those files (``Workspace.parquet`` gives the
workspace's own, its key resolved once); ``keys`` resolves and checks the key; ``kms``
wraps pyarrow's data keys with it; ``rotate`` re-encrypts a data folder. Nothing is
imported here, so that ``seamline.crypto.keys`` and the ``seamline keys`` command stay light to import.
"""
