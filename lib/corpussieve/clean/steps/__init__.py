"""Document steps: what runs on the documents the filter stack kept, in registry order, in the same
``mapInArrow`` as the filters (see ``corpussieve.clean.steps.base`` for the contract).

``STEPS`` is the registry, in run order: ``StepsConfig`` (``clean.steps``: one sub-config per step, keyed by
its name) and ``StepRunner`` are both built from it, so adding a step is one module (its config class and
its ``DocumentStep``) and one entry here.

``StepRunner.run`` is the worker side: every enabled step over one batch's kept documents, each step
seeing the text the previous one left, a document rejected by one step skipped by the next. A step that
raises on a batch is retried document by document; a document it still fails on is rejected
``steps:error`` (never kept unprocessed: a redaction step that failed must not let its text through).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field, create_model

from corpussieve.clean.steps.base import DocumentStep, StepConfig, StepResult, StepRows
from corpussieve.clean.steps.decontaminate import DecontaminateStep, DecontaminateStepConfig
from corpussieve.clean.steps.pii import PiiConfig, PiiStep
from corpussieve.configbase import StrictModel
from corpussieve.reasons import declare

LOG = logging.getLogger(__name__)

#: every document step, in the order they run (and ``clean.steps`` lists their configs)
#: decontaminate before pii: benchmark items are matched in the text as written, before any redaction
STEPS: tuple[type[DocumentStep], ...] = (DecontaminateStep, PiiStep)

#: the runner's guard: one document a step cannot process is rejected, never passed through unprocessed
STEP_GUARD = declare("steps", {
    "error": "a document step raised an unexpected error on the document (the worker logs it)",
})  # fmt: skip

#: names the clean job's bookkeeping already uses (character steps, timers, reason steps): no step may take one
_TAKEN = {"input", "extract", "markup", "repair", "boilerplate_lines", "site_lines", "filters", "prepare", "lines",
          "steps"}


def _steps_config(steps: tuple[type[DocumentStep], ...]) -> type[StrictModel]:
    """``clean.steps``: one field per step, named after it, holding its config (defaults when absent)."""
    names = [s.name for s in steps]
    if len(set(names)) != len(names):
        raise ValueError(f"two document steps share a name: {names}")
    if taken := sorted(set(names) & _TAKEN):
        raise ValueError(f"document step names {taken} are taken by the clean job's own steps")
    fields: dict[str, Any] = {s.name: (s.config, Field(default_factory=s.config,
                                                       description=(s.__doc__ or s.name).strip().split("\n")[0]))
                              for s in steps}
    return create_model("StepsConfig", __base__=StrictModel, __module__=__name__,
                        __doc__="Document steps over the documents the filters kept, in run order.", **fields)


StepsConfig = _steps_config(STEPS)


def enabled_steps(cfg: Any, registry: Sequence[type[DocumentStep]] | None = None) -> list[tuple[type[DocumentStep], Any]]:
    """(step class, its config) of every enabled step of a ``StepsConfig`` (of ``registry``, ``STEPS`` by
    default), in run order."""
    return [(step, getattr(cfg, step.name)) for step in (STEPS if registry is None else registry)
            if getattr(cfg, step.name).enabled]


def step_payloads(cfg: Any, spark: Any) -> dict[str, Any]:
    """Every enabled step's driver-side payload (``DocumentStep.prepare``), by step name."""
    return {step.name: step.prepare(step_cfg, spark) for step, step_cfg in enabled_steps(cfg)}


@dataclass
class StepOutcome:
    """One step over one batch, aligned with the batch's rows: ``ran[i]`` says whether row ``i`` went
    through it; ``columns``/``counters`` hold None where it did not; ``seconds`` per row."""

    ran: list[bool]
    columns: dict[str, list[Any]]
    counters: dict[str, list[int | None]]
    chars: list[int | None]
    seconds: list[float]


@dataclass
class RunnerResult:
    """Every enabled step over one batch: the texts and reasons after them, and each step's outcome."""

    texts: list[str | None]
    reasons: list[list[str]]
    outcomes: dict[str, StepOutcome] = field(default_factory=dict)


