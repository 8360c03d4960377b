"""accord.notifications — in-app inbox, live push, email and group-robot notifications.

What other packages may use (everything else is internal):

- ``service``: ``Message``, ``NotifyResult``, ``notify``, ``notify_admins`` (in the caller's
  transaction), ``check_message``, ``check_recipients`` (save-time checks of rules);
- ``kinds``: ``Kind``, ``register_kind``, ``get_kind``, ``all_kinds``, the channel names;
- for the edge (API, UI): ``inbox``, ``preferences``, ``channels``, ``deliveries``.

Start with ``README.md`` in this folder.
"""
