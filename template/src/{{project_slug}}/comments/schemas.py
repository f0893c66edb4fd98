from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..timestamps import UtcDatetime
from .mentions import mentioned_names

MAX_BODY_CHARS = 5000
# Each mention is an email sent: a comment names at most this many distinct users.
MAX_MENTIONS = 50
# comments.id is a PostgreSQL integer: no comment has a larger id.
MAX_COMMENT_ID = 2**31 - 1


class CommentCreate(BaseModel):
    # PostgreSQL refuses the NUL character in text.
    body: Annotated[str, Field(min_length=1, max_length=MAX_BODY_CHARS, pattern=r"^[^\x00]*$")]

    @field_validator("body")
    @classmethod
    def few_enough_mentions(cls, body: str) -> str:
        if len(mentioned_names(body)) > MAX_MENTIONS:
            raise ValueError(f"a comment may mention at most {MAX_MENTIONS} distinct users")
        return body


class CommentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    body: str
    author_id: int
    # The users notified of the comment (the author is never among them), by id.
    mentions: list[int]
    # The @names that matched no active user: nobody was notified for them.
    unknown_mentions: list[str]
    created_at: UtcDatetime

    @field_validator("mentions", mode="before")
    @classmethod
    def user_ids(cls, mentions: list[object]) -> list[object]:
        return [getattr(mention, "user_id", mention) for mention in mentions]
