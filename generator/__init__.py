"""optin: campaign YAML -> localised static consent (opt-in) site."""
from pathlib import Path

__version__ = "0.1.0"

ROOT = Path(__file__).resolve().parent.parent
THEMES_DIR = ROOT / "themes"
LOCALES_DIR = ROOT / "locales"
CAMPAIGNS_DIR = Path("campaigns")
