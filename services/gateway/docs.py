"""The API's docs page: Swagger UI rendering the OpenAPI document, with "Try it out".

Swagger UI's own distribution files come from the flask-swagger-ui package, released in
step with Swagger UI; they are read as files (Flask is never imported) and served by the
gateway itself, so the page fetches nothing from anywhere else. The page's script is
served from here too, which lets the page forbid inline and foreign scripts (a pasted
token must not meet anyone else's code).
"""

from __future__ import annotations

from functools import cache
from importlib.util import find_spec
from pathlib import Path

DOCS = "/api/v1/docs"
ASSETS = {  # what the page loads, and nothing else is served from the package
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline';"
       " img-src 'self' data:; connect-src 'self'; font-src 'self' data:;"
       " frame-ancestors 'none'; base-uri 'none'; form-action 'none'")

PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Haven API</title>
  <link rel="icon" href="{DOCS}/assets/favicon-32x32.png">
  <link rel="stylesheet" href="{DOCS}/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{DOCS}/assets/swagger-ui-bundle.js"></script>
  <script src="{DOCS}/init.js"></script>
</body>
</html>
"""

INIT = """window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  displayOperationId: true,
  displayRequestDuration: true,
  showExtensions: true,
  showCommonExtensions: true,
  filter: true,
  tryItOutEnabled: false,
  persistAuthorization: false,
  defaultModelsExpandDepth: 1,
  defaultModelExpandDepth: 2,
});
"""


@cache
def _dist() -> Path:
    spec = find_spec("flask_swagger_ui")  # located, not imported
    if spec is None or not spec.submodule_search_locations:
        raise LookupError("flask-swagger-ui is not installed (pip install -e .)")
    return Path(next(iter(spec.submodule_search_locations))) / "dist"


def swagger_ui_version() -> str:
    return (_dist() / "VERSION").read_text().strip()


def asset(name: str) -> tuple[bytes, str] | None:
    """An asset's bytes and media type, or None for anything not on the list."""
    media = ASSETS.get(name)
    if media is None:
        return None
    return (_dist() / name).read_bytes(), media
