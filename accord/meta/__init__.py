"""Metadata engine: object and field definitions, the field-type registry, definition checks,
typed DDL plans and their application, configuration export/import.

Others use: ``accord.meta.service`` (verbs), ``accord.meta.registry.load`` (definitions and
tables of the current version), ``accord.meta.model`` (definition dataclasses),
``accord.meta.fieldtypes.registry.get_type`` and ``accord.meta.expression``.
"""
