"""Does theme conditioning put the theme into the poem? (issue 8, "Must show")

For every theme of benchmarks/themes.txt and every seed, write one poem with the theme's keywords as
the model's prefix (conditioning on) and one without (off), same form and seed, and count the poems that
contain at least one of the keywords used — whole ("word hit"), or any of their characters ("char hit").
Themes that give no keyword (a form alone), or none the model knows (妈妈 without a mapping), are skipped.

    python -m benchmarks.theme_hits --checkpoint checkpoints/default.pt [--seeds 1 2 3] [--json hits.json]
                                    [--threads 1]

Run from the repository root. The poem's form is the one the theme names, else --form (七绝).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from poetry_gen import load_generator
from poetry_gen.cli import exit_status
from poetry_gen.errors import PoetryGenError
from poetry_gen.files import write_json
from poetry_gen.theme import parse_theme

THEMES = Path(__file__).with_name("themes.txt")


def hits(poem: str, keywords: list) -> tuple:
    """(a keyword is in the poem, a character of a keyword is in the poem)."""
    return any(kw in poem for kw in keywords), any(ch in poem for kw in keywords for ch in kw)


def run(checkpoint, themes: list, seeds: list, form: str, device=None, progress: bool = True) -> dict:
    from tqdm import tqdm

    gen = load_generator(checkpoint, device=device)
    results, unknown = [], []
    for text in tqdm(themes, desc="themes", disable=not progress, file=sys.stderr):
        try:
            theme = parse_theme(text, gen.vocab, gen.attested_words)
        except PoetryGenError:
            unknown.append(text)
            continue
        if not theme.keywords_used:
            continue
        shape = theme.form or form
        for seed in seeds:
            on = gen.generate(theme=text, form=shape, seed=seed)[0].text
            off = gen.generate(theme=None, form=shape, seed=seed)[0].text
            results.append({"theme": text, "keywords": theme.keywords_used, "form": shape, "seed": seed,
                            "on": on, "off": off, "hits_on": hits(on, theme.keywords_used),
                            "hits_off": hits(off, theme.keywords_used)})
    n = len(results)
    share = lambda key, i: sum(r[key][i] for r in results) / n if n else 0.0  # noqa: E731
    return {"checkpoint": str(checkpoint), "themes": len(themes), "themes_with_keywords": n // max(len(seeds), 1),
            "themes_unknown": unknown, "seeds": seeds, "poems_per_condition": n,
            "word_hit": {"on": share("hits_on", 0), "off": share("hits_off", 0)},
            "char_hit": {"on": share("hits_on", 1), "off": share("hits_off", 1)},
            "poems": results}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True, help="model to test")
    parser.add_argument("--themes", default=str(THEMES), help="one theme per line (default: %(default)s)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--form", default="七绝", help="form of themes that name none (default: %(default)s)")
    parser.add_argument("--device", help="cpu, cuda (default: cuda when available)")
    parser.add_argument("--json", help="also write every poem and the shares to this file")
    parser.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    themes = [line.strip() for line in Path(args.themes).read_text(encoding="utf-8").splitlines() if line.strip()]
    report = run(args.checkpoint, themes, args.seeds, args.form, args.device)
    print(f"{report['themes_with_keywords']} of {report['themes']} themes give keywords; seeds "
          f"{' '.join(map(str, args.seeds))}: {report['poems_per_condition']} poems per condition")
    if report["themes_unknown"]:
        print(f"the model knows no word of {len(report['themes_unknown'])}: {' '.join(report['themes_unknown'])}")
    print(f"{'':18}{'word hit':>10}{'char hit':>10}")
    for cond in ("on", "off"):
        print(f"conditioning {cond:<5}{report['word_hit'][cond]:>10.1%}{report['char_hit'][cond]:>10.1%}")
    if args.json:
        write_json(args.json, report)
    return 0


if __name__ == "__main__":
    sys.exit(exit_status(main))
