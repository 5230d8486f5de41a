"""URL blocklists without Spark: reading domain, URL and UT1 lists, normalizing, matching against brute force
(every suffix of every host checked naively), banned words, the Arrow step and the prepare stage skipping
blocked pages, the config and the report section."""

from __future__ import annotations

import gzip
import pickle
import random
import string

import pyarrow as pa
import pytest
from pydantic import ValidationError

from corpussieve.clean import arrowfns, blocklist as B
from corpussieve.clean.config import CleanConfig, UrlBlocklistConfig
from corpussieve.clean.reasons import in_family
from corpussieve.clean.report import BLOCKLIST_OFF, blocklist_section, render_html
from corpussieve.errors import ConfigError
from corpussieve.reasons import describe, undeclared

# -- reading list lines ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("line, expected", [
    ("example.com", ["example.com"]),
    ("  Example.COM.  ", ["example.com"]),
    ("*.example.com", ["example.com"]),
    (".example.com", ["example.com"]),
    ("example.com # a comment", ["example.com"]),
    ("# example.com", []),
    ("", []),
    ("   ", []),
    ("0.0.0.0 ads.example.com", ["ads.example.com"]),
    ("127.0.0.1\tads.example.com tracker.example.net  # two names", ["ads.example.com", "tracker.example.net"]),
    ("127.0.0.1 localhost", []),
    ("::1 localhost ip6-localhost", []),
    ("0.0.0.0 0.0.0.0", []),
    ("||ads.example.org^", ["ads.example.org"]),
    ("BÜCHER.de", ["xn--bcher-kva.de"]),
    ("xn--bcher-kva.de", ["xn--bcher-kva.de"]),
    ("XN--BCHER-KVA.DE", ["xn--bcher-kva.de"]),
    ("10.1.2.3", ["10.1.2.3"]),
    ("two words", [None]),
    ("http://example.com/page", [None]),
    ("exa..mple.com", [None]),
    ("a" * 300 + ".com", [None]),
])  # fmt: skip
def test_domain_lines(line, expected):
    assert B.domain_entries(line) == expected


@pytest.mark.parametrize("url, normalized", [
    ("http://example.com", "example.com"),
    ("https://example.com/", "example.com"),
    ("HTTPS://WWW.Example.com:443/", "example.com"),
    ("http://www.example.com:80/a/b/", "example.com/a/b"),
    ("example.com/a/b", "example.com/a/b"),
    ("//example.com/a", "example.com/a"),
    ("http://user:secret@example.com/a#section", "example.com/a"),
    ("http://example.com:8080/a", "example.com:8080/a"),
    ("http://example.com/A/B?x=1&y=2#f", "example.com/A/B?x=1&y=2"),
    ("http://example.com./a", "example.com/a"),
    ("http://bücher.de/seite", "xn--bcher-kva.de/seite"),
    ("http://xn--bcher-kva.de/seite", "xn--bcher-kva.de/seite"),
    ("http://www.com/", "www.com"),  # a bare www.<tld> keeps its label
    ("http://1.2.3.4:8080/x", "1.2.3.4:8080/x"),
    ("http://[2001:db8::1]/x", "[2001:db8::1]/x"),
    ("ftp://example.com/file", "example.com/file"),
    (None, None), ("", None), ("   ", None), ("http://", None), ("http:///path", None),
    ("http://exa mple.com/", None), ("http://example.com:99999/", None), ("not a url at all", None),
])  # fmt: skip
def test_url_normalization(url, normalized):
    assert B.normalize_url(url) == normalized


def test_url_list_lines_and_format_sniffing(tmp_path):
    assert B.url_entry("# comment") is False and B.url_entry("   ") is False
    assert B.url_entry("www.example.com/x/") == "example.com/x"
    assert B.url_entry("nonsense with spaces") is None
    hosts = tmp_path / "hosts"
    hosts.write_text("# hosts\n0.0.0.0 a.example\n0.0.0.0 b.example\n")
    urls = tmp_path / "urls.txt"
    urls.write_text("a.example/x\nhttp://b.example/y/z\nc.example\n")
    assert B.sniff_format(hosts) == "domains" and B.sniff_format(urls) == "urls"
    assert B.sniff_format(tmp_path) == "ut1"


