"""What the sample generator can plant in articles for the decontamination, PII and URL-blocklist steps,
each known exactly.

* **Benchmark items**: a synthetic evaluation set (``benchmark_items``: question and answer, ids
  ``synth-0000``...) written as JSON Lines by ``write_benchmark``; a contaminated article quotes one item's
  question and answer verbatim as a paragraph (``gen_contaminated``: the item id).
* **PII**: a contact paragraph with one to four of an email address, a phone number in international form
  (validated with ``phonenumbers``), a public IPv4 or IPv6 address and a Luhn-valid card number
  (``gen_pii``: a JSON list of ``{"kind", "value"}``).
* **Blocked domains**: the article is served from a host under one of ``blocked_domains`` (a subdomain of
  a listed domain, so the list's subdomain matching is what blocks it); ``write_blocklist`` writes the list
  (``gen_blocked``: the listed domain).

Every choice is drawn from ``random.Random`` seeded by (seed, index), like the rest of the generator, so a
document's plants do not depend on the shard that writes it. Items and paragraphs come from their own
seeds, so planting never changes the article text around them.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

from corpussieve.sample.textgen import SentenceMaker

#: mail providers of the planted addresses (real-looking, never the reserved example.* or .test names that
#: a PII detector must leave alone)
MAIL_HOSTS = ("mailbox.net", "post-office.org", "inboxmail.com", "fastpost.co.uk", "briefkasten.de")
FIRST_NAMES = ("anna", "james", "lena", "omar", "mei", "pablo", "sara", "tom", "yusuf", "zoe")
LAST_NAMES = ("berg", "costa", "dubois", "evans", "fischer", "garcia", "hansen", "ito", "kowalski", "nguyen")
#: (country code, area/prefix, subscriber digits) of numbers ``phonenumbers`` validates; the subscriber
#: part is drawn, then the number checked and redrawn if invalid
PHONE_PLANS = (("44", "20 7946", 4), ("1", "415 555", 4), ("1", "212 555", 4), ("49", "30 9018", 4),
               ("33", "1 42 68", 4), ("61", "2 9374", 4))
PII_KINDS = ("email", "phone", "ipv4", "ipv6", "payment_card")


def benchmark_item(seed: int, k: int) -> dict[str, str]:
    """Item ``k`` of the synthetic evaluation set: a question of three sentences and a one-sentence answer
    (at least ~30 words together, well over a 13-gram)."""
    maker = SentenceMaker(random.Random(f"benchmark:{seed}:{k}"))
    return {"id": f"synth-{k:04d}", "question": maker.paragraph(3), "answer": maker.sentence()}


def write_benchmark(seed: int, items: int, path: str) -> dict[str, Any]:
    """Write the synthetic evaluation set as JSON Lines (``id``, ``question``, ``answer``)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for k in range(items):
            out.write(json.dumps(benchmark_item(seed, k)) + "\n")
    return {"path": path, "items": items}


def contaminated_paragraph(item: dict[str, str]) -> str:
    return f"{item['question']} {item['answer']}"


def luhn_digit(digits: str) -> int:
    """The check digit that makes ``digits`` + it pass the Luhn test."""
    total = 0
    for pos, ch in enumerate(reversed(digits)):
        d = int(ch)
        if pos % 2 == 0:  # doubled: these become the odd positions once the check digit is appended
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return (10 - total % 10) % 10


def _phone(rng: random.Random) -> str:
    import phonenumbers

    for _ in range(100):
        cc, prefix, digits = rng.choice(PHONE_PLANS)
        number = f"+{cc} {prefix} {rng.randrange(10 ** (digits - 1), 10 ** digits)}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number
    raise RuntimeError("no valid phone number drawn in 100 tries")


def pii_value(kind: str, rng: random.Random) -> str:
    if kind == "email":
        return f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}{rng.randrange(10, 99)}@{rng.choice(MAIL_HOSTS)}"
    if kind == "phone":
        return _phone(rng)
    if kind == "ipv4":
        # public unicast: first octets outside 0, 10, 100.64/10, 127, 169.254, 172.16/12, 192.168, 198.18/15,
        # the documentation nets and 224+
        return f"{rng.choice((23, 45, 62, 81, 93, 104, 151, 185, 212))}.{rng.randrange(256)}.{rng.randrange(256)}." \
               f"{rng.randrange(1, 255)}"
    if kind == "ipv6":
        return f"2a02:{rng.randrange(0x100, 0xffff):x}:{rng.randrange(0x100, 0xffff):x}::{rng.randrange(1, 0xffff):x}"
    if kind == "payment_card":
        body = "4" + "".join(str(rng.randrange(10)) for _ in range(14))
        number = body + str(luhn_digit(body))
        return " ".join(number[i:i + 4] for i in range(0, 16, 4))
    raise ValueError(f"unknown PII kind {kind!r}")


def pii_paragraph(rng: random.Random) -> tuple[str, list[dict[str, str]]]:
    """A contact paragraph holding one to four PII values; returns the paragraph and what it holds."""
    kinds = sorted(rng.sample(PII_KINDS, rng.randrange(1, 5)), key=PII_KINDS.index)
    values = {kind: pii_value(kind, rng) for kind in kinds}
    parts = []
    if "email" in values and "phone" in values:
        parts.append(f"Readers can reach the desk at {values['email']} or by phone on {values['phone']}.")
    elif "email" in values:
        parts.append(f"Readers can reach the desk at {values['email']}.")
    elif "phone" in values:
        parts.append(f"Readers can call the desk on {values['phone']}.")
    addresses = [values[k] for k in ("ipv4", "ipv6") if k in values]
    if addresses:
        parts.append(f"The leaked log showed requests from {' and '.join(addresses)} during the night.")
    if "payment_card" in values:
        parts.append(f"One order was paid with the card {values['payment_card']}, the complaint says.")
    return " ".join(parts), [{"kind": k, "value": values[k]} for k in kinds]


def blocked_domains(seed: int, count: int = 3) -> list[str]:
    """The domains the sample blocklist lists (registered domains; pages are served from subdomains)."""
    rng = random.Random(f"blocked:{seed}")
    maker = SentenceMaker(rng)
    return [f"{maker.word()}-casino-{k}.bet" for k in range(count)]


def write_blocklist(domains: list[str], path: str) -> dict[str, Any]:
    """One domain per line, with a comment header (the common format; subdomains match)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        out.write("# corpussieve sample blocklist: gambling domains the generator serves pages from\n")
        out.writelines(f"{domain}\n" for domain in domains)
    return {"path": path, "domains": len(domains)}
