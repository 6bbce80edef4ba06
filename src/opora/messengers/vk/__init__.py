"""VK: a community's private messages and wall comments, by the Callback API."""
