"""Copy two days of real arXiv listings into the sample corpus (run once, commit it).

    .venv/bin/python -m ingestion.sample.arxiv_build /path/to/corpus/feeds/arxiv

Each arXiv announcement day becomes the paper feeds of one sample snapshot
(ARXIV_DAYS), so the demo's two days hold two consecutive listings. The feeds are kept
as arXiv wrote them, gzip-compressed: their links name arxiv.org, and no page of a
paper is ever fetched (its abstract is its text).
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

from ingestion.sample import ARXIV_DAYS, DATA_DIR, PAPER_FEEDS


def build(source_dir: Path, out_dir: Path = DATA_DIR) -> int:
    copied = 0
    for snapshot, day in ARXIV_DAYS.items():
        target = out_dir / "papers" / snapshot
        target.mkdir(parents=True, exist_ok=True)
        for feed in PAPER_FEEDS:
            category = feed.file.removeprefix("arxiv_").replace("_", ".")
            data = (source_dir / day / f"{category}.xml").read_bytes()
            (target / f"{feed.file}.xml.gz").write_bytes(gzip.compress(data, mtime=0))
            copied += 1
    return copied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("source", type=Path, help="the arXiv corpus directory")
    print(build(parser.parse_args().source), "feeds copied")


if __name__ == "__main__":
    main()
