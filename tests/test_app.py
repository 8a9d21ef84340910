"""The Streamlit app, driven by widget keys through ``streamlit.testing.v1.AppTest``."""

import json
import re
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from al_core import load_builtin
from al_core.projects.project import Project

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TRUTH = load_builtin("tutorial").y


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("AL_PROJECTS_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    return at


def start(at, name="Ada"):
    at.text_input(key="annotator_input").input(name)
    at.button(key="annotator_start").click()
    at.run()
    assert not at.exception
    return at


def card_title(at) -> str | None:
    """The card's title as HTML (it carries the row)."""
    for element in at.get("html"):
        if 'class="al-sample-title"' in element.proto.body:
            return element.proto.body
    return None


def sample_id(at):
    title = card_title(at)
    return None if title is None else int(re.search(r'data-row="(\d+)"', title).group(1))


def press(at, what, cls=None):
    """Click the card's button for the sample shown: a class (``what="label"``), skip or undo."""
    row = sample_id(at)
    key = f"label_{row}_{cls}" if what == "label" else f"{what}_{row}"
    return at.button(key=key).click().run()


def texts(at):
    parts = [m.value for m in [*at.title, *at.subheader, *at.markdown, *at.caption]]
    parts += [e.value for e in at.error]
    parts += (
        [w.value for w in at.warning] + [i.value for i in at.info] + [s.value for s in at.success]
    )
    return "\n".join(parts)


def curve(at):
    charts = [c for c in at.sidebar.get("plotly_chart")]
    assert charts, "no learning-curve chart in the sidebar"
    spec = json.loads(charts[0].proto.spec)
    trace = next(t for t in spec["data"] if t.get("name") == "this project")
    return trace["x"], trace["y"]


def test_first_run_asks_a_name_then_shows_the_most_uncertain_sample(app):
    assert "Who is labeling?" in texts(app)
    start(app)
    assert sample_id(app) == 922  # the reference's first query
    assert "least sure" in texts(app)
    labels = [app.button(key=f"label_922_{i}").label for i in (0, 1)]
    assert labels == ["class 0", "class 1"]


def test_every_card_has_one_key_handler_and_a_title_without_script(app):
    """A title is plain HTML, drawn with the card; the handler is an element of its own."""
    start(app)
    for _ in range(3):
        html = [e.proto for e in app.get("html")]
        assert len([e for e in html if "window.__alKeys" in e.body]) == 1
        titles = [e for e in html if 'class="al-sample-title"' in e.body]
        assert len(titles) == 1 and "<script" not in titles[0].body
        assert not titles[0].unsafe_allow_javascript
        row = sample_id(app)
        press(app, "label", TRUTH[row])
        assert sample_id(app) not in (None, row)


def test_twenty_labels_reproduce_the_reference_curve_in_the_chart(app, tmp_path):
    start(app)
    for _ in range(20):
        row = sample_id(app)
        press(app, "label", TRUTH[row])
        assert not app.exception
    assert "budget is used up" in texts(app)
    xs, ys = curve(app)
    history = Project.open("tutorial", folder=tmp_path).session.history
    assert len(xs) == 21
    assert xs == [p.n_labeled for p in history] and ys == [p.accuracy for p in history]
    assert (xs[-1], ys[-1]) == (110, 0.91)


def test_undo_and_skip(app, tmp_path):
    start(app)
    first = sample_id(app)
    press(app, "label", 0)
    assert sample_id(app) != first
    press(app, "undo")
    assert sample_id(app) == first
    press(app, "skip")
    assert sample_id(app) != first
    project = Project.open("tutorial", folder=tmp_path)
    assert project.session.skipped_ids.tolist() == [first]
    assert project.session.n_queried == 0


def unlabeled_csv(n=150, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    truth = (X[:, 0] + X[:, 1] > 0).astype(int)
    X[truth == 1] += 1.5
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    return frame.to_csv(index=False).encode(), truth


def upload(at, filename, content):
    at.switch_page("al_ui/pages/setup.py").run()
    at.file_uploader(key="upload").set_value((filename, content, "text/csv"))
    at.run()
    assert not at.exception
    return at


def test_uploaded_csv_without_labels_goes_through_the_test_set_phase(app, tmp_path):
    content, truth = unlabeled_csv()
    start(app)
    upload(app, "sensors.csv", content)
    app.text_input(key="upload_classes").input("low, high").run()
    app.number_input(key="upload_n_test").set_value(6).run()
    app.button(key="create_upload").click().run()
    assert not app.exception
    app.switch_page("al_ui/pages/label.py").run()
    assert "Test set first" in texts(app)
    for _ in range(6):
        press(app, "label", truth[sample_id(app)])
    assert "Test set first" not in texts(app)
    kinds = set()
    for _ in range(8):
        kinds.add("cold" if "No model yet" in texts(app) else "model")
        press(app, "label", truth[sample_id(app)])
    assert kinds == {"cold", "model"}
    project = Project.open("sensors", folder=tmp_path)
    assert project.session.is_test.sum() == 6 and project.session.n_labeled == 8
    xs, _ = curve(app)
    assert xs[-1] == 8


def test_uploaded_csv_with_labels_can_be_simulated(app, tmp_path):
    content, truth = unlabeled_csv(n=200)
    frame = pd.read_csv(pd.io.common.BytesIO(content))
    frame["kind"] = np.where(truth == 1, "high", "low")
    start(app)
    upload(app, "labeled.csv", frame.to_csv(index=False).encode())
    assert app.selectbox(key="upload_label_labeled.csv").value == "kind"  # guessed
    assert "Every row is labeled" in texts(app)
    app.button(key="create_upload").click().run()
    app.switch_page("al_ui/pages/label.py").run()
    app.number_input(key="simulate_count").set_value(4).run()
    app.button(key="simulate").click().run()
    assert not app.exception
    project = Project.open("labeled", folder=tmp_path)
    assert project.session.n_queried == 4
    assert {e.annotator for e in project.events} == {"simulated oracle"}


@pytest.mark.parametrize(
    "filename,content,message",
    [
        ("photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(200), "PNG image"),
        ("empty.csv", b"", "empty"),
        ("ragged.csv", b"a,b\n1,2\n3,4,5,6\n", "more cells"),
        ("dupes.csv", b"a,a\n1,2\n3,4\n", "more than once"),
    ],
)
def test_a_bad_upload_shows_a_readable_message(app, tmp_path, filename, content, message):
    start(app)
    press(app, "label", 0)
    before = {p.name: p.stat().st_size for p in tmp_path.glob("*.alproj")}
    upload(app, filename, content)
    errors = "\n".join(e.value for e in app.error)
    assert "This file cannot be used" in errors and message in errors
    assert "Traceback" not in texts(app)
    assert {p.name: p.stat().st_size for p in tmp_path.glob("*.alproj")} == before
    assert Project.open("tutorial", folder=tmp_path).session.n_queried == 1


def test_compare_page_shows_curves_and_a_summary(app):
    app.switch_page("al_ui/pages/compare.py").run()
    app.selectbox(key="cmp_dataset").set_value("iris")
    app.multiselect(key="cmp_strategies").set_value(["margin"])
    app.number_input(key="cmp_seeds").set_value(2)
    app.number_input(key="cmp_budget").set_value(10)
    app.number_input(key="cmp_initial").set_value(0.05)
    app.button[0].click()  # the form's submit button
    app.run()
    assert not app.exception
    charts = [json.loads(c.proto.spec)["data"] for c in app.main.get("plotly_chart")]
    names = {t.get("name") for data in charts for t in data}
    assert {"smallest margin", "random"} <= names  # the form's words in the legend
    table = app.dataframe[0].value
    assert list(table["strategy"]) == ["smallest margin", "random"]
    assert "stop advice at" in table.columns
    # The saving carries its uncertainty: an interval over the seeds, random's own none.
    assert re.fullmatch(r"(−∞|[+-]\d+) to (\+∞|[+-]\d+)", table["95 % interval"][0])
    assert table["95 % interval"][1] == ""  # random against itself
    assert list(table.columns[:4]) == [
        "strategy",
        "labels to reach 98%",
        "labels saved vs random",
        "95 % interval",
    ]
    # Every area to four decimals, trailing zeros kept, so the column reads as one scale.
    assert all(len(a.split(".")[1]) == 4 for a in table["area under curve"])
    assert "98 % of the full-pool accuracy" in texts(app) or "No strategy" in texts(app)


def test_compare_offers_the_open_projects_dataset_first(app):
    start(app)  # the tutorial's project
    app.switch_page("al_ui/pages/compare.py").run()
    assert not app.exception
    assert app.selectbox(key="cmp_dataset").value == "tutorial"


def test_compare_merges_strategies_that_chose_the_same_rows_on_two_classes(app):
    app.switch_page("al_ui/pages/compare.py").run()
    app.selectbox(key="cmp_dataset").set_value("breast_cancer")
    app.multiselect(key="cmp_strategies").set_value(["least_confidence", "margin", "entropy"])
    app.number_input(key="cmp_seeds").set_value(2)
    app.number_input(key="cmp_budget").set_value(30)
    app.button[0].click()
    app.run()
    assert not app.exception
    charts = [json.loads(c.proto.spec)["data"] for c in app.main.get("plotly_chart")]
    means = [t for data in charts for t in data if t.get("mode") == "lines" and not t.get("fill")]
    lines = [t["name"] for t in means]
    assert lines == ["least confidence = smallest margin = highest entropy", "random"]
    colors = {t["line"]["color"] for t in means}
    assert len(colors) == 2
    assert "Drawn as one line" in texts(app)


def test_data_page_lists_labels_and_the_skipped_row(app):
    start(app)
    labeled = sample_id(app)
    press(app, "label", 1)
    skipped = sample_id(app)
    press(app, "skip")
    app.switch_page("al_ui/pages/data.py").run()
    assert not app.exception
    table = app.dataframe[0].value
    assert table.row_id.tolist() == [labeled] and table.annotator.tolist() == ["Ada"]
    # To the second, in UTC, as the column's name says.
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", table["labeled at (UTC)"][0])
    assert table.decided_by.tolist() == [""]  # nobody decided: blank, not "None"
    app.button(key=f"revisit_{skipped}").click().run()
    assert "Nothing skipped." in [c.value for c in app.caption]


def test_a_deleted_project_file_shows_not_saved_and_keeps_earlier_labels(app, tmp_path):
    start(app)
    first = sample_id(app)
    press(app, "label", TRUTH[first])
    path = tmp_path / "tutorial.alproj"
    backup = tmp_path / "backup.alproj"
    with sqlite3.connect(path) as live, sqlite3.connect(backup) as copy:
        live.backup(copy)  # what an administrator's backup holds
    path.unlink()
    row = sample_id(app)
    press(app, "label", TRUTH[row])
    assert not app.exception
    errors = "\n".join(e.value for e in app.error)
    assert "Not saved" in errors and "deleted or replaced" in errors
    assert "Traceback" not in texts(app)
    backup.replace(path)  # the file restored: the first label is in it, the second is not
    project = Project.open("tutorial", folder=tmp_path)
    assert project.session.labels[first] == TRUTH[first] and project.session.labels[row] == -1


def test_html_in_names_renders_as_text(app):
    frame = pd.DataFrame({"<b>x</b>": np.arange(60.0) % 9, "y": np.arange(60.0) % 5})
    start(app)
    upload(app, "<img src=x onerror=alert(1)>.csv", frame.to_csv(index=False).encode())
    app.text_input(key="upload_classes").input("<script>alert(1)</script>, **bold**").run()
    assert not app.exception
    shown = texts(app)
    assert "\\<script\\>" in shown and "\\*\\*bold\\*\\*" in shown
    assert "<script>" not in shown.replace("\\<script\\>", "")


def test_the_random_band_appears_once_computed_in_the_background(app, tmp_path):
    start(app)
    assert "Computing the random-sampling band" in texts(app)
    project = Project.open("tutorial", folder=tmp_path)
    deadline = time.time() + 60
    while project.baseline(compute=False) is None and time.time() < deadline:
        time.sleep(0.2)
    press(app, "label", 0)
    names = {
        t.get("name") for t in json.loads(app.sidebar.get("plotly_chart")[0].proto.spec)["data"]
    }
    assert "random (mean)" in names
    assert "Grey band" in texts(app)


def test_the_presenter_view_waits_for_the_band_and_never_shows_a_negative_saving(
    app, tmp_path, monkeypatch
):
    import al_ui.sidebar

    release = threading.Event()
    compute = al_ui.sidebar._compute_band

    def held(project, job):
        release.wait(60)
        compute(project, job)

    monkeypatch.setattr(al_ui.sidebar, "_compute_band", held)
    start(app)
    for _ in range(3):
        press(app, "label", TRUTH[sample_id(app)])
    app.switch_page("al_ui/pages/present.py").run()
    assert not app.exception
    shown = texts(app)
    assert "Waiting for random sampling's band" in shown
    assert "Needs data with known labels" not in shown and "Grey: random" not in shown
    release.set()
    project = Project.open("tutorial", folder=tmp_path)
    deadline = time.time() + 60
    while project.baseline(compute=False) is None and time.time() < deadline:
        time.sleep(0.2)
    app.run()
    shown = texts(app)
    assert "Grey: random sampling" in shown and "Waiting" not in shown
    saved = next(m.value for m in app.metric if m.label == "Labels saved")
    assert not saved.startswith("-"), saved


def test_a_label_column_named_target_is_picked_and_never_a_feature(app):
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    start(app)
    upload(app, "wine.csv", frame.to_csv(index=False).encode())
    assert app.selectbox(key="upload_label_wine.csv").value == "target"
    features = app.multiselect(key="upload_features_target")
    assert "target" not in features.options and "target" not in features.value
    assert "Every row is labeled" in texts(app)


def test_the_suggested_project_name_follows_the_dataset(app):
    start(app)
    app.switch_page("al_ui/pages/setup.py").run()
    app.selectbox(key="builtin_dataset").set_value("wine").run()
    assert app.text_input(key="builtin_name_wine").value == "wine project"


def test_the_budget_can_be_raised_on_the_end_page(app, tmp_path):
    start(app)
    for _ in range(20):
        press(app, "label", TRUTH[sample_id(app)])
    assert "budget is used up" in texts(app)
    app.number_input(key="new_budget").set_value(5).run()
    app.button(key="raise_budget").click().run()
    assert "must be at least 20" in texts(app)  # below the labels given: refused
    app.number_input(key="new_budget").set_value(25).run()
    app.button(key="raise_budget").click().run()
    assert not app.exception and sample_id(app) is not None
    press(app, "label", TRUTH[sample_id(app)])
    project = Project.open("tutorial", folder=tmp_path)
    assert project.session.config.budget == 25 and project.session.n_queried == 21


def test_the_data_page_says_who_skipped_and_does_not_count_the_oracle(app, tmp_path):
    start(app, "Ada")
    skipped = sample_id(app)
    press(app, "skip")
    app.number_input(key="simulate_count").set_value(2).run()
    app.button(key="simulate").click().run()
    app.switch_page("al_ui/pages/data.py").run()
    assert not app.exception
    shown = texts(app)
    assert f"Sample #{skipped}, skipped by Ada" in shown
    assert "simulated oracle gave 2 more" in shown
    assert app.metric[0].value == "0"  # labels by people


def test_the_card_names_the_sample_by_its_id_and_shows_the_row_as_the_file_has_it(app, tmp_path):
    rng = np.random.default_rng(1)
    n = 120
    frame = pd.DataFrame(
        {
            "ticket": [f"IR-{i:04d}" for i in range(n)],
            "size": rng.normal(size=n).round(3),
            "plan": rng.choice(["basic", "plus", "pro"], n),
            "notes": [f"called on day {i}, asked about billing twice" for i in range(n)],
        }
    )
    frame["label"] = np.where(frame["size"] > 0, "big", "small")
    start(app)
    upload(app, "tickets.csv", frame.to_csv(index=False).encode())
    assert app.selectbox(key="upload_label_tickets.csv").value == "label"
    app.button(key="create_upload").click().run()
    app.switch_page("al_ui/pages/label.py").run()
    assert not app.exception
    row = sample_id(app)
    title = card_title(app)
    assert f"Sample IR-{row:04d} · row #{row}<" in title
    tables = [t.value for t in app.dataframe]
    features = next(t for t in tables if "feature" in t.columns)
    assert features["feature"].tolist() == ["size", "plan"]  # the category as one row
    assert features.loc[1, "value"] == frame.loc[row, "plan"]
    context = next(t for t in tables if "column" in t.columns)
    assert context["column"].tolist() == ["notes"] and "billing" in context.loc[0, "value"]


def test_a_builtin_demo_starts_small_and_the_tutorial_keeps_its_settings(app, tmp_path):
    start(app)
    app.switch_page("al_ui/pages/setup.py").run()
    assert app.number_input(key="builtin_tutorial_budget").value == 20
    assert app.number_input(key="builtin_tutorial_initial").value == 0.10
    app.selectbox(key="builtin_dataset").set_value("breast_cancer").run()
    assert "rise that active learning" in texts(app)
    app.button(key="create_builtin").click().run()
    assert not app.exception
    project = Project.open("breast_cancer project", folder=tmp_path)
    config = project.session.config
    assert config.initial_fraction <= 0.03 and config.budget >= 60
    assert project.session.n_labeled <= 0.03 * 512 + 2  # a small start, not 51 rows


def test_the_presenter_view_shows_interval_savings_advice_and_the_map(app, tmp_path):
    start(app)
    for _ in range(5):
        press(app, "label", TRUTH[sample_id(app)])
    on_screen = sample_id(app)
    app.switch_page("al_ui/pages/present.py").run()
    assert not app.exception
    shown = texts(app)
    assert "95 % interval" in shown and "100 test rows" in shown
    assert any(m.label == "Labels saved" for m in app.metric)
    assert any(w in shown for w in ("Keep labeling", "Nearly there", "You can stop"))
    traces = [t for c in app.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]]
    star = next(t for t in traces if t.get("name") == "on screen now")
    project = Project.open("tutorial", folder=tmp_path)
    assert project.on_screens()["Ada"] == on_screen
    assert len(star["x"]) == 1


def test_the_map_of_the_pool_is_fitted_once_and_deterministic():
    from al_core.learning.poolmap import pool_map

    X = load_builtin("synthetic_10k").X
    a, b = pool_map(X, seed=0, max_points=2000), pool_map(X, seed=0, max_points=2000)
    assert a.rows.size == 2000 and np.array_equal(a.rows, b.rows)
    assert np.allclose(a.xy, b.xy)
    assert np.allclose(a.place(X[a.rows[:5]]), a.xy[:5])


@pytest.mark.parametrize(
    "name", ["https://127.0.0.1:8799/phish", "admin@evil.example", "www.evil.example"]
)
def test_names_that_look_like_links_are_never_links_on_any_page(app, name):
    start(app, name)
    press(app, "skip")
    for page in ("al_ui/pages/label.py", "al_ui/pages/data.py"):  # the pages naming people
        app.switch_page(page).run()
        assert not app.exception
        shown = [
            m.value for m in [*app.markdown, *app.caption] if "evil" in m.value or "127" in m.value
        ]
        assert shown, f"the name is not shown on {page}"
        for value in shown:
            plain = value.replace("\\\\", "")
            assert not re.search(r"(?i)https?://|www\\.|[-.\\w+]@", plain), (page, value)


def test_a_tampered_log_shows_the_engines_message_not_an_error_box(app, tmp_path):
    from al_core.projects.sources import DataSource

    hurt = Project.create("hurt", DataSource("builtin", "tutorial"), folder=tmp_path)
    hurt.label("x", int(hurt.next_for("x").ids[0]), 0)
    hurt.close()
    with sqlite3.connect(tmp_path / "hurt.alproj") as db:
        db.execute("UPDATE events SET row_id = 99999 WHERE kind = 'label'")
    db.close()
    app.query_params["project"] = "hurt"
    app.query_params["annotator"] = "Ada"
    for page in ("al_ui/pages/label.py", "al_ui/pages/data.py", "al_ui/pages/present.py"):
        app.switch_page(page).run()
        assert not app.exception
        assert "damaged" in texts(app), page


def test_a_file_without_labels_does_not_get_a_feature_guessed_as_its_labels(app):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "plan": rng.choice(["basic", "plus", "pro"], 60),
            "spend": rng.normal(50, 10, 60).round(2),
            "notes": [None] * 60,
        }
    )
    start(app)
    upload(app, "customers.csv", frame.to_csv(index=False).encode())
    assert app.selectbox(key="upload_label_customers.csv").value.startswith("(no label column")


