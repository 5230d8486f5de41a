"""An independent reader of the Megatron indexed-dataset format, written from its description (struct and
numpy; nothing of corpussieve.format), and small helpers for the format tests."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

# The .idx dtype codes of Megatron-LM's DType enum.
CODES = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64, 6: np.float64, 7: np.float32, 8: np.uint16}


def read_megatron(prefix: str | Path) -> tuple[np.dtype, list[np.ndarray]]:
    """The token type and every document of ``PREFIX.idx`` / ``PREFIX.bin``, checking the header on the way."""
    idx = Path(f"{prefix}.idx").read_bytes()
    assert idx[:9] == b"MMIDIDX\x00\x00", idx[:9]
    (version,) = struct.unpack_from("<Q", idx, 9)
    assert version == 1
    (code,) = struct.unpack_from("<B", idx, 17)
    sequences, documents = struct.unpack_from("<QQ", idx, 18)
    at = 34
    lengths = np.frombuffer(idx, dtype="<i4", count=sequences, offset=at)
    at += 4 * sequences
    pointers = np.frombuffer(idx, dtype="<i8", count=sequences, offset=at)
    at += 8 * sequences
    doc_index = np.frombuffer(idx, dtype="<i8", count=documents, offset=at)
    at += 8 * documents
    assert at == len(idx), "nothing after the document indices"
    dtype = np.dtype(CODES[code]).newbyteorder("<")
    data = np.frombuffer(Path(f"{prefix}.bin").read_bytes(), dtype=dtype)
    assert doc_index[0] == 0 and doc_index[-1] == sequences
    out = []
    for d in range(documents - 1):
        tokens = [data[pointers[s] // dtype.itemsize: pointers[s] // dtype.itemsize + lengths[s]]
                  for s in range(doc_index[d], doc_index[d + 1])]
        out.append(np.concatenate(tokens) if tokens else np.zeros(0, dtype=dtype))
    assert sum(int(x) for x in lengths) * dtype.itemsize == data.nbytes, "the .bin holds exactly the sequences"
    return dtype, out


@pytest.fixture
def megatron_reader():
    return read_megatron
