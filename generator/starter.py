"""`optin new NAME`: a commented starter campaign that builds as it is."""
from __future__ import annotations

import re
from pathlib import Path

from .errors import OptinError

STARTER = """\
# yaml-language-server: $schema=../generator/schema/campaign.schema.json
# Campaign "{name}". Every key is documented in README.md ("Campaign file").
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

# opt_out: {{whatsapp: STOP, sms: STOP}}   # reply keywords (SMS in Norway defaults to UNSUB)
# providers:
#   sms: {{name: Example SMS Gateway, country: IE}}
"""


def write_starter(name: str, folder: Path) -> Path:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", name):
        raise OptinError(f"campaign name {name!r} must be a slug: lower-case letters, digits and hyphens "
                         "(for example summer-sale)")
    path = folder / f"{name}.yaml"
    if path.exists():
        raise OptinError(f"{path} already exists; pick another name or edit it")
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(STARTER.format(name=name), encoding="utf-8")
    return path
