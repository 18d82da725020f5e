"""optin: campaign YAML -> localised static consent (opt-in) site."""

__version__ = "0.1.0"
