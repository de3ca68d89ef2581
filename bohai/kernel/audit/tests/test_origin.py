import pytest
from django.test import RequestFactory, override_settings

from bohai.kernel.audit.middleware import client_address


@pytest.fixture
def request_from():
    def make(peer, forwarded=None):
        extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
        return RequestFactory().get("/", REMOTE_ADDR=peer, **extra)

    return make


def test_forwarded_header_from_an_unknown_peer_is_ignored(request_from):
    assert client_address(request_from("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


@override_settings(BOHAI_TRUSTED_PROXIES=frozenset({"10.0.0.2", "10.0.0.3"}))
def test_forwarded_header_from_a_trusted_proxy_names_the_client(request_from):
    assert client_address(request_from("10.0.0.2", "198.51.100.7")) == "198.51.100.7"
    # A client that prepends a forged hop is still seen at the address our proxies saw.
    assert client_address(request_from("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.3")) == "198.51.100.7"
