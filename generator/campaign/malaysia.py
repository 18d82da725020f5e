"""What a Malaysian controller's notice needs beyond the schema (PDPA 2010 as amended in 2024 and
the Personal Data Protection Regulations 2013): the notice in Bahasa Malaysia and English
(s.7(3)), and for enquiries and complaints the designation of the person to contact and a
telephone number (s.7(1)(d) with the Regulations)."""
from __future__ import annotations

from typing import Callable

from generator.errors import Problem

DESIGNATION = "contact_designation"


def designations(value) -> dict:
    """locale -> title; one text for every locale is kept under "*"."""
    return dict(value) if isinstance(value, dict) else {"*": value}


def problems(data: dict, locales: list[str], file: str, line: Callable[[tuple], int | None]) -> list[Problem]:
    jurisdiction = data.get("jurisdiction")
    if not isinstance(jurisdiction, dict) or jurisdiction.get("country") != "MY":
        return []
    out = []
    if isinstance(data.get("locales"), list) and "ms" not in data["locales"]:
        out.append(Problem(file, line(("locales",)), "locales",
                           "a Malaysian controller gives its notice in Bahasa Malaysia and English "
                           "(PDPA 2010 s.7(3)); without an ms locale no page has it in Bahasa Malaysia",
                           "add ms to locales (its pages show Bahasa Malaysia and English; every other "
                           "locale's pages link them)"))
    controller = data.get("controller")
    if not isinstance(controller, dict):
        return out  # the schema reports it
    where = line(("controller",))
    if not controller.get("phone"):
        out.append(Problem(file, where, "controller.phone",
                           "a Malaysian controller's notice gives a telephone number for enquiries and "
                           "complaints (Personal Data Protection Regulations 2013)",
                           'add `phone: "+60 3-1234 5678"` under controller'))
    designation = controller.get(DESIGNATION)
    needed = sorted({*locales, "en"} if "ms" in locales else set(locales))
    if designation is None and not controller.get("dpo"):
        out.append(Problem(file, where, f"controller.{DESIGNATION}",
                           "a Malaysian controller's notice names who answers enquiries and complaints by "
                           "their designation (Personal Data Protection Regulations 2013), and no data "
                           "protection officer is named",
                           f"add `{DESIGNATION}: {{ms: Pengurus Privasi, en: Privacy Manager}}` under "
                           f"controller (a title per locale: {', '.join(needed)}; or one text for all), "
                           "or a `dpo:`"))
    elif isinstance(designation, dict):
        missing = [lang for lang in needed if lang not in designation]
        if missing:
            out.append(Problem(file, line(("controller", DESIGNATION)), f"controller.{DESIGNATION}",
                               f"no designation in {', '.join(missing)} (each locale's notice names it in its "
                               "language; ms pages also show English)",
                               f"add {', '.join(f'{lang}: …' for lang in missing)}"))
    return out
