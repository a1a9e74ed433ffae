"""Paging shared by the features: the page size every list takes, and opaque cursors."""

from __future__ import annotations

import base64

import strawberry
from graphql import GraphQLError

MAX_PAGE = 1000


def page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        msg = f"first must be between 1 and {MAX_PAGE}, not {first}"
        raise GraphQLError(msg, extensions={"code": "PAGE_SIZE"})
    return first


def cursor(position: int, line: int) -> str:
    return base64.urlsafe_b64encode(f"{position}:{line}".encode()).decode()


def uncursor(text: str) -> tuple[int, int]:
    try:
        position, line = base64.urlsafe_b64decode(text.encode()).decode().split(":")
        return int(position), int(line)
    except (ValueError, UnicodeDecodeError):
        msg = "after: not a cursor this API gave out"
        raise GraphQLError(msg, extensions={"code": "BAD_CURSOR"}) from None


@strawberry.type
class PageInfo:
    end_cursor: str | None
    has_next_page: bool
