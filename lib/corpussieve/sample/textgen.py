"""English-like sentences, paragraphs and titles from the lexicon, deterministic from a random.Random."""

from __future__ import annotations

import random

from corpussieve.sample.lexicon import ADJECTIVES, ADVERBS, IRREGULAR_PAST, NOUNS, PEOPLE, PLACES, VERBS


def plural(noun: str) -> str:
    if noun.endswith(("s", "sh", "ch", "x")):
        return noun + "es"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def past(verb: str) -> str:
    if verb in IRREGULAR_PAST:
        return IRREGULAR_PAST[verb]
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    return verb + "ed"


def third(verb: str) -> str:
    if verb.endswith(("s", "sh", "ch", "x", "o")):
        return verb + "es"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def _a(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


class SentenceMaker:
    """Fills a dozen sentence templates; every call draws fresh words, so sentences rarely repeat."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def _n(self) -> str:
        return self.rng.choice(NOUNS)

    def _adj(self) -> str:
        return self.rng.choice(ADJECTIVES)

    def _v(self) -> str:
        return self.rng.choice(VERBS)

    def _adv(self) -> str:
        return self.rng.choice(ADVERBS)

    def _place(self) -> str:
        return self.rng.choice(PLACES)

    def _person(self) -> str:
        return self.rng.choice(PEOPLE)

    def sentence(self) -> str:
        r = self.rng.randrange(12)
        n, adj, v = self._n, self._adj, self._v
        if r == 0:
            s = f"The {adj()} {n()} {past(v())} the {n()} of {_a(adj())} {n()} in {self._place()}."
        elif r == 1:
            s = f"According to {self._person()}, the {n()} will {v()} {plural(n())} that {v()} the {adj()} {n()}."
        elif r == 2:
            s = (f"Many {plural(n())} {self._adv()} {v()} {_a(adj())} {n()}, but the {n()} {past(v())} "
                 f"{_a(adj())} {n()} instead.")
        elif r == 3:
            s = f"In {self.rng.randrange(1950, 2025)}, the {n()} of {self._place()} {past(v())} {_a(adj())} {n()}."
        elif r == 4:
            s = f"{self._person()} {past(v())} that the {n()} had {self._adv()} {past(v())} the {adj()} {plural(n())}."
        elif r == 5:
            s = (f"This {n()} is {_a(adj())} {n()} for {plural(n())} who {v()} {_a(n())} and "
                 f"{v()} the {adj()} {n()}.")
        elif r == 6:
            s = (f"The {plural(n())} {past(v())} {self.rng.randrange(2, 980)} {plural(n())} with "
                 f"{_a(adj())} {n()} and {_a(adj())} {n()}.")
        elif r == 7:
            s = f"When the {n()} {third(v())} {_a(n())}, {plural(n())} {self._adv()} {v()} the {n()}."
        elif r == 8:
            s = f"It was {_a(adj())} {n()}, and the {n()} in {self._place()} {past(v())} it {self._adv()}."
        elif r == 9:
            s = (f"Officials {past(v())} the {adj()} {n()} on {self.rng.choice(DAYS)}, saying that {plural(n())} "
                 f"should {v()} {_a(adj())} {n()}.")
        elif r == 10:
            s = f"Why would {_a(n())} {v()} the {adj()} {plural(n())} of {self._place()}?"
        else:
            s = (f"Several {adj()} {plural(n())} {past(v())} by the {n()}, which "
                 f"{third(v())} the {n()} and the {adj()} {n()}.")
        return s[0].upper() + s[1:]

    def paragraph(self, sentences: int) -> str:
        return " ".join(self.sentence() for _ in range(sentences))

    def title(self) -> str:
        n, adj, v = self._n, self._adj, self._v
        r = self.rng.randrange(4)
        if r == 0:
            t = f"{adj()} {n()} {third(v())} {plural(n())} in {self._place()}"
        elif r == 1:
            t = f"How the {n()} {past(v())} {_a(adj())} {n()}"
        elif r == 2:
            t = f"{self._place()} {n()} to {v()} {adj()} {plural(n())}"
        else:
            t = f"Why {plural(n())} {v()} the {adj()} {n()}"
        return t[0].upper() + t[1:]

    def word(self) -> str:
        pick = self.rng.randrange(4)
        return (self._n, self._adj, self._v, self._adv)[pick]()


DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
