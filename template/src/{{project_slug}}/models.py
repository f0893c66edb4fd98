"""Every domain's tables, imported once: Alembic's autogenerate and the tests read
`Base.metadata` after importing this module (see domains.py)."""

from .auth.models import LoginFailure
from .comments.models import Comment, Mention
from .database import Base
from .jobs.models import TaskRun
from .outbox.models import OutboxMessage
from .rate_limits import RateCounter
from .users.models import User

__all__ = [
    "Base",
    "Comment",
    "LoginFailure",
    "Mention",
    "OutboxMessage",
    "RateCounter",
    "TaskRun",
    "User",
]
