"""Web benchmark: one-click unsubscribe POSTs and the archive page under gunicorn.

    .venv/bin/python -m bench.web [--rounds 3] [--duration 10] [--threads 8]

Creates (or reuses) its own PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/bench_web), migrates and seeds it, starts gunicorn
with 2 workers (8 threads each, so concurrent unsubscribes share PostgreSQL's WAL
flush) on 127.0.0.1 with DEBUG off, and drives it from a second process: wrk when it
is installed, else a bounded threaded Python client; a fixed number of connections,
one request in flight on each, every POST carrying a different subscriber's signed
token. Prints requests/s and p50/p99 latency per endpoint, the median of --rounds.
Targets: >= 500 req/s and p99 < 100 ms for each.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_web"
TARGET_RPS = 500
TARGET_P99_MS = 100


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=env.get("SECRET_KEY", "bench-web-secret-key-not-for-production"),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL="http://127.0.0.1",
        LOG_LEVEL="ERROR",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    env.pop("CELERY_BROKER_URL", None)
    return env


def ensure_database(database_url: str) -> None:
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def seed(
    database_url: str, *, subscribers: int, digests: int, token_file: Path
) -> None:
    """Migrate, then (re)create active subscribers and sent digests; write one
    one-click path per subscriber to token_file."""
    env = _server_env(database_url)
    _manage(env, "migrate")
    # With DEBUG off pages link the hashed static names collectstatic writes.
    _manage(env, "collectstatic")
    os.environ.update(env)
    import django

    django.setup()
    from newsletter import services as newsletter_services

    newsletter_services.load_defaults()
    print(f"seeding {subscribers} subscribers and {digests} sent digests …", flush=True)
    _seed_subscribers(subscribers, token_file)
    _seed_digests(digests)


def _manage(env: dict[str, str], command: str) -> None:
    """A quiet, non-interactive manage.py command against the bench database."""
    subprocess.run(
        [PYTHON, "manage.py", command, "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def _seed_subscribers(subscribers: int, token_file: Path) -> None:
    """Replace the bench's readers; one signed one-click path each, one per line."""
    from django.urls import reverse

    from subscribers import tokens
    from subscribers.models import Subscriber

    Subscriber.objects.filter(email__endswith="@bench.example").delete()
    Subscriber.objects.bulk_create(
        [
            Subscriber(
                email=f"reader{i}@bench.example", status=Subscriber.Status.ACTIVE
            )
            for i in range(subscribers)
        ],
        batch_size=5000,
    )
    keys = Subscriber.objects.filter(email__endswith="@bench.example").values_list(
        "token_key", flat=True
    )
    with token_file.open("w") as out:
        for key in keys.iterator():
            token = tokens.make_token(key, tokens.UNSUBSCRIBE)
            out.write(reverse("subscribers:one_click", args=[token]) + "\n")


def _seed_digests(digests: int) -> None:
    """Sent digests from 2024-01-01 on, one section and source per category; days
    that already have a digest (a reused database) are left as they are."""
    from datetime import date, timedelta

    from ingestion.models import Source
    from newsletter.models import Category, Digest

    source, _ = Source.objects.get_or_create(
        url="https://bench.example/feed",
        defaults={"name": "Bench feed", "is_active": False},
    )
    categories = list(Category.objects.for_digest())
    start = date(2024, 1, 1)
    for day in range(digests):
        digest, created = Digest.objects.get_or_create(
            date=start + timedelta(days=day),
            defaults={"status": Digest.Status.SENT, "category_counts": {"llm": 3}},
        )
        if not created:
            continue
        for position, category in enumerate(categories):
            _seed_section(digest, category, position, source)


def _seed_section(digest, category, position: int, source) -> None:
    from ingestion.models import Article
    from newsletter.models import DigestSection, DigestSource

    section = DigestSection.objects.create(
        digest=digest,
        category=category,
        position=position,
        content={
            "topics": ["A topic [1]"],
            "events": [{"text": "Something happened [1].", "citations": [1]}],
            "impact": {
                "economy": "e",
                "politics_society": "p",
                "science_technology": "s",
            },
            "final_summary": ["In short [1]."],
        },
    )
    article = Article.objects.create(
        source=source,
        url=f"https://bench.example/{digest.date}/{category.slug}",
        title=f"{category.name} story of {digest.date}",
    )
    DigestSource.objects.create(section=section, article=article, number=1)


