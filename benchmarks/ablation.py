"""The model card's ablation table (issue 5): train variants of one recipe side by side, evaluate each
on the test split (all of it, and the poems that share no line with the train split), in float32 and
as stored in float16 and in int8, and write the table.

    python -m benchmarks.ablation --data corpus/tang --out runs/ablation --preset shipped --device cuda \
                                  --parallel 4
    python -m benchmarks.ablation --data corpus/tang --out runs/ablation-cpu --preset cpu --parallel 2 \
                                  --threads 1 [--only none "luong, hidden values"]
    python -m benchmarks.ablation --data corpus/tang --corpus all=corpus/all --out runs/issue20 \
                                  --preset issue20 --device cuda --parallel 6

Every variant is `poetry-gen train` with the preset's base options and its own (later options win), so
each row of the table is one command a user can rerun. A variant whose run has finished is not trained
again; an interrupted one resumes from its .last.pt. The table, OUT/ablation.md and OUT/ablation.json,
holds every finished variant of the preset, also those `--only` left out, each measured once (RUN/row.json).
Train time is wall time, so compare times only between runs that ran side by side.

Test perplexity is always on --data's test split with nothing before the poems (a model trained on
another corpus reads its text in its own vocabulary), so that every row compares; a model trained with
form tokens or plans also gets "fed" test perplexity, each poem after what training put before it.
A variant's `--data @NAME` trains on the corpus given as `--corpus NAME=DIR`; without it the row is left out.
"""
from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from pathlib import Path

from poetry_gen.cli import exit_status
from poetry_gen.config import RunConfig, flag
from poetry_gen.errors import PoetryGenError
from poetry_gen.files import write_atomic

# The base recipe is `poetry-gen train`'s defaults for 8 epochs (the shipped model is its "12 epochs" row);
# the classic configuration is the book's model and optimiser (Adam 1e-3, no schedule, no clipping, no
# dropout) for its 20 epochs.
CLASSIC = ["--attention", "none", "--embed", "128", "--hidden", "256", "--layers", "2", "--dropout", "0",
           "--lr", "1e-3", "--min-lr-ratio", "1", "--warmup", "0", "--weight-decay", "0", "--clip", "0",
           "--keyword-rate", "0"]
# Issue 20's levers, each on and off at equal training: form tokens, plan, data, size (int8 storage is a
# measurement of each trained model, not a training option). Without --plan-rate and --form-rate a run
# trains with both, so the data and size rows have them too.
ISSUE20_VARIANTS = {
    "neither": ["--form-rate", "0", "--plan-rate", "0"],  # the recipe before issue 20
    "form tokens": ["--plan-rate", "0"],
    "plan": ["--form-rate", "0"],
    "form tokens and plan": [],
    "embed 384, hidden 768": ["--embed", "384", "--hidden", "768"],
    "all shi and ci": ["--data", "@all"],
    "all shi and ci, embed 384, hidden 768": ["--data", "@all", "--embed", "384", "--hidden", "768"],
}
PRESETS = {
    "shipped": {
        "base": ["--epochs", "8"],
        "variants": {  # the most telling first: `--only` a prefix of them when time is short
            "default": [],
            "none": ["--attention", "none"],
            "luong, hidden values": ["--combine", "luong", "--values", "hidden"],  # the design before
            "classic, 20 epochs": CLASSIC + ["--epochs", "20"],
            "no keywords": ["--keyword-rate", "0"],
            "none, 10 epochs": ["--attention", "none", "--epochs", "10"],  # for equal time, if it is ~25% faster
            "residual, hidden values": ["--values", "hidden"],
            "tied": ["--tie"],
            "dropout 0.1": ["--dropout", "0.1"],
            "dropout 0.4": ["--dropout", "0.4"],
            "embed 384, hidden 768": ["--embed", "384", "--hidden", "768"],
            "span 32": ["--span", "32"],
            "constant lr": ["--min-lr-ratio", "1"],
            "4 epochs": ["--epochs", "4"],
            "12 epochs": ["--epochs", "12"],
            "SE channel attention": ["--channel-attention", "se"],
            "ECA channel attention": ["--channel-attention", "eca"],
        },
    },
    # A scale that trains in minutes on two CPU cores (two runs side by side, one thread each), to compare
    # attention designs there. "equal time": --attention none is ~10% faster a step on this CPU, so it gets
    # 442 steps for the attention runs' 400.
    "cpu": {
        "base": ["--embed", "192", "--hidden", "384", "--dropout", "0.1", "--tie", "--batch-size", "64",
                 "--keyword-rate", "0", "--lr", "3e-3", "--warmup", "50", "--max-steps", "400",
                 "--eval-interval", "100"],
        "variants": {
            "none": ["--attention", "none"],
            "none, seed 1": ["--attention", "none", "--seed", "1"],
            "none, equal time": ["--attention", "none", "--max-steps", "442"],
            "luong, hidden values": ["--combine", "luong", "--values", "hidden"],
            "residual, hidden values": ["--combine", "residual", "--values", "hidden"],
            "residual, embedding values": ["--combine", "residual", "--values", "embedding"],
            "residual, embedding values, seed 1": ["--combine", "residual", "--values", "embedding", "--seed", "1"],
            "luong, embedding values": ["--combine", "luong", "--values", "embedding"],
            "residual, embedding values, keywords": ["--combine", "residual", "--values", "embedding",
                                                     "--keyword-rate", "0.3"],
            "none, 1,320 steps": ["--attention", "none", "--max-steps", "1320", "--eval-interval", "220"],
            "residual, embedding values, 1,200 steps": ["--combine", "residual", "--values", "embedding",
                                                        "--max-steps", "1200", "--eval-interval", "200"],
            # the default recipe (the row "residual, embedding values") with a causal channel gate (issue 25)
            "residual, embedding values, SE": ["--combine", "residual", "--values", "embedding",
                                               "--channel-attention", "se"],
            "residual, embedding values, ECA": ["--combine", "residual", "--values", "embedding",
                                                "--channel-attention", "eca"],
            # equal time: SE and ECA took 4% longer a step than no gate (python -m benchmarks.step_time)
            "residual, embedding values, 416 steps": ["--combine", "residual", "--values", "embedding",
                                                      "--max-steps", "416"],
        },
    },
    # train's defaults for 8 epochs, as the shipped preset: for a GPU (about 11 minutes of an H200 for 14 runs
    # of the Tang corpus, six at a time; the all-shi rows read 4.5 times as many poems)
    "issue20": {"base": ["--epochs", "8"], "variants": ISSUE20_VARIANTS},
    # the same levers at a scale that trains in a few CPU minutes each (the model card's measurements, on a
    # 2-core machine shared by six)
    "issue20-cpu": {
        "base": ["--embed", "128", "--hidden", "256", "--batch-size", "32", "--lr", "3e-3", "--warmup", "50",
                 "--max-steps", "300", "--eval-interval", "100"],
        "variants": {name: options for name, options in ISSUE20_VARIANTS.items() if "--embed" not in options},
    },
}


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name).strip("-")


