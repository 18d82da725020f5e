"""From campaign to pages: per-locale views, notices, rendering with a theme, assets, the build."""
