"""accord.integrations — see README.md."""