def _team(folder):
    """A tutorial project where every labeled row also goes to a second person."""
    from al_core import SessionConfig
    from al_core.projects.sources import DataSource

    source = DataSource("builtin", "tutorial")
    return Project.create("team", source, SessionConfig(overlap=1.0), folder=folder)


def _as_reviewer(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["project"] = "team"
    at.query_params["annotator"] = "Rev"
    at.switch_page(page).run()
    return at


def test_review_page_settles_a_conflict_by_key_and_undo_takes_it_back(app, tmp_path):
    project = _team(tmp_path)
    row = int(project.next_for("ann").ids[0])
    project.label("ann", row, int(TRUTH[row]), on_screen=True)
    assert int(project.next_for("bob").ids[0]) == row
    project.label("bob", row, 1 - int(TRUTH[row]), on_screen=True)
    project.close()
    at = _as_reviewer("al_ui/pages/review.py")
    assert not at.exception
    assert sample_id(at) == row  # the conflict comes first
    assert "two people gave different labels" in texts(at)
    given = next(d.value for d in at.dataframe if "who" in d.value.columns)
    assert set(given.who) == {"ann", "bob"}
    at.button(key=f"review_{row}_{1 - int(TRUTH[row])}").click().run()
    assert not at.exception
    reopened = Project.open("team", folder=tmp_path)
    assert reopened.session.labels[row] == 1 - TRUTH[row]
    assert reopened.events[-1].kind == "adjudicate" and reopened.events[-1].annotator == "Rev"
    reopened.close()
    assert sample_id(at) != row  # settled: off the queue
    at.button(key=next(b.key for b in at.button if (b.key or "").startswith("review_undo"))).click()
    at.run()
    reopened = Project.open("team", folder=tmp_path)
    assert reopened.session.labels[row] == TRUTH[row]
    reopened.close()
    assert sample_id(at) == row  # back on the queue


def test_data_page_shows_agreement_of_the_overlap_pairs(app, tmp_path):
    project = _team(tmp_path)
    for wrong in (False, True, False):
        row = int(project.next_for("ann").ids[0])
        project.label("ann", row, int(TRUTH[row]), on_screen=True)
        project.label("bob", row, int(TRUTH[row]) ^ wrong, on_screen=False)
    project.close()
    at = _as_reviewer("al_ui/pages/data.py")
    assert not at.exception
    assert "Krippendorff's alpha" in texts(at) and "over 3 rows" in texts(at)
    pairs = next(d.value for d in at.dataframe if "shared rows" in d.value.columns)
    assert pairs["shared rows"].tolist() == [3] and pairs["same label"].tolist() == ["67%"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://x@y/z", "must be a PostgreSQL URL"),
        ("postgresql://al:secret@127.0.0.1:1/none", "project database is not answering"),
    ],
)
def test_a_bad_database_url_is_a_message_on_the_page(tmp_path, monkeypatch, url, message):
    monkeypatch.setenv("AL_PROJECTS_DIR", str(tmp_path))
    monkeypatch.setenv("AL_DATABASE_URL", url)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    shown = texts(at)
    assert message in shown and "secret" not in shown


