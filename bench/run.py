"""`make bench`: every benchmark in one run, written to bench/RESULTS.md (and the figures
to bench/results.json, which the next run compares itself with).

    .venv/bin/python -m bench.run [--sizes 1000,100000,1000000] [--databases sqlite,postgresql]
                                  [--runs 200] [--filing-seconds 10] [--reminder-notices 2000]
                                  [--only register,filing,reminders,pdf,fanout]
                                  [--fanout 100,1000] [--quick]
                                  [--output bench/RESULTS.md]

A run of some parts only (``--only``) should be written elsewhere (``--output``): the
figures go to results.json next to the output, which the next run compares itself with.

PostgreSQL: BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test); a
database is created for each measurement and dropped afterwards. Never part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bench import fanout, filing, pdf, register, reminders
from bench.common import drop_database, dump, fresh_database, machine

HERE = Path(__file__).resolve().parent
TARGETS = {
    "register_median": 5.0,  # register page at 1,000,000 incidents, x /healthz
    "register_p95": 10.0,
    "filing_per_second": 200.0,  # at 32 clients on SQLite
    "pdf_ratio": 4.0,  # x a one-paragraph document
    "filing_max_with_worker_ms": 1000.0,  # 8 filers while the reminder worker runs
    "send_request_ms": 1000.0,  # "send to all" to 1,000 controllers returns within
    "thousand_delivered_s": 300.0,  # 1,000 notices rendered and delivered, 2 processes
    "incident_page_x": 10.0,  # the incident page at 1,000 controllers, x /healthz
}
PARTS = ("register", "filing", "reminders", "pdf", "fanout")


def _ratios(results: dict) -> dict[str, float]:
    """Every ratio of a run, by a stable name, to compare runs."""
    found: dict[str, float] = {}
    for item in results.get("register", []):
        for case, values in item["cases"].items():
            if case == "healthz":
                continue
            key = f"{item['database']} {item['incidents']:,} {case}"
            found[key + " (median x healthz)"] = values["x_median"]
            found[key + " (p95 x healthz)"] = values["x_p95"]
    for item in results.get("filing", []):
        for run in item["runs"]:
            found[f"{item['database']} filing, {run['clients']} clients (incidents/s)"] = run[
                "per_second"
            ]
    for item in results.get("reminders", {}).get("cycles", []):
        key = f"{item['database']} reminder cycle, {item['notices']:,} open notices"
        found[f"{key}, nothing due (median ms)"] = item["idle_median_ms"]
        found[f"{key}, {item['due_per_cycle']:.0f} due (median ms)"] = item["due_median_ms"]
        found[f"{key}, longest write transaction (ms)"] = max(
            item["first_longest_write_ms"], item["due_longest_write_ms"]
        )
    for item in results.get("reminders", {}).get("filing", []):
        key = f"{item['database']} {item['filers']} filers with the worker"
        found[f"{key}, p99 (x without)"] = item["p99_x_without"]
        found[f"{key}, max (ms)"] = item["with"]["max_ms"]
    if "pdf" in results:
        found["regulator PDF (x one-paragraph document)"] = results["pdf"]["x_one_paragraph"]
        found["regulator PDF (x one-paragraph, same stylesheet)"] = results["pdf"][
            "x_one_paragraph_styled"
        ]
    return found


def _changes(previous: dict | None, current: dict) -> list[str]:
    if not previous:
        return ["No earlier run to compare with."]
    old, new = _ratios(previous), _ratios(current)
    lines = []
    for key, value in new.items():
        if key not in old:
            continue
        before = old[key]
        higher_is_better = "incidents/s" in key
        change = (value - before) / before * 100 if before else 0.0
        better = (change > 0) == higher_is_better
        verdict = "about the same" if abs(change) < 5 else "better" if better else "worse"
        lines.append(f"| {key} | {before:.2f} | {value:.2f} | {change:+.0f} % | {verdict} |")
    if not lines:
        return ["No figure in common with the earlier run."]
    return ["| figure | last run | this run | change | |", "|---|---:|---:|---:|---|", *lines]


def _markdown(results: dict, previous: dict | None) -> str:
    out = [
        "# Benchmark results",
        "",
        f"Run {results['date']} on {results['machine']}. Made by `make bench` (`bench/run.py`);",
        "every ratio is measured within one run, the server being `breachdesk serve` on",
        "loopback (one process, logs on), the clients a separate process with keep-alive.",
        "",
    ]
    if results.get("register"):
        out += [
            "## Register (page and API) against /healthz",
            "",
            "| database | incidents | seeded in | case | median ms | p95 ms | median x healthz | p95 x healthz | server RSS |",
            "|---|---:|---:|---|---:|---:|---:|---:|---:|",
        ]
    for item in results.get("register", []):
        for case, v in item["cases"].items():
            out.append(
                f"| {item['database']} | {item['incidents']:,} | {item['seed_s']} s | {case} | {v['median_ms']:.2f} | "
                f"{v['p95_ms']:.2f} | {v['x_median']:.1f} | {v['x_p95']:.1f} | {item['rss_mb']} MB |"
            )
    if results.get("filing"):
        out += [
            "",
            "## Filing through the API",
            "",
            "| database | clients | seconds | created | in the database | lost | errors | incidents/s | server RSS |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
    for item in results.get("filing", []):
        for r in item["runs"]:
            out.append(
                f"| {item['database']} | {r['clients']} | {r['seconds']} | {r['created']} | {r['stored']} | "
                f"{r['lost']} | {r['errors']} | {r['per_second']:.0f} | {r['rss_mb']} MB |"
            )
    out += _reminders_markdown(results.get("reminders", {}))
    if "pdf" in results:
        p = results["pdf"]
        out += [
            "",
            "## The regulator report (PDF)",
            "",
            f"- report: {p['pages']} pages, {p['report_s'] * 1000:.0f} ms (median)",
            f"- one-paragraph document: {p['one_paragraph_s'] * 1000:.1f} ms; with our stylesheet and fonts: "
            f"{p['one_paragraph_styled_s'] * 1000:.1f} ms",
            f"- ratio: **{p['x_one_paragraph']:.1f}x** the one-paragraph document "
            f"({p['x_one_paragraph_styled']:.1f}x the styled one)",
            f"- RSS of the process after rendering: {p['rss_mb']} MB",
        ]
    out += _fanout_markdown(results.get("fanout", []))
    out += ["", "## Targets", ""]
    out += results.get("verdicts", [])
    out += [
        "",
        "## Compared with the last run",
        "",
        "Differences of up to about 15 % appear between runs of unchanged code on a shared "
        "2-core machine (the clients and the server share the cores); read smaller changes as noise.",
        "",
        *_changes(previous, results),
        "",
    ]
    return "\n".join(out)


def _fanout_markdown(items: list[dict]) -> list[str]:
    if not items:
        return []
    out = [
        "",
        "## Fan-out: one incident, many controllers",
        "",
        "| database | controllers | filing | incident page x healthz | dashboard x healthz | "
        "register x healthz | page size | one controller's report |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for i in items:
        pages = i["pages"]
        out.append(
            f"| {i['database']} | {i['controllers']:,} | {i['filing_ms']:.0f} ms | "
            f"{pages['incident page']['x_median']:.1f} | {pages['dashboard']['x_median']:.1f} | "
            f"{pages['register']['x_median']:.1f} | {i['incident_page_kb']} KB | "
            f"{i['controller_report_ms']} ms, {i['controller_report_kb']} KB |"
        )
    out += [
        "",
        "| database | controllers | worker processes | send request | every notice delivered | notices/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for i in items:
        for d in i["delivery"]:
            done = "" if d["complete"] else " (not all)"
            out.append(
                f"| {i['database']} | {i['controllers']:,} | {d['processes']} | "
                f"{d['send_request_ms']:.0f} ms | {d['all_delivered_s']:.0f} s{done} | {d['per_second']} |"
            )
    return out


def _reminders_markdown(part: dict) -> list[str]:
    if not part:
        return []
    out = [
        "",
        "## The reminder cycle",
        "",
        "Open notices (submitted, not sent, 24 hours) in one process, no server. *Write* is the",
        "longest write transaction, BEGIN to COMMIT: SQLite's writer lock is held that long.",
        "",
        "| database | open notices | first cycle (all new) ms | its write ms | nothing due: median ms | max ms | write ms "
        "| due per cycle | a few due: median ms | max ms | write ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in part.get("cycles", []):
        out.append(
            f"| {c['database']} | {c['notices']:,} | {c['first_ms']:.0f} | {c['first_longest_write_ms']:.1f} | "
            f"{c['idle_median_ms']:.2f} | {c['idle_max_ms']:.2f} | {c['idle_longest_write_ms']:.1f} | "
            f"{c['due_per_cycle']:.0f} | {c['due_median_ms']:.1f} | {c['due_max_ms']:.1f} | "
            f"{c['due_longest_write_ms']:.1f} |"
        )
    by_db: dict[str, list[dict]] = {}
    for c in part.get("cycles", []):
        by_db.setdefault(c["database"], []).append(c)
    for database, items in by_db.items():
        if len(items) >= 2:
            small, large = (
                min(items, key=lambda c: c["notices"]),
                max(items, key=lambda c: c["notices"]),
            )
            out.append(
                f"\n{database}: a cycle with nothing due at {large['notices']:,} open notices costs "
                f"**{large['idle_median_ms'] / small['idle_median_ms']:.1f}x** one at {small['notices']:,}; "
                f"with a few due **{large['due_median_ms'] / small['due_median_ms']:.1f}x**."
            )
    if part.get("filing"):
        out += [
            "",
            "### Filing while the worker runs",
            "",
            "8 API clients file against `breachdesk serve` (no worker in it), first alone, then with "
            "`breachdesk worker --interval 0.2` on the same database: its first cycle over the open notices "
            "and the filings, then a few reminders due every second, written and delivered (to files).",
            "",
            "| database | open notices | worker | seconds | created | lost | errors | incidents/s | median ms | p99 ms | max ms |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for f in part["filing"]:
            for label, r in (("none", f["without"]), ("running", f["with"])):
                out.append(
                    f"| {f['database']} | {f['notices']:,} | {label} | {r['seconds']} | {r['created']} | "
                    f"{r['lost']} | {r['errors']} | {r['per_second']:.0f} | {r['median_ms']:.1f} | "
                    f"{r['p99_ms']:.1f} | {r['max_ms']:.1f} |"
                )
        out.append("")
        for f in part["filing"]:
            out.append(
                f"- {f['database']}: p99 with the worker **{f['p99_x_without']:.2f}x** without it, max "
                f"{f['max_x_without']:.2f}x; the worker queued {f['reminders_written']} reminders and sent "
                f"{f['messages_sent']} messages in {f['worker_busy_cycles']} busy cycles"
            )
    return out


def _verdicts(results: dict) -> list[str]:
    lines = []
    for item in results.get("register", []):
        if item["incidents"] >= 1_000_000:
            page = item["cases"]["register page"]
            ok = (
                page["x_median"] <= TARGETS["register_median"]
                and page["x_p95"] <= TARGETS["register_p95"]
            )
            lines.append(
                f"- register page at {item['incidents']:,} on {item['database']}: {page['x_median']:.1f}x median "
                f"(target 5x), {page['x_p95']:.1f}x p95 (target 10x): **{'met' if ok else 'not met'}**"
            )
    for item in results.get("filing", []):
        if item["database"] != "sqlite":
            continue
        for r in item["runs"]:
            if r["clients"] == 32:
                ok = (
                    r["per_second"] >= TARGETS["filing_per_second"]
                    and r["lost"] == 0
                    and r["errors"] == 0
                )
                lines.append(
                    f"- filing at 32 clients on SQLite: {r['per_second']:.0f}/s (target 200/s), "
                    f"{r['lost']} lost: **{'met' if ok else 'not met'}**"
                )
    for f in results.get("reminders", {}).get("filing", []):
        r = f["with"]
        ok = (
            r["max_ms"] <= TARGETS["filing_max_with_worker_ms"]
            and r["errors"] == 0
            and r["lost"] == 0
        )
        lines.append(
            f"- {f['filers']} filers while the worker runs on {f['database']}: slowest {r['max_ms']:.0f} ms "
            f"(target 1,000 ms), {r['errors']} failed, {r['lost']} lost: **{'met' if ok else 'not met'}**"
        )
    if "pdf" in results:
        ratio = results["pdf"]["x_one_paragraph"]
        lines.append(
            f"- regulator PDF: {ratio:.1f}x the one-paragraph document (target 4x): "
            f"**{'met' if ratio <= TARGETS['pdf_ratio'] else 'not met'}**"
        )
    for i in results.get("fanout", []):
        if i["controllers"] < 1000:
            continue
        slowest = max(d["send_request_ms"] for d in i["delivery"])
        lines.append(
            f"- send request to {i['controllers']:,} controllers on {i['database']}: {slowest:.0f} ms "
            f"(target 1,000 ms): **{'met' if slowest <= TARGETS['send_request_ms'] else 'not met'}**"
        )
        for d in i["delivery"]:
            if d["processes"] == 2:
                ok = d["complete"] and d["all_delivered_s"] <= TARGETS["thousand_delivered_s"]
                lines.append(
                    f"- {i['controllers']:,} notices delivered with 2 processes on {i['database']}: "
                    f"{d['all_delivered_s']:.0f} s (target 300 s): **{'met' if ok else 'not met'}**"
                )
        x = i["pages"]["incident page"]["x_median"]
        lines.append(
            f"- incident page at {i['controllers']:,} controllers on {i['database']}: {x:.1f}x healthz "
            f"(target 10x): **{'met' if x <= TARGETS['incident_page_x'] else 'not met'}**"
        )
    return lines or ["- (no target measured in this run)"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--filing-seconds", type=float, default=10)
    parser.add_argument("--pdf-runs", type=int, default=10)
    parser.add_argument(
        "--reminder-notices",
        type=int,
        default=2000,
        help="open notices for the reminder cycle (also measured at a tenth)",
    )
    parser.add_argument("--cycle-runs", type=int, default=50)
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"parts to run, of {','.join(PARTS)}"
    )
    parser.add_argument(
        "--fanout", default="100,1000", help="controllers of one incident, for the fan-out part"
    )
    parser.add_argument("--quick", action="store_true", help="1,000 incidents, SQLite, short runs")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.databases, args.runs, args.filing_seconds, args.pdf_runs = (
            "1000",
            "sqlite",
            50,
            3,
            3,
        )
        args.cycle_runs = 10
        args.fanout = "100"
    parts = {p for p in args.only.split(",") if p}
    if parts - set(PARTS):
        parser.error(f"--only: unknown part(s) {', '.join(sorted(parts - set(PARTS)))}")
    if parts != set(PARTS) and Path(args.output) == HERE / "RESULTS.md":
        parser.error("--only: write a partial run elsewhere (--output), not over bench/RESULTS.md")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    databases = [d for d in args.databases.split(",") if d]
    started = time.perf_counter()
    results: dict = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "register": [],
        "filing": [],
    }
    for database in databases:
        if "reminders" in parts:
            _reminders(results, database, args)
        for size in sizes if "register" in parts else []:
            with _database(
                database, f"reg{size}", f"register: {database}, {size:,} incidents"
            ) as url:
                item = {**register.measure(url, size, args.runs), "database": database}
                results["register"].append(item)
                page = item["cases"]["register page"]
                print(
                    f"  page {page['median_ms']:.2f} ms = {page['x_median']:.1f}x healthz (p95 {page['x_p95']:.1f}x)",
                    flush=True,
                )
        if "filing" not in parts:
            continue
        with _database(database, "filing", f"filing: {database}") as url:
            item = {**filing.measure(url, (1, 8, 32), args.filing_seconds), "database": database}
            results["filing"].append(item)
            for r in item["runs"]:
                print(
                    f"  {r['clients']} clients: {r['per_second']:.0f}/s, lost {r['lost']}, errors {r['errors']}",
                    flush=True,
                )
    for database in databases if "fanout" in parts else []:
        for count in [int(c) for c in args.fanout.split(",") if c]:
            title = f"fan-out: {database}, {count:,} controllers"
            with _database(database, f"fan{count}", title) as url:
                item = {**fanout.measure(url, count, min(args.runs, 30)), "database": database}
                results.setdefault("fanout", []).append(item)
                for d in item["delivery"]:
                    print(
                        f"  {d['processes']} process(es): send request {d['send_request_ms']:.0f} ms, "
                        f"all delivered in {d['all_delivered_s']:.0f} s",
                        flush=True,
                    )
    if "pdf" in parts:
        with _database("sqlite", "pdf", "pdf") as url:
            results["pdf"] = pdf.measure(url, args.pdf_runs)
            print(f"  {results['pdf']['x_one_paragraph']:.1f}x one paragraph", flush=True)
    results["verdicts"] = _verdicts(results)
    results["seconds"] = round(time.perf_counter() - started)
    output = Path(args.output)
    store = output.with_name("results.json")
    previous = json.loads(store.read_text()) if store.exists() else None
    output.write_text(_markdown(results, previous))
    dump(store, results)
    print("\n".join(results["verdicts"]))
    print(f"written to {output} in {results['seconds']} s")


@contextmanager
def _database(database: str, name: str, title: str) -> Iterator[str]:
    """A fresh database for one measurement, dropped afterwards; says what is measured on it."""
    url = fresh_database(database, name)
    try:
        print(f"{title} ...", flush=True)
        yield url
    finally:
        drop_database(url)


def _reminders(results: dict, database: str, args: argparse.Namespace) -> None:
    part = results.setdefault("reminders", {"cycles": [], "filing": []})
    for count in (args.reminder_notices // 10, args.reminder_notices):
        title = f"reminder cycle: {database}, {count:,} open notices"
        with _database(database, f"remind{count}", title) as url:
            item = {**reminders.measure_cycle(url, count, args.cycle_runs), "database": database}
            part["cycles"].append(item)
            print(
                f"  nothing due {item['idle_median_ms']:.2f} ms, {item['due_per_cycle']:.0f} due "
                f"{item['due_median_ms']:.1f} ms, longest write {item['due_longest_write_ms']:.1f} ms "
                f"(first cycle {item['first_ms']:.0f} ms, write {item['first_longest_write_ms']:.1f} ms)",
                flush=True,
            )
    with _database(database, "remindfiling", f"filing while the worker runs: {database}") as url:
        item = reminders.measure_filing(url, args.reminder_notices, args.filing_seconds)
        item["database"] = database
        part["filing"].append(item)
        for label in ("without", "with"):
            r = item[label]
            print(
                f"  {label} the worker: p99 {r['p99_ms']:.0f} ms, max {r['max_ms']:.0f} ms, "
                f"errors {r['errors']}, lost {r['lost']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