def run_options(options: list) -> list:
    """The options a resumed run still takes (it keeps its checkpoint's model, data and optimisation)."""
    run_flags = {flag(f) for f in fields(RunConfig)}
    kept, keep = [], False
    for token in options:
        if token.startswith("--"):
            keep = token in run_flags
        if keep:
            kept.append(token)
    return kept


def with_corpora(options: list, corpora: dict) -> list:
    """`options` with each `@NAME` replaced by the directory of corpus NAME; KeyError names a missing one."""
    return [corpora[token[1:]] if token.startswith("@") else token for token in options]


def train_command(data: str, run_dir: Path, options: list, device: str, threads: int) -> list:
    resume = (run_dir / "model.last.pt").is_file()
    command = [sys.executable, "-m", "poetry_gen", "train", "--data", data, "--out", str(run_dir / "model.pt"),
               "--device", device, "--no-progress", *(run_options(options) + ["--resume"] if resume else options)]
    if threads:
        command += ["--threads", str(threads)]
    return command


def finished(run_dir: Path) -> bool:
    return (run_dir / "done.json").is_file()


def train_variant(data: str, run_dir: Path, options: list, device: str, threads: int) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    command = train_command(data, run_dir, options, device, threads)
    with open(run_dir / "train.log", "a", encoding="utf-8") as log:
        code = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT)
    if code == 0:
        write_atomic(run_dir / "done.json", json.dumps({"command": command[1:]}))


def measure(data: str, run_dir: Path, device: str) -> dict:
    """Training numbers from metrics.jsonl and test perplexities of the best checkpoint, as trained and
    as exported in float16 (the shipped storage) and in int8 (export's default since issue 20)."""
    from poetry_gen.checkpoint import export_checkpoint, load_checkpoint
    from poetry_gen.evaluate import conditioned_perplexity, evaluate_split

    metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]
    best = min(metrics, key=lambda m: m["val_ppl"])
    row = {"steps": metrics[-1]["step"], "train_s": metrics[-1]["elapsed_s"], "best_val_ppl": best["val_ppl"],
           "best_step": best["step"]}
    half, int8 = run_dir / "model.half.pt", run_dir / "model.int8.pt"
    export_checkpoint(run_dir / "model.pt", half, weights="float16")
    export_checkpoint(run_dir / "model.pt", int8, weights="int8")
    for label, path in (("", run_dir / "model.pt"), ("half_", half), ("int8_", int8)):
        ckpt = load_checkpoint(path, device=device)
        result = evaluate_split(ckpt.model, ckpt.vocab, data, "test", device=device)
        novel = result.novel.ppl if result.novel else math.nan
        row |= {f"{label}test_ppl": result.whole.ppl, f"{label}novel_ppl": novel}
    fed, trained = None, load_checkpoint(run_dir / "model.pt", device=device)  # fed as trained: in float32
    if trained.form_tokens or trained.plan_words is not None:
        fed = conditioned_perplexity(trained.model, trained.vocab, data, "test", device, forms=trained.form_tokens,
                                     plans=trained.plan_words is not None)
    row["fed_test_ppl"] = fed.ppl if fed else math.nan
    row["parameters"] = sum(p.numel() for p in ckpt.model.parameters())
    row["half_mb"], row["int8_mb"] = half.stat().st_size / 1e6, int8.stat().st_size / 1e6
    return row