# -- matching against brute force ------------------------------------------------------------------------------
LABELS = ["example", "exam", "ple", "ample", "a", "b", "cdn", "www", "news", "bücher", "xn--bcher-kva", "shop"]
TLDS = ["com", "net", "de", "co.uk", "org"]


def random_host(rng: random.Random) -> str:
    return ".".join([*(rng.choice(LABELS) for _ in range(rng.randint(0, 3))), rng.choice(LABELS), rng.choice(TLDS)])


def spelled(rng: random.Random, host: str) -> str:
    """The same host as a list or a crawler might write it: case, trailing dot, Unicode or punycode."""
    host = host.upper() if rng.random() < 0.2 else host
    host = host + "." if rng.random() < 0.1 else host
    if rng.random() < 0.3:
        host = host.replace("xn--bcher-kva", "bücher") if rng.random() < 0.5 else host.replace("bücher", "xn--bcher-kva")
    return host


def random_url(rng: random.Random, host: str) -> str:
    scheme = rng.choice(["http://", "https://", "", "//", "HTTP://"])
    port = rng.choice(["", "", ":80", ":443", ":8080"])
    user = "user:pw@" if rng.random() < 0.05 and scheme else ""
    path = "".join(f"/{rng.choice(['a', 'b', 'forum', 'x y', 'p'])}" for _ in range(rng.randint(0, 3)))
    path = path.replace(" ", "%20")
    query = "?q=1" if rng.random() < 0.2 else ""
    fragment = "#top" if rng.random() < 0.1 else ""
    return f"{scheme}{user}{spelled(rng, host)}{port}{path}{query}{fragment}"


def canonical(host: str) -> str:
    """A reference IDNA + case normalization, independent of the module (label by label)."""
    host = host.lower().rstrip(".")
    return ".".join(label.encode("idna").decode() if not label.isascii() else label for label in host.split("."))


def brute_domain_lists(url: str, lists: dict[str, set[str]]) -> list[str]:
    """Every list that holds the URL's host or any suffix of it at a label boundary, naively."""
    from urllib.parse import urlsplit

    text = url if "://" in url or url.startswith("//") else "//" + url
    host = canonical(urlsplit(text).hostname or "")
    return [name for name, domains in lists.items()
            if any(host == canonical(d) or host.endswith("." + canonical(d)) for d in domains)]


def test_domain_matching_equals_brute_force():
    rng = random.Random(17)
    lists = {f"list{k}": {spelled(rng, random_host(rng)) for _ in range(40)} for k in range(3)}
    builder = B.BlocklistBuilder()
    for name, domains in lists.items():
        entries = [e for line in (f"*.{d}" if rng.random() < 0.2 else d for d in domains)
                   for e in B.domain_entries(line)]
        builder.add(name, entries)
    blocklist = builder.build()
    urls = [random_url(rng, random_host(rng)) for _ in range(3000)]
    urls += [random_url(rng, d.rstrip(".")) for ds in lists.values() for d in ds]  # every entry hit at least once
    urls += [random_url(rng, "not" + d.rstrip(".")) for ds in lists.values() for d in ds]  # near misses
    got, status = blocklist.match_many(urls)
    blocked = 0
    for url, names, st in zip(urls, got, status):
        expected = brute_domain_lists(url, lists)
        assert names == expected, url
        assert st == ("blocked" if expected else "clear"), url
        blocked += bool(expected)
    assert 0.1 * len(urls) < blocked < 0.9 * len(urls)  # the test exercises both outcomes


def test_subdomains_are_blocked_never_lookalikes():
    builder = B.BlocklistBuilder()
    builder.add("adult", ["example.com", "xn--bcher-kva.de", "10.0.0.1"])
    bl = builder.build()
    assert bl.match("http://a.b.example.com/x") == ["adult"]
    assert bl.match("http://EXAMPLE.COM.:8080") == ["adult"]
    assert bl.match("http://notexample.com/") == [] and bl.match("http://example.com.evil.net/") == []
    assert bl.match("http://example.co/") == [] and bl.match("http://com/") == []
    assert bl.match("https://shop.bücher.de/") == ["adult"]
    assert bl.match("http://10.0.0.1:8000/admin") == ["adult"]
    assert bl.match("http://110.0.0.1/") == [] and bl.match("http://10.0.0.10/") == []


