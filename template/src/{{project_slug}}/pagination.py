"""The query parameters of every list route: `offset` and `limit`, both bounded.

An offset makes the database walk past that many rows before answering, so it is capped: a
client that wants everything pages through with a filter (such as a creation date it has seen)
rather than a huge offset.
"""

from typing import Annotated

from fastapi import Query

MAX_OFFSET = 10_000
MAX_LIMIT = 500

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Most rows to return")]
