"""Ingest throughput with M claims already stored: `.venv/bin/python bench/ingest.py`.

For each store size M (claims) and database, a child process fills a fresh store
with M claims across many stories (untimed, bulk insert through store/bulk.py),
then ingests `--articles` synthetic articles end to end through the real
Pipeline (extraction, story grouping, comparison, storage, alerts and their
routing), one article at a time and in batches (`--batch`), and reports
articles/s, per-article latency p50/p95, CPU per article, the child's peak RSS
and the reference loop time measured in the child (the machine's speed drifts
during a run). One child per case keeps RSS and caches honest.

Defaults: M = 10,000 / 100,000 / 1,000,000 on SQLite, and on PostgreSQL too when
postgresql://postgres@127.0.0.1:5432 answers (database `cw_bench`, dropped after).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import BaseStory, Recombiner, load_base, story_folders  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgresql://postgres@127.0.0.1:5432/cw_bench"
T_END = datetime(2025, 6, 1, tzinfo=UTC)  # the fill's history ends here; timed articles follow
TENANT = "local"


# -- filling the store (untimed) ------------------------------------------------
def _templates(base: list[BaseStory]) -> list[list[dict]]:
    """Per base story, its claims as column dicts (predicate, entity, figures ...)."""
    from bot.claims import extract_claims
    from store.articles import claim_columns

    out = []
    for story in base:
        rows = []
        for a in story.articles:
            rows.extend(claim_columns(c) for c in extract_claims(a))
        out.append(rows)
    return out


def fill(
    url: str, claims: int, stories_per_day: float, seed: int = 1
) -> tuple[int, int, int, float]:
    """Put `claims` claims into a fresh store: stories of 10-50 claims, ~6 claims per article.

    Stories arrive at `stories_per_day` up to T_END, so a larger store is a longer
    history (the store grows every day), and each story's signature uses its own
    generated names. Returns (stories, articles, claims, seconds).
    """
    from bot.stories import merge, signature
    from store import Store
    from store.bulk import analyze, fix_sequences, insert_rows, next_ids

    t0 = time.perf_counter()
    store = Store(url)
    base = load_base()
    templates = _templates(base)
    recombiner = Recombiner(base, seed=seed)
    base_terms = []
    for story in base:
        terms: dict[str, float] = {}
        for a in story.articles:
            terms = merge(terms, signature(a))
        base_terms.append(terms)
    rng = random.Random(seed)
    ids = next_ids(store.engine)
    story_rows: list[dict] = []
    article_rows: list[dict] = []
    claim_rows: list[dict] = []
    totals = [0, 0, 0]

    def flush(conn) -> None:
        totals[0] += insert_rows(conn, "stories", story_rows)
        totals[1] += insert_rows(conn, "articles", article_rows)
        totals[2] += insert_rows(conn, "claims", claim_rows)
        story_rows.clear(), article_rows.clear(), claim_rows.clear()

    n_stories = max(1, round(claims / 30))
    left = claims
    with store.engine.begin() as conn:
        for k in range(n_stories):
            story_k = k + 1_000_000  # never the timed run's synthetic stories
            b, names, factor = recombiner.mapping(story_k)
            bi = base.index(b)
            size = left if k == n_stories - 1 else min(left, rng.randint(10, 50))
            if size <= 0:
                break
            left -= size
            start = T_END - timedelta(days=(n_stories - k) / stories_per_day)
            lowered = {n.lower(): v.lower() for n, v in names.items()}
            terms = {lowered.get(t, t): w for t, w in base_terms[bi].items()}
            story_id = ids["stories"]
            ids["stories"] += 1
            n_articles = max(1, math.ceil(size / 6))
            last = start
            for j in range(n_articles):
                published = start + timedelta(hours=rng.uniform(0, 72))
                last = max(last, published)
                article_id = ids["articles"]
                ids["articles"] += 1
                key = f"fill/{story_k}/{j}"
                body = f"Filler article {j} of story {story_k}."
                article_rows.append(
                    dict(
                        id=article_id,
                        tenant=TENANT,
                        key=key,
                        url=None,
                        guid=None,
                        title=f"Story {story_k}",
                        outlet="bench",
                        published=published,
                        text=body,
                        content_hash=hashlib.sha256(body.encode()).hexdigest(),
                        story_id=story_id,
                        source_id=None,
                        ingested_at=published,
                    )
                )
                for pos in range(j * 6, min(size, (j + 1) * 6)):
                    t = dict(rng.choice(templates[bi]))
                    for col in ("value", "low", "high"):
                        if t[col] is not None:
                            t[col] = round(t[col] * factor)
                    t.update(
                        id=ids["claims"],
                        tenant=TENANT,
                        story_id=story_id,
                        article_id=article_id,
                        article_key=key,
                        as_of=published.date(),
                        published=published,
                        position=pos,
                    )
                    ids["claims"] += 1
                    claim_rows.append(t)
            story_rows.append(
                dict(
                    id=story_id,
                    tenant=TENANT,
                    title=f"Story {story_k}",
                    terms=terms,
                    first_published=start,
                    last_published=last,
                )
            )
            if len(claim_rows) >= 20_000:
                flush(conn)
        flush(conn)
        fix_sequences(conn)
    if store.engine.dialect.name == "postgresql":
        with store.engine.begin() as conn:
            analyze(conn)
    store.close()
    return totals[0], totals[1], totals[2], time.perf_counter() - t0


# -- one case, in a child process ------------------------------------------------
def run_case(
    url: str, claims: int, n_articles: int, stories_per_day: float, batches: list[int]
) -> list[dict]:
    """One row per batch size, all on one filled store (each size gets new stories).

    Batch 1 is an article on its own (a link posted in a channel); a larger batch
    is what the poller hands the pipeline when that many polls finish together: one
    extraction pass, then each article's own transaction. An article's latency is
    from its batch's start to its own commit.
    """
    from bot.claims import load_nlp
    from bot.pipeline import Incoming, Pipeline
    from store import Store

    stories, articles, stored, fill_s = fill(url, claims, stories_per_day)
    store = Store(url)
    pipeline = Pipeline(store, load_nlp())
    recombiner = Recombiner(load_base())
    for a in recombiner.articles(5, T_END, first_story=500_000):  # warm-up, untimed
        pipeline.ingest(a, TENANT)
    rows = []
    ref = round(reference_ms())  # this machine's speed drifts within a run, too
    for i, batch in enumerate(batches):
        start = T_END + timedelta(hours=1, days=7 * i)
        # new stories, made from the same real stories in the same order as batch size 1's
        first = 1000 * len(recombiner.base) * i
        timed = recombiner.articles(n_articles, start, first_story=first)
        latencies = []
        extracted = alerts = 0
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for j in range(0, len(timed), batch):
            t = time.perf_counter()
            for prepared in pipeline.prepare([Incoming(a, TENANT) for a in timed[j : j + batch]]):
                result = pipeline.commit(prepared)
                latencies.append(time.perf_counter() - t)
                extracted += len(result.claims)
                alerts += len(result.alerts)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        q = statistics.quantiles(latencies, n=20)
        rows.append(
            dict(
                db=url.split(":", 1)[0],
                claims=stored,
                stories=stories,
                articles_stored=articles,
                fill_s=round(fill_s, 1),
                batch=batch,
                articles=len(timed),
                per_s=round(len(timed) / wall, 1),
                p50_ms=round(statistics.median(latencies) * 1000, 1),
                p95_ms=round(q[18] * 1000, 1),
                cpu_ms=round(cpu / len(timed) * 1000, 1),
                new_claims=extracted,
                alerts=alerts,
                ref_ms=ref,
            )
        )
    store.close()
    rss = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return [dict(r, rss_mb=rss) for r in rows]


# -- the driver --------------------------------------------------------------------
def reference_ms() -> float:
    """CPU ms of a fixed pure-Python loop: shared machines of one kind differ up to 2x
    from day to day, so a run's figures are comparable only next to this number."""
    best = math.inf
    for _ in range(3):
        t = time.process_time()
        sum(i * i for i in range(2_000_000))
        best = min(best, time.process_time() - t)
    return best * 1000


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN.replace("postgresql", "postgresql", 1), connect_timeout=2):
            return True
    except Exception:
        return False


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)


