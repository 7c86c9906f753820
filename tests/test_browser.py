"""The page of `poetry-gen serve` in a real Chromium, driven by Playwright: fill the form, write, regenerate
a line, toggle traditional, and read the poem back from the page.

Chromium comes from the system (Debian: `apt-get install chromium fonts-wqy-microhei`), never from
`playwright install`; $POETRY_GEN_CHROMIUM names another binary. Without Playwright or a Chromium these
tests skip, saying why, except where $POETRY_GEN_BROWSER_TESTS=1 (CI sets it): there they fail.
"""
import json
import os
import shutil

import pytest

from poetry_gen.checker import check
from poetry_gen.prosody import check_poem
from poetry_gen.text import to_traditional
from poetry_gen.tunes import load_tunes

from test_server import post

REQUIRED = os.environ.get("POETRY_GEN_BROWSER_TESTS") == "1"
CHROMIUMS = ("/usr/lib/chromium/chromium", "chromium", "chromium-browser", "google-chrome")


def chromium_path():
    """The Chromium binary to drive: $POETRY_GEN_CHROMIUM, else the first of CHROMIUMS found (Debian's
    /usr/bin/chromium is a shell wrapper; its binary lives in /usr/lib/chromium)."""
    if os.environ.get("POETRY_GEN_CHROMIUM"):
        return os.environ["POETRY_GEN_CHROMIUM"]
    for name in CHROMIUMS:
        found = name if os.path.isfile(name) and os.access(name, os.X_OK) else shutil.which(name)
        if found:
            return found
    return None


def unavailable(reason: str):
    if REQUIRED:
        pytest.fail(f"{reason} (POETRY_GEN_BROWSER_TESTS=1: the browser tests must run here)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed: pip install -e '.[browser]'")
    path = chromium_path()
    if path is None:
        unavailable("no Chromium found: apt-get install chromium fonts-wqy-microhei, or set POETRY_GEN_CHROMIUM")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(server.url)
    page.wait_for_selector("#rhyme option[value='东']", state="attached")  # /api/info has answered
    yield page
    context.close()
    assert not errors, errors


def write(page, mode: str, text: str = "", form: str = "", num: int = 2, seed: int = 7):
    """Fill the form and write; `form`: a shi form, or in the ci mode a tune."""
    page.check(f"input[name=mode][value={mode}]")
    if text:
        page.fill("#text", text)
    if mode == "ci":
        page.select_option("#tune", form)
    elif mode != "couplet":
        page.select_option("#form", form)
    page.fill("#num", str(num))
    if not page.eval_on_selector("details", "more => more.open"):
        page.click("details summary")  # "More": temperature and seed
    page.fill("#seed", str(seed))
    page.click("#generate")
    page.wait_for_selector("#status:has-text('written in')")


def poem_on_page(page, index: int = 0) -> str:
    """The poem as the page shows it: each line's characters and its mark."""
    return page.eval_on_selector(
        f".poem[data-index='{index}'] .lines",
        "lines => [...lines.querySelectorAll('.line')].map(line => "
        "[...line.querySelectorAll('.glyph')].map(g => g.textContent).join('') "
        "+ line.querySelector('.punct').textContent).join('')")


def test_fill_write_and_read_the_poems_back_with_their_overlay(page, server):
    write(page, "acrostic", "春风山月", form="五绝", num=2, seed=7)
    _, expected = post(server, "generate", {"acrostic": "春风山月", "form": "五绝", "num": 2, "seed": 7,
                                            "tones": "soft", "temperature": 0.8})
    assert page.locator(".poem").count() == 2
    for i, poem in enumerate(expected["poems"]):
        assert poem_on_page(page, i) == poem["poem"]
        check = check_poem(poem["poem"])
        marks = page.locator(f".poem[data-index='{i}'] .char .mark").all_text_contents()
        assert "".join(marks) == "".join(line.tones for line in check.lines)
        assert page.locator(f".poem[data-index='{i}'] .char.break").count() == len(check.breaks)
        rhyme_cells = page.locator(f".poem[data-index='{i}'] .char.rhyme .group").all_text_contents()
        assert rhyme_cells == [next((g for g in check.rhyme_groups if g in check.lines[r].rhyme_groups),
                                    check.lines[r].rhyme_groups[0])
                               for r in check.template.rhymes if check.lines[r].rhyme_groups]


