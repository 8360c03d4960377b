"""Rule actions: a typed registry (see ``registry.py``)."""
