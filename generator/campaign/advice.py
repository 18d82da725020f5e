"""Advice on a valid campaign: what builds but will probably fail or mislead once published."""
from __future__ import annotations

from urllib.parse import urlsplit

from generator.campaign import vocab
from generator.campaign.model import Campaign
from generator.errors import Problem


def publish_warnings(campaign: Campaign) -> list[str]:
    """What builds but will probably fail once published, one line each (the build prints them).

    Call it after any endpoint override: `optin serve` points the forms at localhost."""
    out: list[str] = []
    e = campaign.endpoints
    public = [url for url in (e.submit, e.confirm, e.withdraw) if urlsplit(url).hostname not in vocab.LOCAL_HOSTS]
    if public and not campaign.base_url:
        example = f"/{campaign.id}/{campaign.default_locale}/thanks.html"
        out.append(str(Problem(
            str(campaign.source), None, "base_url",
            f"not set: without JavaScript the forms send {urlsplit(public[0]).netloc} a site-root return "
            f"address (success_url {example}); only the bundled receiver resolves that (against the "
            "page's Origin), other endpoints may not, and it is wrong when the site is in a subfolder; "
            "and no QR codes, posters or embed snippets are written (they need the public address)",
            "set `base_url:` to the public https URL the site is published at")))
    for channel in campaign.defaulted:
        if channel in campaign.channels:
            p = campaign.providers[channel]
            where = ", ".join(f"{x.name} ({x.country})" for x in p.places)
            out.append(str(Problem(
                str(campaign.source), None, f"providers.{channel}",
                f"not set: the notice names optin's default {where} and no data processing agreement",
                f"confirm it: set `providers.{channel}` (name, country, hosting, `dpa:` the agreement's date)")))
    return out
