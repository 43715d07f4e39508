"""What goes out to Telegram, for every process that sends: the Bot API client with its flood
limits and retries (client.py) and Telegram's limits on a message (formatting.py).

Neutral ground: the Rasa channel (bot.telegram), the coach desk, the reminder scheduler and the
command line all import it, and it imports nothing of Bone Coach.
"""