def test_a_file_of_messages_becomes_a_text_project_whose_card_shows_the_text(app):
    rng = np.random.default_rng(4)
    good, bad = ["great", "lovely", "superb"], ["awful", "broken", "useless"]
    n = 120
    frame = pd.DataFrame(
        {
            "message": [
                " ".join(rng.choice(good if i % 2 else bad, 2))
                + f" <b>the</b> **item** number {i} was"
                for i in range(n)
            ],
            "label": ["good" if i % 2 else "bad" for i in range(n)],
        }
    )
    start(app)
    upload(app, "messages.csv", frame.to_csv(index=False).encode())
    # Nothing else could be a feature: the free-text column is chosen for the person.
    assert app.multiselect(key="upload_texts_label").value == ["message"]
    app.button(key="create_upload").click().run()
    app.switch_page("al_ui/pages/label.py").run()
    assert not app.exception
    row = sample_id(app)
    shown = [e.proto.body for e in app.get("html")]
    box = next(b for b in shown if 'class="al-text"' in b)
    assert "&lt;b&gt;the&lt;/b&gt; **item**" in box and "<mark" in box
    assert frame.message[row].split()[0] in box
    assert "Marked: words that pushed the model" in texts(app)


def test_a_file_on_the_server_becomes_a_project_without_a_copy(app, tmp_path):
    rng = np.random.default_rng(2)
    n = 200
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    frame["label"] = np.where(frame.a > 0, "up", "down")
    path = tmp_path / "data" / "pool.parquet"
    path.parent.mkdir()
    frame.to_parquet(path)
    start(app)
    app.switch_page("al_ui/pages/setup.py").run()
    app.text_input(key="server_path").input("pool.parquet").run()
    assert "on the server. Give the full path" in texts(app)
    app.text_input(key="server_path").input(str(path)).run()
    app.selectbox(key=f"server_label_{path}").set_value("label").run()
    app.button(key="create_server").click().run()
    assert not app.exception
    app.switch_page("al_ui/pages/label.py").run()
    assert sample_id(app) is not None
    with sqlite3.connect(tmp_path / "pool.alproj") as db:
        assert db.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 0


