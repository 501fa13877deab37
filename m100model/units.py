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
from types import ModuleType

from m100model.io import cache_dir


class _ScipyOnFirstUse(ModuleType):
    """Stands in for scipy in pint until an attribute is asked for."""

    def __getattr__(self, name: str) -> object:
        return importlib.import_module(f"scipy.{name}")


def _import_pint() -> ModuleType:
    """pint, imported without importing scipy.

    pint imports scipy when it is imported, only to learn whether it is installed (it needs
    it for ``Quantity.to_preferred``, through scipy.optimize). In a process that also uses
    Pyomo, as ``m100 run`` does, that costs about a second: Pyomo's deferred import of scipy
    then completes itself, importing scipy.stats, scipy.integrate, scipy.sparse and
    scipy.spatial, none of which the run needs. So scipy is hidden while pint is imported,
    and pint is then handed a stand-in that imports scipy's submodules on first use:
    ``to_preferred`` still works. Where scipy is already imported this changes nothing.
    """
    if "pint" in sys.modules or "scipy" in sys.modules:
        import pint

        return pint
    sys.modules["scipy"] = None  # type: ignore[assignment]  # import scipy -> ImportError
    try:
        import pint
        from pint import compat
        from pint.facets.plain import qto
    finally:
        if sys.modules.get("scipy", ()) is None:
            del sys.modules["scipy"]
    if not compat.HAS_SCIPY and importlib.util.find_spec("scipy") is not None:
        stand_in = _ScipyOnFirstUse("scipy")
        compat.HAS_SCIPY = True
        compat.scipy = stand_in
        qto.scipy = stand_in
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
