"""One text checked by what it is: the checker of `poetry-gen check` and of the web page's POST /api/check.

    couplet  two lines 上联，下联。 or 上联：…；下联：… (couplet.as_couplet), or a text named 对联 → couplet.CoupletCheck
    ci       a tune named, or a text of no shi form in a tune's shape (cicheck)   → cicheck.CiCheck
    shi      anything else (prosody.check_poem: the form found from the shape)    → prosody.PoemCheck

Each result has `follows_rules` and `to_dict()` (what `check --json` prints); `report` is what `check`
prints. (checks.py is another matter: it checks the arguments a user hands the package.)
"""
from __future__ import annotations

from typing import Optional, Union

from . import cicheck
from .checks import shown
from .couplet import FORM as COUPLET, CoupletCheck, as_couplet, format_couplet_check
from .errors import PoetryGenError
from .text import normalize

Check = Union[CoupletCheck, cicheck.CiCheck, cicheck.PoemCheck]


def check(text: str, form: Optional[str] = None) -> Check:
    """The check of `text` as a couplet, a ci or a shi (module docstring). `form`: what the text is said
    to be: 对联, a tune (its ci check), a shi form (the shi check), or None to tell from the text."""
    named_couplet = isinstance(form, str) and normalize(form) == COUPLET  # 對聯 too
    if named_couplet or (form is None and cicheck.shape_of(text) is None):  # a 五绝 in commas is no couplet
        couplet = as_couplet(text)
        if couplet is not None:
            return couplet
        if named_couplet:
            raise PoetryGenError(f"not a couplet of two lines 上联，下联。: {shown(text)}")
    return cicheck.check(text, form)


def report(result: Check) -> str:
    """What `poetry-gen check` prints of one result of `check`."""
    if isinstance(result, CoupletCheck):
        return format_couplet_check(result)
    return cicheck.format_result(result)
