"""CORS headers: the fast hook (api.cors) answers exactly what flask-cors does."""

from __future__ import annotations

import pytest

REQUESTS = [
    ("GET", "/v1/facts?page_size=2", {}),
    ("GET", "/v1/facts?page_size=2", {"Origin": "https://example.org"}),
    ("HEAD", "/v1/facts/nis-2025-04-30-killed", {"Origin": "null"}),
    ("GET", "/v1/facts/no-such-fact", {}),
    ("GET", "/v1/facts?unknown=1", {"Origin": "https://example.org"}),
    ("GET", "/v1/facts", {"Accept": "text/html"}),
    ("GET", "/healthz", {}),
    ("GET", "/no/such/path", {"Origin": "https://example.org"}),
    ("GET", "/", {}),
    (
        "OPTIONS",
        "/v1/facts",
        {"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    ),
    ("GET", "/v1/sources", {"Access-Control-Request-Private-Network": "true", "Origin": "x"}),
]


def _headers(client, method, path, headers):
    response = client.open(path, method=method, headers=headers)
    return response.status_code, [(k, v) for k, v in response.headers if k != "X-Request-Id"]


@pytest.mark.parametrize(("method", "path", "headers"), REQUESTS)
def test_fast_cors_headers_equal_flask_cors(app, client, method, path, headers):
    hooks = app.after_request_funcs[None]
    (index,) = [i for i, hook in enumerate(hooks) if hasattr(hook, "reference")]
    fast_hook = hooks[index]
    fast = _headers(client, method, path, headers)
    hooks[index] = fast_hook.reference
    try:
        reference = _headers(client, method, path, headers)
    finally:
        hooks[index] = fast_hook
    assert fast == reference
    assert ("Access-Control-Allow-Origin", "*") in fast[1]
