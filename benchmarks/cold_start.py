"""How long a new user waits: a cold `poetry-gen generate` against a bare `import torch` (issue 23).

Each round runs, one after the other, `python -c "import torch"` and `python -m poetry_gen generate
--acrostic 春夏秋冬`, each in a fresh process, so both see the same machine load (the machine is shared
and noisy); the medians over the rounds and their difference are printed. A third process per round
times, after `import torch`, the generator's own loading (`load_generator`, with the CLI's cache) and its
first poem.

    python -m benchmarks.cold_start                     # 5 rounds, the user's cache
    python -m benchmarks.cold_start --fresh-cache       # each round with an empty cache directory

The target: the generate command within 1.5 s of `import torch`, the generator's loading ≤ 0.3 s.
Run from the repository root.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from poetry_gen.checks import check_whole
from poetry_gen.cli import exit_status

REQUEST = ["generate", "--acrostic", "春夏秋冬", "--seed", "1"]
IN_PROCESS = """
import json, time
import torch
from poetry_gen import load_generator
from poetry_gen.cli import user_cache_dir
t0 = time.perf_counter()
gen = load_generator(device="cpu", threads=1, cache_dir=user_cache_dir())  # as the CLI does
t1 = time.perf_counter()
gen.acrostic("春夏秋冬", seed=1)
t2 = time.perf_counter()
print(json.dumps({"load_generator": t1 - t0, "first_poem": t2 - t1}))
"""


def wall(command: list, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def run_round(env: dict) -> dict:
    torch_s = wall([sys.executable, "-c", "import torch"], env)
    generate_s = wall([sys.executable, "-m", "poetry_gen", *REQUEST], env)
    parts = json.loads(subprocess.run([sys.executable, "-c", IN_PROCESS], env=env, check=True,
                                      capture_output=True, text=True).stdout)
    return {"import_torch": torch_s, "generate": generate_s, **parts}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--fresh-cache", action="store_true",
                        help="point XDG_CACHE_HOME at a new empty directory before every round")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    check_whole(args.rounds, "--rounds", 1)
    rounds = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, **({"XDG_CACHE_HOME": cache} if args.fresh_cache else {}))
            rounds.append(run_round(env))
    medians = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    medians["generate_minus_import_torch"] = medians["generate"] - medians["import_torch"]
    medians["generate_over_import_torch"] = medians["generate"] / medians["import_torch"]
    if args.json:
        print(json.dumps({"rounds": rounds, "medians": medians}, indent=1))
        return
    for key, value in medians.items():
        unit = "×" if key.endswith("over_import_torch") else " s"
        print(f"{key:30} {value:7.3f}{unit}")
    cache = "a new empty one each round" if args.fresh_cache else "the user's"
    print(f"({args.rounds} rounds, median of each; cache: {cache})")


if __name__ == "__main__":
    sys.exit(exit_status(main))
