"""Projects: a labeling session saved as an event log, shared by several annotators.

The project, its store, the event log and its rows, leases, the lock, the data source,
the random baseline, the simulated oracle and export. Built on every layer below it.
"""
