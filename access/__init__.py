"""Who may do what: users, roles, password hashing, lockout, region scope, audit log and signed
scope tokens. Pure Python (no streamlit): the portal's ui/auth.py, the admin page, the command
line `python -m cli.users` and any HTTP route share these rules."""
