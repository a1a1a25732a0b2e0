"""Plain data between a student's kernel and the grader: values that run no code when read.

While grading, the kernel only *runs* the student's functions; the grader decides. What
crosses between them is written by :func:`encode` and read back by :func:`decode`:

* ``None``, ``bool``, ``int``, ``float`` (``nan`` and ``inf`` included), ``complex``, ``str``;
* lists, tuples and dicts of these (dict keys: str, int, float or bool);
* NumPy arrays and scalars of a numeric or boolean dtype (stored with ``np.save``, read back
  with ``allow_pickle=False``);
* functions of the ``dlcourse`` package and NumPy's ufuncs, by name (the callbacks a
  check passes to a student's function), and NumPy random generators, by their state;
* a raised exception, as its type's name and message.

Anything else is written as its type's name only and read back as an :class:`Opaque`
stand-in, which no check accepts as an answer. No pickle, no eval, no import of a name the
data chose (only ``dlcourse`` functions are looked up, and only when asked to). Decoding
is bounded: in bytes, in nesting depth and in the number of arrays.
"""

import base64
import importlib
import io
import json
import math
import re

import numpy as np

MIME = "application/vnd.dlcourse.probe+json"
MAX_BYTES = 32 * 2**20     # the largest message a decoder reads
MAX_DEPTH = 40
MAX_ARRAYS = 10_000
_NUMERIC_KINDS = "biufc"
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,79}")


class WireError(ValueError):
    """The data is not in this format, or breaks one of its limits."""


class Opaque:
    """Stands for a value the wire cannot carry (e.g. a student's own object)."""

    __module__ = "student"

    def __repr__(self):
        return f"<{type(self).__name__} object>"


class FunctionName(str):
    """A ``dlcourse`` function named on the wire but not looked up (what the grader keeps)."""


def opaque(type_name):
    """An :class:`Opaque` instance whose type carries ``type_name`` (so messages can name it)."""
    name = type_name if _IDENTIFIER.fullmatch(str(type_name)) else "object"
    return type(name, (Opaque,), {"__module__": "student"})()


class Raised:
    """An exception raised by the student's code, as plain data."""

    def __init__(self, type_name, message, kind="error"):
        self.type_name, self.message, self.kind = str(type_name), str(message), str(kind)

    def __repr__(self):
        return f"Raised({self.type_name}: {self.message[:60]})"


# -- writing -------------------------------------------------------------------------------


def _function_name(value):
    module = getattr(value, "__module__", None) or ""
    qualname = getattr(value, "__qualname__", "") or ""
    if module.split(".")[0] == "dlcourse" and qualname and "<" not in qualname:
        return f"{module}:{qualname}"
    return None


def encode(value):
    """``(tree, arrays)``: a JSON-ready tree and the arrays it refers to by index."""
    arrays = []

    def walk(v, depth):
        if depth > MAX_DEPTH:
            return {"$opaque": "deeply nested value"}
        if v is None or type(v) in (bool, int, str):
            return v
        if type(v) is float:
            return v if math.isfinite(v) else {"$float": repr(v)}
        if type(v) is complex:
            return {"$complex": [repr(v.real), repr(v.imag)]}
        if type(v) is np.ndarray or isinstance(v, np.generic):
            array = np.asarray(v)
            if array.dtype.kind not in _NUMERIC_KINDS or array.dtype.hasobject:
                return {"$opaque": f"array of {array.dtype}"}
            arrays.append(np.array(array, copy=True, order="C"))
            return {"$scalar" if isinstance(v, np.generic) else "$array": len(arrays) - 1}
        if type(v) in (list, tuple):
            items = [walk(item, depth + 1) for item in v]
            return items if type(v) is list else {"$tuple": items}
        if type(v) is dict:
            return {"$dict": [[walk(k, depth + 1), walk(item, depth + 1)] for k, item in v.items()]}
        if isinstance(v, np.ufunc) and getattr(np, v.__name__, None) is v:
            return {"$ufunc": v.__name__}
        if isinstance(v, np.random.Generator):
            bits = type(v.bit_generator).__name__
            if bits in _BIT_GENERATORS:
                return {"$generator": [bits, walk(v.bit_generator.state, depth + 1)]}
        if isinstance(v, Raised):
            return {"$raised": [v.type_name, v.message[:4000], v.kind]}
        if callable(v) and _function_name(v):
            return {"$function": _function_name(v)}
        return {"$opaque": type(v).__name__}

    return walk(value, 0), arrays


def pack(value):
    """``value`` as one JSON-ready dict: the tree and its arrays (base64 of an ``.npz``)."""
    tree, arrays = encode(value)
    buffer = io.BytesIO()
    if arrays:
        np.savez(buffer, *arrays)
    return {"tree": tree, "arrays": base64.b64encode(buffer.getvalue()).decode("ascii")}


