"""Telling the same story apart from a new one: URL, exact text, near-duplicate text."""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from datasketch import MinHash

# datasketch pulls in numpy and scipy (~75 MB resident). Only ingestion needs it, so it
# is imported on first use: web and email processes, which import this module through
# the admin, never pay for it.

# Query parameters that only say where a click came from.
TRACKING_PARAMS = {
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "twclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "ref_src",
    "ref_url",
    "cmpid",
    "ncid",
    "_ga",
    "_gl",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "wt.mc_id",
}
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmb_")

SHINGLE_WORDS = 3
NUM_PERM = 128
# Near-duplicate: at least this share of the shorter text's shingles also occurs in the
# other (Feedly merges above 85 %). Press releases of the same vendor share boilerplate
# and land around 0.6-0.7, real copies above 0.85.
CONTAINMENT_THRESHOLD = 0.8
# Jaccard level at which LSH proposes candidates; containment then decides.
LSH_THRESHOLD = 0.3
# "Comments on Hacker News"-style stubs and teasers never count as duplicates.
MIN_WORDS = 60

_WORD = re.compile(r"\w+")


def canonicalize_url(url: str) -> str:
    """Lower-case scheme and host, no default port, fragment or tracking parameters."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port and (scheme, port) not in {("http", 80), ("https", 443)}:
        host = f"{host}:{port}"
    if parts.username:
        host = f"{parts.username}@{host}"
    query = urlencode(
        [
            (key, value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
            if not _is_tracking(key)
        ],
        doseq=True,
    )
    return urlunsplit((scheme, host, parts.path or "/", query, ""))


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def content_hash(text: str) -> str:
    """Same words in the same order, same hash, whatever the markup or spacing."""
    normalized = " ".join(words(text))
    if not normalized:
        return ""
    return hashlib.sha256(normalized.encode()).hexdigest()


def shingles(text: str) -> set[str]:
    tokens = words(text)
    if len(tokens) < MIN_WORDS:
        return set()
    return {
        " ".join(tokens[i : i + SHINGLE_WORDS])
        for i in range(len(tokens) - SHINGLE_WORDS + 1)
    }


def _crc32(data: bytes) -> int:
    # Signatures live only in memory during one run: a fast, stable 32-bit hash will do.
    return zlib.crc32(data)


def minhash(shingle_set: set[str]) -> MinHash:
    from datasketch import MinHash  # on first use, see the note on the imports

    signature = MinHash(num_perm=NUM_PERM, hashfunc=_crc32)
    signature.update_batch([s.encode() for s in shingle_set])
    return signature


def containment(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


class NearDuplicateIndex:
    """Known originals, queried for a text that mostly repeats one of them.

    LSH proposes candidates cheaply; the exact shingle containment decides, so two
    announcements that share a template are not merged.
    """

    def __init__(self) -> None:
        from datasketch import MinHashLSH  # on first use, see the note on the imports

        self._lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
        self._shingles: dict[int, set[str]] = {}

    def add(self, key: int, text: str) -> None:
        shingle_set = shingles(text)
        if not shingle_set or key in self._shingles:
            return
        self._shingles[key] = shingle_set
        self._lsh.insert(key, minhash(shingle_set))

    def add_many(self, items: Iterable[tuple[int, str]]) -> None:
        for key, text in items:
            self.add(key, text)

    def find(self, text: str, *, exclude: int | None = None) -> int | None:
        """The key of the earliest known original this text duplicates, or None."""
        shingle_set = shingles(text)
        if not shingle_set:
            return None
        return self._match(shingle_set, minhash(shingle_set), exclude=exclude)

    def find_or_add(self, key: int, text: str) -> int | None:
        """Like find(); when nothing matches, the text joins the index as original."""
        shingle_set = shingles(text)
        if not shingle_set:
            return None
        signature = minhash(shingle_set)
        match = self._match(shingle_set, signature, exclude=key)
        if match is None and key not in self._shingles:
            self._shingles[key] = shingle_set
            self._lsh.insert(key, signature)
        return match

    def _match(self, shingle_set: set[str], signature: MinHash, *, exclude: int | None):
        matches = [
            key
            for key in self._lsh.query(signature)
            if key != exclude
            and containment(shingle_set, self._shingles[key]) >= CONTAINMENT_THRESHOLD
        ]
        return min(matches) if matches else None
