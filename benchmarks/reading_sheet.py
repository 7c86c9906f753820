"""Does each judging signal agree with readers? (issue 19) A blind reading sheet of judged candidates,
and the agreement of each signal with the readers' scores once they are in.

    python -m benchmarks.sample_poems --out runs/poems.txt --candidates-out runs/candidates.jsonl
    python -m benchmarks.reading_sheet runs/candidates.jsonl --out runs/reading       # sheet.txt, key.jsonl
    python -m benchmarks.reading_sheet runs/candidates.jsonl --out runs/reading --scores runs/reading/scores.tsv

sheet.txt: per request, a few of its candidates shuffled, one per line as `ID<TAB>poem` (no scores, no
rank). key.jsonl: per ID, the request, its rank by the judgement and every signal. scores.tsv, from the
readers: `ID<TAB>score` (1-5, any number of readers: scores of an ID are averaged). With --scores it
prints, per signal, how often it orders two candidates of the same request as the readers do (pairs the
readers score alike are left out; 0.5 is chance).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from itertools import combinations
from pathlib import Path

from poetry_gen.cli import exit_status
from poetry_gen.errors import PoetryGenError
from poetry_gen.files import write_atomic


def read_json_lines(path) -> list:
    """The objects of a JSON Lines file; PoetryGenError naming the first line that is not one."""
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise PoetryGenError(f"{path}:{number}: not JSON ({err.msg})") from None
    return rows


def read_candidates(path) -> dict:
    by_request = defaultdict(list)
    for row in read_json_lines(path):
        by_request[row["request"]].append(row)
    return by_request


def write_sheet(by_request: dict, out, per_request: int, requests: int, seed: int = 0) -> int:
    """Writes sheet.txt and key.jsonl into `out`: `per_request` candidates (the judged best, the worst and
    others at random) of `requests` requests picked at random; returns how many poems."""
    rng = random.Random(seed)
    chosen = sorted(rng.sample(sorted(by_request), min(requests, len(by_request))))
    picked = []
    for request in chosen:
        rows = sorted(by_request[request], key=lambda r: r["rank"])
        middle = rng.sample(rows[1:-1], max(0, min(per_request - 2, len(rows) - 2)))
        picked += [rows[0], *middle, rows[-1]][:per_request]
    rng.shuffle(picked)
    sheet = "".join(f"{i}\t{row['poem']}\n" for i, row in enumerate(picked))
    key = "".join(json.dumps({"id": i, "request": row["request"], "rank": row["rank"], "score": row["score"],
                              "judgement": row.get("judgement")}, ensure_ascii=False) + "\n"
                  for i, row in enumerate(picked))
    write_atomic(Path(out) / "sheet.txt", sheet)
    write_atomic(Path(out) / "key.jsonl", key)
    return len(picked)


def agreement(key_path, scores_path) -> dict:
    """Per signal: the share of same-request pairs the readers tell apart that it orders as they do."""
    totals = defaultdict(list)
    for line in Path(scores_path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            ident, score = line.split("\t")[:2]
            totals[int(ident)].append(float(score))
    reader = {i: sum(s) / len(s) for i, s in totals.items()}
    key = read_json_lines(key_path)
    by_request = defaultdict(list)
    for row in key:
        if row["id"] in reader and row["judgement"]:
            by_request[row["request"]].append(row)
    agree, pairs = defaultdict(int), defaultdict(int)
    for rows in by_request.values():
        for a, b in combinations(rows, 2):
            if reader[a["id"]] == reader[b["id"]]:
                continue
            better = reader[a["id"]] > reader[b["id"]]
            for signal in set(a["judgement"]) & set(b["judgement"]):
                if a["judgement"][signal] != b["judgement"][signal]:
                    pairs[signal] += 1
                    agree[signal] += (a["judgement"][signal] > b["judgement"][signal]) == better
    return {signal: (agree[signal] / pairs[signal], pairs[signal]) for signal in sorted(pairs)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("candidates", metavar="CANDIDATES.jsonl", help="from sample_poems --candidates-out")
    parser.add_argument("--out", required=True, metavar="DIR", help="where sheet.txt and key.jsonl go")
    parser.add_argument("--per-request", type=int, default=4, metavar="N")
    parser.add_argument("--requests", type=int, default=24, metavar="N")
    parser.add_argument("--scores", metavar="FILE.tsv", help="readers' scores: ID<TAB>score per line")
    args = parser.parse_args(argv)
    if args.scores:
        for signal, (share, pairs) in agreement(Path(args.out) / "key.jsonl", args.scores).items():
            print(f"{signal:<12} agrees with the readers on {share:.1%} of {pairs} pairs")
        return
    n = write_sheet(read_candidates(args.candidates), args.out, args.per_request, args.requests)
    print(f"{n} poems in {args.out}/sheet.txt; their signals in {args.out}/key.jsonl")


if __name__ == "__main__":
    sys.exit(exit_status(main))
