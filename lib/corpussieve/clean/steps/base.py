"""What every document step is: one pass over the documents the filter stack kept, in the clean job's
filters ``mapInArrow``, that may rewrite the text, adds audit columns to every output row, may reject a
document with declared reasons and counts what it did.

A step is one module: its config class (a ``StepConfig``) and its ``DocumentStep`` subclass, whose ``name``
is its key under ``clean.steps``, the prefix of its reason codes and of its bookkeeping columns, and whose
``reasons`` and ``counters`` are declared when the class is defined (like ``QualityFilter``).
``corpussieve.clean.steps.STEPS`` lists the steps in run order.

Life of a step in one run:

* ``columns(cfg)``: the audit columns it adds to every output row (null where it did not run: rejected
  rows, or a document an earlier step rejected). Only enabled steps add columns, so turning a step off
  leaves the output tables as they were before it existed.
* ``prepare(cfg, spark)``: once, on the driver; its payload rides in the ``mapInArrow`` closure (pickled
  into every task), so keep it compact: numpy arrays, not Python sets of millions of objects.
* ``__init__(cfg, payload)``: once per task, on the worker.
* ``apply(rows)``: one batch's kept documents (``StepRows``) in, a ``StepResult`` aligned with them out.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from corpussieve.configbase import StrictModel
from corpussieve.reasons import Codes, declare

if TYPE_CHECKING:
    import pyarrow as pa


class StepConfig(StrictModel):
    """Common to every document step."""

    enabled: bool = Field(True, description="Run this step (a step that is off adds no column to the outputs).")


@dataclass
class StepRows:
    """The documents of one batch a step runs on (kept by the filters and by the steps before it)."""

    ids: list[str]
    urls: list[str | None]
    texts: list[str]

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class StepResult:
    """What a step did to each of its ``StepRows``, aligned with them.

    ``texts``: the new text (the same object when unchanged); ``columns``: per audit column (the names of
    ``columns(cfg)``), one value per row; ``reasons``: declared codes per row (non-empty rejects the
    document); ``counters``: per counter name, one number per row (the report sums them)."""

    texts: list[str]
    columns: dict[str, list[Any]] = field(default_factory=dict)
    reasons: list[list[str]] = field(default_factory=list)
    counters: dict[str, list[int]] = field(default_factory=dict)


class DocumentStep(ABC):
    """One named step over kept documents, with its config (a pydantic ``StepConfig``)."""

    #: the step's key under ``clean.steps``, the step of its reason codes and the prefix of its columns
    name: ClassVar[str]
    #: its config class, the type of ``clean.steps.<name>``
    config: ClassVar[type[StepConfig]]
    #: reason names this step can give, with what each means (declared as ``<name>:<reason>``)
    reasons: ClassVar[Mapping[str, str]] = {}
    #: what it counts, name -> one-line description (the report shows them)
    counters: ClassVar[Mapping[str, str]] = {}
    #: the declared codes by reason name
    codes: ClassVar[Codes]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Declare a concrete step's reasons when its class is defined, so a report can describe them."""
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            config = cls.__dict__.get("config")
            if not (isinstance(config, type) and issubclass(config, StepConfig)):
                raise TypeError(f"document step {cls.__name__} needs a config class derived from StepConfig")
            cls.codes = declare(cls.name, cls.reasons)

    @classmethod
    def columns(cls, cfg: Any) -> list[pa.Field]:
        """The audit columns this step adds to every output row (null where it did not run)."""
        return []

    @classmethod
    def prepare(cls, cfg: Any, spark: Any) -> Any:
        """Driver side, once per run: what every task needs (``__init__``'s payload). Default: nothing."""
        return None

    def __init__(self, cfg: Any, payload: Any = None) -> None:
        self.cfg = cfg
        self.payload = payload

    @abstractmethod
    def apply(self, rows: StepRows) -> StepResult:
        """The step over one batch's kept documents."""


__all__ = ["DocumentStep", "StepConfig", "StepResult", "StepRows"]