def test_a_huge_test_set_is_named_as_the_sample_it_is_measured_on(app, tmp_path):
    from al_core import SessionConfig
    from al_core.projects.sources import DataSource

    config = SessionConfig(test_size=0.3, initial_fraction=0.002, budget=None)
    Project.create("big", DataSource("builtin", "synthetic_100k"), config, folder=tmp_path).close()
    app.query_params["project"] = "big"
    app.query_params["annotator"] = "Ada"
    for page in ("al_ui/pages/label.py", "al_ui/pages/present.py"):
        app.switch_page(page).run()
        assert not app.exception
        assert "a fixed sample of 10,000 of the 30,000 test rows" in texts(app), page


def test_the_sidebar_chart_is_built_once_per_change_and_drawn_without_copies(app, monkeypatch):
    """A redraw reuses the figure as built (unpickling a copy cost more than building)."""
    import streamlit as st

    from al_ui import sidebar

    built, drawn = [], []
    real_build, real_draw = sidebar.learning_curve_figure, st.plotly_chart

    def build(*args, **kwargs):
        built.append(real_build(*args, **kwargs))
        return built[-1]

    def draw(figure, *args, **kwargs):
        drawn.append(figure)
        return real_draw(figure, *args, **kwargs)

    monkeypatch.setattr(sidebar, "learning_curve_figure", build)
    monkeypatch.setattr(st, "plotly_chart", draw)
    start(app)  # the chart was built before (the sidebar shows while a name is asked)
    app.run()  # a redraw, nothing changed
    before = list(drawn)
    assert len(before) >= 2 and all(d is before[0] for d in before) and not built
    press(app, "label", TRUTH[sample_id(app)])
    assert len(built) == 1 and drawn[-1] is built[0]