def cases(dbs: list[str], sizes: list[int], tmp: Path) -> Iterator[tuple[str, int, str]]:
    for db in dbs:
        for m in sizes:
            if db == "sqlite":
                yield db, m, f"sqlite:///{tmp / f'bench-{m}.db'}"
            else:
                yield db, m, PG_BENCH


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000", help="claims already stored")
    ap.add_argument("--db", default="auto", help="sqlite, postgresql, both or auto")
    ap.add_argument("--articles", type=int, default=200, help="timed articles per case")
    ap.add_argument(
        "--batch", default="1,20", help="articles per pipeline batch (1: one at a time)"
    )
    ap.add_argument("--stories-per-day", type=float, default=20.0, help="arrival rate of the fill")
    ap.add_argument("--json", action="store_true", help="one JSON object per case")
    ap.add_argument("--case", help=argparse.SUPPRESS)  # internal: run one case, print JSON
    args = ap.parse_args()

    if args.case:
        url, m = args.case.rsplit("|", 1)
        batches = [int(b) for b in args.batch.split(",")]
        print(json.dumps(run_case(url, int(m), args.articles, args.stories_per_day, batches)))
        return

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    dbs = {"auto": ["sqlite", "postgresql"], "both": ["sqlite", "postgresql"]}.get(
        args.db, [args.db]
    )
    if "postgresql" in dbs and not postgres_reachable():
        print("PostgreSQL not reachable at 127.0.0.1:5432: SQLite only", file=sys.stderr)
        dbs = [d for d in dbs if d != "postgresql"]
    print(
        f"# {os.cpu_count()} cores; {args.articles} timed articles per case from "
        f"{len(story_folders())} story folders; stories arrive {args.stories_per_day:g}/day; "
        f"reference loop {reference_ms():.0f} ms",
        flush=True,
    )
    if not args.json:
        print(
            f"{'db':<11}{'claims M':>10}{'stories':>9}{'fill s':>8}{'batch':>6}{'art/s':>8}"
            f"{'p50 ms':>8}{'p95 ms':>8}{'cpu ms':>8}{'alerts':>8}{'RSS MB':>8}{'ref ms':>8}"
        )
    with tempfile.TemporaryDirectory(prefix="cw-bench-") as tmp:
        for db, m, url in cases(dbs, sizes, Path(tmp)):
            if db == "postgresql":
                _pg_admin("DROP DATABASE IF EXISTS cw_bench")
                _pg_admin("CREATE DATABASE cw_bench")
            try:
                out = subprocess.run(
                    [sys.executable, __file__, "--case", f"{url}|{m}",
                     "--articles", str(args.articles), "--batch", args.batch,
                     "--stories-per-day", str(args.stories_per_day)],
                    check=True, capture_output=True, text=True,
                )  # fmt: skip
            except subprocess.CalledProcessError as exc:
                print(exc.stderr, file=sys.stderr)
                raise
            finally:
                if db == "postgresql":
                    _pg_admin("DROP DATABASE IF EXISTS cw_bench")
                else:
                    for p in Path(tmp).glob(f"bench-{m}.db*"):
                        p.unlink()
            for r in json.loads(out.stdout.strip().splitlines()[-1]):
                if args.json:
                    print(json.dumps(r), flush=True)
                    continue
                print(
                    f"{r['db']:<11}{r['claims']:>10,}{r['stories']:>9,}{r['fill_s']:>8}"
                    f"{r['batch']:>6}{r['per_s']:>8}{r['p50_ms']:>8}{r['p95_ms']:>8}"
                    f"{r['cpu_ms']:>8}{r['alerts']:>8}{r['rss_mb']:>8}{r['ref_ms']:>8}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
