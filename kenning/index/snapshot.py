"""Index snapshots: a user's :class:`ScopeIndex` in one file beside the store.

Loading a scope from the store re-derives every memory (decode rows and vectors, tokenize,
code the columns, build the HNSW graph): 38 s for 211,137 memories in `kenning bench`'s
"cold open, no snapshot" at 10^5 messages. A snapshot holds
the result as arrays, so opening a scope reads a file and then applies what the change
feed recorded since the snapshot's position, as any catch-up does.

The file is a JSON header (the manifest, how each attribute was encoded, the arrays' names
and CRC-32 checksums) followed by the arrays as ``.npy`` records, each read straight into
its array (numpy's ``.npz`` goes through ``zipfile`` and reads at half the speed) and never
with pickle. It is written to a temporary name and renamed, so a reader sees an old
snapshot or a new one, never half of one. The manifest names the format version, the
embedding model, the index options and the feed position; a snapshot whose manifest
differs from what the opening process would build is ignored (and replaced). The encoding
is generic over the index's building blocks: numpy arrays, :class:`Column`,
:class:`Growable`, nested index objects (their attributes, recursively), the HNSW graph
(usearch's own format), and JSON for plain values. Caches (``_TRANSIENT`` of each class) and
callables are never written: the opening process's fresh index supplies them.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from kenning.index.ann import VectorIndex
from kenning.index.arrays import Column, Growable, Ragged
from kenning.index.scope import ScopeIndex

log = logging.getLogger(__name__)

# Bump when any snapshotted class changes what its attributes mean.
FORMAT_VERSION = 1
_MAGIC = b"KENNING-INDEX\n"

Arrays = dict[str, npt.NDArray[Any]]


def save(index: ScopeIndex, path: Path, manifest: Mapping[str, Any]) -> None:
    """Write ``index`` to ``path`` (atomically: a temporary file renamed over it)."""
    arrays: Arrays = {}
    tags: dict[str, Any] = {}
    _encode(index, "", arrays, tags)
    names = list(arrays)
    header = {
        "manifest": {**manifest, "format": FORMAT_VERSION},
        "tags": tags,
        "arrays": names,
        "crc32": [_crc(np.ascontiguousarray(arrays[name])) for name in names],
    }
    encoded = json.dumps(header).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(_MAGIC + len(encoded).to_bytes(8, "little") + encoded)
            for name in names:
                np.lib.format.write_array(out, arrays[name], allow_pickle=False)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_manifest(path: Path) -> dict[str, Any] | None:
    """A snapshot's manifest, or None when the file is missing or unreadable."""
    try:
        with path.open("rb") as file:
            found: dict[str, Any] = _header(file)["manifest"]
            return found
    except (OSError, ValueError, KeyError) as error:
        if path.exists():
            log.warning("index snapshot %s is unreadable (%s); it will be rebuilt", path, error)
        return None


