"""Site templates (navigation, header, footer, cookie banner) and the page renderer.

A page is rendered twice from the same parts: as HTML, and as the visible text a WET file would
hold (one line per block), so that every job sees the same page in the form it reads.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass

from corpussieve.sample.textgen import SentenceMaker

TLDS = ("com", "org", "net", "co.uk", "com.au", "de", "io", "news")
SUBDOMAINS = ("www", "www", "www", "blog", "news", "m")
SECTIONS = ("World", "Politics", "Business", "Technology", "Science", "Health", "Sports", "Culture", "Travel",
            "Opinion", "Local", "Education", "Environment", "Food", "Style")
COOKIE_BANNERS = (
    "We use cookies to improve your experience on our website. By continuing to browse, you agree to our use "
    "of cookies.",
    "This website uses cookies to ensure you get the best experience. Learn more in our Cookie Policy.",
    "We and our partners use cookies and similar technologies to personalise content and ads, and to analyse "
    "our traffic. Accept all cookies?",
)
FOOTER_LINKS = ("Privacy Policy", "Terms of Use", "Contact Us", "About Us", "Advertise", "Careers", "Sitemap",
                "Accessibility")


@dataclass
class Site:
    index: int
    domain: str
    name: str
    nav: list[str]
    cookie: str
    footer_links: list[str]
    tagline: str
    newsletter: str
    has_sidebar: bool


def make_site(seed: int, index: int) -> Site:
    rng = random.Random(f"site:{seed}:{index}")
    words = SentenceMaker(rng)
    stem = f"{words.word()}-{words.word()}-{index}"
    domain = f"{stem}.{rng.choice(TLDS)}"
    name = " ".join(part.capitalize() for part in stem.split("-")[:2]) + rng.choice((" News", " Times", " Daily",
                                                                                      " Journal", " Post",
                                                                                      " Review"))
    nav = ["Home"] + rng.sample(SECTIONS, rng.randrange(4, 9))
    return Site(
        index=index,
        domain=domain,
        name=name,
        nav=nav,
        cookie=rng.choice(COOKIE_BANNERS),
        footer_links=rng.sample(FOOTER_LINKS, rng.randrange(3, 7)),
        tagline=words.sentence(),
        newsletter=f"Subscribe to the {name} newsletter for the latest stories, delivered every morning.",
        has_sidebar=rng.random() < 0.7,
    )


def site_url(site: Site, rng: random.Random, slug: str) -> str:
    sub = rng.choice(SUBDOMAINS)
    section = rng.choice(site.nav[1:]).lower()
    return f"https://{sub}.{site.domain}/{section}/{slug}"


def slugify(title: str, n: int) -> str:
    keep = "".join(ch.lower() if ch.isalnum() else "-" for ch in title)
    return "-".join(part for part in keep.split("-") if part)[:60] + f"-{n}"


def render_page(site: Site, title: str, byline: str, paragraphs: list[str], related: list[str],
                year: int) -> tuple[str, str]:
    """(html, visible text) of one article page on ``site``."""
    e = html.escape
    nav_html = "".join(f'<li><a href="/{e(item.lower())}/">{e(item)}</a></li>' for item in site.nav)
    body_html = "".join(f"<p>{e(p)}</p>" for p in paragraphs)
    related_html = "".join(f'<li><a href="/story/{i}">{e(r)}</a></li>' for i, r in enumerate(related))
    footer_html = " | ".join(f'<a href="/{e(link.lower().replace(" ", "-"))}">{e(link)}</a>'
                             for link in site.footer_links)
    sidebar = (f'<aside class="sidebar related"><h3>Related articles</h3><ul>{related_html}</ul>'
               f'<div class="newsletter"><p>{e(site.newsletter)}</p><form><input type="email" '
               f'placeholder="Email"><button>Subscribe</button></form></div></aside>') if site.has_sidebar else ""
    page = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{e(title)} | {e(site.name)}</title>'
        f'<meta name="description" content="{e(paragraphs[0][:150] if paragraphs else title)}">'
        f"<script>window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments);}}</script>"
        f'<style>body{{font-family:serif}}.cookie-banner{{position:fixed}}</style></head><body>'
        f'<div id="cookie-banner" class="cookie-banner consent"><p>{e(site.cookie)}</p><button>Accept</button>'
        f"<button>Manage settings</button></div>"
        f'<header class="site-header"><div class="logo"><a href="/">{e(site.name)}</a></div>'
        f'<p class="tagline">{e(site.tagline)}</p><nav class="main-nav"><ul>{nav_html}</ul></nav></header>'
        f'<main><article><h1>{e(title)}</h1><p class="byline">{e(byline)}</p>{body_html}</article>{sidebar}</main>'
        f'<footer class="site-footer"><p>{footer_html}</p><p>&copy; {year} {e(site.name)}. All rights reserved.</p>'
        f"</footer></body></html>"
    )
    lines = [site.cookie, "Accept", "Manage settings", site.name, site.tagline, *site.nav, title, byline,
             *paragraphs]
    if site.has_sidebar:
        lines += ["Related articles", *related, site.newsletter, "Subscribe"]
    lines += [" | ".join(site.footer_links), f"© {year} {site.name}. All rights reserved."]
    return page, "\n".join(lines)
