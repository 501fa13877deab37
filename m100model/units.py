"""The kit's single pint unit registry.

Units are parsed and converted at the edges (reading activity data, writing reports);
inside the model quantities are plain floats in fixed units (MWh, t, TJ).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import re
import shutil
import sys
from collections.abc import Callable
from types import ModuleType

from m100model.imports import hidden_modules
from m100model.io import cache_dir


class _OnFirstUse(ModuleType):
    """Stands in for a module in pint: ``name.attr`` imports ``name.attr`` (a submodule, for
    scipy) or ``name.module`` and takes ``attr`` from it (dask), when first asked for."""

    def __init__(self, name: str, module: str | None = None) -> None:
        super().__init__(name)
        self._module = module

    def __getattr__(self, attr: str) -> object:
        if self._module is None:
            return importlib.import_module(f"{self.__name__}.{attr}")
        return getattr(importlib.import_module(self._module), attr)


def _dask_base_function(name: str) -> Callable[..., object]:
    """``dask.base.<name>``, imported when first called."""

    def call(*args: object, **kwargs: object) -> object:
        return getattr(importlib.import_module("dask.base"), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


def _import_pint() -> ModuleType:
    """pint, imported without importing scipy or dask.

    pint imports both when it is imported, to learn whether they are installed: scipy for
    ``Quantity.to_preferred`` (scipy.optimize), dask for quantities holding dask arrays. The
    kit needs neither to compute an inventory, and they are costly: dask.base takes about
    0.1 s, and in a process that also uses Pyomo, as ``m100 run`` does, the scipy import
    makes Pyomo's deferred import of scipy complete itself (scipy.stats, scipy.integrate,
    scipy.sparse, scipy.spatial: about a second). So both are hidden while pint is imported,
    and pint is then handed stand-ins that import them on first use: ``to_preferred`` and
    dask arrays of quantities work as before. Where they are imported already, or pint is,
    this changes nothing.
    """
    if "pint" in sys.modules:
        import pint

        return pint
    hidden = [
        name
        for name in ("scipy", "dask")
        if name not in sys.modules and importlib.util.find_spec(name) is not None
    ]
    with hidden_modules(hidden):
        import pint
        from pint import compat
        from pint.facets import dask as pint_dask
        from pint.facets.plain import qto
    if "scipy" in hidden and not compat.HAS_SCIPY:
        compat.HAS_SCIPY = True
        compat.scipy = qto.scipy = _OnFirstUse("scipy")
    if "dask" in hidden and not compat.HAS_DASK:
        compat.HAS_DASK = True
        stand_ins = {"dask_array": _OnFirstUse("dask.array", "dask.array")}
        for attr in ("compute", "persist", "visualize"):
            stand_ins[attr] = _dask_base_function(attr)
        for attr, stand_in in stand_ins.items():
            setattr(compat, attr, stand_in)
            setattr(pint_dask, attr, stand_in)
    return pint


pint = _import_pint()


def _registry() -> pint.UnitRegistry:
    """pint's default registry. Parsing pint's definitions file takes about 0.25 s at every
    start; pint can keep the parsed result in a cache folder (here the kit's cache folder, one
    per pint version) and load it in a tenth of that. A cache that cannot be read (damaged,
    half written by another process) is dropped and rebuilt; when no cache can be used at all
    the registry is built without one, so the cache only ever saves time."""
    folder = cache_dir() / f"pint-{pint.__version__}"
    try:
        return pint.UnitRegistry(cache_folder=folder)
    except Exception:  # any failure of the cache: do without it
        shutil.rmtree(folder, ignore_errors=True)
        try:
            return pint.UnitRegistry(cache_folder=folder)
        except Exception:
            return pint.UnitRegistry()


ureg = _registry()
# Spellings met in energy statistics and city data that pint does not know by default.
ureg.define("m3 = meter ** 3 = Sm3 = Nm3")
ureg.define("vehicle_km = [vehicle_distance] = vkm")
ureg.define("passenger_km = [passenger_distance] = pkm")
Quantity = ureg.Quantity


# Names that pint reads differently from an inventory compiler in Europe: refused with the
# metric unit meant (pint's "ton" is the US short ton of 907 kg, its "gallon" the US gallon).
_NOT_METRIC = {
    "ton": "t (tonne)",
    "short_ton": "t (tonne)",
    "long_ton": "t (tonne)",
    "pound": "kg",
    "ounce": "kg",
    "gallon": "L (litre)",
    "imperial_gallon": "L (litre)",
    "quart": "L (litre)",
    "pint": "L (litre)",
    "fluid_ounce": "L (litre)",
    "barrel": "L (litre) or m3",
    "oil_barrel": "L (litre) or m3",
    "cubic_foot": "m3",
    "mile": "km",
    "foot": "m",
    "inch": "m",
    "yard": "m",
    "british_thermal_unit": "MWh or GJ",
    "therm": "MWh or GJ",
    "US_therm": "MWh or GJ",
}
# Spellings whose meaning in an inventory differs from pint's: "kt" is a knot to pint.
_MEANT = {"kt": "kilotonne", "kton": "kilotonne", "ktonne": "kilotonne"}
_TOKENS = re.compile(
    r"\s*(?:(?P<name>[A-Za-z%\u00b5\u03bc\u00b0][A-Za-z0-9_\u00b5\u03bc\u00b0]*)"
    r"|(?P<power>\*\*|\^)|(?P<op>[*/\u00b7()])|(?P<int>[-+]?\d+))"
)
MAX_UNIT_LENGTH = 64


@functools.lru_cache(maxsize=256)
def parse_unit(text: str) -> pint.Unit:
    """Parse a unit string such as ``"MWh"``, ``"m3"``, ``"kg/TJ"`` or ``"m**2"``.

    Only units are accepted, not pint's arithmetic: names (with SI prefixes), ``*``, ``/``,
    ``·``, a space for a product, whole powers up to 12 (``**2``, ``^-1``) and one level of
    parentheses, at most 64 characters. US customary units (``ton``, ``gallon``, ``mile``,
    ...) are refused with the metric unit meant; ``kt`` is a kilotonne, not a knot.

    Raises
    ------
    ValueError
        If the text is not such a unit, with a message suitable for a user.
    """
    text = text.strip()
    if not text:
        raise ValueError("the unit is empty (e.g. MWh, GJ, t, m3, L, vkm)")
    if len(text) > MAX_UNIT_LENGTH:
        raise ValueError(f"a unit of {len(text)} characters is not a unit (e.g. MWh, t, m3)")
    tokens = _unit_tokens(text)
    unit, rest = _unit_product(tokens, text, depth=0)
    if rest:
        raise ValueError(f"'{text}' is not a unit (unexpected '{rest[0][1]}')")
    return unit


def _unit_tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKENS.match(text, pos)
        if m is None or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise ValueError(
                f"'{text}' is not a unit: unexpected '{text[pos:].strip()[0]}' "
                "(e.g. MWh, GJ, t, m3, L, vkm, kg/TJ)"
            )
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


def _unit_product(tokens: list, text: str, depth: int) -> tuple[pint.Unit, list]:
    """units ((* | / | · | space) units)*, each with an optional whole power."""
    unit, tokens = _unit_power(tokens, text, depth)
    while tokens and tokens[0] != ("op", ")"):
        kind, value = tokens[0]
        if kind == "op" and value in "*/\u00b7":
            tokens = tokens[1:]
        elif kind != "name" and value != "(":
            raise ValueError(f"'{text}' is not a unit (unexpected '{value}')")
        other, tokens = _unit_power(tokens, text, depth)
        unit = unit / other if value == "/" else unit * other
    return unit, tokens


def _unit_power(tokens: list, text: str, depth: int) -> tuple[pint.Unit, list]:
    if not tokens:
        raise ValueError(f"'{text}' is not a unit (it ends too early)")
    kind, value = tokens[0]
    if kind == "op" and value == "(":
        if depth >= 1:
            raise ValueError(f"'{text}' is not a unit (brackets inside brackets)")
        unit, tokens = _unit_product(tokens[1:], text, depth + 1)
        if not tokens or tokens[0] != ("op", ")"):
            raise ValueError(f"'{text}' is not a unit (a bracket is not closed)")
        tokens = tokens[1:]
    elif kind == "name":
        unit, tokens = _unit_name(value, text), tokens[1:]
    else:
        raise ValueError(f"'{text}' is not a unit (unexpected '{value}')")
    if tokens and tokens[0][0] == "power":
        if len(tokens) < 2 or tokens[1][0] != "int" or abs(int(tokens[1][1])) > 12:
            raise ValueError(f"'{text}' is not a unit (a power must be a whole number up to 12)")
        unit, tokens = unit ** int(tokens[1][1]), tokens[2:]
        if tokens and tokens[0][0] == "power":
            raise ValueError(f"'{text}' is not a unit (a power of a power)")
    return unit, tokens


def _unit_name(name: str, text: str) -> pint.Unit:
    name = _MEANT.get(name, name)
    try:
        candidates = ureg.parse_unit_name(name)
    except (pint.PintError, ValueError, AttributeError):
        candidates = ()
    if not candidates:
        raise ValueError(f"'{text}': '{name}' is not a known unit (e.g. MWh, GJ, t, m3, L, vkm)")
    for _prefix, base, _suffix in candidates:
        if base in _NOT_METRIC:
            raise ValueError(
                f"'{text}': '{name}' is a US customary unit in pint ({base}); "
                f"write {_NOT_METRIC[base]}"
            )
    return ureg.Unit(name)


def split_rate_unit(text: str) -> tuple[pint.Unit, pint.Unit]:
    """Split a rate unit written ``"numerator/denominator"`` (e.g. ``"kg/TJ"``).

    The denominator names what the rate applies to, which a plain pint conversion cannot tell
    for units such as ``kg/t`` that reduce to a dimensionless number.
    """
    num, sep, den = text.partition("/")
    if not sep or not num.strip() or not den.strip():
        raise ValueError(f"'{text}' is not a rate unit of the form 'a/b'")
    return parse_unit(num), parse_unit(den)


def same_dimension(a: pint.Unit, b: pint.Unit) -> bool:
    """True when two units measure the same kind of quantity."""
    return (1 * a).dimensionality == (1 * b).dimensionality


MASS = parse_unit("t")
VOLUME = parse_unit("m3")
ENERGY = parse_unit("MWh")
VKM = parse_unit("vkm")
