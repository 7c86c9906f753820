"""Does a change to the decoder keep the shipped model's poems? Writes a fixed set of requests (every
form, free length, acrostic, start text, theme, named rhyme, strict and no tones, candidates judged,
a revision) with the shipped model, one JSON line per request: the poems' text, score and judgement.
Run it before and after the change and compare the two files:

    python -m benchmarks.same_poems --out before.jsonl          # on the commit before the change
    python -m benchmarks.same_poems --out after.jsonl --compare before.jsonl

`--seeds N` adds the requests of SWEEP, with the default options (16 candidates judged), for seeds
0..N-1: a change to the speed of the default path must keep every one of them.

Run from the repository root.
"""
from __future__ import annotations

import argparse
import json
import sys

from poetry_gen import load_generator
from poetry_gen.cli import exit_status
from poetry_gen.config import PRECISIONS
from poetry_gen.files import write_atomic

# (method, arguments): gen.generate / gen.acrostic with keyword arguments; "revise" revises the first
# poem of the generate request it names by index.
REQUESTS = [
    ("generate", {"form": form, "seed": seed, "num": 2, "candidates": 4})
    for form in ("五绝", "七绝", "五律", "七律") for seed in (1, 7)
] + [
    ("generate", {"seed": 3, "num": 3}),  # the default: 七绝, 16 candidates judged
    ("generate", {"chars": 5, "seed": 2, "candidates": 1}),  # free length
    ("generate", {"chars": 7, "lines": 6, "seed": 4, "candidates": 2}),
    ("generate", {"chars": 5, "lines": 3, "seed": 4, "candidates": 2}),  # an odd number of lines
    ("generate", {"start": "床前明月光", "seed": 5, "candidates": 3}),
    ("generate", {"start": "白日依山尽，黄河入海流。", "form": "五律", "seed": 6, "candidates": 3}),
    ("generate", {"start": "春风", "form": "七绝", "seed": 6, "candidates": 2}),
    ("generate", {"theme": "写一首关于秋天思乡的七言绝句", "seed": 1, "num": 2}),
    ("generate", {"theme": "明月 边塞", "form": "五律", "seed": 2, "candidates": 3}),
    ("generate", {"form": "七绝", "rhyme": "阳", "seed": 8, "candidates": 3}),
    ("generate", {"form": "五绝", "rhyme": False, "tones": "off", "seed": 9, "candidates": 3}),
    ("generate", {"form": "七律", "tones": "strict", "seed": 10, "candidates": 3}),
    ("generate", {"form": "五绝", "temperature": 0.0, "candidates": 1, "seed": 0}),
    ("generate", {"form": "七绝", "top_k": 20, "top_p": 1.0, "seed": 11, "candidates": 3}),
    ("acrostic", {"heads": "春夏秋冬", "seed": 1, "num": 2}),
    ("acrostic", {"heads": "山水风月花", "seed": 2, "candidates": 3}),
    ("acrostic", {"heads": "明月", "form": "五绝", "seed": 3, "candidates": 3}),
    ("acrostic", {"heads": "一二三四五六七八九十", "chars": 5, "seed": 4, "candidates": 2}),
    ("acrostic", {"heads": "江南", "theme": "秋", "seed": 5, "candidates": 2}),
    ("revise", {"of": 0, "line": 3, "seed": 1, "num": 2}),
    ("revise", {"of": 22, "line": 2, "keep_head": True, "seed": 2}),  # the acrostic 春夏秋冬
    ("revise", {"of": 9, "line": 2, "seed": 3}),  # the free-length poem
]

# the requests a latency change is checked on, each with seeds 0..N-1 (--seeds N)
SWEEP = [
    ("generate", {"form": "七绝"}),
    ("acrostic", {"heads": "春夏秋冬", "form": "七绝"}),
    ("generate", {"theme": "秋 思乡", "form": "七绝"}),
    ("generate", {"form": "五律"}),
    ("generate", {"form": "浣溪沙"}),
    ("couplet", {"first": "春回大地千山秀"}),
]


def answer(gen, method: str, kwargs: dict, first_poems: list) -> list:
    kwargs = dict(kwargs)
    if method == "generate":
        return gen.generate(**kwargs)
    if method == "acrostic":
        return gen.acrostic(kwargs.pop("heads"), **kwargs)
    if method == "couplet":
        return gen.couplet(kwargs.pop("first"), **kwargs)
    return gen.revise(first_poems[kwargs.pop("of")], kwargs.pop("line"), **kwargs)


def write_all(gen, seeds: int = 0) -> list:
    rows, first_poems = [], []
    sweep = [(method, {**kwargs, "seed": seed}) for seed in range(seeds) for method, kwargs in SWEEP]
    for method, kwargs in REQUESTS + sweep:
        poems = answer(gen, method, kwargs, first_poems)
        first_poems.append(poems[0])
        rows.append({"method": method, "request": kwargs,
                     "poems": [{"text": p.text, "score": p.score, "judgement": p.judgement} for p in poems]})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="where the JSON lines go")
    parser.add_argument("--compare", metavar="FILE", help="an earlier --out: report every request that differs")
    parser.add_argument("--seeds", type=int, default=0, metavar="N", help="also the SWEEP requests with seeds 0..N-1")
    parser.add_argument("--precision", default="auto", choices=PRECISIONS,
                        help="of the model's matrices (default: auto, as the CLI; float32 to compare with a "
                             "commit before bfloat16.py)")
    args = parser.parse_args(argv)
    gen = load_generator(threads=1, precision=args.precision)
    rows = write_all(gen, args.seeds)
    write_atomic(args.out, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    print(f"{len(rows)} requests, {sum(len(r['poems']) for r in rows)} poems written to {args.out}")
    if not args.compare:
        return 0
    with open(args.compare, encoding="utf-8") as f:
        before = [json.loads(line) for line in f]
    differ = [(i, old, new) for i, (old, new) in enumerate(zip(before, rows)) if old != new]
    for i, old, new in differ:
        print(f"request {i} ({new['method']} {new['request']}) differs:\n  before {old['poems']}\n  after  {new['poems']}")
    same = len(before) == len(rows) and not differ
    print("identical: every poem, score and judgement" if same else f"{len(differ)} of {len(rows)} requests differ")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(exit_status(main))
