"""The fixed set of poems behind the model card's quality numbers (issues 5 and 6).

50 poems of each classical form (五绝 七绝 五律 七律), half acrostic and half free, seeds 0-49 per form,
acrostic heads drawn from a fixed pool with the poem's seed. Writes one poem per line, ready for
`poetry-gen score`, and prints the model's mean log-probability of what it wrote.

    python -m benchmarks.sample_poems --out runs/poems_default.txt
    python -m benchmarks.sample_poems --out runs/poems_off.txt --no-controls
    python -m benchmarks.sample_poems --out runs/poems.txt --candidates-out runs/candidates.jsonl
    poetry-gen score runs/poems_default.txt --data corpus/tang

Run from the repository root.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import time

from poetry_gen import load_generator
from poetry_gen.config import SamplingOptions
from poetry_gen.files import write_atomic
from poetry_gen.forms import FORMS

HEAD_POOL = "春夏秋冬山水风月花鸟云雨江河日星松竹梅兰天地人心金玉清明千万青白红长高远古今东西南北朝暮晴雪霜烟"
PER_FORM = 50


def heads_for(form: str, seed: int) -> str:
    return "".join(random.Random(seed).sample(HEAD_POOL, FORMS[form].lines))


def write_all(gen, controls: bool, temperature: float, num: int = 1) -> list:
    """Per request, its `num` best poems (with `num` = the candidates, every candidate, judged)."""
    options = {} if controls else {"rhyme": False, "tones": "off"}
    poems = []
    for form in FORMS:
        for seed in range(PER_FORM):
            if seed % 2 == 0:
                poems.append(gen.acrostic(heads_for(form, seed), form=form, seed=seed, temperature=temperature,
                                          num=num, **options))
            else:
                poems.append(gen.generate(form=form, seed=seed, temperature=temperature, num=num, **options))
    return poems


def candidate_rows(requests: list) -> str:
    """JSON lines, one per candidate: the request's number, the candidate's rank by the judgement, and
    Poem.to_dict() (poem, form, score, seed, judgement with each signal)."""
    return "".join(json.dumps({"request": i, "rank": rank, **poem.to_dict()}, ensure_ascii=False) + "\n"
                   for i, poems in enumerate(requests) for rank, poem in enumerate(poems))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="default: the shipped model")
    parser.add_argument("--out", required=True, help="where the poems go, one per line")
    parser.add_argument("--no-controls", dest="controls", action="store_false",
                        help="rhyme and tone control off (default: the generator's defaults)")
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--candidates-out", metavar="FILE.jsonl",
                        help="also write every judged candidate of every request (the --out poems are the "
                             "first of each), with the judgement's signals, for blind readings")
    args = parser.parse_args(argv)
    gen = load_generator(args.checkpoint, device="cpu")
    start = time.perf_counter()
    requests = write_all(gen, args.controls, args.temperature,
                         num=SamplingOptions().candidates if args.candidates_out else 1)
    poems = [candidates[0] for candidates in requests]
    write_atomic(args.out, "".join(p.text + "\n" for p in poems))
    if args.candidates_out:
        write_atomic(args.candidates_out, candidate_rows(requests))
    print(f"{len(poems)} poems in {time.perf_counter() - start:.1f} s; mean log-probability per character "
          f"{statistics.mean(p.score for p in poems):.3f}; written to {args.out}")


if __name__ == "__main__":
    main()
