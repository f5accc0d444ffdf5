"""Staff broadcasts and tip reminders: an outbox in SQLite, one paced sender, any Telegram library
as a transport. See README "Gửi thông báo"."""
