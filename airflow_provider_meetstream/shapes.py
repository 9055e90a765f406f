"""How deep a JSON-like value nests, measured without recursion: shared by checks and error messages."""

from __future__ import annotations

from typing import Any


def depth_within(value: Any, limit: int) -> bool:
    """
    Tell whether ``value`` nests dicts, lists and tuples at most ``limit`` levels deep.

    Iterative, so that the check itself cannot overflow the stack; a cycle counts as too deep.

    :param value: Any value.
    :param limit: The deepest nesting allowed.
    """
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list, tuple)):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return True
