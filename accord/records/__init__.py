"""The record service: the one way every path reads and changes records.

Others use ``accord.records.service`` (create/get/list/update/delete/restore/bulk/history),
``accord.records.timeline``, ``accord.records.search`` and, for scope, ``accord.records.access``.
"""
