"""The API's own pages (/docs, /redoc), served with the same protections as the dashboard's pages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

# Swagger UI and ReDoc load their scripts and styles from jsDelivr and start with one inline script.
_CDN = "https://cdn.jsdelivr.net"
DOCS_HEADERS = {
    "Content-Security-Policy": f"default-src 'self'; script-src 'self' 'unsafe-inline' {_CDN}; "
                               f"style-src 'self' 'unsafe-inline' {_CDN} https://fonts.googleapis.com; "
                               "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https:; "
                               "worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def install_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc (create the app with docs_url=None and redoc_url=None)."""

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} API")
        page.headers.update(DOCS_HEADERS)
        return page

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        page = get_redoc_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} API")
        page.headers.update(DOCS_HEADERS)
        return page