def test_an_ip_host_is_matched_by_itself_only():
    builder = B.BlocklistBuilder()
    builder.add("ips", ["0.0.1", "1.2.3.4"])  # a "parent" of an IP is no domain: 0.0.1 blocks nothing here
    bl = builder.build()
    assert bl.match("http://10.0.0.1/") == [] and bl.match("http://1.2.3.4/") == ["ips"]
    assert B.parent_domains("10.0.0.1", is_ip=True) == ["10.0.0.1"]
    assert B.parent_domains("a.b.c") == ["a.b.c", "b.c", "c"]


def brute_url_lists(url: str, lists: dict[str, tuple[set[str], bool]]) -> list[str]:
    """Every URL list holding the normalized URL (exact), or a prefix of it at a / boundary (prefix lists)."""
    u = B.normalize_url(url)
    if u is None:
        return []
    base = u.split("?", 1)[0]
    found = []
    for name, (entries, prefix) in lists.items():
        if u in entries or (prefix and (base in entries or any(base.startswith(e + "/") for e in entries))):
            found.append(name)
    return found


def test_url_matching_equals_brute_force():
    rng = random.Random(3)
    hosts = [random_host(rng) for _ in range(30)]
    raw = {name: ({random_url(rng, rng.choice(hosts)) for _ in range(60)}, prefix)
           for name, prefix in (("exact", False), ("below", True))}
    lists = {name: ({B.normalize_url(u) for u in entries} - {None}, prefix) for name, (entries, prefix) in raw.items()}
    builder = B.BlocklistBuilder()
    for name, (entries, prefix) in raw.items():
        builder.add(name, urls=[B.url_entry(u) for u in entries], url_prefix=prefix)
    bl = builder.build()
    urls = [random_url(rng, rng.choice(hosts)) for _ in range(4000)] + [u for e, _ in raw.values() for u in e]
    got, _ = bl.match_many(urls)
    hits = 0
    for url, names in zip(urls, got):
        assert names == brute_url_lists(url, lists), url
        hits += bool(names)
    assert 0.05 * len(urls) < hits < 0.95 * len(urls)


def test_url_prefixes_stop_at_slashes():
    builder = B.BlocklistBuilder()
    builder.add("forum", urls=[B.normalize_url("http://www.site.org/forum/")], url_prefix=True)
    builder.add("page", urls=[B.normalize_url("site.org/page")])
    bl = builder.build()
    assert bl.match("https://site.org/forum") == ["forum"] and bl.match("site.org/forum/t/1?p=2") == ["forum"]
    assert bl.match("https://site.org/forumx") == [] and bl.match("https://site.org/") == []
    assert bl.match("http://www.site.org/page/#x") == ["page"] and bl.match("http://site.org/page/2") == []
    assert bl.match("http://site.org/page?x=1") == []  # an exact entry without a query is not a prefix


def test_missing_and_invalid_urls_are_never_blocked_and_counted():
    builder = B.BlocklistBuilder()
    builder.add("all", ["com", "org"])
    bl = builder.build(B.BannedWords("banned_words", frozenset({"porn"})))
    urls = [None, "", "  ", "http://exa mple.com/", "http://exa mple.com/porn", "http://ok.com/", 7]
    names, status = bl.match_many(urls)
    assert status == ["missing", "missing", "missing", "invalid", "blocked", "blocked", "missing"]
    # the banned-words rule reads the URL's text, so an unparseable URL with a banned word is still blocked
    assert names == [[], [], [], [], ["banned_words"], ["all"], []]


def test_a_url_on_several_lists_names_each_in_config_order():
    builder = B.BlocklistBuilder()
    builder.add("malware", ["bad.example"])
    builder.add("adult", ["example"])
    builder.add("urls", urls=["x.bad.example/p"])
    bl = builder.build(B.BannedWords("words", frozenset({"casino"})))
    assert bl.match("http://x.bad.example/p") == ["malware", "adult", "urls"]
    assert bl.match("http://x.bad.example/casino") == ["malware", "adult", "words"]


