"""accord.automation — see README.md."""
