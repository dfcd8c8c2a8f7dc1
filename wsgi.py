"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

from lims import create_app

app = create_app()