def test_regenerate_one_line(page):
    write(page, "acrostic", "春风山月", form="七绝", num=1, seed=3)
    before = poem_on_page(page).replace("，", "。").split("。")[:4]
    page.click(".poem[data-index='0'] .line[data-line='3'] .redo")
    page.wait_for_selector(".poem[data-index='0'] .line[data-line='3'].revised")
    after = poem_on_page(page).replace("，", "。").split("。")[:4]
    assert [after[i] for i in (0, 1, 3)] == [before[i] for i in (0, 1, 3)]
    assert after[2][0] == "山" and len(after[2]) == 7


def test_regenerate_one_line_of_a_ci(page):
    write(page, "ci", form="如梦令", num=1, seed=3)  # the 6th line (叠句) follows the 5th, and has no ↻
    assert page.locator(".poem[data-index='0'] .line[data-line='6'] .redo").count() == 0
    before = poem_on_page(page).replace("，", "。").split("。")
    page.click(".poem[data-index='0'] .line[data-line='5'] .redo")
    page.wait_for_selector(".poem[data-index='0'] .line[data-line='5'].revised")
    after = poem_on_page(page).replace("，", "。").split("。")
    assert after[:4] + after[6:] == before[:4] + before[6:] and after[4] == after[5]


def test_toggle_traditional_and_back(page):
    write(page, "free", form="五律", num=1, seed=5)
    simplified = poem_on_page(page)
    page.check("#traditional")
    assert poem_on_page(page) == to_traditional(simplified) != simplified
    page.uncheck("#traditional")
    assert poem_on_page(page) == simplified


def test_first_line_and_theme_modes(page):
    write(page, "start", "春风", form="七绝", num=1)
    assert poem_on_page(page).startswith("春风")
    write(page, "theme", "秋 思乡", form="五绝", num=1)
    assert len(poem_on_page(page)) == 24
    assert "keywords" in page.text_content(".poem .meta")


def test_a_mistake_is_shown_in_plain_words(page):
    page.fill("#text", "龘春")
    page.click("#generate")
    page.wait_for_selector("#error:not([hidden])")
    assert "does not know 龘" in page.text_content("#error")
    assert page.locator(".poem").count() == 0


def test_download_copy_and_attention(page):
    write(page, "acrostic", "春风山月", num=1, seed=2)
    shown = poem_on_page(page)
    with page.expect_download() as download:
        page.click(".tool-json")
    saved = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert saved["poem"] == shown and saved["check"] == check_poem(shown).to_dict()
    with page.expect_download() as download:
        page.click(".tool-text")
    assert open(download.value.path(), encoding="utf-8").read() == shown + "\n"
    page.click(".tool-copy")
    page.wait_for_selector(".tool-copy:has-text('copied')")
    page.click(".tool-attention")
    page.wait_for_selector(".attention svg g.row")
    tokens = page.eval_on_selector_all(".attention svg g.row", "rows => rows.map(r => r.dataset.token).join('')")
    assert tokens == shown


def test_check_a_poem_of_ones_own(page):
    page.fill("#check-text", "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。")
    page.click("#check")
    page.wait_for_selector("#check-result .summary")
    assert "五绝" in page.text_content("#check-result")
    marks = page.locator("#check-result .mark").all_text_contents()
    assert "".join(marks) == "".join(l.tones for l in check_poem("白日依山尽，黄河入海流。欲穷千里目，更上一层楼。").lines)


def test_whatever_else_the_checker_reports_is_shown(page, monkeypatch):
    """A finding the page has no special place for (the checker grows) is still listed, per poem and per line."""
    import poetry_gen.server

    class Grown:
        def __init__(self, text, form=None):
            self.check = check_poem(text)

        def to_dict(self):
            out = self.check.to_dict()
            out["faults"] = ["孤平 in line 3"]
            out["lines"][2]["faults"] = ["孤平"]
            return out

    monkeypatch.setattr(poetry_gen.server, "check", Grown)
    write(page, "acrostic", "春风山月", num=1)
    assert page.text_content(".summary .finding[data-key=faults]") == 'faults: ["孤平 in line 3"]'
    assert page.text_content(".line[data-line='3'] .finding") == 'faults: ["孤平"]'
    assert page.locator(".line[data-line='1'] .finding").count() == 0


# --- couplets and ci ------------------------------------------------------------------------------

def cells(page, scope: str, selector: str) -> list:
    return page.locator(f"{scope} {selector}").all_text_contents()


