"""The error a model that cannot be found or used raises."""


class ModelError(Exception):
    """A model file that is missing, unreadable or of a kind tracklake cannot run.

    The message names the file and the cause.
    """


class DeviceError(ValueError):
    """A device that this machine does not have (``cuda`` without CUDA, ``cuda:3`` of two)."""
