"""The PII step's detection, redaction and audit spans, without Spark: precision and recall on the labelled
set, redaction offsets against a brute-force reference, the phone pre-filter against the matcher run on
whole texts, and the audit hashes."""

from __future__ import annotations

import random
import re
from pathlib import Path

import phonenumbers
import pytest

from corpussieve.clean.steps import pii
from corpussieve.clean.steps.base import StepRows
from corpussieve.clean.steps.pii import (
    KINDS,
    PiiConfig,
    PiiStep,
    Span,
    find_pii,
    luhn_valid,
    redact,
    region_of_url,
    span_hash,
)
from corpussieve.clean.steps.pii_scoring import load_labelled, score
from corpussieve.errors import ConfigError

LABELLED = Path(__file__).parent / "data" / "pii_labelled.txt"
HELDOUT = Path(__file__).parent / "data" / "pii_heldout.txt"
#: floors the detector holds on the labelled set (measured: every kind 1.000 precision; recall 1.000 except
#: phone 0.957, the two national-format numbers on a generic TLD that the no-region rule gives up)
FLOORS = {kind: {"precision": 0.95, "recall": 0.95} for kind in KINDS} | {"phone": {"precision": 0.95, "recall": 0.9}}


@pytest.fixture(scope="module")
def cases():
    return load_labelled(LABELLED)


def test_the_labelled_set_has_40_positives_and_40_hard_negatives_per_kind(cases):
    for kind in KINDS:
        positive = [c for c in cases if c.section == f"positive {kind}"]
        negative = [c for c in cases if c.section == f"negative {kind}"]
        assert len(positive) >= 40 and len(negative) >= 40, kind
        assert all(any(s.kind == kind for s in c.spans) for c in positive), kind
        assert not any(s.kind == kind for c in negative for s in c.spans), kind


def test_precision_and_recall_floors_per_kind(cases):
    result = score(cases)
    errors = result.pop("errors")
    for kind in KINDS:
        row = result[kind]
        assert row["precision"] >= FLOORS[kind]["precision"], (kind, row, [e for e in errors if e["kind"] == kind])
        assert row["recall"] >= FLOORS[kind]["recall"], (kind, row, [e for e in errors if e["kind"] == kind])


def test_the_held_out_set_holds_the_same_floors():
    """Written after the detector and never tuned against (measured: 1.000 everywhere)."""
    result = score(load_labelled(HELDOUT))
    result.pop("errors")
    for kind in KINDS:
        assert result[kind]["precision"] >= FLOORS[kind]["precision"] and result[kind]["recall"] >= 0.9, kind


def test_a_detector_that_finds_everything_scores_low_precision(cases):
    """The scorer can fail: flagging every digit run as a phone gives many false positives."""
    def greedy(text, url):
        return [Span(m.start(), m.end(), "phone") for m in re.finditer(r"\d[\d ]{5,}\d", text)]

    assert score(cases, greedy)["phone"]["precision"] < 0.7


@pytest.mark.parametrize("url, region", [
    ("https://www.spiegel.de/politik", "DE"), ("https://www.bbc.co.uk/news", "GB"), ("http://lemonde.fr", "FR"),
    ("https://example.com/a", None), ("https://news.ycombinator.org", None), ("https://startup.io/x", None),
    ("https://www.abc.net.au/news", "AU"), ("https://user:pw@shop.com.br:8443/p?q=1", "BR"),
    ("http://93.184.216.34/page", None), (None, None), ("not a url", None), ("", None),
])
def test_region_hint_from_the_country_code_tld(url, region):
    assert region_of_url(url) == region


def test_national_numbers_need_a_region_international_ones_do_not():
    text = "Ruf an: 030 901820 oder +49 30 901820."
    assert [text[s.start:s.end] for s in find_pii(text, "DE")] == ["030 901820", "+49 30 901820"]
    assert [text[s.start:s.end] for s in find_pii(text, None)] == ["+49 30 901820"]


def test_spans_never_overlap_and_earlier_kinds_win():
    text = "Write to anna.4155552671@gmail.com or card 4111-1111-1111-1111 or +1 415-555-2671."
    spans = find_pii(text, "US")
    assert [(s.kind, text[s.start:s.end]) for s in spans] == [
        ("email", "anna.4155552671@gmail.com"), ("payment_card", "4111-1111-1111-1111"), ("phone", "+1 415-555-2671")]
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


def test_kinds_can_be_turned_off():
    text = "Mail bob@mailbox.org from 8.8.8.8."
    assert [s.kind for s in find_pii(text, None, kinds=("ipv4",))] == ["ipv4"]
    assert find_pii(text, None, kinds=()) == []


def _luhn_reference(number: str) -> bool:
    """Luhn by its definition: double every second digit from the right, sum the digits of everything."""
    digits = [int(c) for c in number][::-1]
    total = sum(d if i % 2 == 0 else sum(int(x) for x in str(2 * d)) for i, d in enumerate(digits))
    return total % 10 == 0


def test_luhn_matches_its_definition():
    rng = random.Random(3)
    numbers = ["".join(rng.choice("0123456789") for _ in range(rng.randint(12, 19))) for _ in range(2000)]
    assert all(luhn_valid(n) == _luhn_reference(n) for n in numbers)
    assert sum(luhn_valid(n) for n in numbers) in range(150, 250)  # one in ten passes by chance


def _redact_reference(text, spans, placeholders):
    """Character by character: copy, or at a span's start emit its placeholder and skip to its end."""
    starts = {s.start: s for s in spans}
    out, moved, i = [], [], 0
    while i < len(text):
        span = starts.get(i)
        if span is None:
            out.append(text[i])
            i += 1
            continue
        at = len(out)
        out.extend(placeholders[span.kind])
        moved.append(Span(at, len(out), span.kind))
        i = span.end
    return "".join(out), moved


