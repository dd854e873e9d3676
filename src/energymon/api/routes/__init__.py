"""One router per resource; each route only translates between HTTP and the service."""

from __future__ import annotations

from typing import Any

from energymon.api.errors import error_responses

__all__ = ["text_responses"]


def text_responses(description: str, media_type: str, *errors: int) -> dict[int | str, Any]:
    """OpenAPI `responses` of a route whose 200 body is text of `media_type`, not JSON."""
    body = {"description": description, "content": {media_type: {"schema": {"type": "string"}}}}
    return {200: body, **error_responses(*errors)}
