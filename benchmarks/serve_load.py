"""A bounded load test of `poetry-gen serve` on loopback: CLIENTS clients at once, each sending REQUESTS
requests one after another, and the latency of each endpoint (p50, p95, max) and the errors.

Each client's requests cycle through a mix a page's users send: one 七绝 acrostic (/api/generate) and
one line rewritten (/api/revise) in every ten, the rest poems checked (/api/check), so the test shows
whether the quick requests wait behind the model. The server runs in this process, on 127.0.0.1 only,
with the shipped model (or --checkpoint); the run is bounded in count (clients × requests) and in time
(--max-seconds: no request starts after it).

    python -m benchmarks.serve_load                      # 8 clients × 50 requests
    python -m benchmarks.serve_load --clients 4 --requests 20 --json

The target: zero errors. Run from the repository root.
"""
from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from poetry_gen import load_generator
from poetry_gen.checks import check_whole
from poetry_gen.cli import exit_status, user_cache_dir
from poetry_gen.server import PoemApp, PoemServer

POEM = "春风暖霭对裴回，夏草平湖隐翠苔。秋色雨初成粉壁，冬光日渐见金台。"
CHECKED = ["白日依山尽，黄河入海流。欲穷千里目，更上一层楼。", "床前明月光，疑是地上霜。举头望明月，低头思故乡。", POEM]


def mix(client: int, i: int) -> tuple:
    """(endpoint, body) of request i of a client: generate and revise once in ten each, else check."""
    if i % 10 == 0:
        return "generate", {"acrostic": "春夏秋冬", "form": "七绝", "num": 1, "seed": client * 1000 + i}
    if i % 10 == 5:
        return "revise", {"poem": POEM, "line": 1 + i % 4, "keep_head": True, "num": 1, "seed": i}
    return "check", {"poem": CHECKED[i % len(CHECKED)]}


def send(address, endpoint: str, body: dict) -> tuple:
    """(status, seconds) of one POST on a fresh connection, as a browser tab's fetch would make it."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection(*address, timeout=120)
    try:
        conn.request("POST", f"/api/{endpoint}", json.dumps(body, ensure_ascii=False).encode(),
                     {"Content-Type": "application/json"})
        response = conn.getresponse()
        data = json.loads(response.read())
        ok = response.status == 200 and ("poems" in data or endpoint == "check")
        return (response.status if ok else f"{response.status}: {data.get('error', data)}"), \
            time.perf_counter() - started
    except (OSError, http.client.HTTPException, ValueError) as err:
        return f"{type(err).__name__}: {err}", time.perf_counter() - started
    finally:
        conn.close()


def client(address, index: int, requests: int, deadline: float) -> list:
    out = []
    for i in range(requests):
        if time.perf_counter() > deadline:
            break
        endpoint, body = mix(index, i)
        status, seconds = send(address, endpoint, body)
        out.append((endpoint, status, seconds))
    return out


def percentile(values: list, q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def run(args) -> dict:
    app = PoemApp(lambda: load_generator(args.checkpoint, device="cpu", threads=args.threads,
                                         cache_dir=user_cache_dir()))
    app.warm_up()
    server = PoemServer(app, "127.0.0.1", 0, log_requests=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    started = time.perf_counter()
    deadline = started + args.max_seconds
    try:
        with ThreadPoolExecutor(args.clients) as pool:
            results = [r for rs in pool.map(lambda c: client(server.server_address[:2], c, args.requests, deadline),
                                             range(args.clients)) for r in rs]
    finally:
        server.shutdown()
        server.server_close()
    wall = time.perf_counter() - started
    rows = {}
    for endpoint in ("generate", "revise", "check", "all"):
        mine = [r for r in results if endpoint in ("all", r[0])]
        ms = [s * 1000 for _, status, s in mine]
        errors = [status for _, status, _ in mine if status != 200]
        rows[endpoint] = {"requests": len(mine), "errors": len(errors), "first_errors": errors[:3],
                          "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95), "max_ms": max(ms)}
    return {"clients": args.clients, "requests_per_client": args.requests, "sent": len(results),
            "planned": args.clients * args.requests, "wall_s": wall, "endpoints": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=50, help="per client")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="no request starts after this")
    parser.add_argument("--checkpoint", help="the model (default: the shipped one)")
    parser.add_argument("--threads", type=int, default=0, metavar="N",
                        help="CPU threads for torch, as serve --threads (default: 0, torch's choice, as serve)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    check_whole(args.clients, "--clients", 1)
    check_whole(args.requests, "--requests", 1)
    check_whole(args.threads, "--threads", 0)
    result = run(args)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return
    print(f"{result['clients']} clients × {result['requests_per_client']} requests on 127.0.0.1: "
          f"{result['sent']} of {result['planned']} sent in {result['wall_s']:.1f} s")
    print(f"{'endpoint':<10}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for name, row in result["endpoints"].items():
        print(f"{name:<10}{row['requests']:>9}{row['errors']:>8}{row['p50_ms']:>9.0f}{row['p95_ms']:>9.0f}"
              f"{row['max_ms']:>9.0f}" + (f"  {row['first_errors']}" if row["errors"] else ""))


if __name__ == "__main__":
    sys.exit(exit_status(main))
