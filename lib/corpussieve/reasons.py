"""Reasons are first class: every reason a step can give for rejecting a record is declared once, with a
one-line description, and reports show those descriptions beside the counts.

A reason's code is ``step:name`` ("gopher_quality:too_few_words", "ingest:invalid_json"). A name may hold
one placeholder for a family of reasons: ``{n}`` for members that differ by a number
("gopher_repetition:dup_{n}gram" covers "gopher_repetition:dup_5gram"), ``{name}`` for members named by
the user's configuration, a lower-case identifier (``url_blocklist:{name}`` covers
"url_blocklist:ut1_adult"; the config validates each name to ``MEMBER_NAME``). Declaring is what makes a code usable: ``declare`` returns the
codes, and the steps emit those, never string literals; ``undeclared`` finds any code that slipped past
(a test runs every job on varied input and checks that it finds none).

The registry fills as the declaring modules are imported; ``catalog`` imports every job's declarations
first, so a report can describe any code.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

#: modules whose import declares reasons, imported by ``catalog`` (a new step's module goes here)
DECLARING_MODULES: tuple[str, ...] = (
    "corpussieve.ingest.records",
    "corpussieve.clean.reasons",
    "corpussieve.decontaminate.reasons",
)


#: what a ``{name}`` placeholder stands for: a lower-case identifier (configs validate names to it)
MEMBER_NAME = r"[a-z0-9_]+"
#: each placeholder and the pattern of its members
PLACEHOLDERS: dict[str, str] = {"{n}": r"\d+", "{name}": MEMBER_NAME}


def _placeholder(code: str) -> str | None:
    found = [p for p in PLACEHOLDERS if p in code]
    if len(found) > 1 or (found and code.count(found[0]) > 1):
        raise ValueError(f"reason {code} may hold one placeholder at most")
    return found[0] if found else None


@dataclass(frozen=True)
class Reason:
    """One declared reason: its code (``step:name``, the name possibly with ``{n}`` or ``{name}``) and what
    it means."""

    code: str
    description: str

    @property
    def step(self) -> str:
        return self.code.split(":", 1)[0]

    @cached_property
    def placeholder(self) -> str | None:
        return _placeholder(self.code)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        escaped = re.escape(self.code)
        if self.placeholder:
            escaped = escaped.replace(re.escape(self.placeholder), PLACEHOLDERS[self.placeholder])
        return re.compile(escaped + r"\Z")

    def matches(self, code: str) -> bool:
        return code == self.code or (self.placeholder is not None and self.pattern.match(code) is not None)


_REGISTRY: dict[str, Reason] = {}


class Codes(dict[str, str]):
    """The codes one ``declare`` call returned, by name: ``EXTRACT["timeout"] == "extract:timeout"``.

    A name that was not declared is a ``KeyError`` at the line that uses it, not a silent new reason.
    ``Codes.of(name, n=5)`` fills a ``{n}`` family, ``Codes.member(name, "ut1_adult")`` a ``{name}`` family
    (a member that is not a lower-case identifier is a ``ValueError``).
    """

    def of(self, name: str, n: int) -> str:
        return self[name].replace("{n}", str(n))

    def member(self, name: str, member: str) -> str:
        if "{name}" not in self[name] or not re.fullmatch(MEMBER_NAME, member):
            raise ValueError(f"{member!r} is not a member name of {self[name]} (lower-case letters, digits, _)")
        return self[name].replace("{name}", member)


def declare(step: str, reasons: Mapping[str, str]) -> Codes:
    """Declare ``step``'s reasons (name -> one-line description) and return their codes by name.

    Declaring the same code again with the same description is harmless (a module reloaded); with another
    description it is an error, so two steps cannot give one code two meanings.
    """
    if not re.fullmatch(r"[a-z][a-z0-9_]*", step):
        raise ValueError(f"reason step {step!r} must be a lower-case identifier")
    codes = Codes()
    for name, description in reasons.items():
        if not re.fullmatch(r"[a-z0-9_{}]+", name) or not description.strip():
            raise ValueError(f"reason {step}:{name} needs a lower-case name and a description")
        code = f"{step}:{name}"
        _placeholder(code)
        known = _REGISTRY.get(code)
        if known is not None and known.description != description:
            raise ValueError(f"reason {code} is declared twice with different descriptions")
        _REGISTRY[code] = Reason(code, description.strip())
        codes[name] = code
    return codes


def lookup(code: str) -> Reason | None:
    """The declared reason a code is (exact, or a member of a ``{n}`` or ``{name}`` family); None when
    undeclared."""
    reason = _REGISTRY.get(code)
    if reason is not None:
        return reason
    step = code.split(":", 1)[0]
    for candidate in _REGISTRY.values():
        if candidate.step == step and candidate.matches(code):
            return candidate
    return None


def describe(code: str) -> str | None:
    reason = lookup(code)
    return reason.description if reason else None


def undeclared(codes: Iterable[str]) -> list[str]:
    """The codes among ``codes`` that no declaration covers, sorted, without repeats."""
    return sorted({code for code in codes if code is not None and lookup(code) is None})


def catalog(steps: Iterable[str] | None = None) -> list[Reason]:
    """Every declared reason (of ``steps`` only, when given), sorted by code; imports all declarations first."""
    for module in DECLARING_MODULES:
        importlib.import_module(module)
    wanted = set(steps) if steps is not None else None
    return sorted((r for r in _REGISTRY.values() if wanted is None or r.step in wanted), key=lambda r: r.code)


def reason_rows(counts: Mapping[str, int]) -> list[dict[str, object]]:
    """Report rows for counted codes, most frequent first: code, documents, description (None: undeclared)."""
    catalog()
    return [{"reason": code, "documents": int(n), "description": describe(code)}
            for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