def test_a_couplet_with_its_tones_key_positions_and_parallelism_by_position(page, server):
    write(page, "couplet", "白日依山尽", num=2, seed=7)
    _, expected = post(server, "couplet", {"first": "白日依山尽", "num": 2, "seed": 7, "tones": "soft",
                                           "temperature": 0.8})
    assert page.locator(".poem").count() == 2 and page.locator(".poem .redo").count() == 0
    for i, poem in enumerate(expected["poems"]):
        scope = f".poem[data-index='{i}']"
        assert poem_on_page(page, i) == poem["poem"] and poem["poem"].startswith("白日依山尽，")
        result = check(poem["poem"])
        assert "".join(cells(page, scope, ".char .mark")) == "".join(result.tones)
        keys = page.eval_on_selector_all(f"{scope} .line", "rows => rows.map(r => [...r.querySelectorAll('.char')]"
                                                           ".flatMap((c, j) => c.classList.contains('key') ? [j + 1] : []))")
        assert keys == [list(result.key_positions)] * 2
        scores = page.eval_on_selector_all(f"{scope} .pairing .position", "ps => ps.map(p => p.dataset.score)")
        assert scores == [f"{s:.2f}" for s in result.parallelism.positions]
        assert page.locator(f"{scope} .char.break").count() == 2 * len(result.tone_breaks) + len(result.repeats)
        assert f"对仗 {result.parallelism.score:.2f}" in page.text_content(f"{scope} .summary")


def test_a_ci_laid_out_by_its_lines_and_stanzas_against_its_tune(page, server):
    write(page, "ci", form="浣溪沙", num=1, seed=7)
    _, expected = post(server, "generate", {"form": "浣溪沙", "num": 1, "seed": 7, "tones": "soft", "temperature": 0.8})
    (poem,) = expected["poems"]
    tune = load_tunes()["浣溪沙"]
    result = check(poem["poem"], "浣溪沙")
    assert poem_on_page(page) == poem["poem"] and result.shape
    stanzas = [page.locator(f".poem .stanza[data-stanza='{k + 1}'] .line").count() for k in range(len(tune.stanza_lines))]
    assert stanzas == list(tune.stanza_lines) and page.locator(".poem .stanza").count() == len(tune.stanza_lines)
    assert "".join(cells(page, ".poem", ".char .mark")) == "".join(line.tones for line in result.lines)
    assert "".join(cells(page, ".poem", ".char .want")) == "".join(line.tones for line in tune.lines)
    assert page.locator(".poem .char.break").count() == len(result.breaks) + sum(
        not r.rhymes for r in result.rhyme_sets) * sum(line.rhyme is not None for line in tune.lines)
    assert cells(page, ".poem", ".char.rhyme .group") == [line.rhyme for line in tune.lines if line.rhyme]
    (rhyme,) = result.rhyme_sets
    notes = cells(page, ".poem", ".rhyme-note")
    where = " / ".join(map(str, rhyme.sections)) or (f"通押 {' + '.join(map(str, rhyme.tongya))}" if rhyme.tongya
                                                      else "not in one 部")
    assert notes == [f"韵a {where}"] * len(notes) and notes
    assert page.locator(".poem .redo").count() == len(tune.lines) and "↻ writes a line" in page.text_content("#mode-note")
    page.check("#traditional")
    assert poem_on_page(page) == to_traditional(poem["poem"])



def test_check_a_couplet_with_pauses_and_a_ci_of_ones_own(page):
    page.fill("#check-text", "风声、雨声、读书声，家事、国事、天下事。")
    page.click("#check")
    page.wait_for_selector("#check-result .summary")
    assert cells(page, "#check-result", ".line[data-line='1'] .punct") == ["、", "、", "，"]
    assert cells(page, "#check-result", ".line[data-line='2'] .glyph") == list("家事国事天下事")
    assert "ends ✗" in page.text_content("#check-result .summary")  # 声 and 事: the 上联 ends 平, the 下联 仄
    ci = "一曲新词酒一杯，去年天气旧亭台。夕阳西下几时回。无可奈何花落去，似曾相识燕归来。小园香径独徘徊。"
    page.fill("#check-text", ci)
    page.select_option("#check-as", "浣溪沙")
    page.click("#check")
    page.wait_for_selector("#check-result .stanza")
    result = check(ci, "浣溪沙")
    assert [page.locator(f"#check-result .stanza[data-stanza='{k}'] .line").count() for k in (1, 2)] == [3, 3]
    assert "".join(cells(page, "#check-result", ".want")) == "".join(line.pattern for line in result.lines)
    summary = page.text_content("#check-result .summary")  # 杯 回 徊 (第三部) with 台 来 (第五部): 通押
    assert "通押 第三部平 + 第五部平" in summary and "rules of the 浣溪沙: kept" in summary
