"""Who may do what: users, roles, password hashing, lockout, region scope and the audit log.
Pure Python (no streamlit): the portal's ui/auth.py, the admin page, the command line
`python -m cli.users` and the tile route (through the scope prefix) share these rules."""
