"""Learning: query strategies, scoring, models, cold start, explanations and the session.

Built on ``al_core.data``; knows nothing of files, projects or annotators.
"""
