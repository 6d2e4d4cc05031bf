"""The newsfacts HTTP API: ``create_app()`` builds it (``gunicorn 'api:create_app()'``).

The factory (``api.app``) is imported on first use: ``newsfacts seed`` and ``newsfacts db``
(``api.cli``, inside this package) then start without Flask and the API's modules, half a
second sooner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
