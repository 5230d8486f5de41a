"""Distributed connected components on DataFrames: the alternating large-star / small-star algorithm
(Kiveris et al., "Connected Components in MapReduce and Beyond", SoCC 2014).

It converges in O(log^2 n) rounds even on a chain, where label propagation needs O(n). Each round
is a few shuffles of the edge list; lineage is cut by checkpointing every round.

A few million edges fit easily in the driver, where a sparse-graph union (scipy) takes a second while
every distributed round costs several Spark jobs: ``local_max_edges`` chooses the driver path for such
graphs. Both paths name a component by its smallest node and give identical results.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger("corpussieve.graph")


def _neighbours(edges):
    """Both directions of every edge, without self loops or repeats."""
    from pyspark.sql import functions as F

    forward = edges.select(F.col("u"), F.col("v"))
    backward = edges.select(F.col("v").alias("u"), F.col("u").alias("v"))
    return forward.unionByName(backward).filter(F.col("u") != F.col("v")).distinct()


def _large_star(edges):
    """Every node hangs its larger neighbours onto the smallest node of its closed neighbourhood."""
    from pyspark.sql import functions as F

    nbr = _neighbours(edges)
    smallest = nbr.groupBy("u").agg(F.min("v").alias("m")).select(
        "u", F.least(F.col("u"), F.col("m")).alias("m"))
    return (nbr.filter(F.col("v") > F.col("u")).join(smallest, "u")
            .select(F.col("v").alias("u"), F.col("m").alias("v")).distinct())


def _small_star(edges):
    """Every node hangs itself and its smaller neighbours onto the smallest of them."""
    from pyspark.sql import functions as F

    nbr = _neighbours(edges).filter(F.col("v") < F.col("u"))
    smallest = nbr.groupBy("u").agg(F.min("v").alias("m"))
    linked = nbr.join(smallest, "u")
    moved = linked.filter(F.col("v") != F.col("m")).select(F.col("v").alias("u"), F.col("m").alias("v"))
    own = smallest.select(F.col("u"), F.col("m").alias("v"))
    return moved.unionByName(own).distinct()


def connected_components(
    edges,
    src: str = "src",
    dst: str = "dst",
    checkpoint: Callable | None = None,
    max_rounds: int = 200,
    local_max_edges: int = 0,
):
    """(node, component) for every node of ``edges``; a component is named by its smallest node.

    ``edges`` holds integer node ids in ``src`` and ``dst``. ``checkpoint`` cuts lineage each round
    (default: ``localCheckpoint``; pass a reliable ``DataFrame.checkpoint`` on clusters). Graphs of at
    most ``local_max_edges`` edges are solved in the driver.
    """
    from pyspark.sql import functions as F

    if local_max_edges > 0:
        pairs = edges.select(F.col(src).cast("long").alias("u"), F.col(dst).cast("long").alias("v"))
        small = pairs.limit(local_max_edges + 1).toArrow()
        if small.num_rows <= local_max_edges:
            log.debug("connected components: %d edges, solved in the driver", small.num_rows)
            labels = components_of_edge_arrays(small.column("u").to_numpy(), small.column("v").to_numpy())
            return edges.sparkSession.createDataFrame(labels)

    cut = checkpoint or (lambda df: df.localCheckpoint(eager=True))
    current = cut(edges.select(F.col(src).cast("long").alias("u"), F.col(dst).cast("long").alias("v"))
                  .filter(F.col("u") != F.col("v")).distinct())
    nodes = edges.select(F.col(src).cast("long").alias("node")).unionByName(
        edges.select(F.col(dst).cast("long").alias("node"))).distinct()
    for round_no in range(1, max_rounds + 1):
        after_large = cut(_large_star(current))
        after_small = cut(_small_star(after_large))
        changed = (after_small.join(current, ["u", "v"], "left_anti").limit(1).count()
                   + current.join(after_small, ["u", "v"], "left_anti").limit(1).count())
        current = after_small
        log.debug("connected components: round %d, %s", round_no, "changed" if changed else "stable")
        if not changed:
            break
    else:
        raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
    # After convergence every edge points a node at its component's smallest node.
    labels = current.groupBy("u").agg(F.min("v").alias("component"))
    return (nodes.join(labels, nodes["node"] == labels["u"], "left")
            .select("node", F.coalesce(F.least("component", "node"), F.col("node")).alias("component")))


def components_of_edge_arrays(u, v):
    """(node, component) of the graph with edges ``u[i] -- v[i]`` (int64 arrays), as an Arrow table;
    a component is named by its smallest node."""
    import numpy as np
    import pyarrow as pa
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components as scipy_components

    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    nodes, index = np.unique(np.concatenate([u, v]), return_inverse=True)
    n = nodes.size
    graph = coo_matrix((np.ones(u.size, dtype=np.int8), (index[: u.size], index[u.size :])), shape=(n, n))
    _, label = scipy_components(graph, directed=False)
    # nodes are sorted, so a component's smallest node is its smallest index
    smallest = np.full(label.max() + 1 if n else 0, n, dtype=np.int64)
    np.minimum.at(smallest, label, np.arange(n))
    return pa.table({"node": pa.array(nodes, pa.int64()), "component": pa.array(nodes[smallest[label]], pa.int64())})
