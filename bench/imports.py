"""CSV import benchmark: 100,000 subscriber rows into a fresh database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python -m bench.imports [--rows N]

With a PostgreSQL DATABASE_URL the benchmark creates its own database NAME_bench_imports
next to NAME (dropped and created again each run, dropped at the end); without one it
uses a throwaway SQLite file. The generated file is mostly consented rows with a mix of
categories (slugs and names) and languages, 2% pending, and a few invalid rows. With
--invite the pending rows' confirmation emails are queued after the commit on a Redis broker
(BENCH_BROKER_URL, default redis://127.0.0.1:6379/13, emptied before and after), as in
production where a worker sends them; BENCH_BROKER_URL=none sends them inline to the
in-memory backend instead; without it the import must send nothing. The import runs
the way the admin runs it (a stored SubscriberImport, its preview, then applying that
preview; the time is both), twice: the second run must change nothing.
"""

import argparse
import os
import random
import resource
import secrets
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from newsletter.defaults import DEFAULT_CATEGORIES

IN_DIGEST = [c for c in DEFAULT_CATEGORIES if c.get("in_digest", True)]


def _fresh_database(database_url: str) -> str:
    """A new, empty PostgreSQL database beside the one named; returns its URL."""
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/") + "_bench_imports"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def _drop_database(database_url: str) -> None:
    import psycopg

    parts = urlsplit(database_url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def _empty_broker(broker_url: str) -> None:
    if broker_url:
        import redis

        redis.Redis.from_url(broker_url).flushdb()


def _queued(broker_url: str) -> int:
    import redis

    return redis.Redis.from_url(broker_url).llen("celery") if broker_url else 0


def _setup_django(workdir: str, database_url: str, broker_url: str) -> None:
    os.environ["VAR_DIR"] = workdir
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{workdir}/bench.sqlite3"
    # A DATABASE_URL makes the settings expect a deployment's own key; the bench's
    # throwaway database needs only some key.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "ESP", "EMAIL_URL"):
        os.environ.pop(name, None)
    if broker_url:
        os.environ["CELERY_BROKER_URL"] = broker_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_defaults", verbosity=0)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _category_cell(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.4:
        return ""  # every category
    picked = rng.sample(IN_DIGEST, k=1 if roll < 0.75 else rng.randint(2, 3))
    # Editors' sheets name categories either way.
    return "|".join(c["slug"] if rng.random() < 0.7 else c["name"] for c in picked)


def write_file(path: Path, rows: int) -> dict[str, int]:
    """Write the benchmark CSV; returns how many rows of each kind it holds."""
    rng = random.Random(20261202)
    kinds = {"consented": 0, "pending": 0, "invalid": 0}
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        out.write("email,categories,language,consented,source\n")
        for n in range(rows):
            roll = rng.random()
            if roll < 0.005:
                email, kinds["invalid"] = (
                    f"broken-{n}.example.com",
                    kinds["invalid"] + 1,
                )
            else:
                email = f"reader.{n}@example{n % 97}.com"
            consented = (
                "no" if 0.005 <= roll < 0.025 else rng.choice(["yes", "1", "예"])
            )
            if email.startswith("reader"):
                kinds["pending" if consented == "no" else "consented"] += 1
            language = rng.choices(["ko", "en", ""], weights=[70, 25, 5])[0]
            out.write(
                f"{email},{_category_cell(rng)},{language},{consented},sheet-{n % 7}\n"
            )
    return kinds


def _timed_import(path: Path, invite: bool = False) -> tuple[float, float, dict]:
    """Wall and CPU seconds (this process; PostgreSQL's work is in wall only)."""
    from subscribers import import_runs

    started, cpu = time.perf_counter(), time.process_time()
    job = import_runs.create_import(path.read_bytes(), file_name=path.name)
    job = import_runs.preview_then_apply(job, invite=invite)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if job.error:
        raise SystemExit(f"import failed: {job.error}")
    return seconds, cpu, job.report


def _print_run(label: str, rows: int, timing: tuple[float, float], report: dict):
    seconds, cpu = timing
    print(
        f"{label}: {seconds:6.1f} s (cpu {cpu:5.1f} s)  {rows / seconds:7,.0f} rows/s  "
        f"created {report['created']:,}  updated {report['updated']:,}  "
        f"unchanged {report['unchanged']:,}  held {report['held']:,}  "
        f"rejected {report['rejected']:,}  invited {report['invited']:,}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--invite", action="store_true", help="invite the pending rows (first run)"
    )
    args = parser.parse_args(argv)

    given = os.environ.get("DATABASE_URL", "")
    database_url = _fresh_database(given) if given.startswith("postgres") else ""
    broker_url = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13")
    broker_url = "" if broker_url == "none" else broker_url
    _empty_broker(broker_url)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-imports-") as workdir:
            path = Path(workdir) / "subscribers.csv"
            kinds = write_file(path, args.rows)
            size_mb = path.stat().st_size / 1e6
            print(f"{args.rows:,} rows, {size_mb:.1f} MB: {kinds}", flush=True)
            _setup_django(workdir, database_url, broker_url)
            from django.core import mail
            from django.db import connection

            print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
            seconds, cpu, report = _timed_import(path, invite=args.invite)
            _print_run("first import ", args.rows, (seconds, cpu), report)
            emails = len(getattr(mail, "outbox", [])) + _queued(broker_url)
            if emails and not args.invite:
                raise SystemExit("the import sent emails nobody asked for")
            *again, report2 = _timed_import(path)
            _print_run("second import", args.rows, tuple(again), report2)
            if report2["created"] or report2["updated"]:
                raise SystemExit("the second import changed something")
            if len(getattr(mail, "outbox", [])) + _queued(broker_url) != emails:
                raise SystemExit("the second import sent emails")
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            where = "queued on " + broker_url if broker_url else "sent inline"
            print(
                f"confirmation emails {where}: {emails:,}   peak RSS {peak_mb:.0f} MB"
            )
            target = "met" if seconds < 60 else "MISSED"
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"target: first import under 60 s: {target} (load average {load})")
            connection.close()
    finally:
        _empty_broker(broker_url)
        if database_url:
            _drop_database(database_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
