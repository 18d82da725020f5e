"""Browser rules of `optin check --browser` (filled in below)."""
RULES = {
    "axe": "axe-core reports no accessibility violations (WCAG 2.2 AA and best practices)",
    "console-error": "the page logs no console errors and throws no uncaught exceptions",
    "csp-violation": "the browser reports no Content-Security-Policy violation",
    "network": "the page requests nothing outside the site and the campaign's endpoints",
}
