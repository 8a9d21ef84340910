"""Plotly figures, as pure functions of engine results (tests call them without Streamlit)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from al_core.learning.history import HistoryPoint
from al_core.learning.intervals import wilson_interval
from al_core.simulation.compare import Comparison, Curve

ACCENT = "#00796b"
BASELINE = "#9e9e9e"
PALETTE = ["#00796b", "#5e35b1", "#ef6c00", "#1e88e5", "#c2185b", "#6d4c41"]
"""The house colours: strategies in a comparison, and classes while there are at most six."""

_MANY = [c for c in qualitative.Dark24 if c != "#222A2A"]
"""Classes beyond six: plotly's 24 dark colours but its near-black (labeled rows are
ringed in black), 23 distinct."""


def class_colors(n_classes: int) -> list[str]:
    """A colour per class, index by index: distinct up to 23 classes (cycled beyond)."""
    base = PALETTE if n_classes <= len(PALETTE) else _MANY
    return [base[c % len(base)] for c in range(n_classes)]


def _band(x, mean, sd, color: str, name: str, group: str) -> list[dict]:
    """Two traces: the mean ± sd band, filled, and the mean as a dashed line."""
    x = list(map(int, x))
    upper = (np.asarray(mean) + np.asarray(sd)).tolist()
    lower = (np.asarray(mean) - np.asarray(sd)).tolist()
    return [
        {
            "type": "scatter",
            "x": x + x[::-1],
            "y": upper + lower[::-1],
            "fill": "toself",
            "fillcolor": _rgba(color, 0.18),
            "mode": "lines",  # a band: without it, short bands get a marker on every corner
            "line": {"width": 0},
            "hoverinfo": "skip",
            "showlegend": False,
            "legendgroup": group,
            "name": f"{name} ± sd",
        },
        {
            "type": "scatter",
            "x": x,
            "y": list(map(float, mean)),
            "mode": "lines",
            "line": {"color": color, "dash": "dash", "width": 1.5},
            "name": name,
            "legendgroup": group,
        },
    ]


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def learning_curve_figure(
    history: list[HistoryPoint],
    baseline: Curve | None = None,
    height: int = 300,
    n_test: int | None = None,
) -> go.Figure:
    """Test accuracy against labeled samples, one marker per retrain.

    The trace named ``"this project"`` holds exactly the history's points that have an
    accuracy; with ``n_test`` (test rows) a band shows each point's 95 % Wilson interval;
    ``baseline`` adds random sampling's mean ± sd band from the same start.

    The traces and layout are given to ``go.Figure`` at once, as plain dicts (still
    validated): built trace by trace with ``add_trace`` and ``update_layout`` the same
    figure took 9-25 ms, redrawn in the sidebar after every label; this way about 2.
    """
    points = [p for p in history if p.accuracy is not None]
    traces: list[dict] = []
    if baseline is not None:
        traces += _band(
            baseline.n_labeled, baseline.mean, baseline.sd, BASELINE, "random (mean)", "b"
        )
    bounds = [wilson_interval(round(p.accuracy * n_test), n_test) for p in points] if n_test else []
    if bounds:
        x = [p.n_labeled for p in points]
        traces.append(
            {
                "type": "scatter",
                "x": x + x[::-1],
                "y": [hi for _, hi in bounds] + [lo for lo, _ in bounds][::-1],
                "fill": "toself",
                "fillcolor": _rgba(ACCENT, 0.15),
                "mode": "lines",
                "line": {"width": 0},
                "hoverinfo": "skip",
                "name": "95% interval",
                "showlegend": False,
            }
        )
    traces.append(
        {
            "type": "scatter",
            "x": [p.n_labeled for p in points],
            "y": [p.accuracy for p in points],
            "mode": "lines+markers",
            "marker": {"size": 6, "color": ACCENT},
            "line": {"color": ACCENT, "width": 2},
            "name": "this project",
            "hovertemplate": "%{x} labels<br>accuracy %{y:.3f}<extra></extra>",
        }
    )
    ys = [p.accuracy for p in points] + [b for pair in bounds for b in pair]
    if baseline is not None:
        ys += list(baseline.mean - baseline.sd) + list(baseline.mean + baseline.sd)
    pad = max(0.01, 0.1 * (max(ys) - min(ys))) if ys else 0.05
    xaxis = {"title": {"text": "labeled samples"}, "tickformat": ",d", "nticks": 6}
    xs = [p.n_labeled for p in points] + (list(baseline.n_labeled) if baseline else [])
    span = max(xs) - min(xs) if xs else 0
    if span < 25:
        # Plotly's own ticks over a few labels fall between whole numbers, which ",d"
        # prints rounded: 89, 90, 90, 91, 91 around a first point at 90.
        # From the first point, so that where the curve starts is labeled.
        xaxis |= {"tick0": int(min(xs, default=0)), "dtick": max(1, -(-int(span) // 5))}
    layout = {
        "height": height,
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "xaxis": xaxis,
        "yaxis": {
            "title": {"text": "test accuracy"},
            "range": [
                max(0.0, min(ys, default=0.0) - pad),
                min(1.0 + pad, max(ys, default=1.0) + pad),
            ],
        },
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        "hovermode": "closest",
    }
    return go.Figure(data=traces, layout=layout)


def comparison_figure(result: Comparison, height: int = 420, label=lambda name: name) -> go.Figure:
    """Mean ± sd learning curves of every strategy, with the 98% target as a line.

    Strategies with identical runs are drawn once, named for all of them (``label``
    turns a strategy's name into the words the form uses); each line has its own colour.
    """
    traces: list[dict] = []
    colors = iter(PALETTE)
    for group in result.identical_groups():
        curve = result.curves[group[0]]
        name = " = ".join(label(n) for n in group)
        color = BASELINE if group == ["random"] else next(colors, ACCENT)
        traces += _band(curve.n_labeled, curve.mean, curve.sd, color, name, name)
    fig = go.Figure(data=traces)
    fig.add_hline(
        y=result.target,
        line={"color": "#c62828", "dash": "dot", "width": 1},
        annotation_text=f"98% of full-pool accuracy ({result.target:.3f})",
        annotation_position="bottom right",
    )
    fig.update_layout(
        height=height,
        margin={"l": 8, "r": 8, "t": 30, "b": 8},
        xaxis_title="labeled samples",
        yaxis_title="test accuracy",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )
    return fig


def digit_figure(image: np.ndarray, size: int = 280) -> go.Figure:
    """An 8x8 (or any small) grayscale image drawn large, dark ink on light paper."""
    fig = go.Figure(
        go.Heatmap(z=np.asarray(image)[::-1], colorscale="Greys", showscale=False, hoverinfo="skip")
    )
    fig.update_layout(
        width=size,
        height=size,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
    )
    return fig


def pool_map_figure(
    xy: np.ndarray,
    predicted: np.ndarray | None,
    certainty: np.ndarray | None,
    class_names: list[str],
    labeled: np.ndarray,
    queried_xy: np.ndarray,
    current_xy: np.ndarray | None,
    height: int = 420,
) -> go.Figure:
    """The pool on its 2-D map: colour = predicted class, paler = less sure.

    Parameters
    ----------
    xy : ndarray of shape (m, 2)
        The drawn rows' coordinates.
    predicted, certainty : ndarray of shape (m,) or None
        The model's class index and its probability for each drawn row (None: no model).
    labeled : ndarray of bool, shape (m,)
        Drawn rows that have a training label (ringed).
    queried_xy : ndarray of shape (q, 2)
        Rows the model asked about, in the order asked (numbered 1..q).
    current_xy : ndarray of shape (2,) or None
        The sample on the annotator's screen (a star).
    """
    fig = go.Figure()
    if predicted is None or certainty is None:
        groups = [(None, np.ones(len(xy), dtype=bool))]
    else:
        groups = [(c, predicted == c) for c in range(len(class_names))]
    colors = class_colors(len(class_names))
    for c, mask in groups:
        if not mask.any():
            continue
        color = BASELINE if c is None else colors[c]
        opacity = 0.6 if certainty is None else (0.15 + 0.75 * _sureness(certainty[mask]))
        fig.add_trace(
            go.Scattergl(
                x=xy[mask, 0],
                y=xy[mask, 1],
                mode="markers",
                marker={"size": 5, "color": color, "opacity": opacity},
                name="no model yet" if c is None else f"predicted {class_names[c]}",
                hoverinfo="skip",
            )
        )
    if labeled.any():
        fig.add_trace(
            go.Scattergl(
                x=xy[labeled, 0],
                y=xy[labeled, 1],
                mode="markers",
                marker={"size": 8, "color": "rgba(0,0,0,0)", "line": {"width": 1, "color": "#222"}},
                name="labeled",
                hoverinfo="skip",
            )
        )
    if len(queried_xy):
        fig.add_trace(
            go.Scatter(  # few points: plain lists, readable in the page
                x=queried_xy[:, 0].tolist(),
                y=queried_xy[:, 1].tolist(),
                mode="markers+text",
                text=[str(i + 1) for i in range(len(queried_xy))],
                textposition="top center",
                textfont={"size": 10},
                marker={"size": 7, "color": "#222", "symbol": "diamond"},
                name="asked, in order",
            )
        )
    if current_xy is not None:
        fig.add_trace(
            go.Scatter(
                x=[float(current_xy[0])],
                y=[float(current_xy[1])],
                mode="markers",
                marker={"size": 18, "color": "#ffca28", "symbol": "star", "line": {"width": 1}},
                name="on screen now",
            )
        )
    fig.update_layout(
        height=height,
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        xaxis={"visible": False},
        yaxis={"visible": False},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
    )
    return fig


def _sureness(certainty: np.ndarray) -> np.ndarray:
    """0 for a coin flip between classes, 1 for a certain prediction (per point)."""
    return np.clip((np.asarray(certainty, dtype=float) - 0.5) * 2, 0.0, 1.0)
