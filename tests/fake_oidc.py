"""A small real OpenID Connect provider on 127.0.0.1, for the single sign-on tests.

It serves discovery (``/.well-known/openid-configuration``), the JWKS, an authorization
endpoint that signs in ``user`` at once (no login form: the browser part is not under test)
and a token endpoint that checks the client's secret (client_secret_basic), the code, the
redirect URI and the PKCE verifier (S256), and issues an RS256-signed ID token (joserfc) with
the nonce of the authorization request. ``tamper`` makes it misbehave for one login: "nonce"
(another nonce), "audience" (another client), "key" (signed with a key not in its JWKS).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey


@dataclass
class Provider:
    client_id: str = "sitefinder-test"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    user: dict[str, Any] = field(default_factory=dict)
    tamper: str = ""
    issuer: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: int = 0

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return 400, {}, b"bad client or response type"
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return 400, {}, b"PKCE required"
        code = secrets.token_urlsafe(16)
        self.codes[code] = dict(query)
        target = (
            query["redirect_uri"]
            + "?"
            + urllib.parse.urlencode({"code": code, "state": query.get("state", "")})
        )
        return 302, {"Location": target}, b""

    def token(self, headers: Any, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self.token_requests += 1
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if headers.get("Authorization") != f"Basic {expected}":
            return 401, {}, json.dumps({"error": "invalid_client"}).encode()
        request = self.codes.pop(form.get("code", ""), None)
        if request is None or form.get("redirect_uri") != request["redirect_uri"]:
            return 400, {}, json.dumps({"error": "invalid_grant"}).encode()
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if challenge.rstrip(b"=").decode() != request["code_challenge"]:
            return 400, {}, json.dumps({"error": "invalid_grant", "why": "pkce"}).encode()
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": self.user["sub"],
            "aud": "another-client" if self.tamper == "audience" else self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": "another-nonce" if self.tamper == "nonce" else request.get("nonce"),
            "email": self.user.get("email"),
            "email_verified": self.user.get("email_verified", True),
        }
        key = self.key
        if self.tamper == "key":
            key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
        body = {
            "access_token": secrets.token_urlsafe(16),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            if url.path == "/.well-known/openid-configuration":
                self._send(
                    200,
                    {"Content-Type": "application/json"},
                    json.dumps(provider.metadata()).encode(),
                )
            elif url.path == "/jwks":
                keys = KeySet([provider.key]).as_dict(private=False)
                self._send(200, {"Content-Type": "application/json"}, json.dumps(keys).encode())
            elif url.path == "/authorize":
                self._send(*provider.authorize(query))
            else:
                self._send(404, {}, b"not found")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            if self.path == "/token":
                self._send(*provider.token(self.headers, form))
            else:
                self._send(404, {}, b"not found")

        def log_message(self, *args: Any) -> None:  # quiet
            return

    return Handler


@contextmanager
def running_provider(provider: Provider) -> Iterator[Provider]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
