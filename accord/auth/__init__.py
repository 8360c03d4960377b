"""Identity: users, API tokens, password hashing. (Roles, scopes and audit come with issue 3.)"""
