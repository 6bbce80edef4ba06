"""The customer's whole story: admin-defined fields for customers, organizations and
tickets, ticket forms per type, agents' notes, contracts, and CSV import and export."""
