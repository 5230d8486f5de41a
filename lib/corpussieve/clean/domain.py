"""Registered domain of a URL ("news.bbc.co.uk" -> "bbc.co.uk"), offline.

tldextract fetches the public suffix list over the network by default. Here it is built with no
suffix-list URLs and no cache directory, so it only ever reads the snapshot bundled in its wheel:
no socket, no file written, the same answer on every worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_EXTRACTOR: Any = None


def _extractor() -> Any:
    global _EXTRACTOR
    if _EXTRACTOR is None:
        import tldextract

        # private suffixes on: each blogspot.com / github.io site is its own site for boilerplate counts
        _EXTRACTOR = tldextract.TLDExtract(
            suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True, include_psl_private_domains=True
        )
    return _EXTRACTOR


def registered_domain(url: str | None) -> str | None:
    """The registrable domain of a URL or host, lower case; the IP for IP hosts; the last two labels
    of a host whose suffix is unknown (``www.planet.example`` -> ``planet.example``, ``localhost``);
    None when there is no usable host."""
    if not url or not isinstance(url, str):
        return None
    parts = _extractor()(url.strip())
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}".lower()
    host = ".".join(p for p in (parts.subdomain, parts.domain) if p) or parts.fqdn
    if not host or any(ch.isspace() for ch in host):
        return None
    if parts.ipv4 or parts.ipv6:
        return (parts.ipv4 or parts.ipv6).lower()
    # a suffix missing from the snapshot (reserved .test/.example, a new gTLD): assume one label
    return ".".join(host.lower().split(".")[-2:])


def registered_domains(urls: Sequence[str | None]) -> list[str | None]:
    """``registered_domain`` over a batch."""
    return [registered_domain(url) for url in urls]
