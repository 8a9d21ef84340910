"""Benchmarks (not tests): ``python -m benchmarks [engine|save|all]``; see RESULTS.md."""
