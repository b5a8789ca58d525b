"""The HTTP adapter: the Starlette application serving the interface."""

from .app import create_app

__all__ = ["create_app"]
