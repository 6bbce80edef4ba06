"""A small OpenID provider for the single sign-on tests: django-oauth-toolkit with OIDC
on, run in its own process (`server.py`), with people whose claims are set in
`people.py`, some of whom make the provider misbehave on purpose."""
