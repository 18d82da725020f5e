"""The receiver's own HTML (no-JavaScript error page, local outbox): Jinja templates in
receiver/templates/, autoescaped like the site's."""
from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=PackageLoader("generator.receiver", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render(template: str, **context) -> str:
    return _env().get_template(template).render(**context)
