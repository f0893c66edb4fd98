"""The errors the routes answer themselves, as documented in the OpenAPI schema's `responses`."""

from typing import Any

from fastapi import status
from pydantic import BaseModel

# What a route's `responses` takes: status code -> the model and description of that answer.
Responses = dict[int | str, dict[str, Any]]


class ErrorMessage(BaseModel):
    """The body of `HTTPException(status_code, detail)`, e.g. {"detail": "User not found"}."""

    detail: str


def error(description: str) -> dict[str, Any]:
    """One entry of a route's `responses`, e.g. `responses={404: error("No such user")}`."""
    return {"model": ErrorMessage, "description": description}


# FastAPI's answer to a request body it cannot even decode, such as one that is not UTF-8 (a body
# that is text but not valid JSON gets 422, like any other invalid input).
UNREADABLE_BODY: Responses = {status.HTTP_400_BAD_REQUEST: error("The body could not be read")}