# -- banned words ------------------------------------------------------------------------------------------------
def test_banned_words_split_on_non_alphanumerics_against_brute_force():
    rng = random.Random(9)
    hard, soft = frozenset({"porn", "xxx"}), frozenset({"sex", "cam", "hot", "girls"})
    rule = B.BannedWords("banned_words", hard, soft, soft_threshold=2)
    vocabulary = ["porn", "pornography", "xxx", "sex", "sexy", "cam", "hot", "girls", "news", "Sex", "CAM", "a1"]
    for _ in range(3000):
        parts = [rng.choice(vocabulary) for _ in range(rng.randint(1, 4))]
        seps = [rng.choice(["-", "/", "_", ".", "?q=", "%20", "é"]) for _ in parts]
        url = "http://site.com/" + "".join(p + s for p, s in zip(parts, seps))
        words = {w for w in "".join(ch if ch.isalnum() else " " for ch in url.lower()).split()}
        expected = bool(words & hard) or len(words & soft) >= 2
        assert rule.blocks(url) == expected, url
    assert B.url_words("http://A-b_C.com/Porn%20Hub") == {"http", "a", "b", "c", "com", "porn", "20hub"}
    assert not rule.blocks("http://pornography.example/") and rule.blocks("http://x.com/hot_girls")


# -- files: UT1, gzip, config ---------------------------------------------------------------------------------------
def ut1_folder(root):
    return B.write_ut1_folder(root, {
        "adult": {"domains": ["adult.example", "www.porn.example", "bücher.example"], "urls": ["site.example/nsfw"]},
        "malware": {"domains": ["evil.example", "# a comment", "", "not a domain"]},
        "audio-video": {"urls": ["videos.example/watch"]},
        "press": {"domains": ["news.example"]},
    })


def test_ut1_folder_gives_one_list_per_chosen_category(tmp_path):
    root = ut1_folder(tmp_path / "ut1")
    assert B.ut1_categories(root) == ["adult", "audio-video", "malware", "press"]
    cfg = UrlBlocklistConfig.model_validate({"lists": [
        {"name": "ut1", "path": str(root), "categories": ["adult", "malware", "audio-video"]}]})
    bl = B.load_blocklist(cfg)
    assert bl.names == ("ut1_adult", "ut1_malware", "ut1_audio_video")
    stats = {s["name"]: s for s in bl.stats["lists"]}
    assert stats["ut1_adult"]["domains"] == 3 and stats["ut1_adult"]["urls"] == 1
    assert stats["ut1_malware"]["skipped"] == 1 and stats["ut1_malware"]["format"] == "ut1"
    assert bl.match("http://cdn.adult.example/x") == ["ut1_adult"]
    assert bl.match("https://porn.example/") == []  # the entry is www.porn.example: its subdomains, not its parent
    assert bl.match("https://www.porn.example/") == ["ut1_adult"]
    assert bl.match("http://xn--bcher-kva.example/") == ["ut1_adult"]
    assert bl.match("http://site.example/nsfw") == ["ut1_adult"] and bl.match("http://site.example/nsfw/1") == []
    assert bl.match("http://a.evil.example/") == ["ut1_malware"]
    assert bl.match("videos.example/watch") == ["ut1_audio_video"]
    assert bl.match("http://news.example/") == []  # press was not chosen
    assert bl.stats["table_entries"] == 3 + 1 + 1 + 1 and bl.stats["table_bytes"] == 6 * 10


def test_ut1_missing_category_and_paths_are_clear_errors(tmp_path):
    root = ut1_folder(tmp_path / "ut1")
    bad = UrlBlocklistConfig.model_validate({"lists": [{"name": "ut1", "path": str(root), "categories": ["gambling"]}]})
    with pytest.raises(ConfigError, match=r"lists\[0\].categories: no category 'gambling'.*found: adult"):
        B.load_blocklist(bad)
    no_categories = UrlBlocklistConfig.model_validate({"lists": [{"name": "ut1", "path": str(root)}]})
    with pytest.raises(ConfigError, match="needs the categories to block"):
        B.load_blocklist(no_categories)
    missing = UrlBlocklistConfig.model_validate({"lists": [{"name": "x", "path": str(tmp_path / "nope.txt")}]})
    with pytest.raises(ConfigError, match=r"lists\[0\].path: .*nope.txt.* does not exist"):
        B.load_blocklist(missing)
    file_as_ut1 = UrlBlocklistConfig.model_validate(
        {"lists": [{"name": "x", "path": str(root / "adult" / "domains"), "format": "ut1", "categories": ["a"]}]})
    with pytest.raises(ConfigError, match="folder of category folders"):
        B.load_blocklist(file_as_ut1)
    file_with_categories = UrlBlocklistConfig.model_validate(
        {"lists": [{"name": "x", "path": str(root / "adult" / "domains"), "categories": ["adult"]}]})
    with pytest.raises(ConfigError, match="categories are for a UT1 folder"):
        B.load_blocklist(file_with_categories)
    parent = UrlBlocklistConfig.model_validate({"lists": [{"name": "x", "path": str(tmp_path), "categories": ["adult"]}]})
    with pytest.raises(ConfigError, match="found: none: point path at the folder holding them"):
        B.load_blocklist(parent)