def measured(data: str, run_dir: Path, device: str) -> dict:
    """measure(), kept beside the run so that a table of many long runs evaluates each of them once."""
    cache = run_dir / "row.json"
    if cache.is_file() and cache.stat().st_mtime >= (run_dir / "model.pt").stat().st_mtime:
        return json.loads(cache.read_text(encoding="utf-8"))
    row = measure(data, run_dir, device)
    write_atomic(cache, json.dumps(row))
    return row


def table(rows: list) -> str:
    lines = ["| variant | options | parameters | steps | train s | best val ppl (step) | test ppl | novel ppl "
             "| test ppl, float16 | test ppl, int8 | test ppl, fed as trained |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        # rows measured before these columns existed have none
        fed, int8 = r.get("fed_test_ppl", math.nan), r.get("int8_test_ppl", math.nan)
        lines.append(f"| {r['variant']} | `{' '.join(r['options']) or '(recipe)'}` | {r['parameters'] / 1e6:.1f} M "
                     f"| {r['steps']:,} | {r['train_s']:,.0f} | {r['best_val_ppl']:.1f} ({r['best_step']:,}) "
                     f"| {r['test_ppl']:.1f} | {r['novel_ppl']:.1f} | {r['half_test_ppl']:.2f} "
                     f"| {'–' if math.isnan(int8) else f'{int8:.2f}'} | {'–' if math.isnan(fed) else f'{fed:.1f}'} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="a built corpus")
    parser.add_argument("--out", required=True, help="directory for the runs and the table")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="shipped")
    parser.add_argument("--only", nargs="+", metavar="VARIANT", help="these variants (default: all)")
    parser.add_argument("--parallel", type=int, default=1, help="runs at once (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads a run (default: torch's choice)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--corpus", action="append", default=[], metavar="NAME=DIR",
                        help="a further corpus, which variants name as --data @NAME (repeatable)")
    args = parser.parse_args(argv)
    corpora = dict(item.split("=", 1) for item in args.corpus if "=" in item)
    if len(corpora) != len(args.corpus):
        parser.error("--corpus takes NAME=DIR")

    preset = PRESETS[args.preset]
    names = args.only or list(preset["variants"])
    unknown = sorted(set(names) - set(preset["variants"]))
    if unknown:
        parser.error(f"no variant {unknown[0]!r} in preset {args.preset} (variants: {', '.join(preset['variants'])})")
    out = Path(args.out)
    run_dirs = {name: out / slug(name) for name in preset["variants"]}
    runs = {}
    for name in names:
        try:
            runs[name] = (run_dirs[name], with_corpora(preset["base"] + preset["variants"][name], corpora))
        except KeyError as missing:
            print(f"{name}: left out, no --corpus {missing.args[0]}=DIR", file=sys.stderr)
    todo = [run for run in runs.values() if not finished(run[0])]
    with ThreadPoolExecutor(max(args.parallel, 1)) as pool:
        for _ in pool.map(lambda run: train_variant(args.data, *run, args.device, args.threads), todo):
            pass
    rows, failed = [], []
    for name, options in preset["variants"].items():
        run_dir = run_dirs[name]
        if not finished(run_dir):
            if name in runs:
                print(f"{name}: training did not finish, see {run_dir / 'train.log'}", file=sys.stderr)
                failed.append(name)
            continue
        try:
            rows.append({"variant": name, "options": options} | measured(args.data, run_dir, args.device))
        except PoetryGenError as err:
            print(f"{name}: {err}", file=sys.stderr)
            failed.append(name)
    write_atomic(out / "ablation.json", json.dumps({"preset": args.preset, "base": preset["base"],
                                                         "rows": rows}, ensure_ascii=False, indent=1))
    write_atomic(out / "ablation.md", f"base options: `{' '.join(preset['base'])}`\n\n" + table(rows))
    print(table(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(exit_status(main))