def start_gunicorn(database_url: str, port: int, *, threads: int) -> subprocess.Popen:
    command = [
        str(Path(PYTHON).with_name("gunicorn")),
        "config.wsgi:application",
        "--workers",
        "2",
        # Threads let concurrent unsubscribes share one WAL flush (PostgreSQL group
        # commit): a sync worker waits for the disk once per request.
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--backlog",
        "2048",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=_server_env(database_url))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/archive/")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 30 s")


# --- the client process ------------------------------------------------------


def run_client(args: argparse.Namespace) -> None:
    paths = Path(args.paths).read_text().split()
    body = b"List-Unsubscribe=One-Click" if args.method == "POST" else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    next_index = iter(range(10**9))
    lock = threading.Lock()
    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + args.warmup + args.duration
    measure_from = time.monotonic() + args.warmup

    def worker() -> None:
        nonlocal errors
        mine: list[float] = []
        failed = 0
        while True:
            now = time.monotonic()
            if now >= stop_at:
                break
            with lock:
                path = paths[next(next_index) % len(paths)]
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
                conn.request(args.method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                conn.close()
            except OSError:
                ok = False
            elapsed = time.perf_counter() - started
            if now >= measure_from:
                mine.append(elapsed)
                failed += not ok
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _print_client_result(latencies, errors, args.duration)


def _print_client_result(latencies: list[float], errors: int, duration: float) -> None:
    """One JSON line, the last the benchmark reads from the client's stdout."""
    latencies.sort()
    count = len(latencies)

    def pct(p: float) -> float:
        return (
            latencies[min(count - 1, int(p * count))] * 1000 if count else float("nan")
        )

    print(
        json.dumps(
            {
                "requests": count,
                "errors": errors,
                "rps": count / duration,
                "p50_ms": pct(0.50),
                "p99_ms": pct(0.99),
            }
        )
    )


WRK_SCRIPT = """
local count = 0
function setup(thread)
  thread:set("id", count)
  count = count + 1
end
function init(args)
  paths = {}
  for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
  n = id
end
function request()
  local path = paths[(n %% #paths) + 1]
  n = n + %(stride)d
  return wrk.format("%(method)s", path, %(headers)s, %(body)s)
end
"""


def _ms(value: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * factor
    raise ValueError(value)


def drive_wrk(
    port: int, *, paths: list[str], method: str, duration: float, connections: int
) -> dict:
    """The same load from wrk (C, keep-alive): far less client CPU on a small machine."""
    wrk_threads = 2
    with tempfile.TemporaryDirectory() as tmp:
        path_file = Path(tmp) / "paths.txt"
        path_file.write_text("\n".join(paths) + "\n")
        post = method == "POST"
        script = Path(tmp) / "load.lua"
        script.write_text(
            WRK_SCRIPT
            % {
                "paths": path_file,
                "stride": wrk_threads,
                "method": method,
                "headers": '{["Content-Type"] = "application/x-www-form-urlencoded"}'
                if post
                else "{}",
                "body": '"List-Unsubscribe=One-Click"' if post else "nil",
            }
        )
        base = [
            "wrk",
            "-t",
            str(wrk_threads),
            "-c",
            str(connections),
            "-s",
            str(script),
        ]
        url = f"http://127.0.0.1:{port}/"
        subprocess.run(
            [*base, "-d", "1s", url], capture_output=True, check=True
        )  # warm-up
        out = subprocess.run(
            [*base, "-d", f"{duration:.0f}s", "--latency", url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    result = {"errors": 0}
    for line in out.splitlines():
        words = line.split()
        if line.strip().startswith("50%"):
            result["p50_ms"] = _ms(words[1])
        elif line.strip().startswith("99%"):
            result["p99_ms"] = _ms(words[1])
        elif line.startswith("Requests/sec:"):
            result["rps"] = float(words[1])
        elif "requests in" in line:
            result["requests"] = int(words[0])
        elif line.strip().startswith("Non-2xx"):
            result["errors"] += int(words[-1])
        elif line.strip().startswith("Socket errors"):
            result["errors"] += sum(
                int(w.strip(",")) for w in words[2:] if w.strip(",").isdigit()
            )
    return result


def drive(
    port: int, *, paths: list[str], method: str, duration: float, threads: int
) -> dict:
    if shutil.which("wrk"):
        return drive_wrk(
            port, paths=paths, method=method, duration=duration, connections=threads
        )
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(paths))
    try:
        out = subprocess.run(
            [
                PYTHON,
                "-m",
                "bench.web",
                "client",
                "--port",
                str(port),
                "--paths",
                f.name,
                "--method",
                method,
                "--duration",
                str(duration),
                "--threads",
                str(threads),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(f.name)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    args = _parse_args()
    if args.command == "client":
        run_client(args)
        return

    database_url = os.getenv("BENCH_DATABASE_URL", DEFAULT_DB)
    ensure_database(database_url)
    one_click_paths = _seeded_paths(database_url, args)
    port = _free_port()
    client_name = "wrk" if shutil.which("wrk") else "Python client"
    print(
        f"gunicorn: 2 workers x {args.server_threads} threads on 127.0.0.1:{port}, DEBUG off; "
        f"{client_name}: {args.threads} connections, {args.duration:.0f} s per endpoint",
        flush=True,
    )
    server = start_gunicorn(database_url, port, threads=args.server_threads)
    try:
        rounds = _run_rounds(port, args, one_click_paths)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    _print_results(args, rounds)


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    client = sub.add_parser("client", help="the load generator (run by the benchmark)")
    client.add_argument("--port", type=int, required=True)
    client.add_argument("--paths", required=True)
    client.add_argument("--method", default="GET")
    client.add_argument("--duration", type=float, default=10)
    client.add_argument("--warmup", type=float, default=1)
    client.add_argument("--threads", type=int, default=8)
    parser.add_argument("--subscribers", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--digests", type=int, default=60)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    parser.add_argument(
        "--server-threads", type=int, default=8, help="gunicorn threads per worker"
    )
    return parser.parse_args()


def _seeded_paths(database_url: str, args: argparse.Namespace) -> list[str]:
    """Seed the database; the one-click paths of its subscribers."""
    with tempfile.TemporaryDirectory() as tmp:
        token_file = Path(tmp) / "one-click.txt"
        seed(
            database_url,
            subscribers=args.subscribers,
            digests=args.digests,
            token_file=token_file,
        )
        return token_file.read_text().split()


def _run_rounds(
    port: int, args: argparse.Namespace, one_click_paths: list[str]
) -> dict[str, list[dict]]:
    """Each endpoint driven once per round, the archive page first."""
    rounds: dict[str, list[dict]] = {"GET /archive/": [], "POST one-click": []}
    # Each round unsubscribes its own slice of subscribers: every POST is real work.
    slices = [one_click_paths[i :: args.rounds] for i in range(args.rounds)]
    for n in range(args.rounds):
        print(
            f"  round {n + 1}/{args.rounds}: archive page (GET /archive/) …",
            flush=True,
        )
        rounds["GET /archive/"].append(
            drive(
                port,
                paths=["/archive/"],
                method="GET",
                duration=args.duration,
                threads=args.threads,
            )
        )
        print(
            f"  round {n + 1}/{args.rounds}: one-click unsubscribe (POST) …",
            flush=True,
        )
        rounds["POST one-click"].append(
            drive(
                port,
                paths=slices[n],
                method="POST",
                duration=args.duration,
                threads=args.threads,
            )
        )
    return rounds


def _print_results(args: argparse.Namespace, rounds: dict[str, list[dict]]) -> None:
    """Medians per endpoint against the targets, then the unsubscribed count."""
    from subscribers.models import Subscriber

    unsubscribed = Subscriber.objects.filter(
        email__endswith="@bench.example", status=Subscriber.Status.UNSUBSCRIBED
    ).count()
    print()
    print(
        f"median of {args.rounds} rounds; load average now "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
        + f" on {os.cpu_count()} CPUs"
    )
    print(
        f"{'endpoint':<18} {'requests':>9} {'errors':>7} {'req/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8}  target (>= {TARGET_RPS} req/s, p99 < {TARGET_P99_MS} ms)"
    )
    for name, runs in rounds.items():
        r = {
            key: statistics.median(run[key] for run in runs)
            for key in ("requests", "errors", "rps", "p50_ms", "p99_ms")
        }
        ok = r["rps"] >= TARGET_RPS and r["p99_ms"] < TARGET_P99_MS and not r["errors"]
        print(
            f"{name:<18} {r['requests']:>9.0f} {r['errors']:>7.0f} {r['rps']:>8.0f} "
            f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}  {'met' if ok else 'MISSED'}"
        )
        print(
            f"{'':<18} p99 per round: "
            + ", ".join(f"{run['p99_ms']:.1f}" for run in runs)
        )
    print(f"\nsubscribers unsubscribed by the one-click runs: {unsubscribed}")


if __name__ == "__main__":
    main()
