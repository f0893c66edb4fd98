from typing import Any

from celery.result import AsyncResult
from pydantic import BaseModel


class DivideRequest(BaseModel):
    # int stays int, so 1 / 0 fails exactly as in Python: "division by zero".
    x: int | float
    y: int | float


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
