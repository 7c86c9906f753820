"""What each way of storing a checkpoint's weights costs (issue 20): file size, test perplexity and load
time of one trained checkpoint exported as float32, float16 and int8 (`poetry-gen export --weights`), and
the file size a model of another size would have.

    python -m benchmarks.checkpoint_storage --checkpoint checkpoints/default.pt --data corpus/tang
    python -m benchmarks.checkpoint_storage --checkpoint checkpoints/default.pt --sizes 384x768 --no-eval

Load time is `load_checkpoint` (torch already imported, the file in the page cache), the formats taking
turns within each round so that they see the same machine load; the medians and each format's median
ratio to float16 within a round are printed. A model size `EMBEDxHIDDEN` is built (other options as in
the checkpoint's config, its vocabulary and theme words) with untrained weights and saved in each format:
the file's size does not depend on the values of its weights. Run from the repository root.
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from poetry_gen.checkpoint import export_checkpoint, load_checkpoint, save_checkpoint
from poetry_gen.checks import check_whole
from poetry_gen.cli import exit_status
from poetry_gen.config import WEIGHT_FORMATS
from poetry_gen.evaluate import evaluate_split
from poetry_gen.model import PoetryLM


def load_times(paths: dict, rounds: int) -> dict:
    """{format: [seconds of each round]}, the formats loaded in turn within a round."""
    times = {name: [] for name in paths}
    for _ in range(rounds):
        for name, path in paths.items():
            start = time.perf_counter()
            load_checkpoint(path)
            times[name].append(time.perf_counter() - start)
    return times


def size_of(config, ckpt, weights: str, folder: Path) -> int:
    """Bytes of a checkpoint of a model built from `config`, with `ckpt`'s vocabulary and theme words."""
    path = folder / f"size-{weights}.pt"
    save_checkpoint(path, model=PoetryLM(config), vocab=ckpt.vocab, train_state={}, theme_words=ckpt.theme_words,
                    weights=weights)
    return path.stat().st_size


def model_size(text: str) -> tuple:
    """'384x768' → (384, 768), for argparse."""
    embed, _, hidden = text.partition("x")
    if not (embed.isdecimal() and hidden.isdecimal() and int(embed) > 0 and int(hidden) > 0):
        raise argparse.ArgumentTypeError(f"a size is EMBEDxHIDDEN, e.g. 384x768, not {text!r}")
    return int(embed), int(hidden)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="checkpoints/default.pt")
    parser.add_argument("--data", default="corpus/tang", help="a built corpus: test perplexity of each format")
    parser.add_argument("--no-eval", dest="evaluate", action="store_false", help="skip the perplexities")
    parser.add_argument("--rounds", type=int, default=9, help="load-time rounds (default: 9)")
    parser.add_argument("--sizes", nargs="*", default=[], metavar="EMBEDxHIDDEN", type=model_size,
                        help="also the file sizes of models this wide, e.g. 384x768")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    check_whole(args.rounds, "--rounds", 1)
    check_whole(args.threads, "--threads", 1)
    torch.set_num_threads(args.threads)
    ckpt = load_checkpoint(args.checkpoint)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = {weights: folder / f"{weights}.pt" for weights in WEIGHT_FORMATS}
        for weights, path in paths.items():
            export_checkpoint(args.checkpoint, path, weights=weights)
        times = load_times(paths, args.rounds)
        print(f"{args.checkpoint}: {sum(p.numel() for p in ckpt.model.parameters()):,} parameters; load "
              f"times over {args.rounds} interleaved rounds, {args.threads} thread(s)")
        print("| weights | file MB | load s (median) | load / float16 (median of rounds) | test ppl | novel ppl |")
        print("|---|---:|---:|---:|---:|---:|")
        for weights, path in paths.items():
            ratio = statistics.median(a / b for a, b in zip(times[weights], times["float16"]))
            ppl = ""
            if args.evaluate:
                loaded = load_checkpoint(path)
                whole, novel = evaluate_split(loaded.model, loaded.vocab, args.data, "test")
                ppl = f"{whole.ppl:.3f} | {novel.ppl:.3f}" if novel else f"{whole.ppl:.3f} | –"
            print(f"| {weights} | {path.stat().st_size / 1e6:.2f} | {statistics.median(times[weights]):.3f} "
                  f"| {ratio:.2f} | {ppl or '– | –'} |")
        for embed, hidden in args.sizes:
            config = dataclasses.replace(ckpt.config, embed_dim=embed, hidden_dim=hidden)
            count = sum(p.numel() for p in PoetryLM(config).parameters())
            sizes = ", ".join(f"{w} {size_of(config, ckpt, w, folder) / 1e6:.2f} MB" for w in WEIGHT_FORMATS)
            print(f"embed {embed}, hidden {hidden}, vocabulary {config.vocab_size:,}: {count:,} parameters; {sizes}")
    return 0


if __name__ == "__main__":
    sys.exit(exit_status(main))
