"""The parameter space of the equalshares.net tool, named and checked (no computation here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COMPLETIONS = ("none", "utilitarian", "add1", "add1e", "add1u", "add1eu")
COMPARISONS = ("none", "satisfaction", "exclusionRatio")
TIE_CRITERIA = ("maxVotes", "minCost", "maxCost")
ACCURACIES = ("exact", "float")


class ParameterError(ValueError):
    """A parameter that is unknown, malformed or not taken by the rule; `name` says which."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


@dataclass(frozen=True)
class EqualSharesParams:
    """One variant of equal shares as equalshares.net names it.

    completion: add1* raises each voter's budget by `increment` (in the file's currency) while the
    outcome stays within the real budget; "e" stops at the first exhaustive outcome; "u" then
    completes greedily by votes. `integral` starts from the budget per voter rounded down to a whole
    unit. `comparison` replaces the outcome by the greedy one when more voters prefer that.
    `tie_breaking` is applied in order; a list item is a priority list of project ids. `accuracy`:
    "exact" (integers and fractions, the default) or "float" (the tool's floating-point option).
    """

    completion: str = "add1"
    integral: bool = False
    comparison: str = "none"
    tie_breaking: tuple[str | tuple[str, ...], ...] = ("maxVotes", "minCost")
    increment: int = 1
    accuracy: str = "exact"

    def __post_init__(self) -> None:
        if self.completion not in COMPLETIONS:
            raise ParameterError(
                "completion", f"unknown completion {self.completion!r}; expected one of {', '.join(COMPLETIONS)}"
            )
        if self.comparison not in COMPARISONS:
            raise ParameterError(
                "comparison", f"unknown comparison {self.comparison!r}; expected one of {', '.join(COMPARISONS)}"
            )
        if self.accuracy not in ACCURACIES:
            raise ParameterError(
                "accuracy", f"unknown accuracy {self.accuracy!r}; expected one of {', '.join(ACCURACIES)}"
            )
        for item in self.tie_breaking:
            if isinstance(item, str) and item not in TIE_CRITERIA:
                raise ParameterError(
                    "tie_breaking",
                    f"unknown tie-breaking {item!r}; expected "
                    f"{', '.join(TIE_CRITERIA)} or a priority list of project ids",
                )
        if isinstance(self.increment, bool) or not isinstance(self.increment, int) or self.increment < 1:
            raise ParameterError("increment", "increment must be a positive whole number of currency units")
        if self.integral and not self.add1:
            raise ParameterError("integral", "integral only applies to the add1 completions")

    @property
    def add1(self) -> bool:
        return self.completion.startswith("add1")

    @property
    def exhaustive(self) -> bool:
        return self.completion in ("add1e", "add1eu")

    @property
    def utilitarian(self) -> bool:
        return self.completion in ("utilitarian", "add1u", "add1eu")

    def name(self) -> str:
        """A stable, readable name of the variant, e.g. "equalshares(add1e,integral,tie=maxVotes>minCost)"."""
        known: str | None = self.__dict__.get("_name")  # kept: a result asks for it several times
        if known is None:
            known = self._make_name()
            object.__setattr__(self, "_name", known)
        return known

    def _make_name(self) -> str:
        parts = [self.completion]
        if self.integral:
            parts.append("integral")
        if self.add1 and self.increment != 1:
            parts.append(f"increment={self.increment}")
        if self.comparison != "none":
            parts.append(f"comparison={self.comparison}")
        if self.accuracy != "exact":
            parts.append(self.accuracy)
        ties = ">".join(x if isinstance(x, str) else "[" + ",".join(x) + "]" for x in self.tie_breaking)
        parts.append(f"tie={ties or 'none'}")
        return f"equalshares({','.join(parts)})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "completion": self.completion,
            "integral": self.integral,
            "comparison": self.comparison,
            "tie_breaking": [x if isinstance(x, str) else list(x) for x in self.tie_breaking],
            "increment": self.increment,
            "accuracy": self.accuracy,
        }


def parse_tie_breaking(text: str) -> tuple[str | tuple[str, ...], ...]:
    """ "maxVotes,minCost" or "maxVotes,[3;1;2]" (a priority list in brackets, ids separated by ';')."""
    items: list[str | tuple[str, ...]] = []
    for raw in filter(None, (x.strip() for x in _split_outside_brackets(text))):
        if raw.startswith("[") and raw.endswith("]"):
            ids = tuple(x.strip() for x in raw[1:-1].split(";") if x.strip())
            if not ids:
                raise ParameterError("tie_breaking", "an empty priority list settles no tie")
            items.append(ids)
        elif raw in TIE_CRITERIA:
            items.append(raw)
        else:
            raise ParameterError(
                "tie_breaking", f"unknown tie-breaking {raw!r}; expected {', '.join(TIE_CRITERIA)} or [id;id;...]"
            )
    return tuple(items)


def _split_outside_brackets(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += (ch == "[") - (ch == "]")
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts
