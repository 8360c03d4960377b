"""The built-in CRM app: object definitions as metadata files, their loader, China region data
and the demo data generator."""
