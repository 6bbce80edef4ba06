"""WhatsApp Business Cloud API: webhook intake, replies, the 24-hour window."""