class StepRunner:
    """The enabled steps of a ``StepsConfig``, built once per task with their payloads."""

    def __init__(self, cfg: Any = None, payloads: Mapping[str, Any] | None = None,
                 registry: Sequence[type[DocumentStep]] | None = None) -> None:
        self.cfg = cfg if cfg is not None else StepsConfig()
        payloads = payloads or {}
        self.steps: list[DocumentStep] = [step(step_cfg, payloads.get(step.name))
                                          for step, step_cfg in enabled_steps(self.cfg, registry)]

    def run(self, ids: Sequence[str], urls: Sequence[str | None], texts: Sequence[str | None],
            reasons: Sequence[Sequence[str]]) -> RunnerResult:
        """Every step over the rows that have text and no reason yet (re-checked before each step)."""
        out = RunnerResult(list(texts), [list(r) for r in reasons])
        n = len(out.texts)
        for step in self.steps:
            picked = [i for i in range(n) if out.texts[i] is not None and not out.reasons[i]]
            names = [f.name for f in step.columns(step.cfg)]
            outcome = StepOutcome([False] * n, {c: [None] * n for c in names},
                                  {c: [None] * n for c in step.counters}, [None] * n, [0.0] * n)
            out.outcomes[step.name] = outcome
            if not picked:
                continue
            started = time.perf_counter()
            results = self._apply(step, [(i, ids[i], urls[i], out.texts[i]) for i in picked])
            per_row = (time.perf_counter() - started) / len(picked)
            for i, (text, columns, why, counts) in zip(picked, results):
                outcome.ran[i] = why is None or STEP_GUARD["error"] not in why
                outcome.seconds[i] = per_row
                if why:
                    out.reasons[i] = [*out.reasons[i], *why]
                if not outcome.ran[i]:
                    continue
                out.texts[i] = text
                outcome.chars[i] = len(text)
                for c in names:
                    outcome.columns[c][i] = columns[c]
                for c in step.counters:
                    outcome.counters[c][i] = int(counts.get(c, 0))
        return out

    @staticmethod
    def _apply(step: DocumentStep, rows: list[tuple[int, str, str | None, str]]) -> list[tuple[Any, ...]]:
        """(text, columns, reasons, counters) per row; a batch that raises is retried row by row."""
        try:
            return _unpack(step, step.apply(StepRows([r[1] for r in rows], [r[2] for r in rows],
                                                     [r[3] for r in rows])), len(rows))
        except Exception as exc:
            if len(rows) == 1:
                LOG.warning("document step %s failed on document %s: %s: %s", step.name, rows[0][1],
                            type(exc).__name__, exc)
                return [(rows[0][3], {}, [STEP_GUARD["error"]], {})]
        return [row for one in rows for row in StepRunner._apply(step, [one])]


def _unpack(step: DocumentStep, result: StepResult, n: int) -> list[tuple[Any, ...]]:
    names = [f.name for f in step.columns(step.cfg)]
    reasons = result.reasons or [[] for _ in range(n)]
    sizes = {"texts": len(result.texts), "reasons": len(reasons),
             **{f"column {c}": len(result.columns.get(c, ())) for c in names},
             **{f"counter {c}": len(v) for c, v in result.counters.items()}}
    if any(size != n for size in sizes.values()):
        raise ValueError(f"document step {step.name} returned results misaligned with its {n} rows: {sizes}")
    return [(result.texts[i], {c: result.columns[c][i] for c in names}, list(reasons[i]),
             {c: v[i] for c, v in result.counters.items()}) for i in range(n)]


__all__ = [
    "STEPS", "STEP_GUARD", "DecontaminateStep", "DecontaminateStepConfig", "DocumentStep", "PiiConfig", "PiiStep", "RunnerResult", "StepConfig", "StepOutcome",
    "StepResult", "StepRows", "StepRunner", "StepsConfig", "enabled_steps", "step_payloads",
]  # fmt: skip
