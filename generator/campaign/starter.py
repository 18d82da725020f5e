"""`optin new NAME` and `optin init`: a commented starter campaign that builds as it is, and a
new project around it; and the check that a campaign no longer carries the starter's
placeholders (a warning on every build, an error with `--strict`)."""
from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from generator.campaign.source import read_path
from generator.errors import OptinError, Problem

STARTER = """\
# yaml-language-server: $schema={schema}
# Campaign "{name}". Every key is documented in optin's docs/campaign-reference.md.
id: {name}                      # used in URLs and consent records

brand:
  name: Example Shop            # named in every consent checkbox
  # logo: logo.svg              # path relative to this file
  colors:                       # must reach 4.5:1 contrast (checked at build)
    primary: "#0b5cad"

controller:                     # the data controller (GDPR Art. 13(1)(a))
  name: Example Shop Ltd
  address: 1 Example Street, Dublin, Ireland
  email: privacy@example.com
  # dpo: {{name: Jane Doe, email: dpo@example.com}}
  # representative: {{name: …, email: …, address: …}}

jurisdiction:
  country: IE                   # picks the supervisory authority (NO, ES, IE, MY; DE needs state:)
  # state: BE                   # German controllers: federal state
  # authority: {{name: …, url: https://…}}   # any other country

locales: [en]                   # any of nb, de, ms, en, es
default_locale: en
# base_url: https://optin.example.com   # where the site is published: canonical links and the
#                                       # return URLs of forms sent without JavaScript (set it)

endpoints:                      # https only (http allowed for localhost)
  submit: https://api.example.com/optin/submit
  confirm: https://api.example.com/optin/confirm
  withdraw: https://api.example.com/optin/withdraw
  format: json                  # or form

purposes:                       # one unticked checkbox each; never bundled
  - id: offers
    channel: whatsapp           # whatsapp, sms or email
    purpose: offers             # offers, order_updates, newsletter, events, reminders, birthday
    retention_months: 24
  # - id: vip
  #   channel: email
  #   wording: {{en: "our VIP club"}}   # custom topic, one per locale (ms pages need en too)

hosting:                        # who hosts what: processors the notice names (write the real ones)
  website:                      # publishes the pages (site/): sees every visitor's IP address
    name: Example Web Hosting Ltd   # the legal entity in your contract
    country: IE
    # dpa: "2025-01-31"         # date of the data processing agreement, once it is signed
  receiver:                     # runs the receiver and its ledger: every form and consent record
    name: Example Server Hosting Ltd
    country: IE
    # transfer: scc             # outside the EEA: adequacy, dpf (US, certified) or scc

# opt_out: {{whatsapp: STOP, sms: STOP}}   # reply keywords (SMS in Norway defaults to UNSUB)
# providers:
#   sms: {{name: Example SMS Gateway, country: IE}}
"""


# The starter's made-up values (the STARTER text above) and the domains reserved for examples
# (RFC 2606): a campaign still holding one is not ready to publish.
PLACEHOLDERS = {
    ("brand", "name"): "Example Shop",
    ("controller", "name"): "Example Shop Ltd",
    ("controller", "address"): "1 Example Street, Dublin, Ireland",
    ("hosting", "website", "name"): "Example Web Hosting Ltd",
    ("hosting", "receiver", "name"): "Example Server Hosting Ltd",
}
EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")


def _example_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in EXAMPLE_DOMAINS)


def placeholder_warnings(campaign) -> list[str]:
    """One line per starter placeholder still in the campaign (file, line, key, how to fix)."""
    found: list[tuple[tuple, str, str]] = []
    values = {("brand", "name"): campaign.brand_name, ("controller", "name"): campaign.controller.name,
              ("controller", "address"): campaign.controller.address,
              **{("hosting", role, "name"): host.name for role, host in campaign.hosts.items()}}
    for key, placeholder in PLACEHOLDERS.items():
        if values.get(key, "").strip() == placeholder or (key[1] == "address" and "Example Street" in values[key]):
            hint = ("name the company that hosts it: the legal entity in your contract, and its country"
                    if key[0] == "hosting" else "write your business's own")
            found.append((key, f"still the starter's placeholder {placeholder!r}", hint))
    if _example_host(campaign.controller.email.rpartition("@")[2]):
        found.append((("controller", "email"), (f"{campaign.controller.email!r} is a placeholder address "
                      "(example.com and its like are reserved for examples)"), "write the address people can write to"))
    for name in ("submit", "confirm", "withdraw"):
        url = getattr(campaign.endpoints, name)
        if _example_host(urlsplit(url).hostname or ""):
            found.append((("endpoints", name), f"{url!r} is a placeholder address: no form would arrive",
                          "write your receiver's https URL (docs/operator.md)"))
    if not found:
        return []
    source, _problems = read_path(campaign.source)
    return [str(Problem(str(campaign.source), source.line(key) if source else None, ".".join(key), message, hint))
            for key, message, hint in found]


GITIGNORE = """\
# build output and local data: never commit
/site/
/review/
/.optin/
optin-ledger.sqlite*
*.key
.site.tmp-*
.site.old
"""

README = """\
# {name}

Consent pages built with optin: `optin build` writes the site into `site/` (never commit it),
`optin serve` tries the whole opt-in flow locally, `optin check site` checks it before publishing.

Commit: `campaigns/` (the campaign files, their `<id>.approved.json` approvals and their
`<id>.notices/` archives of published notice versions), `optin.toml`, and `locales/` and
`themes/` when you add your own.
"""

PROJECT_FILE = """\
# optin project file: every setting is optional (optin's docs/marketer.md, "Project file").
# out_dir = "site"
# default_theme = "default"

# [receiver]
# ledger = "optin-ledger.sqlite"
# key_file = "/etc/optin/ledger.key"   # keys the contact pseudonyms; default <ledger>.key or OPTIN_LEDGER_KEY
"""


def schema_ref(campaign_dir: Path, schema_file: Path) -> str:
    """The schema path as the editor resolves it: relative to the campaign file."""
    return Path(os.path.relpath(schema_file.resolve(), campaign_dir.resolve())).as_posix()


def write_starter(name: str, folder: Path, schema_file: Path) -> Path:
    """campaigns/NAME.yaml; `schema_file` is where editors find the schema (for its modeline)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", name):
        raise OptinError(f"campaign name {name!r} must be a slug: lower-case letters, digits and hyphens "
                         "(for example summer-sale)")
    path = folder / f"{name}.yaml"
    if path.exists():
        raise OptinError(f"{path} already exists; pick another name or edit it")
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(STARTER.format(name=name, schema=schema_ref(folder, schema_file)), encoding="utf-8")
    return path


def write_project(root: Path, name: str, schema_file: Path) -> list[Path]:
    """A new project in `root`: optin.toml, .gitignore, README.md and one starter campaign."""
    if (root / "optin.toml").exists():
        raise OptinError(f"{root / 'optin.toml'} already exists: this folder is a project already "
                         "(add a campaign with `optin new NAME`)")
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for file, text in (("optin.toml", PROJECT_FILE), (".gitignore", GITIGNORE), ("README.md", README.format(name=name))):
        if not (root / file).exists():
            (root / file).write_text(text, encoding="utf-8")
            written.append(root / file)
    written.append(write_starter(name, root / "campaigns", schema_file))
    return written
