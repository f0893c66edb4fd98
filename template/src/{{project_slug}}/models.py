"""Every table, imported once: Alembic's autogenerate and the tests read `Base.metadata` after
importing this module. Each domain's `models` module is imported from DOMAINS (see domains.py)."""

from importlib import import_module

from .database import Base
from .domains import domain_modules
from .rate_limits import RateCounter

for _name in domain_modules("models"):
    import_module(_name)

__all__ = ["Base", "RateCounter"]
