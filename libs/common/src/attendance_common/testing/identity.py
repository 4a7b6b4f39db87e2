"""A stand-in identity provider for tests: fresh RSA and EC keys, a real HTTP server serving their JWKS."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://idp.test.example/"
AUDIENCE = "attendance-api"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@dataclass
class IdentityProvider:
    """Signs tokens with its keys (kid `rsa-1`, `ec-1`) and publishes the public halves as a JWKS."""

    issuer: str = ISSUER
    audience: str = AUDIENCE
    keys: dict[str, Any] = field(default_factory=lambda: {"rsa-1": rsa_key(), "ec-1": ec_key()})
    jwks_url: str = ""
    requests: int = 0

    def jwks(self) -> dict[str, Any]:
        entries = []
        for kid, key in self.keys.items():
            if isinstance(key, rsa.RSAPrivateKey):
                entry = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
                entry.update(alg="RS256")
            else:
                entry = json.loads(ECAlgorithm.to_jwk(key.public_key()))
                entry.update(alg="ES256")
            entries.append({**entry, "kid": kid, "use": "sig"})
        return {"keys": entries}

    def token(
        self,
        claims: dict[str, Any],
        *,
        kid: str = "rsa-1",
        key: Any = None,
        ttl_seconds: int = 600,
        **overrides: Any,
    ) -> str:
        """A signed token: RS256 for an RSA key, ES256 for an EC one; `overrides` replace iss/aud/exp."""
        signing_key = key if key is not None else self.keys[kid]
        algorithm = "RS256" if isinstance(signing_key, rsa.RSAPrivateKey) else "ES256"
        now = int(time.time())
        body = {"iss": self.issuer, "aud": self.audience, "iat": now, "exp": now + ttl_seconds}
        body.update(claims)
        body.update(overrides)
        return jwt.encode(body, signing_key, algorithm=algorithm, headers={"kid": kid})


@contextmanager
def serve_identity_provider(provider: IdentityProvider | None = None) -> Iterator[IdentityProvider]:
    """Serve `provider`'s JWKS on a free loopback port (a real HTTP server) while the block runs."""
    served = provider or IdentityProvider()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.requests += 1
            body = json.dumps(served.jwks()).encode()
            self.send_response(200 if self.path == "/.well-known/jwks.json" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served.jwks_url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
