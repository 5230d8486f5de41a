"""The training plan a corpus is graded against: model size, training tokens, and passes per source.

A plan file (YAML)::

    model_params: 8.0e8          # parameters of the model to be trained
    training_tokens: 3.0e11      # total tokens the run will train on (needed when a source has a weight)
    default_epochs: 1            # passes over sources the plan does not name
    sources:
      web:  {weight: 0.8}        # 80% of training tokens come from 'web'
      wiki: {epochs: 4}          # 'wiki' is read 4 times
      qa:   {epochs: 1, synthetic: true}   # generated text (the data card reports its share of the mix)

``passes`` over a source is its ``epochs``, or ``weight * training_tokens / source_tokens`` where
``source_tokens`` is what the corpus holds for that source (measured by the job). A span's **effective repeat
count** is the sum over its copies of the passes over each copy's source: its corpus count times the passes
when every copy sits in one source. Without a plan every source gets one pass (the report says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

from corpussieve.configbase import StrictModel, read_yaml_mapping
from corpussieve.errors import ConfigError

_WEIGHT_SLACK = 1e-9


class SourcePlan(StrictModel):
    """How one source is sampled: a number of passes (``epochs``) or a share of training tokens (``weight``)."""

    epochs: float | None = Field(None, gt=0, allow_inf_nan=False, description="Passes over the source.")
    weight: float | None = Field(
        None, gt=0, le=1, allow_inf_nan=False, description="Share of the training tokens drawn from the source."
    )
    synthetic: bool = Field(
        False, description="The source is model-generated text; ``corpussieve inspect`` reports its share of the "
                           "training mix and warns above inspect.max_synthetic_share. Passes are unaffected."
    )

    @model_validator(mode="after")
    def _one_of(self) -> SourcePlan:
        if (self.epochs is None) == (self.weight is None):
            raise ValueError("set exactly one of epochs or weight")
        return self


class TrainingPlan(StrictModel):
    """A planned training run."""

    model_params: float = Field(gt=0, allow_inf_nan=False, description="Parameters of the model (e.g. 8.0e8).")
    training_tokens: float | None = Field(
        None, gt=0, allow_inf_nan=False, description="Total training tokens; required when a source has a weight."
    )
    default_epochs: float = Field(
        1.0, gt=0, allow_inf_nan=False, description="Passes over every source the plan does not name."
    )
    sources: dict[str, SourcePlan] = Field(default_factory=dict, description="Sampling per source name.")

    @model_validator(mode="after")
    def _weights(self) -> TrainingPlan:
        weights = {name: s.weight for name, s in self.sources.items() if s.weight is not None}
        if weights and self.training_tokens is None:
            first = next(iter(weights))
            raise ValueError(f"training_tokens: required because sources.{first}.weight is set")
        total = sum(weights.values())
        if total > 1 + _WEIGHT_SLACK:
            raise ValueError(f"sources: weights add up to {total:g}, more than 1")
        return self

    def passes(self, source_tokens: Mapping[str, int | float]) -> dict[str, float]:
        """Passes over each source of the corpus, given the tokens each source holds."""
        out = {}
        for name, tokens in source_tokens.items():
            spec = self.sources.get(name)
            if spec is None:
                out[name] = self.default_epochs
            elif spec.epochs is not None:
                out[name] = spec.epochs
            else:
                if tokens <= 0:
                    raise ConfigError(f"plan error: plan.sources.{name}.weight: source {name!r} has no tokens")
                assert spec.weight is not None and self.training_tokens is not None
                out[name] = spec.weight * self.training_tokens / float(tokens)
        return out

    def unknown_sources(self, source_tokens: Mapping[str, int | float]) -> list[str]:
        """Sources the plan names that the corpus does not hold (worth a warning in the report)."""
        return sorted(set(self.sources) - set(source_tokens))


@dataclass(frozen=True)
class ResolvedPlan:
    """What the grade is computed against, and the sentence the report prints about it."""

    model_params: float
    passes: dict[str, float]
    note: str
    from_plan: bool

    def planned_training_tokens(self, source_tokens: Mapping[str, int | float]) -> float:
        return float(sum(self.passes.get(name, 1.0) * tokens for name, tokens in source_tokens.items()))


def resolve_plan(
    plan: TrainingPlan | None, source_tokens: Mapping[str, int | float], assumed_model_params: float
) -> ResolvedPlan:
    """Passes per source and the model size; without a plan one pass everywhere and the assumed size."""
    if plan is None:
        return ResolvedPlan(
            model_params=assumed_model_params,
            passes={name: 1.0 for name in source_tokens},
            note=(
                "No training plan given: one pass over every source (effective repeats = corpus counts) "
                f"and a model of {format_params(assumed_model_params)} parameters assumed."
            ),
            from_plan=False,
        )
    passes = plan.passes(source_tokens)
    parts = [f"{name} x{value:.3g}" for name, value in sorted(passes.items())]
    note = f"Training plan: {format_params(plan.model_params)}-parameter model; passes per source: {', '.join(parts)}."
    missing = plan.unknown_sources(source_tokens)
    if missing:
        note += f" Sources in the plan but not in the corpus: {', '.join(missing)}."
    return ResolvedPlan(plan.model_params, passes, note, True)


def format_params(value: float) -> str:
    """A parameter count for prose: 800M, 7B, 175B."""
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if value >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:.3g}"


def plan_from_mapping(data: Mapping[str, Any], where: str = "plan") -> TrainingPlan:
    """Validate a plan mapping; every problem is reported with its dotted field name."""
    try:
        return TrainingPlan.model_validate(dict(data))
    except ValidationError as exc:
        problems = [_describe(error) for error in exc.errors()]
        raise ConfigError(f"plan error in {where}: " + "; ".join(problems)) from None


def load_plan(path: str | Path) -> TrainingPlan:
    """Read and validate a YAML plan file (``--plan PLAN.yaml``)."""
    return plan_from_mapping(read_yaml_mapping(path, what="plan file"), where=str(path))


def _describe(error: Mapping[str, Any]) -> str:
    key = ".".join(["plan", *(str(part) for part in error["loc"])])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    bounds = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}
    if kind in bounds:
        limit = next(iter(ctx.values()))
        message = f"must be {bounds[kind]} {limit:g}" if isinstance(limit, int | float) else error["msg"]
    elif kind == "missing":
        message = "required"
    elif kind == "extra_forbidden":
        message = "unknown key"
    elif kind in ("float_parsing", "float_type"):
        message = "must be a number"
    elif kind == "finite_number":
        message = "must be finite"
    elif kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
        # Whole-plan checks name their field as "field: message".
        field, sep, rest = message.partition(": ")
        if sep and not error["loc"] and field.replace(".", "").replace("_", "").isalnum():
            key, message = f"plan.{field}", rest
    else:
        message = error["msg"]
    if kind not in ("missing", "value_error", "extra_forbidden") and not isinstance(value, dict):
        message += f" (got {value!r})"
    return f"{key}: {message}"
