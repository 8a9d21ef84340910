"""Review: overlap rows, agreement between annotators, likely label mistakes, the queue."""
