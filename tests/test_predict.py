"""Predictions for every row (and for a new file), and the trained model as a skops file."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from al_core import SessionConfig, load_builtin
from al_core.cli import main
from al_core.errors import DatasetError, NotEnoughLabelsError
from al_core.projects.predict import predictions_frame, save_model
from al_core.projects.project import Project
from al_core.projects.sources import DataSource


def _mixed_csv(n=300, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], size=n)
    kind = np.where(size + (color == "red") * 1.5 > 0.5, "big", "small")
    return pd.DataFrame(
        {"ticket": [f"T{i:04d}" for i in range(n)], "size": size, "color": color, "kind": kind}
    )


def _file_project(tmp_path, frame, labeled=20):
    content = frame.to_csv(index=False).encode()
    source = DataSource("file", "tickets.csv", label_column="kind")
    p = Project.create(
        "tickets", source, SessionConfig(budget=None), folder=tmp_path, content=content
    )
    for _ in range(labeled):
        row = int(p.next_for("ann").ids[0])
        p.label("ann", row, int(p.dataset.y[row]))
    return p


def test_predictions_cover_every_row_with_label_who_and_probabilities(tmp_path):
    p = _file_project(tmp_path, _mixed_csv())
    frame = predictions_frame(p)
    assert len(frame) == p.dataset.n_samples and list(frame.ticket[:2]) == ["T0000", "T0001"]
    probs = frame[["p:big", "p:small"]].to_numpy()
    assert np.allclose(probs.sum(axis=1), 1) and set(frame.predicted) <= {"big", "small"}
    assert np.allclose(frame.uncertainty, 1 - probs.max(axis=1))
    mine = frame[frame.labeled_by == "ann"]
    assert len(mine) == 20 and mine.label.notna().all()
    assert frame.label.isna().sum() == (p.session.labels < 0).sum()
    assert (
        frame.predicted == pd.Series(p.dataset.class_names)[p.dataset.y].to_numpy()
    ).mean() > 0.8


def test_a_new_file_with_the_same_columns_gets_predictions(tmp_path):
    p = _file_project(tmp_path, _mixed_csv())
    new = _mixed_csv(50, seed=1).drop(columns="kind")
    path = tmp_path / "new.csv"
    new.to_csv(path, index=False)
    frame = predictions_frame(p, path)
    assert len(frame) == 50 and "label" not in frame and list(frame.ticket[:1]) == ["T0000"]
    truth = _mixed_csv(50, seed=1).kind
    assert (frame.predicted == truth).mean() > 0.8


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="color"), "lacks the feature column.*'color'"),
        (lambda f: f.assign(extra=1), "did not have: 'extra'"),
    ],
)
def test_a_new_file_with_other_columns_says_which(tmp_path, change, message):
    p = _file_project(tmp_path, _mixed_csv())
    path = tmp_path / "new.csv"
    change(_mixed_csv(20, seed=2)).to_csv(path, index=False)
    with pytest.raises(DatasetError, match=message):
        predictions_frame(p, path)


def test_predict_cli_writes_predictions_and_model_and_refuses_bad_files(tmp_path, monkeypatch):
    monkeypatch.setenv("AL_PROJECTS_DIR", str(tmp_path))
    _file_project(tmp_path, _mixed_csv()).close()
    out = io.StringIO()
    assert (
        main(
            ["predict", "tickets", "--format", "json", "--out", str(tmp_path / "o"), "--model"],
            out=out,
        )
        == 0
    )
    written = out.getvalue().split()
    rows = json.loads((tmp_path / "o" / "tickets-predictions.json").read_text())
    assert len(rows) == 300 and written[1].endswith("tickets-model.skops")
    bad = tmp_path / "bad.csv"
    _mixed_csv(5).drop(columns="size").to_csv(bad, index=False)
    assert main(["predict", "tickets", "--data", str(bad)]) == 2


def test_the_skops_model_predicts_the_same_in_a_fresh_process(tmp_path):
    p = _file_project(tmp_path, _mixed_csv())
    path = save_model(p, tmp_path / "model.skops")
    expected = predictions_frame(p)["p:big"].to_numpy()
    script = f"""
import sys, json, numpy as np, pandas as pd, skops.io as sio
untrusted = sio.get_untrusted_types(file={str(path)!r})
model = sio.load({str(path)!r}, trusted=untrusted)
frame = pd.read_csv({str(tmp_path / "data.csv")!r})
print(json.dumps(model.predict_proba(frame[["size", "color"]])[:, 0].tolist()))
"""
    _mixed_csv().to_csv(tmp_path / "data.csv", index=False)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert np.allclose(json.loads(done.stdout), expected)


def test_no_model_yet_is_a_clear_error(tmp_path):
    frame = _mixed_csv().drop(columns="kind")
    source = DataSource("file", "t.csv", class_names=("big", "small"))
    p = Project.create("fresh", source, folder=tmp_path, content=frame.to_csv(index=False).encode())
    with pytest.raises(NotEnoughLabelsError, match="no trained model yet"):
        predictions_frame(p)


def test_a_builtin_project_predicts_its_pool_but_no_new_file(tmp_path):
    p = Project.create("b", DataSource("builtin", "tutorial"), folder=tmp_path)
    frame = predictions_frame(p)
    assert len(frame) == load_builtin("tutorial").n_samples
    with pytest.raises(DatasetError, match="built-in dataset"):
        predictions_frame(p, _mixed_csv(3).to_csv(index=False).encode())