def test_redaction_offsets_match_a_brute_force_reference():
    rng = random.Random(7)
    alphabet = "ab é😀\n漢字-@.+0123456789"
    placeholders = {"email": "<EMAIL>", "ipv4": "<IP>", "ipv6": "[v6]", "phone": "☎", "payment_card": "<CARD NUMBER>"}
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        cuts = sorted(rng.sample(range(len(text) + 1), k=min(len(text) + 1, 2 * rng.randint(0, 5))))
        spans = [Span(a, b, rng.choice(KINDS)) for a, b in zip(cuts[::2], cuts[1::2]) if b > a]
        got = redact(text, spans, placeholders)
        assert got == _redact_reference(text, spans, placeholders)
        out, moved = got
        assert all(out[s.start:s.end] == placeholders[s.kind] for s in moved)


def _step(**overrides):
    cfg = PiiConfig(**overrides)
    return PiiStep(cfg, PiiStep.prepare(cfg, None))


TEXT = "Call +49 30 901820 or write to lena.fischer@posteo.de; server 8.8.8.8, card 4111 1111 1111 1111."


def test_flag_mode_keeps_the_text_and_points_into_it():
    step = _step()
    out, audit, counts = step.document(TEXT, "https://www.verein.de/")
    assert out is TEXT
    assert [(a["kind"], out[a["start"]:a["end"]]) for a in audit] == [
        ("phone", "+49 30 901820"), ("email", "lena.fischer@posteo.de"), ("ipv4", "8.8.8.8"),
        ("payment_card", "4111 1111 1111 1111")]
    assert counts == {"docs": 1, "spans_email": 1, "spans_payment_card": 1, "spans_ipv6": 0, "spans_ipv4": 1,
                      "spans_phone": 1, "chars_redacted": 0}


def test_redact_mode_replaces_every_span_and_points_at_the_placeholders():
    step = _step(mode="redact", email={"placeholder": "[mail]"})
    out, audit, counts = step.document(TEXT, "https://www.verein.de/")
    assert out == "Call <PHONE> or write to [mail]; server <IPV4>, card <PAYMENT_CARD>."
    assert [out[a["start"]:a["end"]] for a in audit] == ["<PHONE>", "[mail]", "<IPV4>", "<PAYMENT_CARD>"]
    assert counts["chars_redacted"] == len("+49 30 901820lena.fischer@posteo.de8.8.8.84111 1111 1111 1111")
    flagged = _step().document(TEXT, "https://www.verein.de/")[1]
    assert [a["hash"] for a in audit] == [a["hash"] for a in flagged]  # hashes are of the originals


def test_audit_hashes_are_keyed_and_never_the_original():
    _, audit, _ = _step().document(TEXT, None)
    originals = {TEXT[a["start"]:a["end"]] for a in audit}
    for a in audit:
        assert len(a["hash"]) == 16 and all(o not in a["hash"] for o in originals)
        assert a["hash"] == span_hash(b"corpussieve-pii", TEXT[a["start"]:a["end"]])
    other = _step(hash_key="another key", hash_chars=24).document(TEXT, None)[1]
    assert all(len(b["hash"]) == 24 and b["hash"][:16] != a["hash"] for a, b in zip(audit, other))


def test_hash_key_from_the_environment(monkeypatch):
    monkeypatch.setenv("PII_TEST_KEY", "s3cret")
    cfg = PiiConfig(hash_key_env="PII_TEST_KEY")
    assert PiiStep.prepare(cfg, None) == b"s3cret"
    monkeypatch.delenv("PII_TEST_KEY")
    with pytest.raises(ConfigError, match="PII_TEST_KEY"):
        PiiStep.prepare(cfg, None)


def test_apply_is_aligned_with_its_rows_and_never_rejects():
    step = _step(mode="redact")
    rows = StepRows(["a", "b", "c"], ["https://x.de/", None, None], [TEXT, "nothing here", "mail bob@gmx.net"])
    result = step.apply(rows)
    assert result.texts[1] == "nothing here" and result.texts[2] == "mail <EMAIL>"
    assert result.reasons == [[], [], []]
    assert [len(a) for a in result.columns["pii"]] == [4, 0, 1]
    assert result.counters["docs"] == [1, 0, 1] and result.counters["spans_email"] == [1, 0, 1]


def _snippets(cases):
    return [c.text for c in cases] + ["The bill was 1 250 000 euros.", "Room 1204, floor 12.", "Seats: 30 901 820."]


def test_the_phone_prefilter_finds_what_the_matcher_finds_on_whole_texts(cases):
    """The windows around cheap candidates lose nothing: the matcher over each whole text (with the same
    context rules) finds the same numbers, on texts made of many snippets (windows merge and split).
    Without a region the matcher itself accepts only '+' numbers, as the candidates do."""
    rng = random.Random(5)
    snippets = _snippets(cases)
    for region in ("DE", "GB", "US", "FR", None):
        for _ in range(40):
            text = " ".join(rng.sample(snippets, k=12))
            found = [(s.start, s.end) for s in pii._phones(text, region)]
            reference = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(
                text, region, leniency=phonenumbers.Leniency.VALID)
                if not pii._after_id_word(text, m.start) and not pii._money(text, m.start, m.end)
                and not re.search(r"\d[.,]$", text[:m.start])]  # the decimals of a number are not a phone
            assert found == reference, (region, text)
