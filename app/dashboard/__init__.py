"""The dashboard: server-rendered pages for delivery managers, served by the API's own app."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.dashboard.audience import PageRefused, answer_refused
from app.dashboard.auth import SignInRequired, redirect_to_login
from app.dashboard.rendering import make_templates
from app.dashboard.routes import router
from app.dashboard.survey import router as survey_router

STATIC_PATH = "/static"


def install_dashboard(app: FastAPI) -> None:
    """Serve the dashboard pages, their stylesheet, and the sign-in redirect on this app."""
    app.state.dashboard_templates = make_templates()
    app.add_exception_handler(SignInRequired, redirect_to_login)
    app.add_exception_handler(PageRefused, answer_refused)
    app.mount(STATIC_PATH, StaticFiles(packages=[("app.dashboard", "static")]), name="dashboard-static")
    app.include_router(router)
    app.include_router(survey_router)


__all__ = ["install_dashboard"]
