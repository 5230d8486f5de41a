"""The sample corpus generator: deterministic, the promised mix, and near-duplicates of known strength."""

import gzip
import json
import re

from corpussieve.sample.corpus import CorpusGenerator, CorpusSpec
from corpussieve.sample.writers import write_corpus


def _shingles(text, n=5):
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1))}


def _jaccard(a, b):
    sa, sb = _shingles(a), _shingles(b)
    return len(sa & sb) / len(sa | sb)


def test_same_seed_same_corpus_and_shards_do_not_matter(tmp_path):
    spec = CorpusSpec(docs=120, seed=3)
    one = write_corpus(spec, str(tmp_path / "one"), shards=1, workers=1)
    three = write_corpus(spec, str(tmp_path / "three"), shards=3, workers=2)
    assert one["docs"] == three["docs"] == 120

    def lines(folder):
        out = []
        for path in sorted((tmp_path / folder).glob("*.jsonl.gz")):
            out += gzip.open(path, "rt").read().splitlines()
        return out

    assert lines("one") == lines("three")
    other = CorpusGenerator(CorpusSpec(docs=120, seed=4)).record(5)
    assert other["text"] != json.loads(lines("one")[5])["text"]


def test_mix_and_ground_truth():
    spec = CorpusSpec(docs=3000, seed=11)
    gen = CorpusGenerator(spec)
    records = [gen.record(i) for i in range(spec.docs)]
    kinds = {}
    for r in records:
        kinds[r["gen_kind"]] = kinds.get(r["gen_kind"], 0) + 1
    assert 0.02 < kinds["exact_duplicate"] / spec.docs < 0.06
    assert 0.07 < kinds["near_duplicate"] / spec.docs < 0.13
    assert 0.03 < kinds["junk"] / spec.docs < 0.07
    by_id = {r["id"]: r for r in records}
    exact = [r for r in records if r["gen_kind"] == "exact_duplicate"]
    assert all(r["text"] == by_id[r["gen_dup_of"]]["text"] for r in exact)
    assert all(by_id[r["gen_dup_of"]]["gen_kind"] == "article" for r in exact)
    edits = [r for r in records if r["gen_edit"] == "edit"]
    light = [_jaccard(r["text"], by_id[r["gen_dup_of"]]["text"]) for r in edits if r["gen_edit_rate"] < 0.01]
    heavy = [_jaccard(r["text"], by_id[r["gen_dup_of"]]["text"]) for r in edits if r["gen_edit_rate"] > 0.06]
    assert light and heavy and min(light) > 0.8
    # Site boilerplate is shared text, so short pages stay similar even when heavily edited: compare means.
    assert sum(heavy) / len(heavy) < sum(light) / len(light) - 0.15
    spans = [r["gen_span"] for r in records if r["gen_span"] is not None]
    assert len(spans) > 100 and spans.count(0) > spans.count(spec.span_pool - 1)
    assert {r["gen_junk_kind"] for r in records if r["gen_kind"] == "junk"} and all(
        r["html"] and r["text"] for r in records)


def test_pages_carry_site_boilerplate_in_html_and_text():
    gen = CorpusGenerator(CorpusSpec(docs=50, seed=1))
    record = next(r for r in (gen.record(i) for i in range(50)) if r["gen_kind"] == "article")
    assert "All rights reserved." in record["text"] and "cookie" in record["text"].lower()
    assert "<nav" in record["html"] and "<footer" in record["html"] and "<article>" in record["html"]
    assert record["url"].startswith("https://")


def test_plants_are_known_exactly_and_leave_other_documents_unchanged(tmp_path):
    import phonenumbers

    from corpussieve.sample import plants

    spec = CorpusSpec(docs=600, seed=11, contaminated_fraction=0.04, pii_fraction=0.05, blocked_fraction=0.03,
                      benchmark_items=50)
    plain = CorpusGenerator(CorpusSpec(docs=600, seed=11))
    gen = CorpusGenerator(spec)
    bench = plants.write_benchmark(spec.seed, spec.benchmark_items, str(tmp_path / "bench.jsonl"))
    items = {json.loads(line)["id"]: json.loads(line) for line in open(bench["path"])}
    assert len(items) == 50
    domains = plants.blocked_domains(spec.seed)
    planted = {"gen_contaminated": 0, "gen_pii": 0, "gen_blocked": 0}
    for i in range(spec.docs):
        r, base = gen.record(i), plain.record(i)
        marks = [k for k in planted if r[k] is not None]
        assert len(marks) <= 1
        if not marks:
            assert {k: v for k, v in r.items() if k not in planted} == {k: v for k, v in base.items() if k not in planted}
            continue
        assert r["gen_kind"] == "article"
        planted[marks[0]] += 1
        if r["gen_contaminated"]:
            item = items[r["gen_contaminated"]]
            assert plants.contaminated_paragraph(item) in r["text"]
            assert len((item["question"] + " " + item["answer"]).split()) >= 25
        elif r["gen_pii"]:
            for found in json.loads(r["gen_pii"]):
                assert found["value"] in r["text"] and found["value"] in r["html"]
                if found["kind"] == "phone":
                    assert phonenumbers.is_valid_number(phonenumbers.parse(found["value"]))
                if found["kind"] == "payment_card":
                    digits = found["value"].replace(" ", "")
                    assert plants.luhn_digit(digits[:-1]) == int(digits[-1])
        else:
            host = r["url"].split("/")[2]
            assert r["gen_blocked"] in domains and host == f"www.{r['gen_blocked']}"
            assert r["text"] == base["text"]
    assert all(n >= 5 for n in planted.values()), planted
    listed = plants.write_blocklist(domains, str(tmp_path / "block.txt"))
    lines = [line.strip() for line in open(listed["path"]) if not line.startswith("#")]
    assert lines == domains


def test_luhn_digit_against_known_numbers():
    from corpussieve.sample.plants import luhn_digit

    # published test numbers: Visa 4111 1111 1111 1111, Mastercard 5555 5555 5555 4444, Amex 3782 822463 10005
    for number in ("4111111111111111", "5555555555554444", "378282246310005", "79927398713"):
        assert luhn_digit(number[:-1]) == int(number[-1])
    assert luhn_digit("411111111111111") != 2
