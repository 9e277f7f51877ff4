"""Mapbox Vector Tile 2.1 encoding of a layer of points, vectorised with numpy (no Python loop
over features): the protobuf messages (``vector_tile.proto``) written directly, for the site
tiles that ``sitefinder.api.mvt`` builds from the served site table in memory.

A point feature is ``tags`` (pairs of key and value index), ``type`` POINT and ``geometry``
``[MoveTo(1), zigzag(x), zigzag(y)]``: every part of it is a protobuf varint, so a whole layer's
features are one stream of varints (one row of tokens per feature, the absent tags masked out)
encoded at once. Values: strings (``Value.string_value``), doubles (``double_value``: a decoder
reads back exactly the float64 given), booleans and unsigned integers. Tile coordinates are
integers, y down (the MVT convention); ``x``/``y`` may lie in the buffer beyond 0..extent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sitefinder.scoring import NDArray

_VARINT_STEPS = np.array([1 << 7, 1 << 14, 1 << 21, 1 << 28, 1 << 35], dtype=np.uint64)
_POINT = 1  # GeomType.POINT
_MOVE_TO_ONE = 9  # command MoveTo (1) with count 1: (1 & 7) | (1 << 3)
# field keys: (field number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited)
_LAYER_FEATURE, _FEATURE_TAGS, _FEATURE_TYPE, _FEATURE_GEOMETRY = 0x12, 0x12, 0x18, 0x22
_LAYER_NAME, _LAYER_KEY, _LAYER_VALUE, _LAYER_EXTENT, _LAYER_VERSION = 0x0A, 0x1A, 0x22, 0x28, 0x78
_VALUE_STRING, _VALUE_DOUBLE, _VALUE_UINT, _VALUE_BOOL = 0x0A, 0x19, 0x28, 0x38
_TILE_LAYER = 0x1A


def varint_lengths(values: NDArray) -> NDArray:
    """Bytes of each unsigned value as a protobuf varint (1-6, values below 2^42)."""
    v = np.asarray(values, dtype=np.uint64)
    out: NDArray = np.searchsorted(_VARINT_STEPS, v, side="right") + 1  # no n x 5 matrix
    return out


def varints(values: NDArray) -> NDArray:
    """The unsigned ``values`` as consecutive protobuf varints (uint8 array)."""
    v = np.asarray(values, dtype=np.uint64).ravel()
    lengths = varint_lengths(v)
    which = np.repeat(np.arange(len(v)), lengths)
    starts = np.cumsum(lengths) - lengths
    byte = np.arange(int(lengths.sum())) - np.repeat(starts, lengths)
    shifted = v[which] >> (np.uint64(7) * byte.astype(np.uint64))
    more = (byte < lengths[which] - 1).astype(np.uint64) << np.uint64(7)
    out: NDArray = ((shifted & np.uint64(0x7F)) | more).astype(np.uint8)
    return out


def zigzag(values: NDArray) -> NDArray:
    v = np.asarray(values, dtype=np.int64)
    out: NDArray = ((v << 1) ^ (v >> 63)).astype(np.uint64)
    return out


def _interleave(
    first: NDArray, first_lengths: NDArray, second: NDArray, second_lengths: NDArray
) -> NDArray:
    """Segment i of ``first`` then segment i of ``second``, for every i (uint8 arrays)."""
    total = first_lengths + second_lengths
    starts = np.cumsum(total) - total
    out = np.empty(int(total.sum()), dtype=np.uint8)
    for data, lengths, offset in (
        (first, first_lengths, 0),
        (second, second_lengths, first_lengths),
    ):
        within = np.arange(len(data)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        out[np.repeat(starts + offset, lengths) + within] = data
    return out


def _strings(values: Sequence[str] | NDArray) -> tuple[NDArray, NDArray]:
    """UTF-8 bytes of each string, concatenated, and their lengths."""
    if not len(values):
        return np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64)
    given = np.asarray(values)
    encoded = given if given.dtype.kind == "S" else np.char.encode(given.astype(str), "utf-8")
    lengths = np.char.str_len(encoded).astype(np.int64)
    width = encoded.dtype.itemsize
    matrix = np.frombuffer(encoded.tobytes(), dtype=np.uint8).reshape(len(encoded), width)
    body: NDArray = matrix[np.arange(width) < lengths[:, None]]
    return body, lengths


def _messages(key: int, bodies: NDArray, lengths: NDArray, inner: int | None = None) -> NDArray:
    """Each body as a length-delimited field ``key`` (wrapped first in field ``inner``)."""
    if inner is not None:
        header = varints(np.column_stack([np.full(len(lengths), inner), lengths]))
        header_lengths = 1 + varint_lengths(lengths)
        bodies = _interleave(header, header_lengths, bodies, lengths)
        lengths = header_lengths + lengths
    header = varints(np.column_stack([np.full(len(lengths), key), lengths]))
    return _interleave(header, 1 + varint_lengths(lengths), bodies, lengths)


@dataclass(frozen=True)
class Column:
    """An attribute: per feature the index of its value in the value group ``group`` of the
    tile (-1: absent). Columns may share a group (criterion values: each distinct value once)."""

    name: str
    codes: NDArray
    group: int


def _values(values: Sequence[str] | NDArray) -> NDArray:
    """The ``Value`` messages of a column's values, each as a layer's ``values`` field."""
    array = np.asarray(values)
    n = len(array)
    if n == 0:
        return np.zeros(0, dtype=np.uint8)
    if array.dtype.kind in "US":
        body, lengths = _strings(array)
        return _messages(_LAYER_VALUE, body, lengths, inner=_VALUE_STRING)
    if array.dtype.kind == "f":
        fixed = np.empty((n, 11), dtype=np.uint8)
        fixed[:, :3] = (_LAYER_VALUE, 9, _VALUE_DOUBLE)
        fixed[:, 3:] = np.ascontiguousarray(array, dtype="<f8").view(np.uint8).reshape(n, 8)
        return fixed.ravel()
    if array.dtype.kind == "b":
        fixed = np.empty((n, 4), dtype=np.uint8)
        fixed[:, :3] = (_LAYER_VALUE, 2, _VALUE_BOOL)
        fixed[:, 3] = array
        return fixed.ravel()
    ints = np.asarray(array, dtype=np.uint64)
    body = varints(np.column_stack([np.full(n, _VALUE_UINT), ints]))
    return _messages(_LAYER_VALUE, body, 1 + varint_lengths(ints))


def point_tile(
    name: str,
    extent: int,
    x: NDArray,
    y: NDArray,
    columns: Sequence[Column],
    groups: Sequence[Sequence[str] | NDArray],
) -> bytes:
    """A tile with one layer ``name`` of points at tile coordinates ``x``, ``y`` (integers,
    y down) and the ``columns`` as attributes, whose values are the ``groups`` (each str, or a
    float64 / bool / unsigned int array); empty bytes when there is no point."""
    n = len(x)
    if n == 0:
        return b""
    offsets = np.cumsum([0, *(len(g) for g in groups)])
    k = len(columns)
    width = 4 + 2 * k + 7
    tokens = np.zeros((n, width), dtype=np.uint64)
    present = np.ones((n, width), dtype=bool)
    for j, column in enumerate(columns):
        codes = np.asarray(column.codes, dtype=np.int64)
        tokens[:, 4 + 2 * j] = j
        tokens[:, 5 + 2 * j] = np.maximum(codes, 0) + offsets[column.group]
        present[:, 4 + 2 * j : 6 + 2 * j] = (codes >= 0)[:, None]
    lengths = varint_lengths(tokens) * present
    tag_bytes = lengths[:, 4 : 4 + 2 * k].sum(axis=1)
    zx, zy = zigzag(x), zigzag(y)
    geometry_bytes = 1 + varint_lengths(zx) + varint_lengths(zy)
    feature_bytes = (
        1 + varint_lengths(tag_bytes) + tag_bytes + 2 + 1 + varint_lengths(geometry_bytes)
    )
    feature_bytes += geometry_bytes
    tail = 4 + 2 * k
    tokens[:, :4] = np.column_stack(
        [np.full(n, _LAYER_FEATURE), feature_bytes, np.full(n, _FEATURE_TAGS), tag_bytes]
    )
    tokens[:, tail:] = np.column_stack(
        [
            np.full(n, _FEATURE_TYPE),
            np.full(n, _POINT),
            np.full(n, _FEATURE_GEOMETRY),
            geometry_bytes,
            np.full(n, _MOVE_TO_ONE),
            zx,
            zy,
        ]
    )
    features = varints(tokens[present])
    keys_body, keys_lengths = _strings([c.name for c in columns])
    parts = [
        varints(np.array([_LAYER_VERSION, 2])),
        _messages(_LAYER_NAME, *_strings([name])),
        features,
        _messages(_LAYER_KEY, keys_body, keys_lengths),
        *(_values(g) for g in groups),
        varints(np.array([_LAYER_EXTENT, extent])),
    ]
    layer = np.concatenate(parts)
    header = varints(np.array([_TILE_LAYER, len(layer)]))
    return header.tobytes() + layer.tobytes()
