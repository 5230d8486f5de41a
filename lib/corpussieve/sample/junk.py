"""Junk pages for the sample corpus: the kinds of web page a clean job must reject.

Each generator returns the page as HTML and as the visible text a WET file would hold (one line
per block, site chrome included), so the clean job can be tested on either input. Everything is
drawn from the ``rng`` passed in (``random.Random`` or a numpy ``Generator``): same rng state, same
page. Sizes, layouts and chrome vary so that no single rule catches a kind by accident.

Kinds:
    link_list        an archive/sitemap/"resources" page: lists of links, little else
    keyword_spam     SEO spam: a few keyword phrases repeated in templated lines
    lorem_ipsum      a template filled with placeholder text
    cookie_wall      a consent wall that hides the page: privacy text and buttons only
    navigation_only  a hub page: menus, section links, search, footer, no article
    number_table     price/stats/quotes tables: numbers with short labels
    code_dump        source code or configuration dumped into a page
"""

from __future__ import annotations

import html
import random
from collections.abc import Callable
from typing import Any

from corpussieve.sample.lexicon import ADJECTIVES, NOUNS, PLACES
from corpussieve.sample.textgen import SentenceMaker, plural

JUNK_KINDS: tuple[str, ...] = (
    "link_list", "keyword_spam", "lorem_ipsum", "cookie_wall", "navigation_only", "number_table", "code_dump",
)  # fmt: skip

_SECTIONS = ("World", "Politics", "Business", "Technology", "Science", "Health", "Sports", "Culture", "Travel",
             "Opinion", "Local", "Education", "Food", "Style", "Autos", "Real Estate", "Jobs", "Weather")
_FOOTER = ("Privacy Policy", "Terms of Use", "Contact Us", "About Us", "Advertise", "Careers", "Sitemap",
           "Accessibility", "Help", "Cookie Settings")
_LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et "
    "dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex "
    "ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu "
    "fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt "
    "mollit anim id est laborum."
).split()
_CONSENT_TEXTS = (
    "We value your privacy. We and our partners use cookies and similar technologies to store and access "
    "information on your device, to personalise content and ads, and to analyse our traffic.",
    "This website uses cookies to ensure you get the best experience on our website. By continuing to browse "
    "the site you agree to our use of cookies.",
    "We use cookies to improve your experience, measure ad performance and remember your preferences. You can "
    "accept all cookies or manage your cookie settings at any time.",
    "By clicking Accept all cookies, you agree to the storing of cookies on your device to enhance site "
    "navigation, analyse site usage and assist in our marketing efforts.",
)
_CONSENT_PURPOSES = (
    "Store and/or access information on a device", "Use limited data to select advertising",
    "Create profiles for personalised advertising", "Measure advertising performance",
    "Measure content performance", "Understand audiences through statistics",
    "Develop and improve services", "Use precise geolocation data", "Actively scan device characteristics",
)  # fmt: skip
_CONSENT_BUTTONS = ("Accept all", "Reject all", "Manage preferences", "Accept", "Cookie settings", "I agree",
                    "Manage settings", "Save and exit", "Show purposes", "Vendor list")
_SPAM_SUFFIXES = ("online", "cheap", "best price", "free shipping", "discount", "for sale", "near me", "2024",
                  "reviews", "deals", "buy now", "official site", "top rated", "sale")


def _as_random(rng: Any) -> random.Random:
    """A ``random.Random`` drawn from the given one, or from a numpy Generator (deterministically)."""
    if isinstance(rng, random.Random):
        return rng
    if hasattr(rng, "integers"):
        return random.Random(int(rng.integers(0, 2**63 - 1)))
    raise TypeError("rng must be a random.Random or a numpy Generator")