def test_lists_from_files_gzip_and_words_files(tmp_path):
    hosts = tmp_path / "hosts.gz"
    with gzip.open(hosts, "wt") as fh:
        fh.write("# StevenBlack-style\n127.0.0.1 localhost\n0.0.0.0 ads.example\n0.0.0.0 track.example # t\n")
    urls = B.write_domain_list(tmp_path / "phish.txt", ["http://login.bank.example.evil/a", "evil.example/x/"],
                               header="phishing URLs")
    words = tmp_path / "words.txt"
    words.write_text("# hard words\nporn\nXXX\n")
    cfg = UrlBlocklistConfig.model_validate({
        "lists": [{"name": "ads", "path": str(hosts)}, {"name": "phishing", "path": str(urls), "url_prefix": True}],
        "banned_words": {"words": ["casino"], "words_file": str(words), "soft_words": ["sex", "cam"]}})
    bl = B.load_blocklist(cfg)
    assert bl.list_names == ("ads", "phishing", "banned_words")
    assert [s["format"] for s in bl.stats["lists"]] == ["domains", "urls"]
    assert bl.stats["banned_words"] == {"name": "banned_words", "hard_words": 3, "soft_words": 2, "soft_threshold": 2}
    assert bl.match("http://x.ads.example/") == ["ads"] and bl.match("http://evil.example/x/y") == ["phishing"]
    assert bl.match("http://ok.example/XXX-videos") == ["banned_words"]
    assert bl.match("http://ok.example/sex") == [] and bl.match("http://ok.example/sex/cam") == ["banned_words"]
    assert B.load_blocklist(UrlBlocklistConfig()) is None
    assert len(B.fingerprint(cfg)) == 3 and all(size for _, size, _ in B.fingerprint(cfg))


def test_the_table_pickles_small():
    builder = B.BlocklistBuilder()
    rng = random.Random(1)
    domains = {"".join(rng.choices(string.ascii_lowercase, k=12)) + ".com" for _ in range(20_000)}
    builder.add("big", domains)
    bl = builder.build()
    assert len(bl.keys) == len(domains) and bl.nbytes == 10 * len(domains)
    assert len(pickle.dumps(bl)) < 12 * len(domains) + 10_000  # two arrays, no Python strings
    assert all(bl.match(f"http://www.{d}/") == ["big"] for d in list(domains)[:100])


def test_config_validation():
    ok = {"name": "ut1", "path": "/data/ut1", "format": "ut1", "categories": ["adult", "audio-video"]}
    cfg = UrlBlocklistConfig.model_validate({"lists": [ok], "banned_words": {"words": ["porn"]}})
    assert cfg.enabled and not UrlBlocklistConfig().enabled and not CleanConfig().url_blocklist.enabled
    bad = [
        {"lists": [{"name": "Adult-List", "path": "x"}]},
        {"lists": [{"name": "a", "path": "x"}, {"name": "a", "path": "y"}]},
        {"lists": [ok, {"name": "ut1_adult", "path": "y"}]},  # the UT1 category's list name is taken
        {"lists": [{"name": "a", "path": "x", "format": "domains", "categories": ["adult"]}]},
        {"lists": [{"name": "a", "path": "x", "format": "ut1"}]},
        {"lists": [{"name": "a", "path": "x", "format": "csv"}]},
        {"banned_words": {"words": ["two words"]}},
        {"banned_words": {"name": "x", "words": ["porn"]}, "lists": [{"name": "x", "path": "y"}]},
        {"banned_words": {"soft_threshold": 0}},
        {"lists": [{"name": "a", "path": "x", "color": "red"}]},
    ]
    for tree in bad:
        with pytest.raises(ValidationError):
            UrlBlocklistConfig.model_validate(tree)


