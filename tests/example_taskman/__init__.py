"""Tests of the taskman example app (examples/taskman), against SQLite and PostgreSQL."""
