"""The kit's single pint unit registry.

Units are parsed and converted at the edges (reading activity data, writing reports);
inside the model quantities are plain floats in fixed units (MWh, t, TJ).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
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


@functools.lru_cache(maxsize=256)
def parse_unit(text: str) -> pint.Unit:
    """Parse a unit string such as ``"MWh"``, ``"m3"`` or ``"kg/TJ"``.

    Raises
    ------
    ValueError
        If the text is not a unit pint knows, with a message suitable for a user.
    """
    try:
        unit = ureg.parse_units(text.strip())
    except (pint.UndefinedUnitError, pint.DefinitionSyntaxError, AttributeError, ValueError) as exc:
        raise ValueError(f"'{text}' is not a known unit (e.g. MWh, GJ, t, m3, L, vkm)") from exc
    return unit


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
