"""The YAML loaders campaigns are read with: YAML 1.2 booleans, and libyaml when it is there."""
from __future__ import annotations

import re

import yaml


class Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false. `country: NO` stays the string "NO"."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                             list("tTfF"))


# libyaml parses ~10x faster; a document it refuses is parsed again by the pure-Python Loader,
# whose messages (and the analysis around them) name the problem best.
if getattr(yaml, "__with_libyaml__", False):
    class FastLoader(yaml.CSafeLoader):
        """Loader's resolvers on libyaml's parser."""

    FastLoader.yaml_implicit_resolvers = Loader.yaml_implicit_resolvers
else:
    FastLoader = Loader
