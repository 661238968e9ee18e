"""Inputs and outputs: video sources, decord decoding, the Parquet track store, MOT export.

No torch and no ray here.
"""
