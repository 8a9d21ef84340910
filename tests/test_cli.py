"""The command line: simulate and compare output, and one-line errors with exit status 2."""

import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from al_core.cli import main


def run(*argv):
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_simulate_prints_the_run_like_the_reference():
    code, text = run("simulate", "--queries", "20")
    assert code == 0
    assert "INITIAL BASELINE (N=90): Test Accuracy: 0.8800" in text
    assert "QUERY 20: Labeled Samples: 110  Test Accuracy: 0.9100" in text


def test_simulate_a_csv_file_with_a_label_column(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    frame = pd.DataFrame(X, columns=list("abcd"))
    frame["kind"] = np.where(X[:, 0] + X[:, 1] > 0, "pos", "neg")
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    code, text = run(
        "simulate", "--dataset", str(path), "--label-column", "kind", "--queries", "5", "--json"
    )
    assert code == 0
    data = json.loads(text)
    assert len(data["queried"]) == 5 and data["n_labeled"] == [18, 19, 20, 21, 22, 23]


@pytest.mark.parametrize(
    "argv,match",
    [
        (["simulate", "--dataset", "nope"], "unknown dataset 'nope'"),
        (["simulate", "--strategy", "nope"], "invalid choice: 'nope'"),
        (["simulate", "--queries", "5000"], "lower the budget"),
        (["simulate", "--test-size", "1.5"], "between 0 and 1"),
        (["simulate", "--initial-fraction", "0"], "between 0 and 1"),
        (["compare", "--strategies", "margin,nope"], "unknown strategy 'nope'"),
        (["simulate", "--queries", "many"], "invalid int value"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, match, capsys):
    code, _ = run(*argv)
    err = capsys.readouterr().err
    assert code == 2
    assert match in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_file_that_cannot_be_used_exits_2_with_the_loaders_message(tmp_path, capsys):
    path = tmp_path / "picture.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    code, _ = run("simulate", "--dataset", str(path), "--label-column", "y")
    assert code == 2
    assert "PNG image" in capsys.readouterr().err


def test_a_file_without_labels_cannot_be_simulated(tmp_path, capsys):
    path = tmp_path / "d.csv"
    pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "y": ["p", None, "q", None]}).to_csv(path, index=False)
    assert run("simulate", "--dataset", str(path), "--label-column", "y")[0] == 2
    assert "label for every row" in capsys.readouterr().err


def test_compare_json_has_curves_and_summary():
    code, text = run(
        "compare",
        "--dataset",
        "iris",
        "--strategies",
        "margin",
        "--seeds",
        "2",
        "--budget",
        "10",
        "--initial-fraction",
        "0.1",
        "--json",
    )
    assert code == 0
    data = json.loads(text)
    assert [r["strategy"] for r in data["strategies"]] == ["margin", "random"]
    low, high = (float(v) for v in data["strategies"][0]["labels_saved_interval"])
    assert low <= high  # "+inf" / "-inf" where the target is not reached
    assert data["strategies"][1]["labels_saved_interval"] is None  # random against itself
    assert len(data["curves"]["margin"]["mean"]) == 11
    assert 0.9 < data["full_accuracy"] <= 1.0


def test_importing_al_core_does_not_import_streamlit():
    code = "import sys, al_core, al_core.cli; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