def _default_site(rng: random.Random) -> dict[str, Any]:
    stem = f"{rng.choice(ADJECTIVES)}-{rng.choice(NOUNS)}"
    return {
        "name": " ".join(p.capitalize() for p in stem.split("-")) + rng.choice((" News", " Online", " Hub")),
        "domain": f"{stem}-{rng.randrange(1000)}.com",
        "nav": ["Home", *rng.sample(_SECTIONS, rng.randrange(4, 9))],
        "cookie": rng.choice(_CONSENT_TEXTS),
        "footer_links": rng.sample(_FOOTER, rng.randrange(3, 7)),
    }


class _Page:
    """Builds the HTML body and the visible-text lines side by side."""

    def __init__(self) -> None:
        self.html: list[str] = []
        self.lines: list[str] = []

    def block(self, markup: str, *lines: str) -> None:
        self.html.append(markup)
        self.lines.extend(line for line in lines if line)

    def links(self, items: list[str], css: str = "", tag: str = "ul") -> None:
        e = html.escape
        lis = "".join(f'<li><a href="/{e(_slug(t))}">{e(t)}</a></li>' for t in items)
        self.block(f'<{tag} class="{css}">{lis}</{tag}>', *items)


def _slug(text: str) -> str:
    return "-".join("".join(c.lower() if c.isalnum() else " " for c in text).split())[:60]


def _chrome(page: _Page, site: dict[str, Any], rng: random.Random, title: str, *, cookie: bool = True) -> None:
    e = html.escape
    if cookie and site.get("cookie") and rng.random() < 0.5:
        page.block(f'<div class="cookie-banner"><p>{e(site["cookie"])}</p><button>Accept</button></div>',
                   site["cookie"], "Accept")
    nav = list(site.get("nav") or ["Home"])
    page.block(f'<header><a class="logo" href="/">{e(site.get("name", ""))}</a></header>', site.get("name", ""))
    page.links(nav, "main-nav")
    page.block(f"<h1>{e(title)}</h1>", title)


def _footer(page: _Page, site: dict[str, Any], rng: random.Random) -> None:
    e = html.escape
    links = list(site.get("footer_links") or rng.sample(_FOOTER, 4))
    year = rng.randrange(2012, 2025)
    rights = f"© {year} {site.get('name', '')}. All rights reserved."
    page.block(f'<footer><p>{" | ".join(e(x) for x in links)}</p><p>{e(rights)}</p></footer>',
               " | ".join(links), rights)


def _wrap(page: _Page, title: str, site: dict[str, Any]) -> str:
    e = html.escape
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{e(title)} | '
            f'{e(site.get("name", ""))}</title></head><body>{"".join(page.html)}</body></html>')


def _link_list(page: _Page, rng: random.Random, maker: SentenceMaker) -> str:
    style = rng.choice(("archive", "resources", "sitemap", "tag"))
    title = {"archive": "Archive", "resources": "Useful Links", "sitemap": "Sitemap",
             "tag": f"Stories tagged {rng.choice(NOUNS)}"}[style]
    if rng.random() < 0.5:
        intro = f"Browse all {plural(rng.choice(NOUNS))} below."
        page.block(f"<p>{intro}</p>", intro)
    for _ in range(rng.randrange(1, 6)):
        if style == "archive":
            heading = f"{rng.choice(('January', 'March', 'June', 'October', 'December'))} {rng.randrange(2008, 2024)}"
        else:
            heading = rng.choice(_SECTIONS)
        page.block(f"<h2>{html.escape(heading)}</h2>", heading)
        page.links([maker.title() for _ in range(rng.randrange(8, 40))], "link-list")
    return title


