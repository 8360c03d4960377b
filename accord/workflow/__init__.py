"""Approval flows: definitions, instances, tasks, actions, record locking (see README.md)."""
