"""Nobody let in: no unsafe deserialization or HTML, names kept inside, config locked down."""

import re
import tomllib
from pathlib import Path

import pytest

from al_ui.messages import md

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    ROOT / "app.py",
    *sorted((ROOT / "al_core").rglob("*.py")),
    *sorted((ROOT / "al_ui").rglob("*.py")),
]


@pytest.mark.parametrize(
    "pattern",
    [
        r"\bimport pickle\b",
        r"pickle\.load",
        r"joblib\.load",
        r"allow_pickle\s*=\s*True",
        r"unsafe_allow_html\s*=\s*True",
        r"\beval\(",
        r"\bexec\(",
        r"read_pickle",
    ],
)
def test_no_unsafe_loading_or_html_in_the_code(pattern):
    hits = [f"{p.relative_to(ROOT)}" for p in SOURCES if re.search(pattern, p.read_text())]
    assert hits == []


def test_streamlit_config_keeps_xsrf_on_and_limits_uploads():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableXsrfProtection"] is True
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["maxUploadSize"] > 0
    setup = (ROOT / "al_ui" / "pages" / "setup.py").read_text()
    assert 'st.get_option("server.maxUploadSize")' in setup  # the loader uses the same limit


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        "![](http://example.invalid/t.png)",
        "**bold** _it_ `code`",
        "$x^2$",
        "# heading",
    ],
)
def test_user_text_reaches_markdown_as_plain_characters(text):
    escaped = md(text)
    for ch in "<>[]()!*_`$#":
        assert ch not in escaped.replace("\\" + ch, "")