def _keyword_spam(page: _Page, rng: random.Random, maker: SentenceMaker) -> str:
    base = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
    keywords = [base] + [f"{base} {s}" for s in rng.sample(_SPAM_SUFFIXES, rng.randrange(3, 7))]
    title = f"{base.title()} - {rng.choice(_SPAM_SUFFIXES).title()}"
    for _ in range(rng.randrange(4, 12)):
        form = rng.randrange(3)
        if form == 0:
            line = ", ".join(rng.choice(keywords) for _ in range(rng.randrange(8, 25)))
        elif form == 1:
            line = " ".join(f"{rng.choice(('Buy', 'Best', 'Cheap', 'Top'))} {rng.choice(keywords)}."
                            for _ in range(rng.randrange(4, 12)))
        else:
            kw = rng.choice(keywords)
            line = (f"Looking for {kw}? We have the best {kw} and {rng.choice(keywords)}. {kw.capitalize()} at "
                    f"the lowest price. Order {kw} today.")
        page.block(f"<p>{html.escape(line)}</p>", line)
    if rng.random() < 0.6:
        page.links([k.title() for k in keywords], "tags")
    return title


def _lorem_ipsum(page: _Page, rng: random.Random, maker: SentenceMaker) -> str:
    title = rng.choice(("Lorem ipsum dolor sit amet", "Sample Page", "Hello world!", "Blog Post Title"))
    for index in range(rng.randrange(3, 10)):
        # templates open with the canonical "Lorem ipsum dolor sit amet"; later paragraphs start anywhere
        start = 0 if index == 0 else rng.randrange(0, 10)
        words = _LOREM[start:] + rng.sample(_LOREM, rng.randrange(10, 40))
        text = " ".join(words)
        text = text[0].upper() + text[1:].rstrip(",.") + "."
        if rng.random() < 0.5:
            text = "Lorem ipsum " + text[0].lower() + text[1:]
        page.block(f"<p>{html.escape(text)}</p>", text)
    return title


def _cookie_wall(page: _Page, rng: random.Random, maker: SentenceMaker) -> str:
    e = html.escape
    title = rng.choice(("Before you continue", "Your privacy choices", "We value your privacy", "Cookie consent"))
    texts = rng.sample(_CONSENT_TEXTS, rng.randrange(1, 3))
    purposes = rng.sample(_CONSENT_PURPOSES, rng.randrange(3, 8))
    buttons = rng.sample(_CONSENT_BUTTONS, rng.randrange(2, 5))
    inner = "".join(f"<p>{e(t)}</p>" for t in texts)
    inner += "<ul>" + "".join(f"<li><label><input type=checkbox> {e(p)}</label></li>" for p in purposes) + "</ul>"
    inner += "".join(f"<button>{e(b)}</button>" for b in buttons)
    page.block(f'<div id="consent-wall" class="consent-modal"><h2>{e(title)}</h2>{inner}</div>',
               title, *texts, *purposes, *buttons)
    return title


def _navigation_only(page: _Page, rng: random.Random, maker: SentenceMaker) -> str:
    title = rng.choice(_SECTIONS)
    page.block('<form class="search"><input type="search" placeholder="Search"><button>Search</button></form>',
               "Search")
    for section in rng.sample(_SECTIONS, rng.randrange(3, 8)):
        page.block(f"<h3>{html.escape(section)}</h3>", section)
        page.links([f"{rng.choice(ADJECTIVES).capitalize()} {plural(rng.choice(NOUNS))}"
                    for _ in range(rng.randrange(3, 9))], "menu")
    return title


def _number_table(page: _Page, rng: random.Random, maker: SentenceMaker) -> str:
    e = html.escape
    style = rng.choice(("prices", "stats", "quotes"))
    title = {"prices": "Price list", "stats": "Season statistics", "quotes": "Market data"}[style]
    for _ in range(rng.randrange(1, 4)):
        cols = rng.randrange(4, 9)
        header = ["Item" if style == "prices" else "Name"] + [f"{rng.choice(('Q', 'W', 'P', 'G', 'Y'))}{i}"
                                                               for i in range(1, cols)]
        rows = []
        for _ in range(rng.randrange(8, 40)):
            label = rng.choice(PLACES) if style == "stats" else rng.choice(NOUNS)[:4].upper()
            cells = [f"{rng.uniform(0, 999):.2f}" if rng.random() < 0.5 else str(rng.randrange(0, 99999))
                     for _ in range(cols - 1)]
            rows.append([label, *cells])
        table = "<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>"
        table += "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows) + "</table>"
        page.block(table, " ".join(header), *(" ".join(r) for r in rows))
    return title


