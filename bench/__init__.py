"""Benchmark harness: newsfacts beside Datasette and a bare Flask + sqlite3 floor (`python -m bench`)."""
