"""A small OpenID Connect provider for tests, on a loopback port: discovery, JWKS, an
authorize page with one "Continue" button, the token endpoint (authorization code with
PKCE, client secret checked) and userinfo. ID tokens are RS256 JWTs signed with a key
generated when the provider starts.

    with OidcProvider(client_id="crisisroom", client_secret="s") as idp:
        idp.people["erin"] = {"email": "erin@example.com", "groups": ["cr-responders"]}
        idp.signing_in = "erin"
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class OidcProvider:
    def __init__(self, *, client_id: str, client_secret: str) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        # Set to sign ID tokens with a key the JWKS does not publish (a forgery).
        self.forge = False
        # Set to issue ID tokens for another client.
        self.audience = client_id
        self.people: dict[str, dict[str, Any]] = {}
        self.signing_in = ""
        self.codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}
        self.requests: list[str] = []
        self.logouts: list[dict[str, str]] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                provider._handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                provider._handle(self, "POST")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> OidcProvider:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- tokens ------------------------------------------------------------------
    def jwt(self, claims: dict[str, Any]) -> str:
        key = rsa.generate_private_key(65537, 2048) if self.forge else self.key
        header = {"alg": "RS256", "typ": "JWT", "kid": "test-key"}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "kid": "test-key",
                    "use": "sig",
                    "alg": "RS256",
                    "n": _int(numbers.n),
                    "e": _int(numbers.e),
                }
            ]
        }

    # --- the approve step a person (or a test) takes ---------------------------------
    def approve(self, query: dict[str, str]) -> str:
        """The redirect back to the client, with a fresh code for `signing_in`."""
        code = secrets.token_urlsafe(16)
        self.codes[code] = {**query, "username": self.signing_in}
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        self.requests.append(f"{method} {url.path}")
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        form = {k: v[0] for k, v in parse_qs(body).items()}
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/.well-known/openid-configuration":
            return self._json(
                handler,
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token",
                    "userinfo_endpoint": f"{self.issuer}/userinfo",
                    "jwks_uri": f"{self.issuer}/jwks",
                    "end_session_endpoint": f"{self.issuer}/logout",
                    "id_token_signing_alg_values_supported": ["RS256"],
                },
            )
        if url.path == "/logout" and method == "GET":
            # RP-initiated logout: the provider forgets who was signed in.
            self.logouts.append(query)
            handler.send_response(302)
            handler.send_header("Location", query.get("post_logout_redirect_uri", "/"))
            handler.end_headers()
            return None
        if url.path == "/jwks":
            return self._json(handler, self.jwks())
        if url.path == "/authorize" and method == "GET":
            if query.get("client_id") != self.client_id:
                return self._json(handler, {"error": "unauthorized_client"}, 400)
            fields = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in query.items()
            )
            page = (
                "<!doctype html><title>Test IdP</title><h1>Test identity provider</h1>"
                f"<form method=post action=/approve>{fields}"
                f"<button>Continue as {html.escape(self.signing_in)}</button></form>"
            )
            return self._send(handler, 200, page.encode(), "text/html; charset=utf-8")
        if url.path == "/approve" and method == "POST":
            handler.send_response(302)
            handler.send_header("Location", self.approve(form))
            handler.end_headers()
            return None
        if url.path == "/token" and method == "POST":
            return self._token(handler, form)
        if url.path == "/userinfo":
            token = handler.headers.get("Authorization", "").removeprefix("Bearer ")
            username = self.tokens.get(token)
            if username is None:
                return self._json(handler, {"error": "invalid_token"}, 401)
            return self._json(handler, self._claims(username))
        return self._json(handler, {"error": "not_found"}, 404)

    def _claims(self, username: str) -> dict[str, Any]:
        person = self.people[username]
        return {"sub": f"sub-{username}", "preferred_username": username, **person}

    def _token(self, handler: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        grant = self.codes.pop(form.get("code", ""), None)
        if (
            grant is None
            or form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
            or form.get("redirect_uri") != grant["redirect_uri"]
        ):
            return self._json(handler, {"error": "invalid_grant"}, 400)
        verifier = form.get("code_verifier", "")
        challenge = _b64(hashlib.sha256(verifier.encode()).digest())
        if grant.get("code_challenge") and challenge != grant["code_challenge"]:
            return self._json(handler, {"error": "invalid_grant", "why": "pkce"}, 400)
        now = int(time.time())
        access = secrets.token_urlsafe(24)
        self.tokens[access] = grant["username"]
        id_token = self.jwt(
            {
                "iss": self.issuer,
                "sub": f"sub-{grant['username']}",
                "aud": self.audience,
                "iat": now,
                "exp": now + 300,
                "nonce": grant.get("nonce", ""),
            }
        )
        return self._json(
            handler,
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            },
        )

    def _json(self, handler: BaseHTTPRequestHandler, data: Any, status: int = 200) -> None:
        self._send(handler, status, json.dumps(data).encode(), "application/json")

    def _send(self, handler: BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
