"""What `fastcel add domain` is asked for: the domain's name, model and fields, checked.

Every check here is about the words the user typed; `add.py` checks them against the project
(its folders, its tables, its other domains). Each refusal is one line, before anything is written.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import Any

from .errors import UsageError

FIELD_TYPES = ("str", "text", "int", "decimal", "bool", "date", "datetime", "uuid", "email", "ref")
# Columns every domain has, and attributes its model and schemas already use.
RESERVED_FIELDS = frozenset(
    {"id", "owner_id", "created_at", "updated_at", "metadata", "registry", "changes"}
)
MAX_FIELDS = 30
NAME = re.compile(r"[a-z][a-z0-9_]{0,29}")
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,24}")
MODEL = re.compile(r"[A-Z][A-Za-z0-9]{0,29}")
FIELD_FORMS = "NAME:TYPE, NAME:TYPE?, NAME:TYPE:unique or NAME:ref:DOMAIN"


@dataclass(frozen=True)
class Field:
    """One `--field`: a column of the domain's table and a field of its schemas."""

    name: str
    type: str
    nullable: bool = False
    unique: bool = False
    ref: str = ""  # the domain a `ref` field points to

    def answer(self) -> dict[str, Any]:
        """The field as the domain's answers record it (copier.yml's domain_fields)."""
        recorded: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "nullable": self.nullable,
            "unique": self.unique,
        }
        if self.ref:
            recorded["ref"] = self.ref
        return recorded


def check_name(name: str) -> str:
    """The domain's name, or UsageError: its package, table and URL (snake_case)."""
    if not NAME.fullmatch(name):
        raise UsageError(
            f"domain name {name!r} must be a lowercase letter, then at most 29 lowercase "
            "letters, digits or '_' (e.g. orders)"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise UsageError(f"domain name {name!r} is a Python keyword")
    return name


def model_name(domain: str) -> str:
    """The model's class name for a domain: singular CamelCase (orders -> Order)."""
    words = domain.split("_")
    last = words[-1]
    for plural, singular in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch")):
        if last.endswith(plural) and len(last) > len(plural):
            last = last[: -len(plural)] + singular
            break
    else:
        if last.endswith("s") and not last.endswith("ss") and len(last) > 1:
            last = last[:-1]
    return "".join(word.capitalize() for word in [*words[:-1], last] if word)


def check_model(model: str) -> str:
    """A class name given with --model, or UsageError."""
    if not MODEL.fullmatch(model):
        raise UsageError(
            f"model name {model!r} must be a capital letter, then at most 29 letters or digits"
        )
    return model


def parse_field(spec: str) -> Field:
    """One --field value: NAME:TYPE, with `?` after the type for a nullable field and
    `:unique` at the end for a unique one; TYPE `ref:DOMAIN` is a reference to DOMAIN's rows."""
    parts = spec.strip().split(":")
    if len(parts) < 2 or not parts[1]:
        raise UsageError(f"--field {spec!r}: write it as {FIELD_FORMS}")
    name, kind, rest = parts[0], parts[1], parts[2:]
    ref = ""
    if kind == "ref" or kind == "ref?":
        if not rest or not rest[0].rstrip("?"):
            raise UsageError(f"--field {spec!r}: a reference names its domain, as NAME:ref:DOMAIN")
        ref, rest = rest[0], rest[1:]
        nullable = ref.endswith("?") or kind == "ref?"
        ref, kind = ref.rstrip("?"), "ref"
    else:
        nullable = kind.endswith("?")
        kind = kind.rstrip("?")
    if kind not in FIELD_TYPES:
        raise UsageError(
            f"--field {spec!r}: unknown type {kind!r} (one of {', '.join(FIELD_TYPES)})"
        )
    if rest not in ([], ["unique"]):
        raise UsageError(f"--field {spec!r}: only ':unique' may follow the type")
    unique = rest == ["unique"]
    _check_field_name(spec, name)
    if unique and kind in ("bool", "text"):
        raise UsageError(f"--field {spec!r}: a {kind} field cannot be unique")
    if ref:
        check_name(ref)
    return Field(name=name, type=kind, nullable=nullable, unique=unique, ref=ref)


def _check_field_name(spec: str, name: str) -> None:
    if not FIELD_NAME.fullmatch(name):
        raise UsageError(
            f"--field {spec!r}: the name must be a lowercase letter, then at most 24 lowercase "
            "letters, digits or '_'"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise UsageError(f"--field {spec!r}: {name!r} is a Python keyword")
    if name in RESERVED_FIELDS or name.startswith("model_"):
        raise UsageError(f"--field {spec!r}: every domain has {name!r} already, pick another name")


def parse_fields(specs: list[str]) -> list[Field]:
    """Every --field, in order; at least one, at most MAX_FIELDS, each name once."""
    if not specs:
        raise UsageError(f"give the domain at least one --field ({FIELD_FORMS})")
    if len(specs) > MAX_FIELDS:
        raise UsageError(f"a domain has at most {MAX_FIELDS} fields ({len(specs)} given)")
    fields = [parse_field(spec) for spec in specs]
    seen: set[str] = set()
    for field in fields:
        if field.name in seen:
            raise UsageError(f"--field {field.name!r} is given twice")
        seen.add(field.name)
    return fields
