"""A configuration that does not validate, said in one line: each failing key named as the
file spells it (`appliances[1].address (Solar)`), with pydantic's message made plain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

__all__ = ["describe_validation_error"]


def describe_validation_error(exc: ValidationError, data: Mapping[str, Any]) -> str:
    """One line naming each failing key, e.g. `appliances[1].address: must be ...`."""
    problems = []
    for error in exc.errors(include_url=False):
        location = _format_location(error["loc"], data)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "missing":
            message = "required key is missing"
        problems.append(f"{location}: {message}" if location else message)
    return "; ".join(problems)


def _format_location(location: tuple[int | str, ...], data: Mapping[str, Any]) -> str:
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    # Name the appliance too, so "appliances[2]" is easy to find in the file.
    if len(location) >= 2 and location[0] == "appliances" and isinstance(location[1], int):
        appliances = data.get("appliances")
        if isinstance(appliances, list) and location[1] < len(appliances):
            entry = appliances[location[1]]
            if isinstance(entry, Mapping) and "name" in entry:
                text += f" ({entry['name']})"
    return text
