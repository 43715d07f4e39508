"""The session database, one module per aggregate. Every function takes the Session first and
flushes but never commits: the caller's `unit_of_work` block (engine.py) is the transaction.

Functions use only the `id` of a Client passed in, so a client loaded in an earlier unit of work
works too. "Exactly once" promises rest on unique constraints and conditional UPDATEs, which hold
on PostgreSQL (many replicas) and SQLite (one writer at a time) alike.

- clients.py: clients, profiles, consent, ladder positions, enrolment check, export and forget
- sessions.py: planned sessions, check-ins and their exercise logs, adherence reads
- symptoms.py: symptom reports, red flags (open -> handled -> cleared), the "cleared" notice
- alerts.py: coach alerts and their delivery claims to the coach chat
- invites.py: invite codes and the allow-list table
- reminders.py: the scheduler's snapshot, claims, leases and outcomes
- turns.py: Telegram turn records, live keyboards, refused groups
- staff.py: the staff dashboard's accounts, sessions and sign-in attempts; audit.py: its audit log
- conversation.py: a client's messages as Rasa's tracker store keeps them (read only, Rasa's table)
- models.py: the tables; status.py: the stored vocabularies; engine.py: engines, unit_of_work,
  migrations (migrations/); unique.py: inserting where a unique key may already hold the row
"""