_CODE_SNIPPETS: dict[str, Callable[[random.Random], str]] = {
    "js": lambda r: (f"function {r.choice(NOUNS)}Handler(e) {{\n  const {r.choice(NOUNS)} = e.target.value;\n"
                     f"  if (!{r.choice(NOUNS)}) {{ return null; }}\n  fetch('/api/{r.choice(NOUNS)}?id=' + "
                     f"{r.randrange(99)}).then(r => r.json()).then(d => render(d));\n}}"),
    "json": lambda r: ("{\n" + ",\n".join(f'  "{r.choice(NOUNS)}_{i}": {r.randrange(10**6)}'
                                          for i in range(r.randrange(3, 9)))
                       + f',\n  "enabled": {r.choice(("true", "false"))}\n}}'),
    "css": lambda r: (f".{r.choice(NOUNS)}-{r.choice(NOUNS)} {{\n  margin: {r.randrange(20)}px;\n  color: "
                      f"#{r.randrange(16**6):06x};\n  display: {r.choice(('flex', 'block', 'grid'))};\n}}"),
    "python": lambda r: (f"def {r.choice(NOUNS)}_{r.choice(NOUNS)}(x, y={r.randrange(9)}):\n    z = x * y + "
                         f"{r.randrange(99)}\n    if z > {r.randrange(999)}:\n        return z // 2\n"
                         f"    return [i ** 2 for i in range(z)]"),
    "c": lambda r: (f"int {r.choice(NOUNS)}(int *a, size_t n) {{\n  for (size_t i = 0; i < n; ++i) {{\n"
                    f"    a[i] ^= 0x{r.randrange(16**4):04x};\n  }}\n  return (int) n;\n}}"),
}


def _code_dump(page: _Page, rng: random.Random, maker: SentenceMaker) -> str:
    language = rng.choice(sorted(_CODE_SNIPPETS))
    title = f"{rng.choice(NOUNS)}.{ {'js': 'js', 'json': 'json', 'css': 'css', 'python': 'py', 'c': 'c'}[language] }"
    code = "\n\n".join(_CODE_SNIPPETS[language](rng) for _ in range(rng.randrange(6, 30)))
    page.block(f"<pre><code>{html.escape(code)}</code></pre>", *code.split("\n"))
    return title


_GENERATORS: dict[str, Callable[[_Page, random.Random, SentenceMaker], str]] = {
    "link_list": _link_list,
    "keyword_spam": _keyword_spam,
    "lorem_ipsum": _lorem_ipsum,
    "cookie_wall": _cookie_wall,
    "navigation_only": _navigation_only,
    "number_table": _number_table,
    "code_dump": _code_dump,
}


def make_junk_page(kind: str, rng: Any, site: dict[str, Any] | None = None) -> dict[str, str]:
    """One junk page of ``kind``: ``{"kind", "title", "html", "text"}``.

    ``site`` may give the site chrome (name, domain, nav, cookie, footer_links); missing parts are
    drawn from ``rng``. Half the pages carry the site's cookie banner, all its header, nav and footer.
    """
    if kind not in _GENERATORS:
        raise ValueError(f"unknown junk kind {kind!r}; expected one of {', '.join(JUNK_KINDS)}")
    r = _as_random(rng)
    site = {**_default_site(r), **(site or {})}
    maker = SentenceMaker(r)
    content = _Page()
    title = _GENERATORS[kind](content, r, maker)
    page = _Page()
    _chrome(page, site, r, title, cookie=kind != "cookie_wall")
    page.html += content.html
    page.lines += content.lines
    _footer(page, site, r)
    return {"kind": kind, "title": title, "html": _wrap(page, title, site), "text": "\n".join(page.lines)}
