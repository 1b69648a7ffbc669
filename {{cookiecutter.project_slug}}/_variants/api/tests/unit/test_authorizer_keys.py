"""The issuer's keys: discovered, fetched over verified HTTPS only, cached, refreshed on an unknown
key at most once per interval, and never a reason to admit a token when they cannot be had."""

from __future__ import annotations

import datetime
import http.server
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from {{ cookiecutter.package_name }}_authorizer import handler, keys, tokens
from {{ cookiecutter.package_name }}_authorizer.errors import Rejected
from {{ cookiecutter.package_name }}_authorizer.keys import (
    IssuerKeys,
    KeysUnavailable,
    https_json,
    signing_keys,
)

from tests.support.identity_provider import (
    AUDIENCE,
    EC_KEY,
    ISSUER,
    JWKS_URI,
    RSA_KEY,
    FakeIssuer,
    public_jwk,
    token,
)

AUTHORIZER = Path(__file__).resolve().parents[2] / "authorizer"


def reason(keys_of_issuer: IssuerKeys, kid: str) -> str:
    with pytest.raises(Rejected) as raised:
        keys_of_issuer.signing_key(kid)
    return raised.value.reason


def test_the_handler_keeps_one_key_cache_per_issuer_for_the_sandbox() -> None:
    handler.issuer_keys.cache_clear()
    assert handler.issuer_keys(ISSUER) is handler.issuer_keys(ISSUER)
    assert handler.issuer_keys(ISSUER).issuer == ISSUER
    handler.issuer_keys.cache_clear()  # nothing fetched: keys are fetched on a token's first use


def test_the_init_fetches_nothing_so_a_snapshot_holds_no_keys() -> None:
    # A fresh interpreter, as Lambda's init (and, with SnapStart, what the snapshot keeps).
    probe = (
        "import sys, {{ cookiecutter.package_name }}_authorizer.handler as h;"
        " print(h.issuer_keys.cache_info().currsize, [m for m in ('pydantic', 'boto3') if m in sys.modules])"
    )
    command = [sys.executable, "-c", probe]
    completed = subprocess.run(command, cwd=AUTHORIZER, capture_output=True, text=True, check=False)  # noqa: S603
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["0", "[]"]


def test_the_configuration_is_discovered_once_and_the_keys_cached() -> None:
    issuer = FakeIssuer()
    cached = issuer.keys()
    assert cached.signing_key("rsa").key_type == "RSA"
    assert cached.signing_key("ec").curve == "P-256"
    assert issuer.fetched == [ISSUER + "/.well-known/openid-configuration", JWKS_URI]


def test_keys_past_their_age_are_fetched_again_and_a_withdrawn_key_stops_working() -> None:
    issuer = FakeIssuer()
    cached = issuer.keys()
    cached.signing_key("ec")
    del issuer.published["ec"]
    issuer.now += keys.MAX_AGE_SECONDS - 1
    cached.signing_key("ec")  # still within its age: no fetch
    assert issuer.jwks_fetches() == 1
    issuer.now += 2
    assert reason(cached, "ec") == "unknown key"
    assert issuer.jwks_fetches() == 2


def test_a_failed_refresh_keeps_the_keys_it_had() -> None:
    issuer = FakeIssuer()
    cached = issuer.keys()
    cached.signing_key("rsa")
    issuer.down = True
    issuer.now += keys.MAX_AGE_SECONDS + 1
    assert cached.signing_key("rsa").key_type == "RSA"
    assert reason(cached, "rotated") == "jwks unavailable", "an unknown kid while the issuer is down"


def test_a_down_issuer_is_asked_at_most_once_per_interval() -> None:
    issuer = FakeIssuer(down=True)
    cached = issuer.keys()
    for _ in range(10):
        assert reason(cached, "rsa") == "jwks unavailable"
    assert len(issuer.fetched) == 1
    issuer.down = False
    issuer.now += keys.REFRESH_INTERVAL_SECONDS
    assert cached.signing_key("rsa").key_type == "RSA"


@pytest.mark.parametrize(
    "configuration",
    [
        {"issuer": "https://evil.example.com", "jwks_uri": JWKS_URI},  # another issuer's configuration
        {"issuer": ISSUER, "jwks_uri": "http://login.example.com/keys"},  # keys over plain HTTP
        {"issuer": ISSUER, "jwks_uri": "file:///etc/keys.json"},
        {"issuer": ISSUER},
        ["not", "an", "object"],
    ],
)
def test_a_configuration_that_is_not_this_issuers_gives_no_keys(configuration: Any) -> None:
    issuer = FakeIssuer()
    cached = IssuerKeys(ISSUER, fetch=lambda url: configuration if "openid" in url else issuer.fetch(url))
    assert reason(cached, "rsa") == "jwks unavailable"


def test_an_issuer_that_is_not_https_is_never_fetched_whatever_the_fetch() -> None:
    issuer = FakeIssuer()
    cached = IssuerKeys("http://login.example.com/oauth2/default", fetch=issuer.fetch, clock=issuer.clock)
    assert reason(cached, "rsa") == "jwks unavailable"
    assert issuer.fetched == []


