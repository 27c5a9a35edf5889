"""CompressTest & TinySite. `uvicorn app:app` serves this package's ASGI app."""

from app.main import app

__all__ = ["app"]
