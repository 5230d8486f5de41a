"""Connected components against a union-find reference, on random graphs, a chain and a 100k star."""

import logging
import random

import pytest

from corpussieve.graph import connected_components

pytestmark = pytest.mark.spark


def _reference(edges):
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    nodes = {n for e in edges for n in e}
    groups = {}
    for n in nodes:
        groups.setdefault(find(n), []).append(n)
    return {n: min(g) for g in groups.values() for n in g}


def _run(spark, edges, local_max_edges=0):
    df = spark.createDataFrame(edges, "src long, dst long")
    return {r["node"]: r["component"] for r in connected_components(df, local_max_edges=local_max_edges).collect()}


@pytest.mark.parametrize("local_max_edges", [0, 10_000], ids=["distributed", "driver"])
def test_random_graphs_match_union_find(spark, local_max_edges):
    rng = random.Random(5)
    edges = [(rng.randrange(3000), rng.randrange(3000)) for _ in range(2500)]
    edges += [(10**12 + i, 10**12 + i + 1) for i in range(50)]
    edges += [(-(2**63) + 5, 2**63 - 1), (2**63 - 1, -3)]  # signed 64-bit extremes: smallest is the most negative
    assert _run(spark, edges, local_max_edges) == _reference(edges)


def test_driver_path_is_used_only_up_to_the_limit(spark, caplog):
    edges = [(i, i + 1) for i in range(30)]
    df = spark.createDataFrame(edges, "src long, dst long")
    for limit, in_driver in ((29, False), (30, True)):
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="corpussieve.graph"):
            result = {r["node"]: r["component"] for r in connected_components(df, local_max_edges=limit).collect()}
        assert result == {i: 0 for i in range(31)}
        assert any("solved in the driver" in m for m in caplog.messages) == in_driver


def test_long_chain_in_shuffled_order_is_one_component(spark):
    order = list(range(20_000))
    random.Random(1).shuffle(order)
    edges = [(order[i], order[i + 1]) for i in range(len(order) - 1)]
    result = _run(spark, edges)
    assert len(result) == 20_000 and set(result.values()) == {0}


@pytest.mark.slow
def test_component_of_100k_documents(spark):
    n = 100_000
    rng = random.Random(2)
    # a star around a hub plus a random chain through the leaves: one component of 100k nodes
    edges = [(7, i) for i in range(0, n, 2)] + [(i, i + 1) for i in range(0, n - 1, 2)]
    rng.shuffle(edges)
    edges += [(n + 10 + i, n + 11 + i) for i in range(100)]
    result = _run(spark, edges)
    assert sum(1 for v in result.values() if v == 0) == n
    assert result[n + 110] == n + 10
