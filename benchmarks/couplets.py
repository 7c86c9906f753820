"""The couplet evaluation (issue 21): 下联 written for held-out 上联, measured by the couplet's rules.

    python -m benchmarks.couplets --data corpus/tang --out runs/couplets
    python -m benchmarks.couplets --data corpus/tang --out runs/couplets-new --checkpoint runs/new/model.pt

The 上联: the first lines of the middle couplets (lines 3 and 5) of the 律诗 of DIR's test split, in split
order, the first 300 (the model never trained on them); then the 50 modern spring-festival lines of
benchmarks/couplets_modern.txt (written for this evaluation). Each is answered once, with seed 1 and the
default options (16 candidates judged, the best kept): nothing is picked by hand.

Measured on the generated 下联 (couplet.check_couplet): the hard-rule rates (length, marks, 下联 ends 平, no
repeat), the tone opposition at the key positions (not the same: a 中 character may be read either way;
certainly opposite: both tones known), the 对仗 score and pairing; for the Tang 上联 the same of the real
下联, and how often the generated 下联 scores at least the real one's 对仗.

Writes into OUT:
    couplets.jsonl   one row per 上联: set, 上联, 下联 generated and real (Tang only), both checks
    report.md        the numbers, and the first 10 couplets of each set (the 20 samples)
    blind.txt        for a blind reading: per line `ID<TAB>上联<TAB>A<TAB>B`, A and B the real and the
                     generated 下联 of one Tang 上联 in random order (--blind of them, drawn with seed 0)
    blind-key.jsonl  per ID: which of A and B is the real one, and the 上联's row in couplets.jsonl
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import warnings
from pathlib import Path

from poetry_gen import load_generator
from poetry_gen.cli import exit_status
from poetry_gen.corpus import load_poems
from poetry_gen.couplet import check_couplet
from poetry_gen.errors import PoetryGenError
from poetry_gen.files import write_atomic, write_json
from poetry_gen.parallelism import lushi_lines

MODERN = Path(__file__).with_name("couplets_modern.txt")
HELD_OUT = 300
SAMPLES = 10  # couplets of each set shown in the report: the first ones, not picked
FIRST_LINES = (2, 4)  # 0-based: the first lines of a 律诗's middle couplets


def tang_couplets(directory, limit: int = HELD_OUT) -> list:
    """(上联, real 下联) of the middle couplets of the test split's 律诗, in split order."""
    pairs = [(lines[i], lines[i + 1]) for lines in lushi_lines(load_poems(directory, "test")) for i in FIRST_LINES]
    return pairs[:limit]


def modern_first_lines() -> list:
    return [line.strip() for line in MODERN.read_text(encoding="utf-8").splitlines() if line.strip()]


