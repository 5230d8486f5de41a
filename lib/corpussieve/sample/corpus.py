"""The sample corpus plan: which document is what, generated independently per index.

Every document depends only on (seed, index), so shards can be written in parallel and any
document can be regenerated, which is how a near-duplicate finds its original.

Mix (fractions of documents, by default): unique articles, exact duplicates, near-duplicates of a
known edit strength (word edits, truncation, re-templating onto another site), and junk pages.
Some articles carry a syndicated passage from a small pool with Zipf-like popularity, which gives
long repeated spans across sites. Ground truth travels in ``gen_*`` fields.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from typing import Any

from corpussieve.sample.sites import Site, make_site, render_page, site_url, slugify
from corpussieve.sample.textgen import SentenceMaker

SOURCES = ("cc-2024-10", "cc-2024-18", "curated-news")
BASE_TIME = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class CorpusSpec:
    """What to generate. Fractions are of all documents; the rest are unique articles."""

    docs: int = 1000
    seed: int = 7
    exact_fraction: float = 0.04
    near_fraction: float = 0.10
    junk_fraction: float = 0.05
    span_fraction: float = 0.08
    span_pool: int = 40
    docs_per_site: int = 40
    max_edit_rate: float = 0.08
    include_html: bool = True
    include_text: bool = True
    bad_record_rate: float = 0.0
    #: articles planted for the decontamination, PII and URL-blocklist steps (``corpussieve.sample.plants``)
    contaminated_fraction: float = 0.0
    pii_fraction: float = 0.0
    blocked_fraction: float = 0.0
    benchmark_items: int = 100

    def __post_init__(self) -> None:
        if self.docs < 1:
            raise ValueError("docs must be >= 1")
        total = self.exact_fraction + self.near_fraction + self.junk_fraction
        if not 0 <= total < 1:
            raise ValueError("exact + near + junk fractions must be in [0, 1)")
        if not (self.include_html or self.include_text):
            raise ValueError("include html, text or both")
        planted = self.contaminated_fraction + self.pii_fraction + self.blocked_fraction
        if min(self.contaminated_fraction, self.pii_fraction, self.blocked_fraction) < 0 or planted > 1:
            raise ValueError("contaminated + pii + blocked fractions must be in [0, 1]")
        if self.contaminated_fraction > 0 and self.benchmark_items < 1:
            raise ValueError("contaminated articles need benchmark_items >= 1")

    @property
    def sites(self) -> int:
        return max(3, self.docs // self.docs_per_site)


@dataclass
class Body:
    """An article's content before it is placed on a site."""

    site: int
    title: str
    byline: str
    paragraphs: list[str]
    related: list[str]
    year: int
    span: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def kind_of(spec: CorpusSpec, index: int) -> str:
    if index == 0:
        return "article"
    draw = random.Random(f"kind:{spec.seed}:{index}").random()
    if draw < spec.exact_fraction:
        return "exact_duplicate"
    if draw < spec.exact_fraction + spec.near_fraction:
        return "near_duplicate"
    if draw < spec.exact_fraction + spec.near_fraction + spec.junk_fraction:
        return "junk"
    return "article"


def span_passage(seed: int, span: int) -> str:
    """A long syndicated passage (a wire story, a licence, a disclaimer) that many pages copy."""
    maker = SentenceMaker(random.Random(f"span:{seed}:{span}"))
    return maker.paragraph(6 + span % 5)


def _span_for(spec: CorpusSpec, rng: random.Random) -> int | None:
    if rng.random() >= spec.span_fraction:
        return None
    weights = [1.0 / (k + 1) ** 1.1 for k in range(spec.span_pool)]
    return rng.choices(range(spec.span_pool), weights)[0]


def make_body(spec: CorpusSpec, index: int) -> Body:
    rng = random.Random(f"doc:{spec.seed}:{index}")
    maker = SentenceMaker(rng)
    site = min(spec.sites - 1, int(rng.paretovariate(1.2)) - 1) if rng.random() < 0.3 else rng.randrange(spec.sites)
    # A fifth of the articles are short, so site boilerplate weighs heavily: the hard negatives.
    n_par = rng.randrange(1, 3) if rng.random() < 0.2 else rng.randrange(3, 12)
    paragraphs = [maker.paragraph(rng.randrange(3, 8)) for _ in range(n_par)]
    span = _span_for(spec, rng)
    if span is not None:
        paragraphs.insert(rng.randrange(len(paragraphs) + 1), span_passage(spec.seed, span))
    day = BASE_TIME + dt.timedelta(seconds=rng.randrange(300 * 86400))
    byline = f"By {rng.choice(('Staff Reporter', maker._person(), maker._person()))} | {day:%B %d, %Y}"
    related = [maker.title() for _ in range(rng.randrange(3, 6))]
    return Body(site, maker.title(), byline, paragraphs, related, day.year, span)


def _edit_words(text: str, rate: float, rng: random.Random, maker: SentenceMaker) -> str:
    out = []
    for word in text.split(" "):
        roll = rng.random()
        if roll < rate / 3:
            continue
        if roll < 2 * rate / 3:
            out.append(maker.word())
        elif roll < rate:
            out.extend((word, maker.word()))
        else:
            out.append(word)
    return " ".join(out)