def test_only_asymmetric_signature_keys_are_kept() -> None:
    rsa_key = public_jwk(RSA_KEY, "rsa", "RS256")
    document = {
        "keys": [
            rsa_key,
            {"kty": "oct", "kid": "shared", "k": "c2VjcmV0"},  # a shared secret
            rsa_key | {"kid": "encryption", "use": "enc"},
            {key: value for key, value in rsa_key.items() if key != "kid"},
            rsa_key | {"kid": "broken", "n": "!!"},
            rsa_key | {"kid": "oaep", "alg": "RSA-OAEP"},
            "not a key",
        ]
    }
    assert set(signing_keys(document)) == {"rsa"}
    with pytest.raises(KeysUnavailable):
        signing_keys({"keys": [{"kty": "oct", "kid": "shared", "k": "c2VjcmV0"}]})
    with pytest.raises(KeysUnavailable):
        signing_keys({"no": "keys"})


@pytest.mark.parametrize(
    ("published", "algorithm", "fits"),
    [
        (public_jwk(RSA_KEY, "k", None), "RS256", True),
        (public_jwk(RSA_KEY, "k", None), "PS512", True),
        (public_jwk(RSA_KEY, "k", "RS256"), "PS256", False),  # the issuer pinned the key to RS256
        (public_jwk(RSA_KEY, "k", None), "ES256", False),
        (public_jwk(EC_KEY, "k", None), "ES256", True),
        (public_jwk(EC_KEY, "k", None), "ES384", False),  # a P-256 key, a P-384 algorithm
        (public_jwk(EC_KEY, "k", None), "RS256", False),
    ],
)
def test_a_key_fits_only_the_algorithms_of_its_type_curve_and_pin(
    published: dict[str, Any], algorithm: str, fits: bool
) -> None:
    assert tokens.fits(signing_keys({"keys": [published]})["k"], algorithm) is fits


def test_an_rsa_key_under_2048_bits_verifies_nothing() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the key it must refuse
    issuer = FakeIssuer(published={"weak": public_jwk(weak, "weak", None)})
    with pytest.warns(jwt.InsecureKeyLengthWarning):  # PyJWT signs with it, warning
        weak_token = token(weak, kid="weak")
    with pytest.raises(Rejected) as raised:
        tokens.verify(weak_token, issuer.keys(), ISSUER, AUDIENCE)
    assert raised.value.reason == "weak key"


# The production fetch, against a local HTTPS server whose certificate the test trusts.


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return folder / "cert.pem", folder / "key.pem"


ROUTES: dict[str, tuple[int, bytes]] = {
    "/keys": (200, b'{"keys": []}'),
    "/keys?appid=1": (200, b'{"query": true}'),
    "/missing": (404, b'{"error": "not found"}'),
    "/moved": (302, b""),
    "/html": (200, b"<html></html>"),
    "/huge": (200, b'{"keys": "' + b"x" * keys.MAX_DOCUMENT_BYTES + b'"}'),
}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = ROUTES.get(self.path, (404, b""))
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "http://localhost/keys")  # a downgrade it must not follow
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server(certificate: tuple[Path, Path]) -> Iterator[tuple[str, ssl.SSLContext]]:
    """``https://localhost:<port>`` and a client context that trusts its certificate (and no other)."""
    cert, key = certificate
    httpd = http.server.ThreadingHTTPServer(("localhost", 0), Handler)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    httpd.socket = server_context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    client_context = ssl.create_default_context(cafile=str(cert))
    yield f"https://localhost:{httpd.server_address[1]}", client_context
    httpd.shutdown()
    httpd.server_close()


def test_the_fetch_reads_json_over_verified_https(server: tuple[str, ssl.SSLContext]) -> None:
    base, context = server
    assert https_json(base + "/keys", context) == {"keys": []}
    assert https_json(base + "/keys?appid=1", context) == {"query": True}


@pytest.mark.parametrize("path", ["/missing", "/moved", "/html", "/huge"])
def test_the_fetch_refuses_errors_redirects_non_json_and_oversized_documents(
    server: tuple[str, ssl.SSLContext], path: str
) -> None:
    base, context = server
    with pytest.raises(KeysUnavailable):
        https_json(base + path, context)


def test_the_fetch_refuses_a_certificate_it_does_not_trust(server: tuple[str, ssl.SSLContext]) -> None:
    base, _ = server
    with pytest.raises(KeysUnavailable):
        https_json(base + "/keys")  # the system's CAs never signed the test's certificate


@pytest.mark.parametrize(
    "url", ["http://localhost/keys", "file:///etc/passwd", "ftp://example.com/keys", "https:///keys", "keys"]
)
def test_the_fetch_refuses_anything_but_https(url: str) -> None:
    with pytest.raises(KeysUnavailable, match="not an https URL"):
        https_json(url)


def test_the_fetch_gives_up_on_a_closed_port() -> None:
    with pytest.raises(KeysUnavailable):
        https_json("https://localhost:9/keys")
