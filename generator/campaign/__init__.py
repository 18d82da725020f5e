"""Campaign files: YAML read with line numbers, validated (schema + cross-key rules), the frozen
model, the legal and messaging vocabulary, and the starter campaign."""
