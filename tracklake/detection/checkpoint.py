"""Reading a ``.pt`` checkpoint without running code from it: every checkpoint load goes here.

A pickle may name any function for the reader to call (``os.system``, say). tracklake reads
checkpoints with torch's ``weights_only`` unpickler, which calls nothing outside an allow-list,
and extends that list with what an Ultralytics checkpoint is made of: the ``nn.Module`` classes
of ``torch.nn`` and ``ultralytics.nn``, found by walking the installed packages, plus a few data
types. Those classes may be *rebuilt* (created empty, then given their saved attributes) but
never *called*: a model class's constructor parses a model YAML and ``eval`` s strings in it,
so a call with arguments chosen by the file would run the file's code.

A file that names anything else is refused before it is read, with the names in the message.
``unsafe_load_pickle=True`` reads it with the plain unpickler instead, for files the user trusts.
"""

from __future__ import annotations

import _compat_pickle
import importlib
import io
import pickle
import pkgutil
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch

from tracklake.detection.errors import ModelError

UNSAFE_FLAG = "--unsafe-load-pickle"

# The loss and assigner objects older checkpoints kept as the model's ``criterion``.
_CRITERION_MODULES = ("ultralytics.utils.loss", "ultralytics.utils.tal")
# Checkpoints keep a head's ``forward`` as an attribute (``self.detect = Detect.forward``);
# ``builtins.getattr`` may fetch these, and nothing else.
_FORWARD_PREFIX = "forward"
# torch's legacy format: magic number, protocol, system info, the object, storage keys.
_LEGACY_PICKLES = 5


class _Refused(Exception):
    """Raised while unpickling when the file asks for a call outside the allow-list."""


class _RebuildOnly:
    """Stands for ``cls`` in the allow-list: the unpickler may create an empty instance of it
    (``NEWOBJ``) and set that instance's state (``BUILD``), but calling it (``REDUCE``, which
    runs the constructor with the file's arguments) is refused."""

    def __init__(self, cls: type) -> None:
        self.cls = cls
        # NEWOBJ creates objects as ``allowed.__new__(allowed, *args)``.
        # (an instance's own __new__, which NEWOBJ looks up on the object it is given)
        self.__new__ = lambda _allowed, *args: cls.__new__(cls, *args)  # type: ignore[method-assign]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise _Refused(f"{_pickled_name(self.cls)}(...)")

    # BUILD accepts an instance whose ``type(...)`` is among the allowed values: this stand-in
    # must compare equal to its class.
    def __eq__(self, other: object) -> bool:
        return other is self or other is self.cls

    def __hash__(self) -> int:
        return hash(self.cls)


def _pickled_name(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def _submodules(package: ModuleType) -> list[ModuleType]:
    return [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
    ]


def _classes_defined_in(module: ModuleType, base: type = object) -> list[type]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, base)
        and value.__module__ == module.__name__
    ]


def _forward_of(owner: Any, name: str) -> Any:
    """``getattr`` as a checkpoint may use it: only a ``forward*`` method of a model class or of
    a rebuilt module."""
    cls = owner.cls if isinstance(owner, _RebuildOnly) else type(owner)
    method = getattr(cls, name, None) if name.startswith(_FORWARD_PREFIX) else None
    if not callable(method) or not issubclass(cls, torch.nn.Module):
        raise _Refused(f"getattr({cls.__name__}, {name!r})")
    return method if isinstance(owner, _RebuildOnly) else method.__get__(owner)


@cache
def allowed_globals() -> dict[str, Any]:
    """What an Ultralytics checkpoint may name, by the name its pickle uses, mapped to what the
    unpickler gets for it: a ``_RebuildOnly`` for a class of the model, the object itself for a
    harmless data type."""
    import pathlib

    import ultralytics.nn.modules
    import ultralytics.nn.tasks
    from ultralytics.utils import IterableSimpleNamespace

    model_modules = [
        ultralytics.nn.tasks,
        *_submodules(ultralytics.nn.modules),
        *_submodules(torch.nn.modules),
    ]
    classes = [cls for m in model_modules for cls in _classes_defined_in(m, torch.nn.Module)]
    classes += [
        cls
        for name in _CRITERION_MODULES
        for cls in _classes_defined_in(importlib.import_module(name))
    ]
    allowed: dict[str, Any] = {_pickled_name(cls): _RebuildOnly(cls) for cls in classes}
    # Names older Ultralytics releases pickled, for classes that have moved or merged since.
    renamed = {
        "ultralytics.nn.modules.block.Silence": torch.nn.Identity,
        "ultralytics.nn.tasks.YOLOv10DetectionModel": ultralytics.nn.tasks.DetectionModel,
        "ultralytics.utils.loss.v10DetectLoss": importlib.import_module(
            "ultralytics.utils.loss"
        ).E2EDetectLoss,
    }
    allowed.update({name: _RebuildOnly(cls) for name, cls in renamed.items()})
    # Data: training arguments, paths and numpy scalars in metrics. Their constructors only
    # store their arguments, so the unpickler may call them.
    scalar = np.float64(0).__reduce__()[0]
    data = {
        "ultralytics.utils.IterableSimpleNamespace": IterableSimpleNamespace,
        "ultralytics.yolo.utils.IterableSimpleNamespace": IterableSimpleNamespace,
        "pathlib.PosixPath": pathlib.PosixPath,
        "pathlib.WindowsPath": pathlib.PosixPath,
        "numpy.dtype": np.dtype,
        "numpy.core.multiarray.scalar": scalar,
        "numpy._core.multiarray.scalar": scalar,
        "builtins.getattr": _forward_of,
    }
    allowed.update(data)
    return allowed


