"""The register page and the register API against the app's own /healthz, on a database
of N incidents, measured through the real server in one run, interleaved request by
request so both see the same machine."""

from __future__ import annotations

import time

import httpx

from bench.common import browser_session, seed, server, summary, token_for


def measure(url: str, count: int, runs: int) -> dict:
    seconds = seed(url, count)
    result: dict = {"incidents": count, "seed_s": round(seconds, 1)}
    with server(url) as srv:
        page = browser_session(srv.base)
        api = httpx.Client(
            base_url=srv.base, timeout=60, headers={"Authorization": f"Bearer {token_for(url)}"}
        )
        plain = httpx.Client(base_url=srv.base, timeout=60)
        cases = {
            "healthz": (plain, "/healthz"),
            "register page": (page, "/incidents"),
            "register page, search": (page, "/incidents?q=courier"),
            "register API": (api, "/api/v1/incidents"),
        }
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for round_number in range(runs + 10):
            for name, (client, path) in cases.items():
                started = time.perf_counter()
                response = client.get(path)
                elapsed = time.perf_counter() - started
                assert response.status_code == 200, (path, response.status_code)
                if round_number >= 10:  # the first rounds warm the caches
                    samples[name].append(elapsed)
        result["cases"] = {name: summary(values) for name, values in samples.items()}
        base = result["cases"]["healthz"]
        for values in result["cases"].values():
            values["x_median"] = values["median_ms"] / base["median_ms"]
            values["x_p95"] = values["p95_ms"] / base["p95_ms"]
        result["rss_mb"] = round(srv.rss_mb(), 1)
        for client in (page, api, plain):
            client.close()
    return result
