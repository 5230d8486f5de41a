import socket

import pytest

from corpussieve.clean import domain


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.bbc.co.uk/a/b?c=d", "bbc.co.uk"),
        ("HTTPS://WWW.Example.COM/", "example.com"),
        ("http://foo.blogspot.com/x", "foo.blogspot.com"),
        ("https://www.example.com.au/page", "example.com.au"),
        ("http://192.168.1.1:8080/x", "192.168.1.1"),
        ("localhost", "localhost"),
        ("https://www.planet.example/a", "planet.example"),
        ("http://a.b.site.test:81/", "site.test"),
        ("http://[2001:db8::1]/x", "2001:db8::1"),
        ("", None),
        (None, None),
        ("not a url", None),
    ],
)
def test_registered_domain(url, expected):
    assert domain.registered_domain(url) == expected


def test_batch():
    assert domain.registered_domains(["https://a.b.example.org", None]) == ["example.org", None]


def test_offline_no_socket_is_opened(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(domain, "_EXTRACTOR", None)  # build a fresh extractor under the guard
    assert domain.registered_domain("https://www.some-new-site.co.jp/x") == "some-new-site.co.jp"
    assert domain.registered_domain("https://deep.sub.domain.gov.uk") == "domain.gov.uk"
