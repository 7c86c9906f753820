"""The fixed set of poems behind the model card's quality numbers (issues 5 and 6).

50 poems of each classical form (五绝 七绝 五律 七律), half acrostic and half free, seeds 0-49 per form,
acrostic heads drawn from a fixed pool with the poem's seed. Writes one poem per line, ready for
`poetry-gen score`, and prints the model's mean log-probability of what it wrote. `--themes` makes every
third request a theme of benchmarks/themes.txt (drawn with the seed; in the form it names, if any) and
prints how many of those poems hold a keyword used (whole, or a character of one), as theme_hits.py counts.

    python -m benchmarks.sample_poems --out runs/poems_default.txt
    python -m benchmarks.sample_poems --out runs/poems_off.txt --no-controls
    python -m benchmarks.sample_poems --out runs/poems.txt --candidates-out runs/candidates.jsonl
    python -m benchmarks.sample_poems --out runs/mixed1000.txt --per-form 250 --themes   # issue 19's 1,000
    poetry-gen score runs/poems_default.txt --data corpus/tang

Run from the repository root.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from typing import Optional

from benchmarks.theme_hits import THEMES, hits
from poetry_gen import load_generator
from poetry_gen.cli import exit_status
from poetry_gen.config import PRECISIONS, SamplingOptions
from poetry_gen.errors import PoetryGenError
from poetry_gen.files import write_atomic
from poetry_gen.forms import FORMS
from poetry_gen.theme import parse_theme

HEAD_POOL = "春夏秋冬山水风月花鸟云雨江河日星松竹梅兰天地人心金玉清明千万青白红长高远古今东西南北朝暮晴雪霜烟"
PER_FORM = 50


def heads_for(form: str, seed: int) -> str:
    return "".join(random.Random(seed).sample(HEAD_POOL, FORMS[form].lines))


def write_all(gen, controls: bool, temperature: float, num: int = 1, per_form: int = PER_FORM,
              themes: Optional[dict] = None) -> list:
    """Per request, its `num` best poems (with `num` = the candidates, every candidate, judged). Requests
    alternate acrostic and free, or with `themes` (usable_themes) go acrostic, free, theme."""
    options = {} if controls else {"rhyme": False, "tones": "off"}
    kinds = ("acrostic", "free", "theme") if themes else ("acrostic", "free")
    poems = []
    for form in FORMS:
        for seed in range(per_form):
            kind = kinds[seed % len(kinds)]
            if kind == "acrostic":
                poems.append(gen.acrostic(heads_for(form, seed), form=form, seed=seed, temperature=temperature,
                                          num=num, **options))
            elif kind == "theme":
                text = random.Random(seed).choice(list(themes))
                poems.append(gen.generate(theme=text, form=themes[text] or form, seed=seed,
                                          temperature=temperature, num=num, **options))
            else:
                poems.append(gen.generate(form=form, seed=seed, temperature=temperature, num=num, **options))
    return poems


def usable_themes(gen, texts: list) -> dict:
    """The themes the model can write (a theme of characters it lacks, with no mapping, is refused), each
    with the form it names (None: none), in order."""
    usable = {}
    for text in texts:
        try:
            usable[text] = parse_theme(text, gen.vocab, gen.attested_words).form
        except PoetryGenError:
            continue
    return usable


def theme_hit_shares(poems: list) -> dict:
    """Of the themed poems whose theme gave keywords: the shares holding a keyword, and a keyword's character."""
    themed = [(p.text, p.theme.keywords_used) for p in poems if p.theme and p.theme.keywords_used]
    counts = [hits(text, keywords) for text, keywords in themed]
    return {"themed": len(themed), "word_hit": sum(w for w, _ in counts) / max(len(themed), 1),
            "char_hit": sum(c for _, c in counts) / max(len(themed), 1)}


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
    parser.add_argument("--per-form", type=int, default=PER_FORM, metavar="N",
                        help="requests of each form, seeds 0..N-1 (default: %(default)s)")
    parser.add_argument("--themes", action="store_true",
                        help="every third request a theme of benchmarks/themes.txt (acrostic, free, theme)")
    parser.add_argument("--precision", default="auto", choices=PRECISIONS, help="of the model's matrices")
    args = parser.parse_args(argv)
    gen = load_generator(args.checkpoint, device="cpu", precision=args.precision)
    themes = None
    if args.themes:
        themes = usable_themes(gen, [t for t in THEMES.read_text(encoding="utf-8").splitlines() if t.strip()])
    start = time.perf_counter()
    requests = write_all(gen, args.controls, args.temperature,
                         num=SamplingOptions().candidates if args.candidates_out else 1, per_form=args.per_form,
                         themes=themes)
    poems = [candidates[0] for candidates in requests]
    write_atomic(args.out, "".join(p.text + "\n" for p in poems))
    if args.candidates_out:
        write_atomic(args.candidates_out, candidate_rows(requests))
    print(f"{len(poems)} poems in {time.perf_counter() - start:.1f} s; mean log-probability per character "
          f"{statistics.mean(p.score for p in poems):.3f}; written to {args.out}")
    if themes:
        print("themed poems:", json.dumps(theme_hit_shares(poems)))


if __name__ == "__main__":
    sys.exit(exit_status(main))
