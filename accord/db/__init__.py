"""Infrastructure: engine creation, system tables, migrations, dialect helpers, units of work."""
