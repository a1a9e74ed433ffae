"""ASGI entry point for uvicorn workers: settings come from the environment."""

from mims.server import create_app

app = create_app()
