"""The pure exercise rules engine: profile, history and symptoms in, a plan with reasons out."""
