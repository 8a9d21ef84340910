"""A separate process that labels a project, for the crash and concurrency tests.

python tests/label_worker.py ack FOLDER NAME           label until killed, print ACK lines
python tests/label_worker.py crowd FOLDER NAME TAG T Q  T threads, Q labels each

FOLDER may be a postgresql:// URL: the project is then in that database.
"""

import json
import sys
import threading
import time

from al_core.projects.project import Project


def where(folder: str) -> dict:
    return {"url": folder} if folder.startswith("postgresql://") else {"folder": folder}


def ack(folder, name):
    project = Project.open(name, **where(folder))
    y = project.dataset.y
    while True:
        row = int(project.next_for("killer").ids[0])
        project.label("killer", row, int(y[row]))
        print(f"ACK {row} {int(y[row])}", flush=True)


def crowd(folder, name, tag, threads, quotas):
    project = Project.open(name, **where(folder))
    y = project.dataset.y
    log, errors = [], []

    def work(who, quota):
        try:
            for _ in range(quota):
                q = project.next_for(who)
                got = time.time()
                row = int(q.ids[0])
                saved = project.label(who, row, int(y[row]))
                log.append(
                    {
                        "row": row,
                        "who": who,
                        "got": got,
                        "done": time.time(),
                        "conflict": saved.conflict,
                    }
                )
        except Exception as exc:  # reported to the test, which fails on it
            errors.append(f"{who}: {type(exc).__name__}: {exc}")

    workers = [
        threading.Thread(target=work, args=(f"{tag}-{i}", quotas[i])) for i in range(threads)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    # Wait for the other process's labels, then report what this process holds in memory.
    deadline = time.time() + 120
    while project.session.n_queried < sum(quotas) * 2 and time.time() < deadline:
        time.sleep(0.05)
        project.refresh()
    s = project.session
    history = [[p.n_labeled, p.accuracy, list(p.queried_ids), list(p.labels)] for p in s.history]
    print(
        json.dumps({"log": log, "errors": errors, "labels": s.labels.tolist(), "history": history}),
        flush=True,
    )


if __name__ == "__main__":
    mode, folder, name, *rest = sys.argv[1:]
    if mode == "ack":
        ack(folder, name)
    else:
        tag, threads = rest[0], int(rest[1])
        crowd(folder, name, tag, threads, [int(q) for q in rest[2].split(",")])