# -- the Arrow step and the prepare stage -------------------------------------------------------------------------
PAGE = ("<html><head><title>T</title></head><body><article>"
        + "<p>The council met on Tuesday to discuss the budget for the new library and the bridge.</p>" * 12
        + "</article></body></html>")


def batch(rows):
    return pa.RecordBatch.from_pylist(rows, schema=pa.schema([("id", pa.string()), ("url", pa.string()),
                                                              ("html", pa.string()), ("text", pa.string())]))


def small_blocklist():
    builder = B.BlocklistBuilder()
    builder.add("adult", ["adult.example"])
    builder.add("malware", ["evil.example", "adult.example"])
    return builder.build(B.BannedWords("banned_words", frozenset({"casino"})))


ROWS = [
    {"id": "ok", "url": "https://news.example/a", "html": PAGE, "text": None},
    {"id": "adult", "url": "https://www.adult.example/a", "html": "\x00\x01 binary \x02" * 500, "text": None},
    {"id": "evil", "url": "http://x.evil.example/", "html": None, "text": "some text " * 50},
    {"id": "casino", "url": "http://ok.example/best-casino", "html": PAGE, "text": None},
    {"id": "no-url", "url": None, "html": PAGE, "text": None},
    {"id": "bad-url", "url": "::::", "html": PAGE, "text": None},
]


def test_blocklist_batch_marks_rows_and_reads_only_the_url():
    out = arrowfns.blocklist_batch(batch(ROWS), small_blocklist())
    assert out.schema.names == ["id", "url", "html", "text", "__url_reasons", "__url_check", "__sec_url_blocklist"]
    assert out.column("html").equals(batch(ROWS).column("html"))
    assert out.column("__url_reasons").to_pylist() == [
        [], ["url_blocklist:adult", "url_blocklist:malware"], ["url_blocklist:malware"],
        ["url_blocklist:banned_words"], [], []]
    assert out.column("__url_check").to_pylist() == ["clear", "blocked", "blocked", "blocked", "missing", "invalid"]
    codes = [c for r in out.column("__url_reasons").to_pylist() for c in r]
    assert undeclared(codes) == [] and all(in_family(c, "blocked") for c in codes)
    assert describe("url_blocklist:adult").startswith("the page's URL is on the named blocklist")


def test_prepare_never_reads_a_blocked_page(monkeypatch):
    cfg = CleanConfig()
    read = []
    real = arrowfns.prepare_text

    def spy(html, text, cfg):
        read.append(html if html is not None else text)
        return real(html, text, cfg)

    monkeypatch.setattr(arrowfns, "prepare_text", spy)
    marked = arrowfns.blocklist_batch(batch(ROWS), small_blocklist())
    out = arrowfns.prepare_batch(marked, cfg).to_pylist()
    assert len(read) == 3 and all(r == PAGE for r in read)  # ok, no-url, bad-url: never a blocked page
    by_id = {r["id"]: r for r in out}
    for row_id in ("adult", "evil", "casino"):
        row = by_id[row_id]
        assert row["__reasons"] and all(c.startswith("url_blocklist:") for c in row["__reasons"]), row_id
        assert row["text"] is None and row["__excerpt"] is None and row["__sec_prepare"] == 0, row_id
        assert all(row[f"__chars_{step}"] is None for step in arrowfns.STEPS)
        assert row["__line_hashes"] is None and row["__line_keys"] is None
    assert "__url_reasons" not in out[0] and "html" not in out[0]
    # the rows the lists do not block come out exactly as without the step
    plain = {r["id"]: r for r in arrowfns.prepare_batch(batch(ROWS), cfg).to_pylist()}
    for row_id in ("ok", "no-url", "bad-url"):
        mine = {k: v for k, v in by_id[row_id].items() if not k.startswith(("__sec", "__url"))}
        theirs = {k: v for k, v in plain[row_id].items() if not k.startswith("__sec")}
        assert mine == theirs, row_id