# -- reading -------------------------------------------------------------------------------


def unpack_parts(packed, max_bytes=MAX_BYTES):
    """``(tree, arrays)`` of a packed value, checked against the limits; nothing is rebuilt."""
    if not isinstance(packed, dict) or set(packed) != {"tree", "arrays"}:
        raise WireError("not a packed value")
    text = packed["arrays"]
    if not isinstance(text, str) or len(text) > max_bytes * 4 // 3 + 4:
        raise WireError("the arrays are missing or too large")
    arrays = []
    if text:
        try:
            raw = base64.b64decode(text.encode("ascii"), validate=True)
            with np.load(io.BytesIO(raw), allow_pickle=False) as saved:
                if len(saved.files) > MAX_ARRAYS:
                    raise WireError("too many arrays")
                arrays = [saved[f"arr_{i}"] for i in range(len(saved.files))]
        except WireError:
            raise
        except Exception as error:  # any malformed archive
            raise WireError(f"unreadable arrays ({type(error).__name__})") from None
    for array in arrays:
        if array.dtype.kind not in _NUMERIC_KINDS:
            raise WireError(f"an array of dtype {array.dtype}")
    return packed["tree"], arrays


def decode(packed, *, functions="name", max_bytes=MAX_BYTES):
    """The value of :func:`pack` rebuilt as plain Python and NumPy objects.

    ``functions="import"`` looks ``dlcourse`` functions up (the kernel, for callbacks);
    ``"name"`` keeps them as :class:`FunctionName` (the grader, which never needs to call one).
    """
    tree, arrays = unpack_parts(packed, max_bytes)

    def walk(node, depth):
        if depth > MAX_DEPTH:
            raise WireError("nested too deeply")
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is list:
            return [walk(item, depth + 1) for item in node]
        if type(node) is not dict or len(node) != 1:
            raise WireError("an unknown node")
        (tag, body), = node.items()
        if tag in ("$array", "$scalar"):
            if type(body) is not int or not 0 <= body < len(arrays):
                raise WireError("an array index out of range")
            array = arrays[body]
            return array[()] if tag == "$scalar" else array.copy()
        if tag == "$float" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "$complex" and type(body) is list and len(body) == 2:
            return complex(float(body[0]), float(body[1]))
        if tag == "$tuple" and type(body) is list:
            return tuple(walk(item, depth + 1) for item in body)
        if tag == "$dict" and type(body) is list:
            result = {}
            for pair in body:
                if type(pair) is not list or len(pair) != 2:
                    raise WireError("a malformed dict entry")
                key = walk(pair[0], depth + 1)
                if type(key) not in (str, int, float, bool):
                    raise WireError("a dict key that is not a plain value")
                result[key] = walk(pair[1], depth + 1)
            return result
        if tag == "$raised" and type(body) is list and len(body) == 3:
            return Raised(*(str(part)[:4000] for part in body))
        if tag == "$function" and type(body) is str:
            return _look_up(body) if functions == "import" else FunctionName(body)
        if tag == "$ufunc" and type(body) is str and isinstance(getattr(np, body, None), np.ufunc):
            return getattr(np, body)
        if tag == "$generator" and type(body) is list and len(body) == 2 and body[0] in _BIT_GENERATORS:
            bits = getattr(np.random, body[0])()
            try:
                bits.state = walk(body[1], depth + 1)
            except (TypeError, ValueError, KeyError) as error:
                raise WireError(f"a malformed generator state ({error})") from None
            return np.random.Generator(bits)
        if tag == "$opaque":
            return opaque(body)
        raise WireError(f"an unknown tag {tag[:20]!r}")

    return walk(tree, 0)


def _look_up(name):
    module, _, qualname = name.partition(":")
    if module.split(".")[0] != "dlcourse" or not qualname:
        raise WireError(f"{name!r} is not a dlcourse function")
    value = importlib.import_module(module)
    for part in qualname.split("."):
        value = getattr(value, part)
    return value


def same(packed_a, packed_b):
    """True when two packed values hold the same data (arrays bit for bit, nan equal to nan)."""
    tree_a, arrays_a = unpack_parts(packed_a) if isinstance(packed_a, dict) else packed_a
    tree_b, arrays_b = unpack_parts(packed_b) if isinstance(packed_b, dict) else packed_b
    if json.dumps(tree_a, sort_keys=True) != json.dumps(tree_b, sort_keys=True):
        return False
    return len(arrays_a) == len(arrays_b) and all(
        a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
        for a, b in zip(arrays_a, arrays_b))
