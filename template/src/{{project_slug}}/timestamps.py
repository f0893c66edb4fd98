"""Timestamps with their time zone, whatever the database: SQLite (the embedded profile) keeps
none, and every value this project stores is in UTC."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def in_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# For response schemas: `created_at: UtcDatetime`.
UtcDatetime = Annotated[datetime, AfterValidator(in_utc)]