def test_prepare_batches_runs_the_step_in_the_same_pass():
    run = arrowfns.prepare_batches(CleanConfig(), small_blocklist())
    out = list(run(iter([batch(ROWS[:3]), batch(ROWS[3:])])))
    reasons = [r for b in out for r in b.column("__reasons").to_pylist()]
    assert reasons[1:4] == [["url_blocklist:adult", "url_blocklist:malware"], ["url_blocklist:malware"],
                            ["url_blocklist:banned_words"]]
    assert all("__url_check" in b.schema.names and "__url_reasons" not in b.schema.names for b in out)
    schema = arrowfns.output_schema(arrowfns.output_schema(batch(ROWS).schema, arrowfns.BLOCKLIST_COLUMNS),
                                    *arrowfns.prepare_columns(CleanConfig()))
    assert all(b.schema.equals(schema) for b in out)


# -- the report section -----------------------------------------------------------------------------------------
def test_report_section_off_and_on():
    counts = {"any": {"url_blocklist:ut1_adult": 3, "url_blocklist:banned_words": 1},
              "first": {"url_blocklist:ut1_adult": 3}, "url_check": {"clear": 10, "blocked": 4, "missing": 2}}
    examples = {"url_blocklist:ut1_adult": [{"id": "a", "url": "http://adult.example/1", "reasons": [], "excerpt": None}]}
    assert blocklist_section(None, counts, examples) == {"enabled": False, "note": BLOCKLIST_OFF}
    stats = {"enabled": True, "lists": [{"name": "ut1_adult", "source": "/ut1/adult", "format": "ut1", "entries": 5,
                                         "skipped": 0, "domains": 5, "urls": 0}],
             "banned_words": {"name": "banned_words", "hard_words": 1, "soft_words": 0, "soft_threshold": 2},
             "table_entries": 5, "table_bytes": 50, "load_seconds": 0.01}
    section = blocklist_section(stats, counts, examples)
    assert [(e["name"], e["documents"], e["documents_first"]) for e in section["lists"]] == [
        ("ut1_adult", 3, 3), ("banned_words", 1, 0)]
    assert section["lists"][0]["example_urls"] == ["http://adult.example/1"]
    assert (section["urls_checked"], section["documents_blocked"], section["urls_missing"]) == (16, 4, 2)
    report = {"metrics": {"docs_in": 16, "kept": 12, "rejected": 4, "kept_fraction": 0.75, "lines_removed": 0,
                          "chars_in": 0, "chars_out": 0, "rejected_by_filter": {"url_blocklist": 4},
                          "lines_removed_site": 0, "lines_removed_corpus": 0, "docs_with_lines_removed": 0},
              "seconds": 1.0, "stages": [], "run_id": "r", "started_at": "now", "url_blocklist": section}
    html = render_html(report)
    assert "URL blocklists" in html and "http://adult.example/1" in html and "ut1_adult" in html
    assert BLOCKLIST_OFF in render_html({**report, "url_blocklist": {"enabled": False, "note": BLOCKLIST_OFF}})


def test_the_cache_serves_the_same_table_until_a_list_file_changes(tmp_path):
    import os

    root = ut1_folder(tmp_path / "ut1")
    tree = {"lists": [{"name": "ut1", "path": str(root), "categories": ["adult", "malware"]}],
            "banned_words": {"words": ["casino"]}, "cache_dir": str(tmp_path / "cache")}
    cfg = UrlBlocklistConfig.model_validate(tree)
    first = B.load_blocklist(cfg)
    second = B.load_blocklist(cfg)
    assert first.stats["from_cache"] is None and second.stats["from_cache"].endswith(".npz")
    assert second.names == first.names and (second.keys == first.keys).all() and (second.lists == first.lists).all()
    assert second.stats["lists"] == first.stats["lists"] and second.words == first.words
    assert second.match("http://x.adult.example/casino") == ["ut1_adult", "banned_words"]
    # another category choice, or a list file changed, is another table
    other = UrlBlocklistConfig.model_validate({**tree, "lists": [{**tree["lists"][0], "categories": ["adult"]}]})
    assert B.load_blocklist(other).stats["from_cache"] is None
    (root / "adult" / "domains").write_text("changed.example\n")
    os.utime(root / "adult" / "domains", ns=(1, 1))
    changed = B.load_blocklist(cfg)
    assert changed.stats["from_cache"] is None and changed.match("http://changed.example/") == ["ut1_adult"]
    assert changed.match("http://adult.example/") == []
    cached = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert len(cached) == 3 and all(name.startswith("blocklist-") for name in cached)  # no temporary file left