class CorpusGenerator:
    """Generates document records for a spec; thread-compatible, cheap to create per worker."""

    def __init__(self, spec: CorpusSpec) -> None:
        self.spec = spec
        self._sites: dict[int, Site] = {}

    def site(self, index: int) -> Site:
        if index not in self._sites:
            self._sites[index] = make_site(self.spec.seed, index)
        return self._sites[index]

    def _original_for(self, index: int, rng: random.Random) -> int:
        for _ in range(64):
            j = rng.randrange(max(0, index - 5000), index)
            if kind_of(self.spec, j) == "article":
                return j
        return 0

    def _plant(self, index: int, body: Body) -> dict[str, Any] | None:
        """What this article carries for the decontamination, PII and blocklist steps (None: nothing); a
        planted paragraph goes after the first one, so extraction keeps it as body text."""
        from corpussieve.sample import plants

        spec = self.spec
        if index == 0:
            return None
        rng = random.Random(f"plant:{spec.seed}:{index}")
        draw = rng.random()
        if draw < spec.contaminated_fraction:
            item = plants.benchmark_item(spec.seed, rng.randrange(spec.benchmark_items))
            body.paragraphs.insert(1, plants.contaminated_paragraph(item))
            return {"gen_contaminated": item["id"]}
        draw -= spec.contaminated_fraction
        if draw < spec.pii_fraction:
            paragraph, found = plants.pii_paragraph(rng)
            body.paragraphs.insert(1, paragraph)
            return {"gen_pii": json.dumps(found)}
        draw -= spec.pii_fraction
        if draw < spec.blocked_fraction:
            return {"gen_blocked": rng.choice(plants.blocked_domains(spec.seed))}
        return None

    def record(self, index: int) -> dict[str, Any]:
        spec = self.spec
        kind = kind_of(spec, index)
        rng = random.Random(f"variant:{spec.seed}:{index}")
        fetch_time = BASE_TIME + dt.timedelta(seconds=rng.randrange(330 * 86400))
        gen: dict[str, Any] = {"gen_kind": kind, "gen_dup_of": None, "gen_edit": None, "gen_edit_rate": None,
                               "gen_junk_kind": None, "gen_span": None, "gen_contaminated": None, "gen_pii": None,
                               "gen_blocked": None}
        if kind == "junk":
            from corpussieve.sample.junk import JUNK_KINDS, make_junk_page

            site = self.site(rng.randrange(spec.sites))
            junk_kind = JUNK_KINDS[index % len(JUNK_KINDS)]
            page = make_junk_page(junk_kind, rng, site_context(site))
            url = site_url(site, rng, f"{junk_kind}-{index}")
            gen["gen_junk_kind"] = junk_kind
            page_html, text = page["html"], page["text"]
            source = SOURCES[site.index % len(SOURCES)]
        else:
            original = index if kind == "article" else self._original_for(index, rng)
            body = make_body(spec, original)
            site = self.site(body.site)
            gen["gen_span"] = body.span
            if kind != "article":
                gen["gen_dup_of"] = f"doc-{original:08d}"
            if kind == "near_duplicate":
                variant = rng.random()
                maker = SentenceMaker(rng)
                if variant < 0.6:
                    rate = rng.uniform(0.0, spec.max_edit_rate)
                    body.paragraphs = [_edit_words(p, rate, rng, maker) for p in body.paragraphs]
                    gen["gen_edit"], gen["gen_edit_rate"] = "edit", round(rate, 4)
                elif variant < 0.8 and len(body.paragraphs) > 1:
                    keep = max(1, round(len(body.paragraphs) * rng.uniform(0.6, 0.95)))
                    body.paragraphs = body.paragraphs[:keep]
                    gen["gen_edit"] = "truncate"
                else:
                    site = self.site(rng.randrange(spec.sites))
                    gen["gen_edit"] = "retemplate"
            plant = self._plant(index, body) if kind == "article" else None
            if plant is not None:
                gen.update(plant)
            page_html, text = render_page(site, body.title, body.byline, body.paragraphs, body.related, body.year)
            url = site_url(site, rng, slugify(body.title, index))
            if gen["gen_blocked"] is not None:
                url = f"https://www.{gen['gen_blocked']}/{url.split('/', 3)[3]}"
            source = SOURCES[site.index % len(SOURCES)]
        record: dict[str, Any] = {"id": f"doc-{index:08d}", "url": url}
        if spec.include_text:
            record["text"] = text
        if spec.include_html:
            record["html"] = page_html
        record["source"] = source
        record["fetch_time"] = fetch_time.isoformat().replace("+00:00", "Z")
        record.update(gen)
        return record


def site_context(site: Site) -> dict[str, Any]:
    """The site chrome a junk page can reuse."""
    return {"name": site.name, "domain": site.domain, "nav": list(site.nav), "cookie": site.cookie,
            "footer_links": list(site.footer_links)}
