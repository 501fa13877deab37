"""Reading a learner's answer, and the result a checker gives back.

A numeric answer may be a plain number (read in the exercise's stated unit), a pint quantity
or a string with a unit: ``2025.6``, ``"2025.6 t CO2e"``, ``"2.03 kt"``, ``"2,025.6 tCO2e"``,
``"700 g/kWh"``, ``"EUR 668/t"``, ``"45 M EUR"``, ``"10.7 %"``. Tonnes of CO2e are tonnes
(``tCO2e``, ``ktCO2e`` and ``t CO2-eq`` lose their gas label), and a "per year" is implied when
the exercise asks for a yearly amount. Anything that cannot be read gives a clear message,
never an exception.

Reading is linear in the length of the answer: runs of white space (spaces, tabs, line
breaks, no-break spaces) are collapsed to one space first, and an answer still longer than
:data:`MAX_ANSWER_CHARS` characters is refused (no quantity is written that long), so the
patterns below only ever see a short text.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, field

import pandas as pd
import pint

from m100model.i18n import _, language, number, use_language
from m100model.units import parse_unit, ureg

# Units the exercises need that the kit's registry does not define (money, peak power).
for _definition in (
    "euro = [currency] = EUR = eur",
    "watt_peak = watt = Wp",
):
    _name = _definition.split("=")[0].strip()
    if _name not in ureg:
        ureg.define(_definition)


class AnswerError(ValueError):
    """An answer that cannot be read (the message is meant for the learner)."""


class MissingAnswer(AnswerError):
    """The blank was not filled in (``...`` or ``None``)."""


class AmbiguousNumber(ValueError):
    """A number that reads two ways in the current language (Romanian "1.500")."""


def is_missing(answer: object) -> bool:
    """True for the blanks of an exercise notebook: ``...``, ``None`` or an empty string."""
    return answer is None or answer is Ellipsis or (isinstance(answer, str) and not answer.strip())


MAX_ANSWER_CHARS = 200
"""Longest numeric answer read, once runs of white space are collapsed (``"2,025.6 t CO2e per
year"`` has 23 characters)."""
MAX_RAW_CHARS = 100_000
"""Longest text looked at at all (a numeric answer padded with a few kB of white space is
still read)."""
_SPACES = re.compile(r"\s+")


def brief(value: object, limit: int = 60) -> str:
    """A learner's value as a message may quote it: one line (line breaks, tabs and other
    control characters shown as spaces), at most ``limit`` characters. Never raises: a
    container is named by its type and size, a value whose ``repr`` fails by its type."""
    try:
        if isinstance(value, str):
            text = value
        elif isinstance(value, pd.Series | pd.DataFrame | dict | list | tuple | set):
            n = len(value)
            template = _("a {kind} of {n} item") if n == 1 else _("a {kind} of {n} items")
            return template.format(kind=type(value).__name__, n=number(n, ",d"))
        elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
            digits = int(value.bit_length() * math.log10(2)) + 1
            return _("a whole number of about {n} digits").format(n=number(digits, ",d"))
        else:
            text = repr(value)
    except Exception:  # a value that cannot show itself
        return _("a {kind}").format(kind=type(value).__name__)
    text = text[: 4 * limit]
    text = _SPACES.sub(" ", "".join(ch if ch.isprintable() else " " for ch in text)).strip()
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def answer_text(answer: str) -> str:
    """A text answer with runs of white space collapsed to one space (linear), within
    :data:`MAX_ANSWER_CHARS` characters; an :class:`AnswerError` says so otherwise."""
    if len(answer) > MAX_RAW_CHARS:
        raise AnswerError(
            _(
                "your answer is {n} characters long; give one number with its unit, such as "
                "'12.5 t'"
            ).format(n=number(len(answer), ",d"))
        )
    text = _SPACES.sub(" ", answer).strip()
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerError(
            _(
                "your answer is {n} characters long (beginning '{start}'); a number with its "
                "unit takes at most {limit}, such as '12.5 t'"
            ).format(n=number(len(text), ",d"), start=brief(text, 30), limit=MAX_ANSWER_CHARS)
        )
    return text


# ---------------------------------------------------------------------------------------
# Numbers and units
# ---------------------------------------------------------------------------------------
_NUMBER = re.compile(r"[-+]?(?:\d[\d\s,.'\u202f\u00a0]*\d|\d)(?:[eE][-+]?\d+)?")
_APPROX = re.compile(
    r"^(?:~|≈|about|approx\.?|approximately|around|ca\.?|c\.)\s*", flags=re.IGNORECASE
)
_CURRENCY_PREFIX = re.compile(r"^(€|EUR|eur|euro)\s*")
_GAS_LABEL = re.compile(r"\s*CO2(?:[-\s]?e(?:q(?:uivalent)?)?\.?)?(?![A-Za-z0-9])", re.IGNORECASE)
_PER_YEAR = re.compile(
    r"\s*(?:/\s*(?:yr|year|y|a|annum|an)|\bper\s+(?:yr|year|annum)|\ba\s+year|\bannually|\byearly"
    r"|\bpe\s+an|\banual)\b",
    re.IGNORECASE,
)
# Romanian words for the units the exercises ask for (a Romanian learner writes "1,2 kt pe
# an", "25 de ani", "5 cenți pe euro", "45 milioane EUR"), read whatever the language.
_ROMANIAN_UNITS = (
    (re.compile(r"^de\s+", re.IGNORECASE), ""),
    (re.compile(r"cen[țt]i\s*(?:/|pe)\s*(?:euro|eur|€)", re.IGNORECASE), "percent"),
    (re.compile(r"\b(?:milioane|mil\.?)\s+(?:de\s+)?(?=EUR|euro)", re.IGNORECASE), "M "),
    (re.compile(r"\bmii\s+(?:de\s+)?(?=EUR|euro)", re.IGNORECASE), "k "),
    (re.compile(r"\b(?:ani|an)\b", re.IGNORECASE), "year"),
    (re.compile(r"\b(?:tone|tonă|tona)\b", re.IGNORECASE), "tonne"),
    (re.compile(r"\bprocente?\b", re.IGNORECASE), "percent"),
)
_TEXT_UNITS = (
    (re.compile(r"cents?\s*(?:/|per)\s*(?:euro|eur|€)", re.IGNORECASE), "percent"),
    (re.compile(r"\bct\s*/\s*(?:euro|eur|€)", re.IGNORECASE), "percent"),
    (re.compile(r"€"), " EUR "),
    (re.compile(r"(?<![A-Za-z])(?:m|M|mn|mil\.?|million)\s*(?:EUR|euros?)\b"), "MEUR"),
    (re.compile(r"\b(?:EUR|euros?)\s*(?:m|M|mn|mil\.?|million)(?![A-Za-z])"), "MEUR"),
    (re.compile(r"(?<![A-Za-z])(?:k|thousand)\s*(?:EUR|euros?)\b"), "kEUR"),
    (re.compile(r"\b(?:EUR|euros?)\s*k(?![A-Za-z])"), "kEUR"),
    (re.compile(r"\beuros\b", re.IGNORECASE), "EUR"),
    (re.compile(r"\s+per\s+", re.IGNORECASE), "/"),
    (re.compile(r"\btons?\b"), "tonne"),  # pint's "ton" is the US short ton
    (re.compile(r"(?<![A-Za-z])kt(?![A-Za-z])"), "kilotonne"),  # pint's "kt" is a knot
    (re.compile(r"(?<![A-Za-z])Mt(?![A-Za-z])"), "megatonne"),
    (re.compile(r"(?<![A-Za-z])Gt(?![A-Za-z])"), "gigatonne"),
    (re.compile(r"³"), "**3"),
    (re.compile(r"²"), "**2"),
    (re.compile(r"\bsq\.?\s*m\b|\bm2\b"), "m**2"),
)


def _number(text: str) -> float:
    """A number written with thousands separators or a decimal comma: ``2,025.6``,
    ``2.025,6``, ``2 025,6``, ``2025.6``, ``0,27``, ``1e3``.

    A lone separator followed by three digits is read as the current language writes
    numbers: in English ``2,025`` is two thousand and twenty-five and ``2.025`` two and a
    bit; in Romanian the other way round."""
    s = re.sub(r"[\s'\u202f\u00a0]", "", text)
    if language() == "ro":
        if re.fullmatch(r"[-+]?\d{1,3}\.\d{3}(?:[eE][-+]?\d+)?", s):
            # "1.500": the thousands dot of Romanian, or the decimal point of Python?
            raise AmbiguousNumber(s)
        # swap the roles of the two marks, then read it the English way
        s = s.replace(",", "\0").replace(".", ",").replace("\0", ".")
    mantissa, _, exp = s.replace("E", "e").partition("e")
    if "," in mantissa and "." in mantissa:
        decimal = "," if mantissa.rfind(",") > mantissa.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        mantissa = mantissa.replace(thousands, "").replace(decimal, ".")
    elif "," in mantissa:
        parts = mantissa.split(",")
        if len(parts) > 2 or (len(parts) == 2 and len(parts[1]) == 3 and parts[0].lstrip("+-")):
            mantissa = mantissa.replace(",", "")  # 2,025 or 1,234,567: thousands
        else:
            mantissa = mantissa.replace(",", ".")  # 0,27: a decimal comma
    elif mantissa.count(".") > 1:
        mantissa = mantissa.replace(".", "")  # 1.234.567: thousands
    return float(mantissa + (f"e{exp}" if exp else ""))


def _unit_text(text: str, *, yearly: bool) -> str:
    """Normalise the unit part of an answer for pint."""
    s = _GAS_LABEL.sub(" ", text)
    if yearly:
        s = _PER_YEAR.sub(" ", s)
    for pattern, repl in _ROMANIAN_UNITS:
        s = pattern.sub(repl, s.strip())
    for pattern, repl in _TEXT_UNITS:
        s = pattern.sub(repl, s)
    s = re.sub(r"\s*/\s*", "/", s.strip())
    return re.sub(r"\s+", " ", s)


def _parse_unit(text: str, original: str) -> pint.Unit:
    try:
        unit = parse_unit(text)
    except ValueError as exc:
        raise AnswerError(
            _(
                "could not read the unit '{unit}' (write it like 't', 'kt', 'MWh', 't/MWh', "
                "'EUR/t', 'M EUR', '%')"
            ).format(unit=brief(original))
        ) from exc
    return unit


def unit_label(unit: str) -> str:
    """How an exercise's unit is shown to learners."""
    return unit or _("(a pure number)")


def read_quantity(answer: object, unit: str) -> float:
    """The magnitude of ``answer`` in ``unit`` (an exercise's stated unit, e.g. ``"t"``,
    ``"t/MWh"``, ``"EUR/t"``, ``"MEUR"``, ``"%"`` or ``""`` for a pure number).

    Raises
    ------
    MissingAnswer
        For a blank (``...``, ``None``, empty string).
    AnswerError
        When the answer is not a number or cannot be converted to ``unit``.
    """
    if is_missing(answer):
        raise MissingAnswer(_("no answer yet: replace the ... with your answer"))
    target = parse_unit(_unit_text(unit, yearly=False)) if unit else ureg.dimensionless
    yearly = "[time]" not in (1 * target).dimensionality
    if isinstance(answer, bool):
        raise AnswerError(_("expected a number, got {value}").format(value=repr(answer)))
    if isinstance(answer, pint.Quantity):
        try:
            magnitude = float(answer.magnitude)
        except OverflowError:
            raise AnswerError(
                _("expected a finite number, got a number too large to use")
            ) from None
        except (TypeError, ValueError):
            raise AnswerError(
                _("expected one number, got {value}").format(value=brief(answer))
            ) from None
        if answer._REGISTRY is not ureg:  # a quantity of another pint registry
            return read_quantity(f"{magnitude!r} {answer.units}", unit)
        if not math.isfinite(magnitude):
            raise AnswerError(
                _("expected a finite number, got {value}").format(value=brief(answer))
            )
        return _convert(answer, target, f"{answer.units:~}", yearly=yearly)
    if isinstance(answer, numbers.Real):
        try:
            value = float(answer)
        except OverflowError:
            raise AnswerError(
                _("expected a finite number, got {value} (too large to use)").format(
                    value=brief(answer)
                )
            ) from None
        except (TypeError, ValueError):
            raise AnswerError(
                _("expected one number, got {value}").format(value=brief(answer))
            ) from None
        if not math.isfinite(value):
            raise AnswerError(
                _("expected a finite number, got {value}").format(value=brief(answer))
            )
        return value
    if isinstance(answer, pd.Series | pd.DataFrame | dict | list | tuple | set):
        raise AnswerError(
            _("expected one number (optionally with a unit), got a {kind}").format(
                kind=type(answer).__name__
            )
        )
    if not isinstance(answer, str):
        raise AnswerError(
            _("expected a number or a text like '12.5 t', got {value}").format(value=brief(answer))
        )
    text = answer_text(str(answer)).replace("\u2212", "-")
    text = _APPROX.sub("", text)
    currency = _CURRENCY_PREFIX.match(text)
    if currency:
        text = text[currency.end() :]
    match = _NUMBER.match(text)
    if not match:
        raise AnswerError(
            _("could not read a number at the start of '{text}'").format(text=brief(text))
        )
    try:
        value = _number(match.group(0).strip())
    except AmbiguousNumber as exc:
        whole, _dot, part = str(exc).partition(".")
        raise AnswerError(
            _(
                "'{text}' can be read two ways: write {whole}{part} for the thousands or "
                "{whole},{part} for the decimals"
            ).format(text=exc, whole=whole, part=part)
        ) from None
    except ValueError as exc:
        raise AnswerError(
            _("could not read the number '{text}'").format(text=brief(match.group(0)))
        ) from exc
    if not math.isfinite(value):
        raise AnswerError(
            _("expected a finite number, got '{text}'").format(text=brief(match.group(0)))
        )
    rest = text[match.end() :].strip()
    if currency:
        rest = f"EUR {rest}"
    if not rest:
        return value
    unit_text = _unit_text(rest, yearly=yearly)
    if not unit_text:
        return value
    parsed = _parse_unit(unit_text, rest)
    try:
        quantity = value * parsed
    except (pint.PintError, TypeError, ValueError, ArithmeticError):
        raise AnswerError(_not_an_amount(rest)) from None
    return _convert(quantity, target, rest, yearly=yearly)


def _not_an_amount(unit: str) -> str:
    return _(
        "the unit '{unit}' cannot be used for an amount (a temperature or a logarithmic unit "
        "such as dB): write the unit the question asks for"
    ).format(unit=brief(unit))


def _convert(quantity: pint.Quantity, target: pint.Unit, shown: str, *, yearly: bool) -> float:
    """``quantity`` in ``target`` (an :class:`AnswerError` for the learner if it cannot be
    converted; pint's other errors, such as those of offset units, become one too)."""
    try:
        return _convert_quantity(quantity, target, shown, yearly=yearly)
    except AnswerError:
        raise
    except (pint.PintError, TypeError, ValueError, ArithmeticError):
        raise AnswerError(_not_an_amount(shown)) from None


def _convert_quantity(
    quantity: pint.Quantity, target: pint.Unit, shown: str, *, yearly: bool
) -> float:
    q = quantity
    if yearly and "[time]" in str(q.dimensionality):
        try:  # an explicit "per year" on a yearly amount: drop it
            q = q * ureg.year
            q.to(target)
        except pint.DimensionalityError:
            q = quantity
    try:
        value = float(q.to(target).magnitude)
    except pint.DimensionalityError:
        want = f"{target:~}" if str(target) != "dimensionless" else _("a pure number or %")
        raise AnswerError(
            _("'{shown}' cannot be converted to {unit}: check what the question asks for").format(
                shown=brief(shown), unit=want
            )
        ) from None
    if not math.isfinite(value):
        raise AnswerError(_("expected a finite number"))
    return value


def format_number(value: float, unit: str = "") -> str:
    """A number for a message, with a sensible number of digits, in the current language's
    notation (English "2,025.6", Romanian "2.025,6")."""
    if value == 0 or not math.isfinite(value):
        spec = "g"
    elif abs(value) >= 100:
        spec = ",.0f"
    elif abs(value) >= 1:
        spec = ",.2f"
    else:
        spec = ".3g"
    return f"{number(value, spec)} {unit}".strip()


# ---------------------------------------------------------------------------------------
# The result of a check
# ---------------------------------------------------------------------------------------
@dataclass
class CheckResult:
    """What :func:`m100model.exercises.check` says about an answer.

    Prints as a few lines: ``ghg-1: correct`` or ``ghg-1: not yet``, what was found, and a
    hint that points to the concept (never the answer). ``details`` holds a table where one
    helps (an open exercise's comparison with the least-cost portfolio).
    """

    exercise: str
    correct: bool
    message: str
    hint: str = ""
    details: pd.DataFrame | None = field(default=None, repr=False)
    figures: dict = field(default_factory=dict, repr=False)
    answered: bool = True
    lang: str = field(default_factory=language)

    @property
    def status(self) -> str:
        """``"correct"`` or ``"not yet"`` (in Romanian ``"corect"`` or ``"încă nu"``)."""
        with use_language(self.lang):
            return _("correct") if self.correct else _("not yet")

    def __bool__(self) -> bool:
        return self.correct

    def text(self) -> str:
        """The result as plain text."""
        lines = [f"{self.exercise}: {self.status}"]
        if self.message:
            lines.append(self.message)
        if self.hint:
            with use_language(self.lang):
                lines.append(_("Hint: {hint}").format(hint=self.hint))
        if self.details is not None and not self.details.empty:
            lines.append("")
            lines.append(self.details.to_string(index=False))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()
