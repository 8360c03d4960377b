"""Identity and access: users, departments and the reporting line, roles and their grants, field
security, record shares, API tokens, password hashing, the audit log. Record-level enforcement
plugs into ``accord/records/access.py``."""
