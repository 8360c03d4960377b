"""Foundation shared by every package: settings, ids, clock, errors, context.

Imports nothing else of ``accord``. Public: ``Settings``, ``new_id``, ``Clock``, ``SystemClock``,
``FixedClock``, the error hierarchy in ``accord.core.errors``.
"""
