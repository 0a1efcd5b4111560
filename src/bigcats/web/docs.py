"""The API description at /api/docs: Swagger UI served from the package's static files (works offline).

FastAPI's own docs page loads Swagger UI from a CDN and starts it with an inline script; the app's
content-security policy (`script-src 'self'`) blocks both, so the page was blank. This page uses the vendored
bundle (static/vendor/swagger-ui, from npm) and a static start-up script.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

VENDOR = "/static/vendor/swagger-ui"


@router.get("/api/docs")
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI over the app's OpenAPI description, from the package's own files."""
    root = request.scope.get("root_path", "").rstrip("/")
    openapi = escape(root + (request.app.openapi_url or "/api/openapi.json"), quote=True)
    title = escape(f"{request.app.title} API", quote=True)
    return HTMLResponse(f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{root}{VENDOR}/swagger-ui.css">
<link rel="icon" type="image/png" href="{root}{VENDOR}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{root}{VENDOR}/swagger-ui-bundle.js"></script>
<script src="{root}/static/api-docs.js"></script>
</body>
</html>
""")
