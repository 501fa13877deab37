"""The kit's single pint unit registry.

Units are parsed and converted at the edges (reading activity data, writing reports);
inside the model quantities are plain floats in fixed units (MWh, t, TJ).
"""

from __future__ import annotations

import functools
import shutil

import pint

from m100model.io import cache_dir


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
