"""The stages run in order: `build` (load, views, pages, legal check, swap, archive) and `serve`
(a build pointed at a local receiver, served on 127.0.0.1)."""
