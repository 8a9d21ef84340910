"""How well the suspects ranking finds deliberately flipped labels, and what fixing them buys.

For each dataset and seed, 10 % of the labels are flipped at random to another class;
``review.suspects`` ranks the rows, and we count the flipped rows among the top k
(k = the number flipped: random order would find 10 %). Then the model is trained on the
noisy labels with the top m suspects set back to their true label, m = 0 .. k, and
tested on a clean held-out quarter: the accuracy a reviewer buys by adjudicating.

    python -m benchmarks.suspects [--seeds 10] [--json]     (or: make suspects)
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from al_core.data.datasets import load_builtin
from al_core.learning.models import make_model
from al_core.review.suspects import find_suspects
from al_core.threads import pin_threads

DATASETS = ("breast_cancer", "wine", "digits", "tutorial")
FLIP = 0.10
FIX_STEPS = (0.0, 0.25, 0.5, 0.75, 1.0)  # shares of k suspects adjudicated


def flip_labels(
    y: np.ndarray, n_classes: int, share: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``y`` with ``share`` of its rows moved to another class at random; and those rows."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(y.size, size=round(share * y.size), replace=False)
    noisy = y.copy()
    noisy[rows] = (y[rows] + rng.integers(1, n_classes, size=rows.size)) % n_classes
    return noisy, rows


def run(name: str, seed: int) -> dict:
    data = load_builtin(name, seed=seed)
    X, y = data.X, data.y.astype(np.int64)
    train, test = train_test_split(np.arange(y.size), test_size=0.25, stratify=y, random_state=seed)
    noisy, flipped = flip_labels(y[train], data.n_classes, FLIP, seed)
    model = make_model("logistic_regression", seed)
    found = find_suspects(model, X[train], noisy, data.n_classes, random_state=seed)
    k = flipped.size
    top = found.order[:k]
    precision = float(np.isin(top, flipped).mean())
    curve = []
    for share in FIX_STEPS:
        fixed = noisy.copy()
        m = found.order[: round(share * k)]
        fixed[m] = y[train][m]  # the reviewer gives the true label
        clf = make_pipeline(StandardScaler(), clone(model)).fit(X[train], fixed)
        curve.append(float(clf.score(X[test], y[test])))
    return {"precision_at_k": precision, "k": int(k), "accuracy_by_fixed_share": curve}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    pin_threads(1)
    table = {}
    for name in DATASETS:
        runs = [run(name, seed) for seed in range(args.seeds)]
        prec = np.array([r["precision_at_k"] for r in runs])
        curves = np.array([r["accuracy_by_fixed_share"] for r in runs])
        table[name] = {
            "k": runs[0]["k"],
            "precision_mean": float(prec.mean()),
            "precision_sd": float(prec.std(ddof=1)) if prec.size > 1 else 0.0,
            "accuracy_mean": curves.mean(axis=0).tolist(),
            "accuracy_sd": (
                curves.std(axis=0, ddof=1) if len(runs) > 1 else 0 * curves[0]
            ).tolist(),
        }
    if args.json:
        print(
            json.dumps(
                {"seeds": args.seeds, "flip": FLIP, "fix_steps": FIX_STEPS, "datasets": table}
            )
        )
        return
    head = " | ".join(f"fix {int(s * 100)} %" for s in FIX_STEPS)
    print(f"| dataset | k flipped | flipped among top k (random: 0.10) | {head} |")
    print("|---|---|---|" + "---|" * len(FIX_STEPS))
    for name, r in table.items():
        cells = " | ".join(
            f"{m:.3f} ± {s:.3f}" for m, s in zip(r["accuracy_mean"], r["accuracy_sd"], strict=True)
        )
        print(
            f"| {name} | {r['k']} | {r['precision_mean']:.2f} ± {r['precision_sd']:.2f} | {cells} |"
        )


if __name__ == "__main__":
    main()
