"""Which address rate limits see: X-Forwarded-For believed only as far as our own proxies vouch for it."""

from types import SimpleNamespace

from starlette.requests import Request

from app.core.config import Settings
from app.ratelimit.client import client_ip, ip_key


def _request(peer: str | None, forwarded: list[str] = (), trusted: list[str] = ()) -> Request:
    settings = Settings(environment="test", trusted_proxies=list(trusted), _env_file=None)
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "query_string": b"",
        "headers": [(b"x-forwarded-for", v.encode()) for v in forwarded],
        "client": (peer, 1234) if peer else None,
        "app": SimpleNamespace(state=SimpleNamespace(settings=settings)),
    }
    return Request(scope)


def test_untrusted_peer_is_the_client_whatever_it_forwards():
    assert client_ip(_request("203.0.113.10", ["1.2.3.4"])) == "203.0.113.10"
    assert client_ip(_request("203.0.113.10", ["1.2.3.4"], trusted=["10.0.0.0/8"])) == "203.0.113.10"


def test_trusted_proxy_chain_is_walked_from_the_right():
    trusted = ["10.0.0.0/8", "fd00::/8"]
    assert client_ip(_request("10.0.0.1", ["9.9.9.9, 198.51.100.1"], trusted)) == "198.51.100.1"
    assert client_ip(_request("10.0.0.1", ["198.51.100.1, 10.2.3.4"], trusted)) == "198.51.100.1"
    # Several header lines are one list, in order.
    assert client_ip(_request("10.0.0.1", ["198.51.100.1", "10.2.3.4"], trusted)) == "198.51.100.1"
    assert client_ip(_request("fd00::1", ["2001:db8::7"], trusted)) == "2001:db8::7"


def test_garbage_and_missing_headers_stop_at_the_last_believable_hop():
    trusted = ["10.0.0.0/8"]
    assert client_ip(_request("10.0.0.1", ["not-an-ip"], trusted)) == "10.0.0.1"
    assert client_ip(_request("10.0.0.1", ["198.51.100.1, garbage, 10.0.0.2"], trusted)) == "10.0.0.2"
    assert client_ip(_request("10.0.0.1", [], trusted)) == "10.0.0.1"
    assert client_ip(_request("10.0.0.1", ["10.0.0.3, 10.0.0.2"], trusted)) == "10.0.0.3"


def test_ipv4_mapped_peers_and_missing_peers():
    assert client_ip(_request("::ffff:10.0.0.1", ["198.51.100.1"], ["10.0.0.0/8"])) == "198.51.100.1"
    assert client_ip(_request(None)) == "unknown"


def test_ipv6_clients_are_limited_by_their_64():
    assert ip_key("2001:db8:1:2:aaaa::1") == ip_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert ip_key("198.51.100.1") == "198.51.100.1"
