"""Remote-assistance sessions: an agent invites the customer from a ticket (RustDesk, or
any tool whose link the admin describes with a template), and the session's start, end
and length are recorded on the ticket as history and as the agent's logged time."""
