"""Inputs and outputs: video sources, FFmpeg decoding (PyAV), the Parquet track store, MOT export.

No torch and no ray here.
"""