def load(path: Path, fresh: ScopeIndex, manifest: Mapping[str, Any]) -> int | None:
    """Fill ``fresh`` (a new, empty index built with the current options) from the snapshot
    at ``path`` and return the feed position it reflects; None when there is no usable
    snapshot (missing, unreadable, or made for another model, options or format)."""
    expected = {**manifest, "format": FORMAT_VERSION}
    try:
        with path.open("rb") as file:
            header = _header(file)
            found = dict(header["manifest"])
            position = found.pop("position", None)
            if found != expected or not isinstance(position, int):
                log.info("index snapshot %s was made for %s; rebuilding", path, found)
                return None
            arrays = _arrays(file, header["arrays"], header["crc32"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError) as error:
        log.warning("index snapshot %s is unreadable (%s); rebuilding", path, error)
        return None
    try:
        _same_layout(fresh, header["tags"])
        _decode(fresh, "", arrays, header["tags"])
    except (_Mismatch, KeyError) as error:
        log.warning("index snapshot %s does not fit this version (%s); rebuilding", path, error)
        return None
    fresh.position = {memory_id: i for i, memory_id in enumerate(fresh.ids)}
    return position


def _header(file: BinaryIO) -> dict[str, Any]:
    """The JSON header after the magic line: manifest, tags, array names and checksums."""
    if file.read(len(_MAGIC)) != _MAGIC:
        raise ValueError("not an index snapshot")
    size = int.from_bytes(file.read(8), "little")
    found: dict[str, Any] = json.loads(file.read(size))
    return found


def _arrays(file: BinaryIO, names: list[str], checksums: list[int]) -> Arrays:
    """The ``.npy`` records after the header, each read straight into its array (one read
    per array, no copy) and checked against its CRC-32."""
    out: Arrays = {}
    for name, expected in zip(names, checksums, strict=True):
        array = np.lib.format.read_array(file, allow_pickle=False)
        if _crc(array) != expected:
            raise ValueError(f"{name} is damaged (checksum)")
        out[name] = array
    return out


def _crc(array: npt.NDArray[Any]) -> int:
    return zlib.crc32(array.data) if array.size else 0


def _is_index_object(value: object) -> bool:
    """Objects encoded attribute by attribute: the index's own building blocks."""
    return type(value).__module__.startswith("kenning.index.") and hasattr(value, "__dict__")


def _encode(obj: object, prefix: str, arrays: Arrays, tags: dict[str, Any]) -> None:
    transient: frozenset[str] = getattr(obj, "_TRANSIENT", frozenset())
    sized: dict[str, str] = getattr(obj, "_SIZED", {})  # arrays filled up to a size attribute
    for name, value in vars(obj).items():
        if name in transient or callable(value):
            continue
        key = prefix + name
        if isinstance(value, np.ndarray):
            filled = value[: getattr(obj, sized[name])] if name in sized else value
            arrays[key], tags[key] = filled, "array"
        elif isinstance(value, (Column, Growable)):
            arrays[key], tags[key] = value.view(), "column"
        elif isinstance(value, VectorIndex):
            arrays.update({key + "." + k: v for k, v in value.state().items()})
            tags[key] = "ann"
        elif _is_index_object(value):
            if isinstance(value, Ragged):
                value.compact()  # replaced lists' garbage is not worth writing
            tags[key] = "object"
            _encode(value, key + ".", arrays, tags)
        else:
            tags[key] = {"json": _plain(value)}


def _decode(obj: object, prefix: str, arrays: Arrays, tags: Mapping[str, Any]) -> None:
    fields = vars(obj)
    for key, tag in tags.items():
        if not key.startswith(prefix) or "." in key[len(prefix) :]:
            continue
        name = key[len(prefix) :]
        current = fields.get(name)
        if tag in ("array", "column"):
            _check_dtype(key, current, arrays[key])
        if tag == "array":
            value: Any = arrays[key]
        elif tag == "column":
            value = _column_like(current, arrays[key])
        elif tag == "ann":
            value = VectorIndex.restored(
                {k[len(key) + 1 :]: v for k, v in arrays.items() if k.startswith(key + ".")}
            )
        elif tag == "object":
            _decode(current, key + ".", arrays, tags)
            continue
        else:
            value = _unplain(tag["json"])
        object.__setattr__(obj, name, value)  # frozen dataclasses too


class _Mismatch(ValueError):
    """The snapshot's arrays are not of the types this version builds."""


def _same_layout(fresh: ScopeIndex, tags: Mapping[str, Any]) -> None:
    """The snapshot holds exactly the attributes this version's index has, each encoded the
    same way (an attribute added or dropped since the file was written is caught here)."""
    expected: dict[str, Any] = {}
    _encode(fresh, "", {}, expected)
    # An empty index has nothing yet (None) where a written one may have an array or an
    # HNSW graph (with its parts): those attributes match any encoding.
    unset = [k for k, v in expected.items() if v == {"json": None}]

    def kinds(found: Mapping[str, Any]) -> set[tuple[str, str]]:
        return {
            (k, "json" if isinstance(v, dict) else v)
            for k, v in found.items()
            if not any(k == u or k.startswith(u + ".") for u in unset)
        }

    differ = sorted(kinds(expected) ^ kinds(tags))
    if differ:
        raise _Mismatch(f"attributes differ: {differ[:4]}")


def _check_dtype(key: str, current: object, found: npt.NDArray[Any]) -> None:
    expected = current.values if isinstance(current, (Column, Growable)) else current
    if isinstance(expected, np.ndarray) and expected.dtype != found.dtype:
        raise _Mismatch(f"{key} is {found.dtype}, expected {expected.dtype}")


def _column_like(current: object, values: npt.NDArray[Any]) -> Column | Growable:
    if isinstance(current, Column):
        return Column.of(values, current.fill)
    return Growable.of(values)


def _plain(value: Any) -> Any:
    """JSON for plain values: dicts numbered 0..n-1 in order become their key list."""
    if isinstance(value, dict):
        if list(value.values()) == list(range(len(value))):
            return {"codes": [_plain(k) for k in value]}
        return {"pairs": [[_plain(k), _plain(v)] for k, v in value.items()]}
    if isinstance(value, (set, frozenset)):
        return {"set": sorted(_plain(v) for v in value)}
    if isinstance(value, tuple):
        return {"tuple": [_plain(v) for v in value]}
    if isinstance(value, list):
        return value if _flat(value) else [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot snapshot a {type(value).__name__}")


def _flat(values: list[Any]) -> bool:
    """A list of strings, or of integers, that JSON keeps as it is (the long ones: ids,
    vocabularies, postings) and that needs no walk element by element."""
    return all(type(v) is str for v in values) or all(type(v) is int for v in values)


def _unplain(value: Any) -> Any:
    if isinstance(value, list):
        return value if _flat(value) else [_unplain(v) for v in value]
    if isinstance(value, dict):
        if "codes" in value:
            codes = value["codes"]
            keys = codes if _flat(codes) else [_unplain(k) for k in codes]
            return {k: i for i, k in enumerate(keys)}
        if "pairs" in value:
            return {_key(_unplain(k)): _unplain(v) for k, v in value["pairs"]}
        if "set" in value:
            return {_unplain(v) for v in value["set"]}
        return tuple(_unplain(v) for v in value["tuple"])
    return value


def _key(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
