"""What autogenerate compares the database with: the models of both sides of the database."""

from __future__ import annotations

from typing import Any, Final, Literal

from sqlalchemy import MetaData
from sqlalchemy.types import TypeDecorator

from hub.persistence.models import hub_metadata
from store.models import Base

TARGET_METADATA: Final[tuple[MetaData, ...]] = (Base.metadata, hub_metadata)


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Write our column types (``Money``, ``UTCDateTime``) as the plain types they create.

    A migration must not import the models' code, which later revisions may change.
    """
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False
