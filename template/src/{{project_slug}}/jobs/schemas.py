import math
import uuid
from typing import Any, Self

from celery.result import AsyncResult
from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, model_validator

from ..timestamps import UtcDatetime


class DivideRequest(BaseModel):
    """x / y, computed by a worker: a quotient beyond the range of a float is refused."""

    # int stays int, so 1 / 0 fails exactly as in Python: "division by zero".
    x: int | FiniteFloat
    y: int | FiniteFloat

    @model_validator(mode="after")
    def quotient_is_a_float(self) -> Self:
        # JSON has no infinity: such a quotient could not be answered by GET /tasks/{id}.
        if self.y != 0:
            try:
                quotient = self.x / self.y
            except OverflowError:
                quotient = math.inf
            if not math.isfinite(quotient):
                raise ValueError("x / y is beyond the range of a float")
        return self


class TaskCreated(BaseModel):
    task_id: str


class TaskStatus(BaseModel):
    task_id: str
    state: str
    result: Any = None
    error: str | None = None

    @classmethod
    def from_result(cls, result: AsyncResult) -> "TaskStatus":
        state = result.state  # one round trip to the result backend; cached once ready
        if state == "SUCCESS":
            return cls(task_id=result.id, state=state, result=result.result)
        if state == "FAILURE":
            exc = result.result
            return cls(task_id=result.id, state=state, error=f"{type(exc).__name__}: {exc}")
        return cls(task_id=result.id, state=state)

    def public(self) -> dict[str, Any]:
        """The JSON body: "result" on success, "error" on failure, neither while running."""
        if self.state == "FAILURE":
            return self.model_dump(exclude={"result"})
        return self.model_dump(exclude={"error"})


class TaskRunRead(BaseModel):
    """A task in the caller's list: what was started, and when."""

    model_config = ConfigDict(from_attributes=True)

    task_id: uuid.UUID = Field(validation_alias="id")
    task_name: str
    created_at: UtcDatetime
