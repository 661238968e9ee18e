"""Turning an error into the one line a user is shown."""

from __future__ import annotations


def first_line(error: BaseException) -> str:
    """The error's message as one line (FFmpeg's, torch's and ONNX Runtime's run to
    paragraphs); its type's name when the message is empty."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
