"""Click to poem on the page of `poetry-gen serve`, in a real Chromium: the time from a click on 写 Write to
the poem drawn with its overlay, for one 七绝 acrostic, warm (after one untimed click), with the shipped
model (or --checkpoint). Optionally saves screenshots of the page for the README.

    python -m benchmarks.page_latency                            # 10 timed clicks
    python -m benchmarks.page_latency --screenshots docs         # and the screenshots of the README in docs/

The clock runs in the page (performance.now): from the click to the moment the status line says the poem
is written, which the page sets after drawing it. Between the clicks the library writes the same poem
alone, so that what the page and the server add shows apart from the machine's load. The target: ≤ 300 ms.
Chromium comes from the system (Debian: apt-get install chromium fonts-wqy-microhei). Run from the
repository root.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

from poetry_gen import load_generator
from poetry_gen.checks import check_whole
from poetry_gen.cli import exit_status, user_cache_dir
from poetry_gen.config import PRECISIONS
from poetry_gen.server import PoemApp, PoemServer

CLICK_TO_POEM = """async () => {
  const status = document.getElementById("status");
  status.textContent = "";
  const drawn = new Promise((resolve) => {
    const watch = new MutationObserver(() => {
      if (status.textContent.startsWith("written")) { watch.disconnect(); resolve(performance.now()); }
    });
    watch.observe(status, {childList: true, characterData: true, subtree: true});
  });
  const started = performance.now();
  document.getElementById("generate").click();
  return (await drawn) - started;
}"""


def fill(page, heads: str, seed: int) -> None:
    page.check("input[name=mode][value=acrostic]")
    page.fill("#text", heads)
    page.select_option("#form", "七绝")
    page.fill("#num", "1")
    if not page.eval_on_selector("details", "more => more.open"):
        page.click("details summary")
    page.fill("#seed", str(seed))


def run(args) -> dict:
    from playwright.sync_api import sync_playwright

    app = PoemApp(lambda: load_generator(args.checkpoint, device="cpu", threads=args.threads,
                                         cache_dir=user_cache_dir(), precision=args.precision))
    app.warm_up()
    server = PoemServer(app, "127.0.0.1", 0, log_requests=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1000, "height": 900}, device_scale_factor=1)
            page.goto(server.url)
            page.wait_for_selector("#rhyme option[value='东']", state="attached")
            timings, alone = [], []
            for i in range(args.clicks + 1):
                fill(page, "春夏秋冬", seed=i)
                ms = page.evaluate(CLICK_TO_POEM)
                if i:  # the first click warms the page and the server's request path
                    timings.append(ms)
                    alone.append(app.model.run(lambda gen: generation_ms(gen, seed=i)))
            if args.screenshots:
                shoot(page, app.model, Path(args.screenshots))
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return {"clicks": len(timings), "median_ms": statistics.median(timings), "min_ms": min(timings),
            "max_ms": max(timings), "timings_ms": [round(t) for t in timings],
            "generation_alone_median_ms": statistics.median(alone)}


def generation_ms(gen, seed: int) -> float:
    """The same poem written by the library alone, right after the click (so on the same machine load):
    what the page and the server add is the difference."""
    started = time.perf_counter()
    gen.acrostic("春夏秋冬", form="七绝", num=1, seed=seed)
    return (time.perf_counter() - started) * 1000


CI_TUNE = "浣溪沙"  # the tune of the ci screenshot
COUPLET_FIRST = "春回大地千山秀"  # the 上联 of the couplet screenshot


def shoot(page, model, folder: Path) -> None:
    """The page with one poem and its overlay, and that poem alone, as PNG files in `folder`: the first
    seed's poem, with the tones left free, that breaks its template somewhere, so that the overlay has a
    break to show. Then one ci of CI_TUNE (serve-ci.png) and one 下联 to COUPLET_FIRST (serve-couplet.png),
    seed 1, alone. `model`: the app's ModelThread, which writes them."""
    from poetry_gen.prosody import check_poem

    folder.mkdir(parents=True, exist_ok=True)
    def free_tones(seed: int) -> str:
        return model.run(lambda gen: gen.acrostic("春夏秋冬", form="七绝", tones="off", seed=seed)[0].text)

    seed = next(seed for seed in range(1, 100) if check_poem(free_tones(seed)).breaks)
    fill(page, "春夏秋冬", seed=seed)
    page.select_option("#tones", "off")
    page.evaluate(CLICK_TO_POEM)
    page.screenshot(path=str(folder / "serve-page.png"), full_page=True)
    page.locator(".poem").first.screenshot(path=str(folder / "serve-poem.png"))
    page.check("input[name=mode][value=ci]")
    page.select_option("#tune", CI_TUNE)
    shoot_first(page, folder / "serve-ci.png")
    page.check("input[name=mode][value=couplet]")
    page.fill("#text", COUPLET_FIRST)
    shoot_first(page, folder / "serve-couplet.png")


def shoot_first(page, path: Path) -> None:
    """The first candidate of the request the page's form holds, with soft tones and seed 1, in `path`."""
    page.select_option("#tones", "soft")
    page.fill("#num", "1")
    page.fill("#seed", "1")
    page.evaluate(CLICK_TO_POEM)
    page.locator(".poem").first.screenshot(path=str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clicks", type=int, default=10, help="timed clicks (after one untimed)")
    parser.add_argument("--checkpoint", help="the model (default: the shipped one)")
    parser.add_argument("--threads", type=int, default=0, metavar="N",
                        help="CPU threads for torch, as serve --threads (default: 0, torch's choice, as serve)")
    parser.add_argument("--precision", default="auto", choices=PRECISIONS, help="as serve --precision (default: auto)")
    parser.add_argument("--chromium", default="/usr/lib/chromium/chromium", help="the Chromium binary")
    parser.add_argument("--screenshots", metavar="DIR", help="also save the README's screenshots here (serve-page, serve-poem, "
                                                                  "serve-ci, serve-couplet .png)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    check_whole(args.clicks, "--clicks", 1)
    check_whole(args.threads, "--threads", 0)
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(f"click to poem, one 七绝 acrostic, warm: median {result['median_ms']:.0f} ms over "
              f"{result['clicks']} clicks (min {result['min_ms']:.0f}, max {result['max_ms']:.0f}); the same poem "
              f"written by the library alone, between the clicks: median {result['generation_alone_median_ms']:.0f} ms")


if __name__ == "__main__":
    sys.exit(exit_status(main))
