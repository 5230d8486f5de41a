import random
from collections.abc import Callable

import pytest

from corpussieve.dedup import DedupConfig


@pytest.fixture(scope="session")
def config() -> DedupConfig:
    return DedupConfig()


@pytest.fixture(scope="session")
def vocab() -> list[str]:
    rng = random.Random(1234)
    return ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 9))) for _ in range(5000)]


@pytest.fixture()
def make_doc(vocab: list[str]) -> Callable[[random.Random, int], str]:
    def make(rng: random.Random, n_words: int) -> str:
        return " ".join(rng.choice(vocab) for _ in range(n_words))

    return make
