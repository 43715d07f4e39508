"""The dashboard's pages, one module each: sign_in, today, clients (the table and its CSV),
client (one client, their charts and the clinic's flags), invites, audit_log. Each is a thin
layer: it reads through readmodels.py, writes through the services inside Auditor.change, and
renders a template; what it shows in words comes from bot/dashboard/texts.yml."""
