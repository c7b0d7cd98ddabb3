"""Filing throughput: complete incidents created per second through the API by 1, 8 and
32 concurrent clients, and the number of incidents in the database afterwards."""

from __future__ import annotations

import asyncio
import time

import httpx

from bench.common import count_incidents, seed, server, token_for
from tests.factories import complete_answers


async def _client(base: str, token: str, until: float, results: list[int]) -> None:
    async with httpx.AsyncClient(
        base_url=base, timeout=120, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        body = complete_answers(controllers=["acme", "northwind"])
        while time.perf_counter() < until:
            response = await client.post("/api/v1/incidents", json=body)
            results.append(response.status_code)


def measure(url: str, clients: tuple[int, ...], seconds: float, workers: int = 1) -> dict:
    seed(url, 0)
    token = token_for(url)
    result: dict = {"runs": [], "workers": workers}
    with server(url, workers) as srv:
        for count in clients:
            before = count_incidents(url)
            statuses: list[int] = []
            cpu_before = srv.cpu_seconds()
            started = time.perf_counter()

            async def run(count: int = count, statuses: list[int] = statuses) -> None:
                until = time.perf_counter() + seconds
                await asyncio.gather(
                    *(_client(srv.base, token, until, statuses) for _ in range(count))
                )

            asyncio.run(run())
            elapsed = time.perf_counter() - started
            cpu = srv.cpu_seconds() - cpu_before
            created = sum(1 for s in statuses if s == 201)
            stored = count_incidents(url) - before
            result["runs"].append(
                {
                    "clients": count,
                    "seconds": round(elapsed, 2),
                    "created": created,
                    "stored": stored,
                    "errors": len(statuses) - created,
                    "per_second": created / elapsed,
                    "lost": created - stored,
                    "rss_mb": round(srv.rss_mb(), 1),
                    "server_cpu_ms_per_incident": cpu / max(created, 1) * 1000,
                    "server_cpu_share": cpu / elapsed,
                }
            )
    return result