def answer(gen, first: str, seed: int) -> dict:
    """The best 下联 for `first` and its check; or why there is none."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a 上联 ending 平: counted from its check instead
        try:
            best = gen.couplet(first, seed=seed)[0]
        except PoetryGenError as err:
            return {"error": str(err)}
    return {"second": best.lines[1], "check": best.couplet.to_dict()}


def rates(checks: list) -> dict:
    """The measured numbers of a list of CoupletCheck dicts (to_dict)."""
    n = len(checks)
    keys = sum(len(c["key_positions"]) for c in checks)
    hard = {rule: sum(c["hard"][rule] for c in checks) / n for rule in ("length", "marks", "repeats")}
    scored = [c for c in checks if c["parallelism"]]
    return {
        "couplets": n,
        **hard,
        "second_ends_ping": sum(c["ends"][1] for c in checks) / n,
        "all_hard_but_first_end": sum(all(c["hard"][r] for r in ("length", "marks", "repeats"))
                                      and c["ends"][1] for c in checks) / n,
        "key_positions": keys,
        "tones_not_same": 1 - sum(len(c["tone_breaks"]) for c in checks) / keys,
        "tones_certainly_opposite": sum(c["opposed"] for c in checks) / keys,
        "parallelism": statistics.mean(c["parallelism"]["score"] for c in scored),
        "parallelism_median": statistics.median(c["parallelism"]["score"] for c in scored),
        "pairing": statistics.mean(c["pairing"] for c in scored),
    }


def run(gen, directory, seed: int) -> list:
    rows = [{"set": "tang", "first": a, "real": b} for a, b in tang_couplets(directory)]
    rows += [{"set": "modern", "first": a, "real": None} for a in modern_first_lines()]
    for i, row in enumerate(rows):
        row.update(answer(gen, row["first"], seed))
        if row["real"]:
            row["real_check"] = check_couplet(row["first"], row["real"]).to_dict()
        if (i + 1) % 50 == 0:
            print(f"{i + 1}/{len(rows)}", flush=True)
    return rows


def summary(rows: list) -> dict:
    out = {}
    answered = [r for r in rows if "check" in r]
    for name, subset in (("tang", [r for r in answered if r["set"] == "tang"]),
                         ("modern", [r for r in answered if r["set"] == "modern"]), ("all", answered)):
        out[name] = {"generated": rates([r["check"] for r in subset]),
                     "first_lines_ending_ping": sum(not r["check"]["ends"][0] for r in subset)}
        real = [r for r in subset if r.get("real_check")]
        if real:
            out[name]["real"] = rates([r["real_check"] for r in real])
            paired = [r for r in real if r["real_check"]["parallelism"]]
            out[name]["generated_at_least_real"] = sum(
                r["check"]["parallelism"]["score"] >= r["real_check"]["parallelism"]["score"] for r in paired) / len(paired)
    out["not_answered"] = [{"first": r["first"], "error": r["error"]} for r in rows if "error" in r]
    return out


def _table(numbers: dict) -> str:
    names = [("couplets", "couplets", "{:d}"), ("length", "same length", "{:.2f}"), ("marks", "same marks", "{:.2f}"),
             ("second_ends_ping", "下联 ends 平", "{:.2f}"), ("repeats", "no repeat (but mirrored)", "{:.2f}"),
             ("all_hard_but_first_end", "all four", "{:.2f}"), ("key_positions", "key positions", "{:,}"),
             ("tones_not_same", "key tones not the same", "{:.3f}"),
             ("tones_certainly_opposite", "key tones certainly opposite", "{:.3f}"),
             ("parallelism", "对仗 (mean)", "{:.3f}"), ("parallelism_median", "对仗 (median)", "{:.3f}"),
             ("pairing", "pairing PMI (mean)", "{:+.3f}")]
    columns = list(numbers)
    out = ["| | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for key, label, fmt in names:
        out.append(f"| {label} | " + " | ".join(fmt.format(numbers[c][key]) for c in columns) + " |")
    return "\n".join(out)


def report(rows: list, numbers: dict, seconds: float, checkpoint) -> str:
    tang, modern = numbers["tang"], numbers["modern"]
    columns = {"Tang, generated": tang["generated"], "Tang, real": tang["real"],
               "modern, generated": modern["generated"], "all generated": numbers["all"]["generated"]}
    out = [f"# Couplets: {checkpoint or 'the shipped model'}, seed 1, default options", "",
           f"{len(rows)} 上联 ({sum(r['set'] == 'tang' for r in rows)} Tang test-split, "
           f"{sum(r['set'] == 'modern' for r in rows)} modern); {len(numbers['not_answered'])} not answered; "
           f"{seconds:.0f} s. 上联 ending 平 (answered with a warning): Tang {tang['first_lines_ending_ping']}, "
           f"modern {modern['first_lines_ending_ping']}.", "", _table(columns), "",
           f"Generated 对仗 at least the real 下联's, same 上联: {tang['generated_at_least_real']:.3f} of the Tang "
           f"上联.", ""]
    for name in ("tang", "modern"):
        out.append(f"## The first {SAMPLES} {name} 上联 (samples, not picked)")
        out.append("")
        for r in [r for r in rows if r["set"] == name and "check" in r][:SAMPLES]:
            real = f"  (real: {r['real']}, 对仗 {r['real_check']['parallelism']['score']:.2f})" if r["real"] else ""
            out.append(f"- {r['first']}，{r['second']}。 对仗 {r['check']['parallelism']['score']:.2f}{real}")
        out.append("")
    for miss in numbers["not_answered"]:
        out.append(f"- not answered: {miss['first']}: {miss['error']}")
    return "\n".join(out) + "\n"


def blind_sheet(rows: list, count: int, seed: int = 0) -> tuple:
    """(sheet, key): `count` Tang 上联 drawn at random, each with its real and generated 下联 as A and B."""
    rng = random.Random(seed)
    tang = [i for i, r in enumerate(rows) if r["set"] == "tang" and "check" in r]
    sheet, key = [], []
    for ident, index in enumerate(sorted(rng.sample(tang, min(count, len(tang))))):
        row = rows[index]
        real_first = rng.random() < 0.5
        a, b = (row["real"], row["second"]) if real_first else (row["second"], row["real"])
        sheet.append(f"{ident}\t{row['first']}\t{a}\t{b}\n")
        key.append(json.dumps({"id": ident, "row": index, "real": "A" if real_first else "B"}) + "\n")
    return "".join(sheet), "".join(key)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="a built corpus: its test split's 律诗 give the Tang 上联")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--checkpoint", help="the model (default: the shipped one)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--blind", type=int, default=40, help="pairs in the blind-reading sheet (default: 40)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    gen = load_generator(args.checkpoint, device="cpu", threads=args.threads)
    start = time.perf_counter()
    rows = run(gen, args.data, args.seed)
    seconds = time.perf_counter() - start
    numbers = summary(rows)
    write_atomic(out / "couplets.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    write_json(out / "summary.json", numbers)
    text = report(rows, numbers, seconds, args.checkpoint)
    write_atomic(out / "report.md", text)
    sheet, key = blind_sheet(rows, args.blind)
    write_atomic(out / "blind.txt", sheet)
    write_atomic(out / "blind-key.jsonl", key)
    print(text)


if __name__ == "__main__":
    sys.exit(exit_status(main))