def _registered(
    needed: set[str], allowed: dict[str, Any]
) -> list[Callable[..., Any] | tuple[Callable[..., Any], str]]:
    """The allow-list entries a file that names ``needed`` gets: only those (torch rebuilds its
    lookup table from every entry at each step, so a long list slows every load)."""
    entries: list[Callable[..., Any] | tuple[Callable[..., Any], str]]
    entries = [(allowed[name], name) for name in needed]
    if "numpy.dtype" in needed:
        # A dtype's state is set on an instance of its own class (``Float64DType``, ...).
        numeric = np.typecodes["AllInteger"] + np.typecodes["AllFloat"] + "?"
        classes = {type(np.dtype(code)) for code in numeric}
        entries += [(cls, _pickled_name(cls)) for cls in classes]
    return entries


class _NameCollector(pickle.Unpickler):
    """Replays a pickle with every global replaced by ``_Placeholder``, recording the names."""

    def __init__(self, file: io.BufferedIOBase, names: set[str]) -> None:
        super().__init__(file)
        self.names = names

    def find_class(self, module: str, name: str) -> Any:
        # Python 2 names (``__builtin__.set``) read as torch's unpickler reads them.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        self.names.add(f"{module}.{name}")
        return _Placeholder

    def persistent_load(self, pid: Any) -> Any:
        return _Placeholder()


class _Placeholder:
    """Whatever a scanned pickle asks for: accepts any call, state or items, does nothing."""

    def __new__(cls, *args: Any, **kwargs: Any) -> _Placeholder:
        return object.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> _Placeholder:
        return _Placeholder()

    def __setstate__(self, state: Any) -> None:
        pass

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def append(self, item: Any) -> None:
        pass

    def extend(self, items: Any) -> None:
        pass

    def add(self, item: Any) -> None:
        pass


def referenced_globals(path: Path) -> set[str]:
    """The names of every global (class or function) the pickles in ``path`` refer to.

    Nothing is imported or called: each global is replaced by an inert placeholder. A zip
    checkpoint (``torch.save``) holds its pickle in ``*/data.pkl``; a file in torch's legacy
    format starts with up to ``_LEGACY_PICKLES`` pickles (raw tensor bytes follow, which are
    not read as pickles); a plain pickle file holds one.
    """
    names: set[str] = set()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if member.endswith("data.pkl"):
                    _collect(io.BytesIO(archive.read(member)), names, pickles=1)
    else:
        with path.open("rb") as file:
            _collect(file, names, pickles=_LEGACY_PICKLES)
    return names


def _collect(file: io.BufferedIOBase, names: set[str], pickles: int) -> None:
    collector = _NameCollector(file, names)
    for _ in range(pickles):
        try:
            collector.load()
        except Exception:  # the end of the file, or bytes that are no pickle
            return


def load_checkpoint(path: Path, *, unsafe_load_pickle: bool = False) -> Any:
    """The object ``torch.save`` wrote to ``path``, read onto the CPU.

    Args:
        path: a ``.pt`` file.
        unsafe_load_pickle: read with the plain unpickler, which runs whatever the file names.

    Raises:
        ModelError: the file names a global outside the allow-list (the names are in the
            message), or is not a torch checkpoint.
    """
    if unsafe_load_pickle:
        return _read(path, weights_only=False)
    allowed = allowed_globals()
    needed = referenced_globals(path) - _torch_allowed_globals()
    refused = sorted(needed - allowed.keys())
    if refused:
        raise _refusal(path, ", ".join(refused))
    try:
        with torch.serialization.safe_globals(_registered(needed, allowed)):
            return _read(path, weights_only=True)
    except _Refused as error:
        raise _refusal(path, str(error)) from None


def _torch_allowed_globals() -> set[str]:
    """The names torch's ``weights_only`` unpickler allows by itself (tensors, storages,
    ``OrderedDict``...); torch's public ``get_unsafe_globals_in_checkpoint`` reads the same
    table, but only for zip files."""
    from torch import _weights_only_unpickler

    return set(_weights_only_unpickler._get_allowed_globals())


def _refusal(path: Path, calls: str) -> ModelError:
    return ModelError(
        f"refusing to load {path}: it would call {calls}; "
        f"pass {UNSAFE_FLAG} only for files you trust"
    )


def _read(path: Path, *, weights_only: bool) -> Any:
    try:
        return torch.load(path, map_location="cpu", weights_only=weights_only)
    except _Refused:
        raise
    except Exception as error:
        raise ModelError(f"{path} is not a PyTorch checkpoint: {_cause(path, error)}") from None


def _cause(path: Path, error: Exception) -> str:
    """One line on why torch could not read ``path``."""
    with path.open("rb") as file:
        head = file.read(4)
    if not head:
        return "the file is empty"
    if head.startswith(b"PK\x03\x04") and not zipfile.is_zipfile(path):
        return "its zip archive is cut short or damaged"
    if not head.startswith(b"PK") and head[0] != pickle.PROTO[0]:
        return "it is neither a zip archive nor a pickle"
    # torch wraps the unpickler's own message in paragraphs of advice; keep the message.
    message = str(error).rpartition("WeightsUnpickler error:")[2]
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
