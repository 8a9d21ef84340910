"""Data: built-in datasets, loading CSV/Parquet tables, decoding text files, and splits.

The bottom layer: it imports nothing else from ``al_core`` but ``errors``.
"""
