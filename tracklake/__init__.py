"""tracklake: batch multi-object tracking for video archives."""

__version__ = "0.1.0"
