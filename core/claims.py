"""Checked claims: every statement a page makes about what a run shows, as code.

A page's words about a run ("the clipped run's largest raw gradient is a thousandth of the
unclipped run's") are only as good as the run behind them. So each experiment module declares
the claims its page makes, beside the experiment, as small functions over its result:

    @claim(blowup, perturb=lambda r: {**r, "frozen_loss": [float("nan")]},
           settings=[{}], seeds=SEEDS)
    def frozen_stays_finite(r):
        '''with W_hh frozen, the same run stays finite'''
        return all(math.isfinite(v) for v in r["frozen_loss"])

- A claim is its check: the function's name is the claim's name, its docstring what the page
  says (shown as "checked in this run: ..." beside the chart; its lines joined by single
  spaces). ``text=`` replaces the docstring for a sentence built from module constants (an
  f-string is not a docstring). ``observed`` (optional) formats the numbers of this run that
  back it.
- ``settings`` lists the parameter overrides the page speaks about (its defaults ``{}`` and
  the presets whose text relies on the claim); ``seeds`` the seeds the claim is tested over
  (``SEEDS``, 0-4, unless the page says it describes one run, ``seeds=None``).
- ``perturb`` turns a result for which the claim holds into one for which it must not: the
  test suite feeds it to the check to show the claim can fail.

``tests/claims/`` runs every claim over its settings and seeds. Pages call
:meth:`Claim.holds` to choose their words, and ``ui.claims.show`` to display the verdict.
Torch-free and Streamlit-free: plain functions over JSON-ready dicts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SEEDS", "CLAIMS", "Claim", "claim", "claims_for", "finite", "finite_values",
           "safe_log10"]

#: The seeds a seed-dependent claim is checked over.
SEEDS: tuple[int, ...] = (0, 1, 2, 3, 4)

#: Every declared claim, keyed ``"<module>.<experiment>.<name>"``.
CLAIMS: dict[str, Claim] = {}


@dataclass(frozen=True)
class Claim:
    """One checked statement about an experiment's result."""

    experiment: str  #: the experiment's registry key, ``"module.function"``
    name: str
    text: str
    check: Callable[[dict], bool]
    perturb: Callable[[dict], dict]
    observed: Callable[[dict], str] | None = None
    settings: tuple[dict, ...] = ({},)
    seeds: tuple[int, ...] | None = SEEDS
    applies: Callable[[dict], bool] | None = field(default=None)

    @property
    def key(self) -> str:
        return f"{self.experiment}.{self.name}"

    def applies_to(self, params: dict[str, Any]) -> bool:
        """Whether the claim speaks about a run with these (full) parameters."""
        return self.applies is None or bool(self.applies(params))

    def holds(self, result: dict) -> bool:
        """The verdict on one result; a result the check cannot read counts as not holding."""
        try:
            return bool(self.check(result))
        except (KeyError, IndexError, TypeError, ValueError, ZeroDivisionError):
            return False

    def evidence(self, result: dict) -> str:
        """The run's own numbers behind the claim ('' when the claim declares none)."""
        if self.observed is None:
            return ""
        try:
            return self.observed(result)
        except (KeyError, IndexError, TypeError, ValueError, ZeroDivisionError):
            return ""


def claim(experiment_fn: Callable[..., dict], *,
          perturb: Callable[[dict], dict],
          observed: Callable[[dict], str] | None = None,
          settings: Iterable[dict] = ({},),
          seeds: Sequence[int] | None = SEEDS,
          applies: Callable[[dict], bool] | None = None,
          text: str | None = None) -> Callable[[Callable], Claim]:
    """Declare a claim about ``experiment_fn``'s result (decorates the check function).

    The check's name is the claim's name and its docstring the claim's text, its lines joined
    by single spaces (``text`` instead, for a sentence that is an f-string).
    ``applies(params)``: for a claim that only speaks about some settings (say "at T >= 50"),
    so pages show it only there. The decorated name becomes the :class:`Claim`.
    """

    def deco(check: Callable[[dict], bool]) -> Claim:
        said = text if text is not None else " ".join((check.__doc__ or "").split())
        if not said:
            raise ValueError(f"claim {check.__name__} says nothing: give it a docstring")
        c = Claim(experiment=experiment_fn.key, name=check.__name__, text=said, check=check,
                  perturb=perturb, observed=observed, settings=tuple(dict(s) for s in settings),
                  seeds=None if seeds is None else tuple(int(s) for s in seeds),
                  applies=applies)
        if c.key in CLAIMS:
            raise ValueError(f"claim {c.key} declared twice")
        CLAIMS[c.key] = c
        return c

    return deco


def claims_for(experiment_key: str) -> list[Claim]:
    """The claims declared about one experiment, in declaration order."""
    return [c for c in CLAIMS.values() if c.experiment == experiment_key]


def finite(x: Any) -> bool:
    """True for a real, finite number (None, NaN and inf are not)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def finite_values(xs: Iterable[Any]) -> list[float]:
    """The real, finite numbers of ``xs`` in order (None, NaN and inf left out)."""
    return [x for x in xs if finite(x)]


def json_ready(v: Any) -> Any:
    """``v`` with every non-finite float (NaN, inf) as None, numpy scalars as Python numbers
    and tuples as lists, recursively: what strict JSON (and a browser) can read."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: json_ready(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_ready(x) for x in v]
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):  # numpy scalars
        return json_ready(v.item())
    return v


def safe_log10(x: Any) -> float:
    """log10 of a positive finite number; NaN for anything else (0, negatives, NaN, inf, None).

    The one rule for log scales in the app: a value that has no logarithm is NaN, never
    -inf or an error, and charts mark it as its own legend entry.
    """
    return math.log10(x) if finite(x) and x > 0 else float("nan")


def held_while_blown(held: dict | None, blown_loss: Sequence[Any], *, held_factor: float = 2.0,
                     blown_factor: float = 1e6) -> bool:
    """The control pattern "this run stays finite and its loss never exceeds ``held_factor``
    times its first value, while the other run's loss climbs more than ``blown_factor``-fold".

    ``held``: a run dict with ``loss`` (list) and ``first_nonfinite`` (None when finite);
    ``blown_loss``: the other run's losses (non-finite ones are skipped).
    """
    if held is None or held.get("first_nonfinite") is not None or not held["loss"]:
        return False
    loss, blown = held["loss"], finite_values(blown_loss)
    return (all(finite(v) for v in loss) and max(loss) <= held_factor * loss[0]
            and bool(blown) and finite(blown_loss[0])
            and max(blown) > blown_factor * blown_loss[0])


def held_while_blown_text(held_name: str, held_loss: Sequence[float], blown_name: str,
                          blown_loss: Sequence[Any]) -> str:
    """What :func:`held_while_blown` saw, for a claim's ``observed`` line."""
    growth = max(finite_values(blown_loss)) / blown_loss[0]
    return (f"{held_name}: largest loss {max(held_loss):.3g} from {held_loss[0]:.3g}; "
            f"{blown_name}: ×{growth:.3g}")
