"""benchmarks/sample_poems.py's mixed requests (issue 19's 1,000 poems): acrostic, free and themed in turn."""
from benchmarks.sample_poems import HEAD_POOL, theme_hit_shares, usable_themes, write_all


def test_mixed_requests_take_turns_and_the_themed_poems_are_counted(gen, monkeypatch):
    known = [ch for ch in HEAD_POOL if ch in gen.vocab]
    monkeypatch.setattr("benchmarks.sample_poems.HEAD_POOL", "".join(known))  # heads the small model knows
    themes = usable_themes(gen, [known[0], "鼴鼹"])
    assert list(themes) == [known[0]]  # the model lacks 鼴鼹: refused, left out
    requests = write_all(gen, controls=True, temperature=0.8, per_form=3, themes=themes)
    firsts = [candidates[0] for candidates in requests]
    assert len(firsts) == 12
    assert [p.theme is not None for p in firsts] == [False, False, True] * 4
    assert [p.lines[0][0] in known for p in firsts[::3]] == [True] * 4  # the acrostics start with a head
    shares = theme_hit_shares(firsts)
    assert shares["themed"] == 4
    assert shares["char_hit"] == sum(known[0] in p.text for p in firsts if p.theme) / 4
