"""ASGI entry point for uvicorn workers: settings come from the environment.

Each worker is a process of its own (spawned, not forked), so it configures its own
logging before anything logs."""

from mims.logs import configure_logging
from mims.server import create_app
from mims.settings import Settings

settings = Settings()
configure_logging(settings.log_level, json=settings.log_json)
app = create_app(settings)
