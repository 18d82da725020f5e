"""`optin check`: the rules a built site must pass before it is published."""
