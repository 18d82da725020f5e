"""Gettext catalogs (project locales over the built-in ones), the translators' workflow and CLDR
formatting."""
