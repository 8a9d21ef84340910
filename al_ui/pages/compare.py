"""Compare page: strategies against random with the simulated oracle, for demos."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from al_core import BUILTINS, STRATEGIES, ALError, SessionConfig, compare, load_builtin
from al_ui.charts import comparison_figure
from al_ui.claims import headline, interval_text, strategy_label
from al_ui.messages import show_error
from al_ui.sidebar import sidebar_panel
from al_ui.state import project_or_message

RESULT = "compare_result"


def _summary_table(result) -> pd.DataFrame:
    rows = []
    for r in result.summary():
        # The labels first, with how sure they are: the table is wider than the page.
        row = {"strategy": strategy_label(r["strategy"])}
        reach = r["labels_to_target"]
        row["labels to reach 98%"] = "not reached" if reach is None else str(reach)
        saved = r["labels_saved_vs_random"]
        row["labels saved vs random"] = "—" if saved is None else f"{saved:+d}"
        row["95 % interval"] = (
            ""
            if r["strategy"] == "random"
            else interval_text(r["labels_saved_interval"])  # computed once, in summary()
        )
        for n, v in r["accuracy_at"].items():
            row[f"accuracy @ {n} labels"] = f"{v['mean']:.3f} ± {v['sd']:.3f}"
        row["area under curve"] = f"{r['auc']:.4f}"  # as text: a float column drops zeros
        stop = r["stop_advice"]
        row["stop advice at"] = (
            "never" if stop["stop_at"] is None else f"{stop['stop_at']:.0f} labels"
        )
        rows.append(row)
    return pd.DataFrame(rows)


def page() -> None:
    if project := project_or_message():
        sidebar_panel(project)
    names = [n for n in BUILTINS if not n.startswith("synthetic")]  # keep demos quick
    # The open project's own data first, where it is one of them.
    source = project.source if project else None
    ours = source.name if source and source.kind == "builtin" else None
    first = ours if ours in names else "breast_cancer"
    st.title("Does active learning beat random labeling?")
    st.write(
        "Each strategy labels the same datasets from the same starting sets as random "
        "sampling, with the dataset's own labels as the oracle, over several seeds."
    )
    with st.form("compare_form"):
        c1, c2 = st.columns(2)
        dataset = c1.selectbox("Dataset", names, index=names.index(first), key="cmp_dataset")
        strategies = c2.multiselect(
            "Strategies",
            [s for s in STRATEGIES if s != "random"],
            default=["least_confidence", "margin", "entropy"],
            format_func=strategy_label,
            key="cmp_strategies",
        )
        c3, c4, c5 = st.columns(3)
        seeds = c3.number_input("Seeds", 1, 50, 5, key="cmp_seeds")
        budget = c4.number_input("Budget (queries)", 5, 1000, 60, key="cmp_budget")
        initial = c5.number_input(
            "Initially labeled fraction",
            0.005,
            0.5,
            0.02,
            step=0.01,
            format="%.3f",
            key="cmp_initial",
        )
        run = st.form_submit_button("Run comparison", type="primary")
    if run:
        bar = st.progress(0.0, text="Simulating…")
        try:
            result = compare(
                load_builtin(dataset),
                list(strategies),
                int(seeds),
                int(budget),
                SessionConfig(initial_fraction=float(initial)),
                on_progress=lambda d, t: bar.progress(d / t, text=f"Simulating: {d} of {t} runs"),
            )
        except ALError as exc:
            bar.empty()
            show_error(exc)
            return
        bar.empty()
        st.session_state[RESULT] = result
    result = st.session_state.get(RESULT)
    if result is None:
        return
    st.subheader(f"{result.dataset}: {len(result.seeds)} seeds, {result.budget} queries")
    st.markdown(headline(result))
    st.plotly_chart(comparison_figure(result, label=strategy_label), key="compare_chart")
    st.caption(
        f"A model trained on the whole pool reaches {result.full_accuracy:.3f}; the dotted line "
        "is 98% of that. Bands: mean ± sd over seeds. *Labels to reach 98%* counts from when "
        "the mean curve stays above the line. *95 % interval*: of the labels saved, seeds "
        "resampled 2,000 times (∞: the target not reached within the budget in over 2.5 % "
        "of them)."
    )
    merged = [g for g in result.identical_groups() if len(g) > 1]
    if merged:
        st.caption(
            "Drawn as one line: "
            + "; ".join(" = ".join(strategy_label(n) for n in g) for g in merged)
            + ". They chose the same rows in every run (with two classes, least confidence, "
            "margin and entropy rank rows identically)."
        )
    table = _summary_table(result)
    # Figures as text (so each keeps its decimals and signs), right-aligned as numbers.
    right = {c: st.column_config.TextColumn(c, alignment="right") for c in table.columns[1:]}
    st.dataframe(table, hide_index=True, key="compare_table", column_config=right)


page()
