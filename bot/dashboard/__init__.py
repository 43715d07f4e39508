"""The clinic's staff dashboard: a small Flask app on the session database and the services.

Pages: Today ("who needs me today?"), Clients (the report as a table), one client, invites,
the audit log. app.py builds it (`create_app`), server.py serves it with waitress (`serve`,
`python -m bot.dashboard`, `bone-coach dashboard`); docs/DASHBOARD.md says how to run it.
Nothing is imported here, so `bone-coach` commands that do not serve it stay light.
"""
