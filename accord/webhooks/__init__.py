"""Outbound webhooks: signed, retried, logged deliveries of record events and rule actions.

What other packages may use (everything else is internal):

- ``service``: ``deliver`` (a rule's "call webhook" action) and ``check_ref`` (its save-time
  check), the subscription and delivery-log services the API calls;
- ``signing.verify``: the receiver's check (tests, and receivers written in Python);
- ``consumer.consume`` and ``tasks``: wired by ``accord.engines``.

Start with ``README.md`` in this folder.
"""
